package dev.counterservice.faults;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.counterservice.testing.AppProcess;
import dev.counterservice.testing.AppProcessPair;
import dev.counterservice.testing.CheckedInstances;
import dev.counterservice.testing.Fences;
import dev.counterservice.testing.LoadClients;
import dev.counterservice.testing.PatroniCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Failover under a real HA manager: three PostgreSQL nodes managed by Patroni with etcd
 * ({@link PatroniCluster}), reached through the driver's multi-host URL, two instances of
 * the service in JVMs of their own under load from 32 clients. Patroni decides what
 * happens: it promotes a standby after the leader's PostgreSQL crashes, runs a planned
 * switchover, and demotes the leader when etcd is gone. Every answer is checked, and
 * every failure must be a 503 with {@code Retry-After}; each case reports duplicates,
 * order violations, failures and how long until each instance served again by itself. The
 * cluster and the instances are shared: after each case Patroni brings the former leader
 * back as a standby.
 */
class PatroniFailoverIntegrationTests {

    private static final String COUNTER = "patroni";

    private static final String VALUE = "SELECT value FROM counter WHERE name = '" + COUNTER + "'";

    private static final Duration PATRONI_ACTS = Duration.ofSeconds(60);

    /** Patroni's default {@code maximum_lag_on_failover}, 1 MB. */
    private static final long DEFAULT_MAXIMUM_LAG = 1024 * 1024;

    /**
     * How long after {@code patronictl switchover} returned a request may still fail: one
     * that was waiting on the former leader gets its 503 within {@code counter.timeout}
     * (3 s), plus slack for this busy machine.
     */
    private static final Duration SWITCHOVER_TAIL = Duration.ofSeconds(5);

    private static PatroniCluster cluster;

    private static AppProcessPair instances;

    private static AppProcess first;

    private static AppProcess second;

    private CheckedInstances service;

    @BeforeEach
    void startUnlessRunning() {
        if (cluster == null) {
            cluster = PatroniCluster.start(3);
            instances = AppProcessPair.start(cluster.createDatabase(COUNTER), COUNTER, Map.of());
            first = instances.first();
            second = instances.second();
        }
        service = instances.checked();
    }

    /**
     * Back to synchronous mode with Patroni's default lag limit, once Patroni has brought
     * the former leader back; if it cannot, the next case starts afresh.
     */
    @AfterEach
    void restore() {
        if (cluster == null) {
            return;
        }
        try {
            cluster.maximumLagOnFailover(DEFAULT_MAXIMUM_LAG);
            cluster.synchronousMode(true);
        }
        catch (RuntimeException ex) {
            System.out.println("[patroni] the cluster did not recover, the next case starts afresh: " + ex);
            stopAll();
        }
    }

    @AfterAll
    static void stopAll() {
        if (cluster != null) {
            instances.close();
            cluster.close();
            cluster = null;
        }
    }

    @Test
    void synchronousModeLeaderKilledPatroniPromotesTheSynchronousStandbyNoNumberTwiceOrOutOfOrder() {
        try (LoadClients load = service.load(32)) {
            load.runFor(Duration.ofSeconds(2));
            long killed = System.nanoTime();
            String former = cluster.killLeaderPostmaster();
            long acknowledged = load.numbers().max();
            // Read before Patroni promotes one (a loop later at the earliest), and before
            // the
            // instances fence it
            Map<String, Long> standbysHold = cluster.onStandbys(former, COUNTER, VALUE);
            String promotedNode = cluster.awaitNewLeader(former, PATRONI_ACTS);
            Duration promoted = since(killed);
            assertThat(standbysHold.get(promotedNode)).as("what the promoted synchronous standby held")
                .isGreaterThanOrEqualTo(acknowledged);
            List<Duration> serving = awaitBothServing(killed);
            finish(load, Duration.ofSeconds(1));
            report("synchronous, leader's PostgreSQL SIGKILLed", load, "promoted %d ms, holding %d with %d acknowledged"
                .formatted(promoted.toMillis(), standbysHold.get(promotedNode), acknowledged), serving);
            assertOnly503s(load);
        }
        assertThat(service.issued().duplicates()).isEmpty();
        assertThat(service.issued().realTimeOrderViolations()).isEmpty();
        service.assertCleanRun();
    }

    /**
     * Asynchronous replication, the standbys held back for 2 s under load, then the
     * leader's PostgreSQL killed: Patroni promotes a standby that lacks the last
     * acknowledged numbers (its lag limit raised so that it does, as an operator who
     * prefers availability would). The fence keeps every one of them from going out
     * again.
     */
    @Test
    void asynchronousModeLeaderKilledWhileStandbysLagTheFenceHandsOutNoNumberTwice() {
        cluster.synchronousMode(false);
        cluster.maximumLagOnFailover(1L << 30);
        List<Fences> before = service.fences();
        long acknowledged;
        try (LoadClients load = service.load(32)) {
            load.runFor(Duration.ofSeconds(1));
            cluster.holdReplication();
            load.runFor(Duration.ofSeconds(2));
            long standbysHold = cluster.onStandbys(cluster.leader(), COUNTER, VALUE)
                .values()
                .stream()
                .max(Long::compare)
                .orElseThrow();
            long killed = System.nanoTime();
            String former = cluster.killLeaderPostmaster();
            long dead = System.nanoTime();
            acknowledged = load.numbers().max();
            cluster.dropHeldReplication();
            cluster.awaitNewLeader(former, PATRONI_ACTS);
            Duration promoted = since(killed);
            List<Duration> serving = awaitBothServing(killed);
            finish(load, Duration.ofSeconds(1));
            long firstAfter = service.issued()
                .issues()
                .stream()
                .filter(issue -> issue.sentNanos() > dead)
                .mapToLong(issue -> issue.first())
                .min()
                .orElseThrow();
            report("asynchronous, standbys held back 2 s, leader's PostgreSQL SIGKILLed", load,
                    "promoted %d ms; %d acknowledged numbers missing on the new primary, %d skipped by the fence"
                        .formatted(promoted.toMillis(), acknowledged - standbysHold, firstAfter - acknowledged - 1),
                    serving);
            assertThat(acknowledged - standbysHold).as("acknowledged numbers the promoted standby lacks").isPositive();
            assertOnly503s(load);
        }
        assertThat(service.issued().duplicates()).as("numbers acknowledged twice").isEmpty();
        service.assertFencedOnceSince(before);
        service.assertCleanRun();
    }

