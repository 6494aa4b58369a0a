package dev.counterservice.faults;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.Lateness;
import dev.counterservice.testing.LoadClients;
import dev.counterservice.testing.LocalPostgres;
import dev.counterservice.testing.TcpProxy;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a Kubernetes deployment does to the database, done under load from 16 clients over
 * two instances, with request coalescing on and off: the PostgreSQL process killed and
 * restarted on its data, connections cut mid-transaction until a cut falls inside a
 * COMMIT, the database stalled; and a counter run up to bigint's maximum. Every answer,
 * those that show recovery included, is checked: every failure is of the kind the
 * scenario promises; no number acknowledged twice, real-time order held, every
 * acknowledged number stored, and no more numbers consumed than acknowledged plus one per
 * failed request. After each, a fresh run of clients sees no error and the counter moves
 * by exactly the numbers they were given. Uses a PostgreSQL cluster of its own, so it can
 * kill it.
 */
@ParameterizedClass(name = "coalescing enabled: {0}")
@ValueSource(booleans = { true, false })
class DatabaseFaultIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    // The 503 is written when counter.timeout expires: this covers writing it and reading
    // it over loopback. How late
    // the JVM's threads were woken meanwhile (a busy shared machine, GC) is measured and
    // added on top
    private static final Duration SLACK = Duration.ofMillis(500);

    private static final Duration RECOVERY = Duration.ofSeconds(30);

    private static final long BIGINT_MAX = Long.MAX_VALUE;

    private static final String NEXT = "/counters/faults/next";

    private static LocalPostgres server;

    private static TestDatabase database;

    private static TcpProxy proxy;

    private static AppInstance first;

    private static AppInstance second;

    /**
     * The mode under test; declared so that {@link #startInstances(boolean)} receives it.
     */
    @Parameter
    boolean coalescing;

    @BeforeAll
    static void startDatabase() {
        server = LocalPostgres.start();
        database = server.createDatabase("faults");
        proxy = TcpProxy.to(database.host(), database.port());
    }

    @AfterAll
    static void stopProxy() {
        proxy.close();
    }

    @BeforeParameterizedClassInvocation
    static void startInstances(boolean coalescing) {
        Map<String, String> properties = Map.of("counter.names", "faults,edge", "counter.coalescing.enabled",
                Boolean.toString(coalescing), "counter.timeout", TIMEOUT.toMillis() + "ms",
                "spring.datasource.hikari.connection-timeout", "1000");
        first = AppInstance.start(database.via(proxy.port()), properties);
        second = AppInstance.start(database.via(proxy.port()), properties);
        // A fresh instance's first requests load classes and initialise Spring MVC,
        // slower than any timeout this
        // suite measures: warm both up with as many clients as the scenarios use,
        // checking nothing
        try (LoadClients warmUp = LoadClients.start(16, urls(), NEXT)) {
            warmUp.runFor(Duration.ofSeconds(3));
        }
    }

    @AfterParameterizedClassInvocation
    static void stopInstances() {
        first.close();
        second.close();
    }

    @Test
    void postgresKilledWithSigkillMidLoadAndRestartedOnItsData() {
        long start = stored("faults");
        try (LoadClients load = LoadClients.start(16, urls(), NEXT)) {
            load.runFor(Duration.ofSeconds(1));
            server.kill();
            load.runFor(Duration.ofSeconds(1));
            server.startServer();
            load.awaitServing(RECOVERY).runFor(Duration.ofSeconds(1));
            load.close();

            assertThat(load.failures()).as("the outage was seen, as 503s only").isNotEmpty().containsOnlyKeys("503");
            assertGuarantees(load, start);
        }
        assertCleanRun();
    }

    @Test
    void connectionsCutMidTransactionIncludingDuringCommit() {
        long start = stored("faults");
        int cutsInsideCommit = 0;
        try (LoadClients load = LoadClients.start(16, urls(), NEXT)) {
            load.runFor(Duration.ofMillis(500));
            // Three commits done by PostgreSQL whose answer never reaches the service
            proxy.loseCommitReplies(3);
            // Cut until several cuts fell between a statement that commits and its
            // answer (here the batches' UPDATEs, each its own transaction): commits whose
            // outcome is unknown
            for (int cut = 0; cut < 300 && (cutsInsideCommit < 3 || proxy.commitRepliesToLose() > 0); cut++) {
                cutsInsideCommit += proxy.cutConnections();
                load.runFor(Duration.ofMillis(100));
            }
            load.awaitServing(RECOVERY);
            load.close();

            assertThat(cutsInsideCommit).as("cuts that fell inside a commit").isGreaterThanOrEqualTo(3);
            assertThat(proxy.commitRepliesToLose()).as("commit replies still to be lost").isZero();
            assertThat(load.failures()).as("the cuts were seen, as 503s only").isNotEmpty().containsOnlyKeys("503");
            assertGuarantees(load, start);
            long unacknowledged = stored("faults") - start - load.numbers().count();
            System.out.printf("Cuts: %d inside a commit; %d numbers stored but never acknowledged, %d failures%n",
                    cutsInsideCommit, unacknowledged, load.failureCount());
            assertThat(unacknowledged).as("numbers of commits whose outcome was lost to the client").isPositive();
        }
        assertCleanRun();
    }

    @Test
    void aStalledDatabaseGives503WithinTheTimeoutAndReadinessDownWhileLivenessStaysUp() {
        long start = stored("faults");
        try (LoadClients load = LoadClients.start(16, urls(), NEXT); Lateness lateness = Lateness.measure()) {
            load.runFor(Duration.ofMillis(500));
            proxy.stall();
            try {
                load.runFor(TIMEOUT.multipliedBy(2));
                for (AppInstance instance : List.of(first, second)) {
                    assertThat(instance.management("/actuator/health/readiness").statusCode()).isEqualTo(503);
                    assertThat(instance.management("/actuator/health/liveness").statusCode()).isEqualTo(200);
                }
            }
            finally {
                proxy.resume();
            }
            load.awaitServing(RECOVERY).runFor(Duration.ofMillis(500));
            load.close();

            assertThat(load.failures()).as("the stall was seen, as 503s only").isNotEmpty().containsOnlyKeys("503");
            System.out.printf("Slowest answer %d ms; threads woken up to %d ms late%n", load.slowestAnswer().toMillis(),
                    lateness.longest().toMillis());
            assertThat(load.slowestAnswer()).as("every answer within counter.timeout")
                .isLessThan(TIMEOUT.plus(SLACK).plus(lateness.longest()));
            assertGuarantees(load, start);
        }
        for (AppInstance instance : List.of(first, second)) {
            assertThat(instance.management("/actuator/health/readiness").statusCode()).isEqualTo(200);
        }
        assertCleanRun();
    }

    @Test
    void aCounterRunUpToBigintsMaximumUnderLoadHandsOutEveryNumberUpToItThen409() {
        long start = BIGINT_MAX - 200;
        database.execute("UPDATE counter SET value = %d WHERE name = 'edge'".formatted(start));
        try (LoadClients load = LoadClients.start(16, urls(), "/counters/edge/next?count=3")) {
            long deadline = System.nanoTime() + RECOVERY.toNanos();
            while (!load.failures().containsKey("409") && System.nanoTime() < deadline) {
                load.runFor(Duration.ofMillis(100));
            }
            load.runFor(Duration.ofMillis(500));
            load.close();

            // 200 is not a multiple of 3: the last two numbers fit no block of three and
            // stay unused. A 503 (a
            // request that outlasted counter.timeout on a busy machine) may leave its
            // three numbers unused too
            long last = stored("edge");
            assertThat(load.failures()).as("past the maximum, 409").containsKey("409");
            assertThat(load.failures().keySet()).isSubsetOf("409", "503");
            assertThat(last).isEqualTo(BIGINT_MAX - 2);
            assertThat(load.numbers().guaranteeViolations(last)).isEmpty();
            assertThat(last - start - load.numbers().count()).as("numbers consumed but not acknowledged")
                .isBetween(0L, 3 * load.failures().getOrDefault("503", 0L));
        }
    }

    private static List<String> urls() {
        return List.of(first.baseUrl(), second.baseUrl());
    }

    /**
     * Guarantees 1 to 3 on every acknowledged number, and 4 as far as a fault allows:
     * numbers consumed but never acknowledged are at most one per failed request (each
     * asked for one number).
     */
    private static void assertGuarantees(LoadClients load, long start) {
        long stored = stored("faults");
        assertThat(load.numbers().count()).isPositive();
        assertThat(load.numbers().guaranteeViolations(stored)).isEmpty();
        assertThat(stored - start - load.numbers().count()).as("numbers consumed but not acknowledged")
            .isBetween(0L, load.failureCount());
    }

    /**
     * After recovery: a fresh run of clients sees no error at all, and the counter moves
     * by what they were given.
     */
    private static void assertCleanRun() {
        long start = stored("faults");
        try (LoadClients load = LoadClients.start(8, urls(), NEXT)) {
            load.runFor(Duration.ofSeconds(2));
            load.close();
            assertThat(load.failures()).isEmpty();
            assertThat(load.numbers().cleanRunViolations(start, stored("faults"))).isEmpty();
        }
    }

    private static long stored(String counter) {
        return database.queryForLong("SELECT value FROM counter WHERE name = '%s'".formatted(counter));
    }

}
