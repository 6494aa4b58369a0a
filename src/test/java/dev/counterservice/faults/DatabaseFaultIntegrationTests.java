package dev.counterservice.faults;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.LoadClients;
import dev.counterservice.testing.LocalPostgres;
import dev.counterservice.testing.TcpProxy;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a Kubernetes deployment does to the database, done under load to two instances: the PostgreSQL process
 * killed and restarted on its data, connections cut mid-transaction (COMMIT included), the database stalled. After
 * each: no number acknowledged twice, real-time order held, every acknowledged number stored, and both instances
 * serve again with zero errors, without a restart. Uses a PostgreSQL cluster of its own, so it can kill it.
 */
class DatabaseFaultIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    // Room for a loaded 2-core machine; without the timeout the request would wait as long as the stall lasts
    private static final Duration SLACK = Duration.ofSeconds(10);
    private static final String NEXT = "/counters/faults/next";

    private static LocalPostgres server;
    private static TestDatabase database;
    private static TcpProxy proxy;
    private static AppInstance first;
    private static AppInstance second;

    @BeforeAll
    static void start() {
        server = LocalPostgres.start();
        database = server.createDatabase("faults");
        proxy = TcpProxy.to(database.host(), database.port());
        Map<String, String> properties = Map.of("counter.names", "faults", "counter.timeout", TIMEOUT.toMillis() + "ms",
                "spring.datasource.hikari.connection-timeout", "1000");
        first = AppInstance.start(database.via(proxy.port()), properties);
        second = AppInstance.start(database.via(proxy.port()), properties);
    }

    @AfterAll
    static void stop() {
        first.close();
        second.close();
        proxy.close();
    }

    @Test
    void postgresKilledWithSigkillMidLoadAndRestartedOnItsData() {
        try (LoadClients load = LoadClients.start(16, urls(), NEXT)) {
            load.runFor(Duration.ofSeconds(1));
            server.kill();
            load.runFor(Duration.ofSeconds(1));
            server.startServer();
            awaitServing();
            load.runFor(Duration.ofSeconds(1));
            load.close();

            assertThat(load.failures()).as("the outage was seen").isNotEmpty();
            assertGuarantees(load);
        }
        assertCleanRun();
    }

    @Test
    void connectionsCutMidTransactionIncludingDuringCommit() {
        try (LoadClients load = LoadClients.start(16, urls(), NEXT)) {
            load.runFor(Duration.ofMillis(500));
            // Cut often enough that some cuts land inside an UPDATE or its COMMIT
            for (int cut = 0; cut < 20; cut++) {
                proxy.cutConnections();
                load.runFor(Duration.ofMillis(100));
            }
            awaitServing();
            load.close();

            assertThat(load.failures()).as("the cuts were seen").isNotEmpty();
            assertThat(load.failures().keySet()).as("a failure is a 503, never a dropped connection").containsOnly("503");
            assertGuarantees(load);
        }
        assertCleanRun();
    }

    @Test
    void aStalledDatabaseGives503WithinTheTimeoutAndReadinessDownWhileLivenessStaysUp() {
        proxy.stall();
        try {
            long started = System.nanoTime();
            HttpResponse<String> response = first.send("GET", NEXT);

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(TIMEOUT.plus(SLACK));
            assertThat(first.management("/actuator/health/readiness").statusCode()).isEqualTo(503);
            assertThat(first.management("/actuator/health/liveness").statusCode()).isEqualTo(200);
        }
        finally {
            proxy.resume();
        }
        awaitServing();
        assertThat(first.management("/actuator/health/readiness").statusCode()).isEqualTo(200);
        assertCleanRun();
    }

    private static List<String> urls() {
        return List.of(first.baseUrl(), second.baseUrl());
    }

    /** Both instances answer 200 again, by themselves: broken pooled connections are dropped as they are found. */
    private static void awaitServing() {
        for (AppInstance instance : List.of(first, second)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (instance.send("GET", NEXT).statusCode() != 200) {
                assertThat(System.nanoTime()).as("serving again within 30 s").isLessThan(deadline);
            }
        }
    }

    private static void assertGuarantees(LoadClients load) {
        assertThat(load.numbers().count()).isPositive();
        assertThat(load.numbers().guaranteeViolations(stored())).isEmpty();
    }

    /** After recovery: a fresh run of clients sees no error at all. */
    private static void assertCleanRun() {
        try (LoadClients load = LoadClients.start(8, urls(), NEXT)) {
            load.runFor(Duration.ofSeconds(2));
            load.close();
            assertThat(load.failures()).isEmpty();
            assertGuarantees(load);
        }
    }

    private static long stored() {
        return database.queryForLong("SELECT value FROM counter WHERE name = 'faults'");
    }
}
