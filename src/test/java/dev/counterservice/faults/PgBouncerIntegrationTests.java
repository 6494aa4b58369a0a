package dev.counterservice.faults;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.AppProcess;
import dev.counterservice.testing.LoadClients;
import dev.counterservice.testing.LocalPostgres;
import dev.counterservice.testing.PgBouncer;
import dev.counterservice.testing.RetryingClients;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service through PgBouncer in transaction pooling mode, as most large deployments
 * run PostgreSQL: two instances, one coalescing requests and one committing each on its
 * own, 16 pooled connections each, share PgBouncer's {@value PgBouncer#POOL_SIZE} server
 * connections, with the JDBC settings docs/configuration.md gives for it. At full load
 * every number is checked; through a PgBouncer restart mid-load every failure is a 503
 * and both serve again by themselves. Schema migration at start-up goes through PgBouncer
 * too. Uses a PostgreSQL cluster of its own.
 */
class PgBouncerIntegrationTests {

    private static final String COUNTER = "pooled";

    private static final String NEXT = "/counters/" + COUNTER + "/next";

    private static final Duration RECOVERY = Duration.ofSeconds(30);

    private static TestDatabase direct;

    private static PgBouncer pgbouncer;

    private static List<AppInstance> instances;

    @BeforeAll
    static void start() {
        direct = LocalPostgres.start().createDatabase(COUNTER);
        pgbouncer = PgBouncer.start(direct, COUNTER);
        instances = List.of(
                AppInstance.start(pgbouncer.database(),
                        Map.of("counter.names", COUNTER, "counter.coalescing.enabled", "true")),
                AppInstance.start(pgbouncer.database(),
                        Map.of("counter.names", COUNTER, "counter.coalescing.enabled", "false")));
    }

    @AfterAll
    static void stop() {
        instances.forEach(AppInstance::close);
        pgbouncer.close();
    }

    @Test
    void atFullLoadEveryNumberIsHandedOutOnceInOrderOverAFewSharedServerConnections() {
        long start = stored();
        try (LoadClients load = LoadClients.start(32, urls(), NEXT)) {
            load.runFor(Duration.ofSeconds(4));
            long serverConnections = direct.queryForLong(
                    "SELECT count(*) FROM pg_stat_activity WHERE usename = '%s'".formatted(direct.username())) - 1;
            load.close();
            System.out.printf("[pgbouncer] full load: %d numbers, %d server connections for 32 pooled ones%n",
                    load.numbers().count(), serverConnections);
            assertThat(load.failures()).isEmpty();
            assertThat(load.numbers().cleanRunViolations(start, stored())).isEmpty();
            assertThat(serverConnections).as("server connections behind PgBouncer, besides this one")
                .isBetween(1L, (long) PgBouncer.POOL_SIZE);
        }
        long keyedStart = stored();
        try (RetryingClients keyed = RetryingClients.start(16, urls(), NEXT)) {
            AppProcess.sleep(Duration.ofSeconds(2));
            keyed.close();
            assertThat(keyed.retries()).as("retries: none without a fault").isEmpty();
            assertThat(keyed.answers()).isNotEmpty();
            assertThat(keyed.violations(keyedStart, stored())).isEmpty();
        }
    }

    @Test
    void throughAPgBouncerRestartMidLoadEveryFailureIsA503AndBothServeAgain() {
        long start = stored();
        try (LoadClients load = LoadClients.start(32, urls(), NEXT)) {
            load.runFor(Duration.ofSeconds(2));
            long restarted = System.nanoTime();
            pgbouncer.restart();
            load.awaitServing(RECOVERY);
            Duration serving = Duration.ofNanos(System.nanoTime() - restarted);
            load.runFor(Duration.ofSeconds(1));
            load.close();
            System.out.printf("[pgbouncer] restart: both serving again %d ms after it began; failures %s%n",
                    serving.toMillis(), load.failures());
            assertThat(load.failures()).as("the restart was seen, as 503s only").isNotEmpty().containsOnlyKeys("503");
            long stored = stored();
            assertThat(load.numbers().guaranteeViolations(stored)).isEmpty();
            assertThat(stored - start - load.numbers().count()).as("numbers consumed but not acknowledged")
                .isBetween(0L, load.failureCount());
        }
        long start2 = stored();
        try (LoadClients clean = LoadClients.start(8, urls(), NEXT)) {
            clean.runFor(Duration.ofSeconds(2));
            clean.close();
            assertThat(clean.failures()).isEmpty();
            assertThat(clean.numbers().cleanRunViolations(start2, stored())).isEmpty();
        }
    }

    private static List<String> urls() {
        return instances.stream().map(AppInstance::baseUrl).toList();
    }

    private static long stored() {
        return direct.queryForLong("SELECT value FROM counter WHERE name = '" + COUNTER + "'");
    }

}
