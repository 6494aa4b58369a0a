package dev.counterservice.faults;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.AppProcess;
import dev.counterservice.testing.IssuedNumbers;
import dev.counterservice.testing.LoadClients;
import dev.counterservice.testing.ReplicatedPostgres;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A replicated PostgreSQL (primary and streaming standby, reached through the driver's
 * multi-host URL) fails over under load to two instances, each in a JVM of its own. A
 * synchronous standby has every acknowledged commit; an asynchronous one may not, and
 * then the instances must notice the new primary and move the counter past every number
 * they handed out (the fence) before serving from it. While a failover lasts, every
 * failed request is a 503 problem with Retry-After, never another answer. Runs with
 * request coalescing on, then off. The pair is shared by every test of both modes, the
 * instances by the tests of one mode: after each failover the dead primary rejoins as the
 * new standby, on its old port, as an operator would bring it back.
 */
@ParameterizedClass(name = "coalescing enabled: {0}")
@ValueSource(booleans = { true, false })
class FailoverIntegrationTests {

    private static final String COUNTER = "failover";

    private static final String NEXT = "/counters/" + COUNTER + "/next";

    private static final Duration START = Duration.ofSeconds(120);

    private static final Duration SERVING_AGAIN = Duration.ofSeconds(30);

    private static final int LOST_BLOCK = 5;

    private static ReplicatedPostgres pair;

    private static TestDatabase database;

    private static AppProcess first;

    private static AppProcess second;

    @Parameter
    boolean coalescing;

    // Each request's numbers go in here, from the load and from single requests alike, to
    // be checked together
    private final IssuedNumbers issued = new IssuedNumbers();

    @BeforeEach
    void startUnlessRunning() {
        if (pair == null) {
            pair = ReplicatedPostgres.start(false);
            database = pair.createDatabase(COUNTER);
        }
        if (first == null) {
            first = AppProcess.start(database, properties());
            second = AppProcess.start(database, properties());
            first.awaitReady(START);
            second.awaitReady(START);
        }
    }

    private Map<String, String> properties() {
        return Map.of("counter.names", COUNTER, "counter.coalescing.enabled", Boolean.toString(coalescing));
    }

    /**
     * Brings the dead primary back as the standby; if the pair cannot be repaired, the
     * next test starts afresh.
     */
    @AfterEach
    void rejoin() {
        try {
            if (!pair.hasStandby()) {
                pair.rejoinFormerPrimary();
            }
            pair.commitSynchronously(false);
        }
        catch (RuntimeException ex) {
            System.out.println("[failover] the pair could not be repaired, the next test starts afresh: " + ex);
            stopAll();
        }
    }

    @AfterParameterizedClassInvocation
    static void stopInstances() {
        if (first != null) {
            first.close();
            second.close();
            first = null;
        }
    }

    @AfterAll
    static void stopAll() {
        stopInstances();
        if (pair != null) {
            pair.close();
            pair = null;
        }
    }

    @Test
    void synchronousStandbyPromotedAfterThePrimaryIsKilledMidLoadHasEveryAcknowledgedNumber() {
        pair.commitSynchronously(true);
        try (LoadClients load = LoadClients.start(32, urls(), NEXT)) {
            load.runFor(Duration.ofSeconds(2));
            long acknowledgedBeforeKill = load.numbers().max();
            long killed = System.nanoTime();
            pair.killPrimary();
            pair.promoteStandby();
            long promoted = System.nanoTime();
            assertThat(stored()).as("the synchronous standby has every number acknowledged before the kill")
                .isGreaterThanOrEqualTo(acknowledgedBeforeKill);
            Duration firstServing = awaitServing(first, promoted);
            Duration secondServing = awaitServing(second, promoted);
            System.out.printf("[failover] synchronous: promotion took %d ms; serving again %d ms and %d ms after it%n",
                    Duration.ofNanos(promoted - killed).toMillis(), firstServing.toMillis(), secondServing.toMillis());
            load.runFor(Duration.ofSeconds(1));
            load.close();
            collect(load);
            System.out.printf("[failover] synchronous: %d numbers, failures %s%n", issued.count(), load.failures());
            assertThat(load.failures()).as("the failover was seen, as 503s only").containsOnlyKeys("503");
        }
        assertThat(issued.guaranteeViolations(stored())).isEmpty();
        assertCleanRun();
    }

