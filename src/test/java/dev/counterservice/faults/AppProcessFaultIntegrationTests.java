package dev.counterservice.faults;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import dev.counterservice.testing.AppProcess;
import dev.counterservice.testing.LoadClients;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What Kubernetes does to the service's own processes: SIGKILL, SIGTERM, and a start with no database. */
class AppProcessFaultIntegrationTests {

    private static final Duration START = Duration.ofSeconds(120);

    private final TestDatabase database = TestDatabase.shared();

    @Test
    void anInstanceKilledWithSigkillMidLoadRestartsWhileTheOtherKeepsServing() {
        Map<String, String> properties = Map.of("counter.names", "replicas");
        AppProcess killed = AppProcess.start(database, properties);
        try (AppProcess survivor = AppProcess.start(database, properties)) {
            killed.awaitReady(START);
            survivor.awaitReady(START);
            try (LoadClients load = LoadClients.start(16, List.of(killed.baseUrl(), survivor.baseUrl()), "/counters/replicas/next")) {
                load.runFor(Duration.ofSeconds(1));
                killed.kill();
                long countAtKill = load.numbers().count();
                load.runFor(Duration.ofSeconds(2));
                assertThat(load.numbers().count()).as("the survivor kept serving").isGreaterThan(countAtKill);

                killed = killed.restart().awaitReady(START);
                load.runFor(Duration.ofSeconds(1));
                load.close();

                assertThat(load.failures()).as("requests to the killed instance failed").containsKey("connection");
                assertThat(load.numbers().guaranteeViolations(stored("replicas"))).isEmpty();
            }
            try (LoadClients clean = LoadClients.start(8, List.of(killed.baseUrl(), survivor.baseUrl()), "/counters/replicas/next")) {
                clean.runFor(Duration.ofSeconds(2));
                clean.close();
                assertThat(clean.failures()).isEmpty();
                assertThat(clean.numbers().guaranteeViolations(stored("replicas"))).isEmpty();
            }
        }
        finally {
            killed.close();
        }
    }

    @Test
    void sigtermLetsAcceptedRequestsFinishWithTheirNumbersReportsNotReadyAndExitsInTime() throws Exception {
        try (AppProcess app = AppProcess.start(database, Map.of("counter.names", "draining", "counter.timeout", "15s"))) {
            app.awaitReady(START);
            long before = stored("draining");
            List<Long> numbers;
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
                    Connection holder = DriverManager.getConnection(database.jdbcUrl(), database.username(), database.password())) {
                // Hold the row so that accepted requests are still in flight when SIGTERM arrives
                holder.setAutoCommit(false);
                holder.createStatement().execute("SELECT value FROM counter WHERE name = 'draining' FOR UPDATE");
                List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
                inFlight.add(CompletableFuture.supplyAsync(() -> app.send("GET", "/counters/draining/next"), clients));
                awaitRowLockWait();
                for (int i = 0; i < 4; i++) {
                    inFlight.add(CompletableFuture.supplyAsync(() -> app.send("GET", "/counters/draining/next"), clients));
                }
                awaitMetric(app, "counter_requests_waiting{counter=\"draining\"} 4");

                app.terminate();
                awaitNotReady(app);
                holder.rollback();

                numbers = inFlight.stream().map(CompletableFuture::join)
                        .peek(response -> assertThat(response.statusCode()).isEqualTo(200))
                        .map(response -> Long.parseLong(response.body().trim())).sorted().toList();
            }
            assertThat(numbers).containsExactly(before + 1, before + 2, before + 3, before + 4, before + 5);
            // 143 is the JVM's exit on SIGTERM after its shutdown hooks have run
            assertThat(app.awaitExit(Duration.ofSeconds(30))).isIn(0, 143);
        }
    }

    @Test
    void withoutItsDatabaseTheServiceExitsNonZeroWithOneClearLine() {
        TestDatabase nowhere = database.via(1);
        try (AppProcess app = AppProcess.start(nowhere, Map.of())) {
            assertThat(app.awaitExit(START)).isNotZero();
            assertThat(app.output()).contains("Cannot reach the database at " + nowhere.jdbcUrl() + ": Connection refused")
                    .doesNotContain(nowhere.password() + "@");
        }
    }

    private long stored(String counter) {
        return database.queryForLong("SELECT value FROM counter WHERE name = '%s'".formatted(counter));
    }

    /** The first request's UPDATE waits for the row the test holds. */
    private void awaitRowLockWait() {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (database.queryForLong("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") == 0) {
            assertThat(System.nanoTime()).as("an UPDATE waits for the row").isLessThan(deadline);
        }
    }

    /** The other four requests wait for the next batch. */
    private static void awaitMetric(AppProcess app, String line) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String metrics;
        while (!(metrics = app.management("/actuator/prometheus").body()).contains(line)) {
            String seen = metrics.lines().filter(l -> l.startsWith(line.substring(0, 24))).toList().toString();
            assertThat(System.nanoTime()).as("metrics show " + line + ", saw " + seen).isLessThan(deadline);
        }
    }

    /** Readiness turns DOWN while the accepted requests are still being served. */
    private static void awaitNotReady(AppProcess app) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            if (app.management("/actuator/health/readiness").statusCode() == 503) {
                return;
            }
            assertThat(System.nanoTime()).as("readiness DOWN after SIGTERM").isLessThan(deadline);
        }
    }
}
