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
import dev.counterservice.testing.IssuedNumbers;
import dev.counterservice.testing.LoadClients;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What Kubernetes does to the service's own processes: SIGKILL and SIGTERM to one of two
 * instances under concurrent clients, with request coalescing on and off, and a start
 * with no database.
 */
class AppProcessFaultIntegrationTests {

    private static final Duration START = Duration.ofSeconds(120);

    private static final int IN_FLIGHT = 16;

    private final TestDatabase database = TestDatabase.shared();

    @ParameterizedTest(name = "coalescing enabled: {0}")
    @ValueSource(booleans = { true, false })
    void anInstanceKilledWithSigkillMidLoadRestartsWhileTheOtherKeepsServing(boolean coalescing) {
        Map<String, String> properties = Map.of("counter.names", "replicas", "counter.coalescing.enabled",
                Boolean.toString(coalescing));
        AppProcess killed = AppProcess.start(database, properties);
        try (AppProcess survivor = AppProcess.start(database, properties)) {
            killed.awaitReady(START);
            survivor.awaitReady(START);
            long start = stored("replicas");
            try (LoadClients load = LoadClients.start(16, List.of(killed.baseUrl(), survivor.baseUrl()),
                    "/counters/replicas/next")) {
                load.runFor(Duration.ofSeconds(1));
                killed.kill();
                long countAtKill = load.numbers().count();
                load.runFor(Duration.ofSeconds(2));
                assertThat(load.numbers().count()).as("the survivor kept serving").isGreaterThan(countAtKill);

                killed = killed.restart().awaitReady(START);
                load.awaitServing(START).runFor(Duration.ofSeconds(1));
                load.close();

                long stored = stored("replicas");
                assertThat(load.failures()).as("only requests to the killed instance failed, to connect")
                    .isNotEmpty()
                    .containsOnlyKeys("connection");
                assertThat(load.numbers().guaranteeViolations(stored)).isEmpty();
                // The killed instance may have committed numbers it never sent: at most
                // one per failed request
                assertThat(stored - start - load.numbers().count()).isBetween(0L, load.failureCount());
            }
            long cleanStart = stored("replicas");
            try (LoadClients clean = LoadClients.start(8, List.of(killed.baseUrl(), survivor.baseUrl()),
                    "/counters/replicas/next")) {
                clean.runFor(Duration.ofSeconds(2));
                clean.close();
                assertThat(clean.failures()).isEmpty();
                assertThat(clean.numbers().cleanRunViolations(cleanStart, stored("replicas"))).isEmpty();
            }
        }
        finally {
            killed.close();
        }
    }

    @ParameterizedTest(name = "coalescing enabled: {0}")
    @ValueSource(booleans = { true, false })
    void sigtermLetsAcceptedRequestsFinishWithTheirNumbersReportsNotReadyAndExitsInTime(boolean coalescing)
            throws Exception {
        Map<String, String> properties = Map.of("counter.names", "draining", "counter.timeout", "15s",
                "counter.coalescing.enabled", Boolean.toString(coalescing));
        try (AppProcess terminated = AppProcess.start(database, properties);
                AppProcess other = AppProcess.start(database, properties)) {
            terminated.awaitReady(START);
            other.awaitReady(START);
            long before = stored("draining");
            IssuedNumbers numbers = new IssuedNumbers();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
                    Connection holder = DriverManager.getConnection(database.jdbcUrl(), database.username(),
                            database.password())) {
                // Hold the row so that accepted requests are still in flight when SIGTERM
                // arrives
                holder.setAutoCommit(false);
                holder.createStatement().execute("SELECT value FROM counter WHERE name = 'draining' FOR UPDATE");
                List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
                // The first request to each instance has its UPDATE wait for the row; the
                // others then queue behind it
                for (int client = 0; client < IN_FLIGHT; client++) {
                    inFlight.add(send(client % 2 == 0 ? terminated : other, client, numbers, clients));
                    if (client == 1) {
                        database.awaitLockWaits(2, Duration.ofSeconds(60));
                    }
                }
                if (coalescing) {
                    awaitMetric(terminated, "counter_requests_waiting{counter=\"draining\"} " + (IN_FLIGHT / 2 - 1));
                    awaitMetric(other, "counter_requests_waiting{counter=\"draining\"} " + (IN_FLIGHT / 2 - 1));
                }
                else {
                    database.awaitLockWaits(IN_FLIGHT, Duration.ofSeconds(60));
                }

                terminated.terminate();
                awaitNotReady(terminated);
                holder.rollback();

                assertThat(inFlight).allSatisfy(response -> assertThat(response.join().statusCode()).isEqualTo(200));
            }
            assertThat(numbers.count()).isEqualTo(IN_FLIGHT);
            assertThat(numbers.cleanRunViolations(before, stored("draining"))).isEmpty();
            // 143 is the JVM's exit on SIGTERM after its shutdown hooks have run
            assertThat(terminated.awaitExit(Duration.ofSeconds(30))).isIn(0, 143);
        }
    }

    @Test
    void withoutItsDatabaseTheServiceExitsNonZeroWithOneClearLine() {
        TestDatabase nowhere = database.via(1);
        try (AppProcess app = AppProcess.start(nowhere, Map.of())) {
            assertThat(app.awaitExit(START)).isNotZero();
            assertThat(app.output())
                .contains("Cannot reach the database at " + nowhere.jdbcUrl() + ": Connection refused")
                .doesNotContain(nowhere.password() + "@");
        }
    }

    private long stored(String counter) {
        return database.queryForLong("SELECT value FROM counter WHERE name = '%s'".formatted(counter));
    }

    /**
     * Sends one request and records its numbers, if it gets any, with its send and
     * receive times.
     */
    private static CompletableFuture<HttpResponse<String>> send(AppProcess instance, int client, IssuedNumbers numbers,
            ExecutorService clients) {
        return CompletableFuture.supplyAsync(() -> {
            long sent = System.nanoTime();
            HttpResponse<String> response = instance.send("GET", "/counters/draining/next");
            if (response.statusCode() == 200) {
                long number = Long.parseLong(response.body().trim());
                numbers.record(client, sent, System.nanoTime(), number, number);
            }
            return response;
        }, clients);
    }

    /** In coalesced mode, the other requests wait for the next batch. */
    private static void awaitMetric(AppProcess app, String line) {
        await("metrics show " + line).atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(10))
            .until(() -> app.management("/actuator/prometheus").body().contains(line));
    }

    /** Readiness turns DOWN while the accepted requests are still being served. */
    private static void awaitNotReady(AppProcess app) {
        await("readiness DOWN after SIGTERM").atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(10))
            .until(() -> app.management("/actuator/health/readiness").statusCode() == 503);
    }

}