    @Test
    void asynchronousStandbyThatMissedSecondsOfCommitsIsFencedAndHandsOutNoNumberTwice() {
        pair.commitSynchronously(false);
        List<Detections> before = detections();
        try (LoadClients load = LoadClients.start(32, urls(), NEXT)) {
            load.runFor(Duration.ofSeconds(1));
            pair.stopStandby();
            long standbyStopped = System.nanoTime();
            load.runFor(Duration.ofSeconds(4));
            pair.killPrimary();
            // Every number acknowledged so far came from the dead primary; answers still
            // in flight may add higher ones, so this is the least it handed out
            long acknowledgedBeforeKill = load.numbers().max();
            long requestedSinceStandbyStopped = load.numbers()
                .issues()
                .stream()
                .filter(issue -> issue.sentNanos() > standbyStopped)
                .mapToLong(issue -> issue.last() - issue.first() + 1)
                .sum();
            pair.startStandby();
            long promotedValue = promoteWhileTheInstancesArePaused();
            long promoted = System.nanoTime();
            long lost = acknowledgedBeforeKill - promotedValue;
            System.out.printf(
                    "[failover] asynchronous, standby stopped 4 s: acknowledged up to at least %d, promoted "
                            + "standby holds %d: at least %d numbers lost (%d requested since the standby stopped)%n",
                    acknowledgedBeforeKill, promotedValue, lost, requestedSinceStandbyStopped);
            assertThat(lost).as("numbers handed out that the promoted standby lacks").isPositive();
            Duration firstServing = awaitServing(first, promoted);
            Duration secondServing = awaitServing(second, promoted);
            load.runFor(Duration.ofSeconds(2));
            load.close();
            collect(load);
            System.out.printf("[failover] serving again %d ms and %d ms after promotion; failures %s%n",
                    firstServing.toMillis(), secondServing.toMillis(), load.failures());
            assertThat(load.failures()).as("the failover was seen, as 503s only").containsOnlyKeys("503");
        }
        assertNoNumberTwiceAndFencedSince(before);
    }

    /**
     * The case the fence's margin exists for: the lost commits were the other instance's,
     * above this instance's own high-water mark, and this instance reaches the new
     * primary first (the other is paused meanwhile).
     */
    @Test
    void asynchronousStandbyThatMissedOnlyTheLastCommitsHandsOutNoNumberTwice() {
        pair.commitSynchronously(false);
        runLoad();
        List<Detections> before = detections();
        long replicated = pair.awaitStandbyReceivedAll();
        pair.stopStandbyImmediately();
        // The last two commits: one request each, to the second instance only, so they
        // lie above the first's mark;
        // more numbers than the first's refused batch and a margin of 1 would cover, so
        // the margin is what counts
        for (int request = 0; request < 2; request++) {
            assertThat(request(second, LOST_BLOCK)).as("a commit the standby misses").isTrue();
        }
        long lastAcknowledged = issued.max();
        second.pause();
        try {
            pair.killPrimary();
            pair.startStandby();
            pair.awaitStandbyReplayed(replicated);
            long promotedValue = pair.standby(COUNTER).queryForLong(valueQuery());
            pair.promoteStandby();
            long promoted = System.nanoTime();
            long lost = lastAcknowledged - promotedValue;
            System.out.printf("[failover] asynchronous, last commits missed: acknowledged up to %d, promoted standby "
                    + "holds %d, %d numbers lost%n", lastAcknowledged, promotedValue, lost);
            assertThat(lost).as("numbers lost with the primary: few, but some").isBetween(1L, 2L * LOST_BLOCK);
            Duration firstServing = awaitServing(first, promoted);
            for (int request = 0; request < 10; request++) {
                request(first, 1);
            }
            System.out.printf("[failover] the first instance served again %d ms after promotion%n",
                    firstServing.toMillis());
        }
        finally {
            second.resume();
        }
        awaitServing(second, System.nanoTime());
        runLoad();
        assertNoNumberTwiceAndFencedSince(before);
    }

