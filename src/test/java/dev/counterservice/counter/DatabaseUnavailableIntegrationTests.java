package dev.counterservice.counter;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Map;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.AppProcess;
import dev.counterservice.testing.Lateness;
import dev.counterservice.testing.TcpProxy;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * When the database cannot confirm a number in time, the answer is a 503 problem with
 * Retry-After, within the configured timeout, and never a number; the instance recovers
 * by itself. The pool keeps its production settings, so its own wait for a connection
 * (2.5 s) is longer than this test's {@code counter.timeout}: only the service's bounded
 * wait answers in time. With the production timeout too (3 s), the pool's wait ends
 * first, and the 503 says why.
 */
class DatabaseUnavailableIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    // Writing the 503 and reading it over loopback; how late this JVM's threads were
    // woken meanwhile (a busy shared machine, GC) is measured and added on top
    private static final Duration SLACK = Duration.ofMillis(500);

    /** HikariCP checks an idle connection before lending it only past this. */
    private static final Duration POOL_ALIVE_BYPASS = Duration.ofMillis(500);

    private static final TestDatabase database = TestDatabase.shared();

    private static TcpProxy proxy;

    private static AppInstance instance;

    @BeforeAll
    static void startBehindAProxy() {
        proxy = TcpProxy.to(database.host(), database.port());
        instance = AppInstance.start(database.via(proxy.port()),
                Map.of("counter.names", "guarded", "counter.timeout", TIMEOUT.toMillis() + "ms"));
        // A fresh instance's first answers load classes, slower than the bounds below:
        // one number and one problem first
        assertThat(instance.send("GET", "/counters/guarded/next").statusCode()).isEqualTo(200);
        assertThat(instance.send("GET", "/counters/nowhere/next").statusCode()).isEqualTo(404);
    }

    @AfterAll
    static void stop() {
        instance.close();
        proxy.close();
    }

    @Test
    void aLockedRowThatOutlastsTheTimeoutGives503AndNoNumber() throws Exception {
        long before = database.queryForLong("SELECT value FROM counter WHERE name = 'guarded'");
        try (Connection holder = DriverManager.getConnection(database.jdbcUrl(), database.username(),
                database.password()); Lateness lateness = Lateness.measure()) {
            holder.setAutoCommit(false);
            holder.createStatement().execute("SELECT value FROM counter WHERE name = 'guarded' FOR UPDATE");

            long started = System.nanoTime();
            HttpResponse<String> response = instance.send("GET", "/counters/guarded/next");
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertUnavailable(response);
            assertThat(took).isGreaterThanOrEqualTo(TIMEOUT).isLessThan(TIMEOUT.plus(SLACK).plus(lateness.longest()));
            // PostgreSQL gave up the service's wait for the row too (lock_timeout), while
            // the row is still held: without it, that statement would wait for the holder
            database.awaitLockWaits(0, Duration.ofSeconds(10));
            holder.rollback();
        }
        assertServesAgainAfter(before);
    }

    /**
     * No connection can be had: the pool would wait its connection-timeout (3 s) for one,
     * but the request is answered at {@code counter.timeout}.
     */
    @Test
    void anUnreachableDatabaseGives503WithinTheTimeoutAndTheInstanceRecoversWithoutRestart() {
        long before = database.queryForLong("SELECT value FROM counter WHERE name = 'guarded'");
        proxy.refuseConnections(true);
        proxy.cutConnections();
        try (Lateness lateness = Lateness.measure()) {
            // Past it, the pool tries each idle connection before lending it, finds it
            // cut, and waits for a new one
            AppProcess.sleep(POOL_ALIVE_BYPASS.multipliedBy(2));
            long started = System.nanoTime();
            HttpResponse<String> response = instance.send("GET", "/counters/guarded/next");
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertUnavailable(response);
            System.out.printf("Unreachable database: 503 after %d ms; threads woken up to %d ms late%n",
                    took.toMillis(), lateness.longest().toMillis());
            assertThat(took).isLessThan(TIMEOUT.plus(SLACK).plus(lateness.longest()));
        }
        finally {
            proxy.refuseConnections(false);
        }
        assertServesAgainAfter(before);
    }

    /**
     * With the production settings the pool gives up first (2.5 s, below
     * {@code counter.timeout}'s 3 s), and the problem says what the database did.
     */
    @Test
    void aRefusedConnectionIsNamedInTheProblemWithTheProductionTimeouts() {
        try (AppInstance production = AppInstance.start(database.via(proxy.port()),
                Map.of("counter.names", "guarded"))) {
            assertThat(production.send("GET", "/counters/guarded/next").statusCode()).isEqualTo(200);
            proxy.refuseConnections(true);
            proxy.cutConnections();
            try {
                AppProcess.sleep(POOL_ALIVE_BYPASS.multipliedBy(2));
                HttpResponse<String> response = production.send("GET", "/counters/guarded/next");

                assertUnavailable(response);
                assertThat(response.body()).contains("The database refused the connection");
            }
            finally {
                proxy.refuseConnections(false);
            }
        }
    }

    private static void assertUnavailable(HttpResponse<String> response) {
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(response.body()).contains("no number was handed out");
    }

    /**
     * The instance serves again without a restart, with numbers larger than anything
     * stored before the failure. Pooled connections broken by the failure are dropped as
     * they are found, so a few requests may still be refused (503, as a client retrying
     * after Retry-After would see) before a fresh connection serves.
     */
    private static void assertServesAgainAfter(long before) {
        HttpResponse<String> response = await("an answer other than 503").atMost(Duration.ofSeconds(10))
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(20))
            .until(() -> instance.send("GET", "/counters/guarded/next"), answer -> answer.statusCode() != 503);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Long.parseLong(response.body().trim())).isGreaterThan(before);
    }

}
