package dev.counterservice.faults;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.counterservice.testing.AppProcess;
import dev.counterservice.testing.LocalPostgres;
import dev.counterservice.testing.RetryingClients;
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
 * Exactly-once numbering through faults: two instances, clients that retry every key on
 * the other instance until it is answered 200. Through a PostgreSQL SIGKILL and restart,
 * connections cut mid-transaction and an instance SIGKILLed, every key gets exactly one
 * block, no number belongs to two keys, real-time order holds between logical requests,
 * replays are identical, and the keys' blocks cover the counter's new numbers without a
 * gap; every failed attempt was one the clients retry (a 503 problem with Retry-After, a
 * 409, a timeout or a dropped connection). With request coalescing on, then off; the
 * PostgreSQL cluster is shared by both.
 */
@ParameterizedClass(name = "coalescing enabled: {0}")
@ValueSource(booleans = { true, false })
class IdempotentRetryFaultIntegrationTests {

    private static final String NEXT = "/counters/keyed/next";

    private static LocalPostgres server;

    private static TestDatabase database;

    private static TcpProxy proxy;

    private static AppProcess first;

    private static AppProcess second;

    /**
     * The mode under test; declared so that {@link #startInstances(boolean)} receives it.
     */
    @Parameter
    boolean coalescing;

    @BeforeAll
    static void startDatabase() {
        server = LocalPostgres.start();
        database = server.createDatabase("keyed");
        proxy = TcpProxy.to(database.host(), database.port());
    }

    @AfterAll
    static void stopProxy() {
        proxy.close();
    }

    @BeforeParameterizedClassInvocation
    static void startInstances(boolean coalescing) {
        Map<String, String> properties = Map.of("counter.names", "keyed", "counter.timeout", "1s",
                "spring.datasource.hikari.connection-timeout", "1000", "counter.coalescing.enabled",
                Boolean.toString(coalescing));
        first = AppProcess.start(database.via(proxy.port()), properties);
        second = AppProcess.start(database.via(proxy.port()), properties);
        first.awaitReady(RetriedFaults.START);
        second.awaitReady(RetriedFaults.START);
    }

    @AfterParameterizedClassInvocation
    static void stopInstances() {
        first.close();
        second.close();
    }

    @Test
    void postgresKilledAndRestarted() {
        long before = stored();
        RetriedFaults.postgresKilledAndRestarted(server, urls(), NEXT, clients -> assertExactlyOnce(clients, before));
    }

    @Test
    void connectionsCutMidTransaction() {
        long before = stored();
        try (RetryingClients clients = RetryingClients.start(16, urls(), NEXT)) {
            AppProcess.sleep(Duration.ofMillis(500));
            for (int cut = 0; cut < 20; cut++) {
                proxy.cutConnections();
                AppProcess.sleep(Duration.ofMillis(100));
            }
            AppProcess.sleep(Duration.ofSeconds(1));
            clients.close();

            assertThat(clients.retries()).as("the cuts were seen").isNotEmpty();
            assertExactlyOnce(clients, before);
        }
    }

    @Test
    void anInstanceKilledWithSigkillAndRestarted() {
        long before = stored();
        first = RetriedFaults.instanceKilledAndRestarted(first, second, NEXT,
                clients -> assertExactlyOnce(clients, before));
    }

    private static void assertExactlyOnce(RetryingClients clients, long before) {
        assertThat(clients.answers()).isNotEmpty();
        assertThat(clients.violations(before, stored())).isEmpty();
    }

    private static List<String> urls() {
        return List.of(first.baseUrl(), second.baseUrl());
    }

    private static long stored() {
        return database.queryForLong("SELECT value FROM counter WHERE name = 'keyed'");
    }

}