    /**
     * Lost commits without a new server (a crash with {@code synchronous_commit=off}, a
     * counter set back by hand): the instance that handed out the lost number refuses the
     * block that repeats it with a 503, logs and counts the regression, fences, and
     * serves again.
     */
    @Test
    void aCounterSetBackOnTheSameServerIsARegressionRefusedLoggedCountedAndFenced() {
        awaitServing(first, System.nanoTime());
        Detections before = Detections.of(first);
        pair.primary(COUNTER).execute("UPDATE counter SET value = value - 1 WHERE name = '" + COUNTER + "'");

        HttpResponse<String> refused = first.send("GET", NEXT);

        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        Detections after = Detections.of(first);
        assertThat(after.regressions()).as("counter_regressions_total").isEqualTo(before.regressions() + 1);
        assertThat(after.lostCommitLines()).as("ERROR lines with 'lost commits' and the counter")
            .isEqualTo(before.lostCommitLines() + 1);
        assertThat(after.fences()).as("counter_fences_total").isGreaterThan(before.fences());
        runLoad();
        assertThat(issued.duplicates()).as("numbers acknowledged twice").isEmpty();
        assertCleanRun();
    }

    @Test
    void requiringSynchronousReplicationKeepsReadinessDownOnAPrimaryThatDoesNotWaitForItsStandby() {
        pair.commitSynchronously(false);
        Map<String, String> required = Map.of("counter.names", COUNTER, "counter.require-synchronous-replication",
                "true");
        try (AppInstance strict = AppInstance.start(database, required);
                AppInstance lenient = AppInstance.start(database, properties())) {
            assertThat(awaitGauge(strict)).as("asynchronous").isEqualTo(0);
            assertThat(awaitGauge(lenient)).isEqualTo(0);
            assertThat(lenient.management("/actuator/health/readiness").statusCode()).as("not required: ready")
                .isEqualTo(200);
            assertThat(strict.management("/actuator/health/readiness").statusCode()).as("required: not ready")
                .isEqualTo(503);
        }
        pair.commitSynchronously(true);
        try (AppInstance strict = AppInstance.start(database, required)) {
            assertThat(awaitGauge(strict)).as("synchronous").isEqualTo(1);
            assertThat(strict.management("/actuator/health/readiness").statusCode()).isEqualTo(200);
        }
    }

    private static List<String> urls() {
        return List.of(first.baseUrl(), second.baseUrl());
    }

    /**
     * One request for {@code count} numbers; they are recorded if it got them. The only
     * other answer allowed is the promised 503 (problem, Retry-After).
     */
    private boolean request(AppProcess instance, int count) {
        long sent = System.nanoTime();
        HttpResponse<String> response = instance.send("GET", NEXT + "?count=" + count);
        if (response.statusCode() != 200) {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(response.headers().firstValue("Retry-After")).isPresent();
            return false;
        }
        List<String> numbers = response.body().lines().toList();
        assertThat(numbers).as("the numbers of one request").hasSize(count);
        issued.record(-1, sent, System.nanoTime(), Long.parseLong(numbers.getFirst()),
                Long.parseLong(numbers.getLast()));
        return true;
    }

    /**
     * Promotes the standby while both instances stand still (SIGSTOP), and returns the
     * value it holds before either can fence it.
     */
    private static long promoteWhileTheInstancesArePaused() {
        first.pause();
        second.pause();
        try {
            pair.promoteStandby();
            return pair.primary(COUNTER).queryForLong(valueQuery());
        }
        finally {
            first.resume();
            second.resume();
        }
    }

    /**
     * Every failure was the answer the service promises while in doubt: a 503 problem
     * with Retry-After (no other status, no dropped connection, no timeout).
     */
    private static void assertOnlyPromised503s(LoadClients load) {
        assertThat(load.failures().keySet()).as("kinds of failure").isSubsetOf("503");
    }

    /**
     * Waits until the instance answers 200 again by itself, and returns how long after
     * {@code since} that was.
     */
    private Duration awaitServing(AppProcess instance, long since) {
        while (!request(instance, 1)) {
            assertThat(Duration.ofNanos(System.nanoTime() - since)).as("serving again").isLessThan(SERVING_AGAIN);
            AppProcess.sleep(Duration.ofMillis(50));
        }
        return Duration.ofNanos(System.nanoTime() - since);
    }

    /** Two seconds of 32 clients over both instances; their numbers join the others. */
    private void runLoad() {
        try (LoadClients load = LoadClients.start(32, urls(), NEXT)) {
            load.runFor(Duration.ofSeconds(2));
            load.close();
            collect(load);
            assertOnlyPromised503s(load);
        }
    }