    @Test
    void plannedSwitchoverUnderLoadFailsRequestsOnlyWhileItRuns() {
        try (LoadClients load = service.load(32)) {
            load.runFor(Duration.ofSeconds(2));
            long began = System.nanoTime();
            cluster.switchover(cluster.standby());
            long done = System.nanoTime();
            List<Duration> serving = awaitBothServing(began);
            finish(load, Duration.ofSeconds(2));
            report("patronictl switchover", load,
                    "it took %d ms; %s".formatted(millis(done - began), load.failureCount() == 0 ? "no failure"
                            : "failures from %d to %d ms after it began".formatted(
                                    millis(load.firstFailureNanos() - began), millis(load.lastFailureNanos() - began))),
                    serving);
            assertOnly503s(load);
            if (load.failureCount() > 0) {
                assertThat(load.firstFailureNanos()).as("no failure before the switchover began")
                    .isGreaterThanOrEqualTo(began);
                assertThat(Duration.ofNanos(load.lastFailureNanos() - done))
                    .as("the last failure, after patronictl returned")
                    .isLessThanOrEqualTo(SWITCHOVER_TAIL);
            }
        }
        assertThat(service.issued().duplicates()).isEmpty();
        service.assertCleanRun();
    }

    /**
     * etcd stopped under load: Patroni cannot renew the leader lock and demotes the
     * leader (failsafe mode off, its default). While no node is primary the instances
     * answer 503 and report not ready; once etcd is back Patroni elects a leader and they
     * serve again by themselves.
     */
    @Test
    void etcdStoppedUnderLoadNoNumberWithoutAPrimaryAndServingAgainOnceEtcdIsBack() {
        try (LoadClients load = service.load(32)) {
            load.runFor(Duration.ofSeconds(1));
            long stopped = System.nanoTime();
            cluster.stopEtcd();
            await("the leader demoted").atMost(PATRONI_ACTS)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> !cluster.hasPrimary());
            Duration demoted = since(stopped);
            await("both instances not ready").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> readiness(first) == 503 && readiness(second) == 503);
            long acknowledgedWithoutPrimary = load.numbers().count();
            load.runFor(Duration.ofSeconds(1));
            assertThat(load.numbers().count()).as("numbers acknowledged while no node was primary")
                .isEqualTo(acknowledgedWithoutPrimary);
            long restarted = System.nanoTime();
            cluster.startEtcd();
            cluster.awaitNewLeader("", PATRONI_ACTS);
            Duration primaryAgain = since(restarted);
            List<Duration> serving = awaitBothServing(restarted);
            await("both instances ready").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> readiness(first) == 200 && readiness(second) == 200);
            finish(load, Duration.ofSeconds(1));
            report("etcd stopped", load,
                    "leader demoted %d ms after etcd stopped; from etcd's restart: a primary again after %d ms"
                        .formatted(demoted.toMillis(), primaryAgain.toMillis()),
                    serving);
            assertOnly503s(load);
        }
        assertThat(service.issued().duplicates()).isEmpty();
        service.assertCleanRun();
    }

    private List<Duration> awaitBothServing(long since) {
        return List.of(service.awaitServing(first, since), service.awaitServing(second, since));
    }

    /** Lets the load run on for {@code duration}, stops it and records its numbers. */
    private void finish(LoadClients load, Duration duration) {
        load.runFor(duration);
        load.close();
        service.collect(load);
    }

    /**
     * Every failure was a 503 with {@code Retry-After} and problem details, and every
     * number acknowledged so far keeps guarantees 1 to 3.
     */
    private void assertOnly503s(LoadClients load) {
        CheckedInstances.assertOnlyPromised503s(load);
        service.assertGuarantees();
    }

    private void report(String scenario, LoadClients load, String patroni, List<Duration> serving) {
        System.out.printf(
                "[patroni] %s: %s; serving again after %d ms and %d ms; %d numbers, %d duplicates, %d order violations,"
                        + " failures %s%n",
                scenario, patroni, serving.get(0).toMillis(), serving.get(1).toMillis(), load.numbers().count(),
                service.issued().duplicates().size(), service.issued().realTimeOrderViolations().size(),
                load.failures());
    }

    private static int readiness(AppProcess instance) {
        return instance.management("/actuator/health/readiness").statusCode();
    }

    private static Duration since(long nanos) {
        return Duration.ofNanos(System.nanoTime() - nanos);
    }

    private static long millis(long nanos) {
        return Duration.ofNanos(nanos).toMillis();
    }

}