    /**
     * After a failover that lost commits: no number went out twice, and both instances
     * fenced.
     */
    private void assertNoNumberTwiceAndFencedSince(List<Detections> before) {
        System.out.printf("[failover] %d duplicates among %d numbers%n", issued.duplicates().size(), issued.count());
        assertThat(issued.duplicates()).as("numbers acknowledged twice").isEmpty();
        assertThat(issued.guaranteeViolations(stored())).isEmpty();
        List<Detections> after = detections();
        after.get(0).assertFencedSince(before.get(0));
        after.get(1).assertFencedSince(before.get(1));
        assertCleanRun();
    }

    private static List<Detections> detections() {
        return List.of(Detections.of(first), Detections.of(second));
    }

    private void collect(LoadClients load) {
        load.numbers()
            .issues()
            .forEach(issue -> issued.record(issue.client(), issue.sentNanos(), issue.receivedNanos(), issue.first(),
                    issue.last()));
    }

    /**
     * After recovery, a fresh run of clients over both instances sees no error at all.
     */
    private void assertCleanRun() {
        try (LoadClients load = LoadClients.start(8, urls(), NEXT)) {
            load.runFor(Duration.ofSeconds(2));
            load.close();
            collect(load);
            assertThat(load.failures()).isEmpty();
            assertThat(load.numbers().count()).isPositive();
        }
        assertThat(issued.guaranteeViolations(stored())).isEmpty();
    }

    /**
     * What an instance has counted and logged about new primaries and lost commits so
     * far.
     */
    private record Detections(String instance, double fences, double regressions, long fencedLines,
            long lostCommitLines) {

        private static final Pattern LOST_COMMITS = Pattern
            .compile("(?m)^.*ERROR.*(lost commits.*" + COUNTER + "|" + COUNTER + ".*lost commits).*$");

        static Detections of(AppProcess instance) {
            String metrics = instance.management("/actuator/prometheus").body();
            String output = instance.output();
            return new Detections(instance.baseUrl(), metric(metrics, "counter_fences_total", COUNTER).orElse(0),
                    metric(metrics, "counter_regressions_total", COUNTER).orElse(0),
                    output.lines().filter(line -> line.contains("Fenced")).count(),
                    LOST_COMMITS.matcher(output).results().count());
        }

        /**
         * The instance noticed the new primary: it fenced (a WARN line with "Fenced",
         * counted per counter), and each block it found at or below its high-water mark
         * was refused with an ERROR naming the lost commits and the counter, and counted.
         */
        void assertFencedSince(Detections before) {
            System.out.printf("[failover] %s: fences %s, regressions %s; log lines: Fenced %d, lost commits %d%n",
                    instance, fences - before.fences, regressions - before.regressions,
                    fencedLines - before.fencedLines, lostCommitLines - before.lostCommitLines);
            assertThat(fences).as("counter_fences_total").isGreaterThan(before.fences);
            assertThat(fencedLines).as("lines logging 'Fenced'").isGreaterThan(before.fencedLines);
            if (regressions > before.regressions) {
                assertThat(lostCommitLines).as("ERROR lines with 'lost commits' and the counter")
                    .isGreaterThan(before.lostCommitLines);
            }
        }
    }

    /**
     * Asks for readiness, as a probe would, until the instance reports whether commits
     * wait for a standby, and returns that gauge (NaN until it has read it).
     */
    private static double awaitGauge(AppInstance instance) {
        return await("gauge counter_database_synchronous").atMost(SERVING_AGAIN)
            .pollInterval(Duration.ofMillis(200))
            .until(() -> {
                instance.management("/actuator/health/readiness");
                return metric(instance.management("/actuator/prometheus").body(), "counter_database_synchronous", null)
                    .orElse(Double.NaN);
            }, value -> !Double.isNaN(value));
    }

    /**
     * The sum of a metric's samples in Prometheus text, for one counter's label if
     * {@code counter} is given.
     */
    private static OptionalDouble metric(String prometheusText, String name, String counter) {
        Matcher samples = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? (\\S+)$").matcher(prometheusText);
        OptionalDouble sum = OptionalDouble.empty();
        while (samples.find()) {
            String labels = samples.group(1) == null ? "" : samples.group(1);
            if (counter == null || labels.contains("counter=\"" + counter + "\"")) {
                sum = OptionalDouble.of(sum.orElse(0) + Double.parseDouble(samples.group(2)));
            }
        }
        return sum;
    }

    private long stored() {
        return database.queryForLong(valueQuery());
    }

    private static String valueQuery() {
        return "SELECT value FROM counter WHERE name = '" + COUNTER + "'";
    }

}
