package dev.counterservice.counter;

import java.nio.charset.StandardCharsets;

import dev.counterservice.testing.RawHttp;
import dev.counterservice.testing.TestDatabase;
import dev.counterservice.testing.TestDatabaseConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.resttestclient.autoconfigure.AutoConfigureRestTestClient;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.client.EntityExchangeResult;
import org.springframework.test.web.servlet.client.RestTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code Idempotency-Key} through a real server and PostgreSQL: a retry gets the same
 * block, byte for byte, and consumes nothing; a reused or malformed key is a problem that
 * consumes nothing. Shares its application context with
 * {@link CounterApiIntegrationTests} (same configuration).
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "counter.names=default,orders,edge,idle")
@AutoConfigureRestTestClient
@Import(TestDatabaseConfiguration.class)
class IdempotencyIntegrationTests {

    @Autowired
    private RestTestClient http;

    @LocalServerPort
    private int port;

    private final TestDatabase database = TestDatabase.shared();

    @Test
    void aRetryGetsTheSameBodyMarkedReplayedAndConsumesNothing() {
        EntityExchangeResult<byte[]> first = next("GET", "/counters/orders/next?count=3", "retry-1",
                MediaType.TEXT_PLAIN);
        long stored = stored("orders");
        EntityExchangeResult<byte[]> retry = next("POST", "/counters/orders/next?count=3", "retry-1",
                MediaType.TEXT_PLAIN);

        assertThat(first.getResponseHeaders().getFirst(CounterController.REPLAYED)).isNull();
        assertThat(retry.getResponseHeaders().getFirst(CounterController.REPLAYED)).isEqualTo("true");
        assertThat(retry.getResponseBody()).isEqualTo(first.getResponseBody());
        assertThat(new String(first.getResponseBody(), StandardCharsets.UTF_8))
            .isEqualTo("%d\n%d\n%d\n".formatted(stored - 2, stored - 1, stored));
        assertThat(stored("orders")).isEqualTo(stored);
        assertThat(
                database.queryForLong("SELECT first FROM idempotency_key WHERE counter = 'orders' AND key = 'retry-1'"))
            .isEqualTo(stored - 2);
    }

    @Test
    void theQuotedFormNamesTheSameKeyAndJsonIsReplayedAsJson() {
        EntityExchangeResult<byte[]> first = next("GET", "/next", "\"quoted-1\"", MediaType.APPLICATION_JSON);
        EntityExchangeResult<byte[]> retry = next("GET", "/next", "quoted-1", MediaType.APPLICATION_JSON);

        assertThat(retry.getResponseBody()).isEqualTo(first.getResponseBody());
        assertThat(retry.getResponseHeaders().getFirst(CounterController.REPLAYED)).isEqualTo("true");
        assertThat(new String(first.getResponseBody(), StandardCharsets.UTF_8))
            .startsWith("{\"counter\":\"default\",\"value\":");
    }

    @Test
    void theSameKeyOnAnotherCounterIsAnotherKey() {
        long first = Long
            .parseLong(body(next("GET", "/counters/orders/next", "shared-key", MediaType.TEXT_PLAIN)).trim());
        long other = Long
            .parseLong(body(next("GET", "/counters/idle/next", "shared-key", MediaType.TEXT_PLAIN)).trim());

        assertThat(stored("idle")).isEqualTo(other);
        assertThat(stored("orders")).isGreaterThanOrEqualTo(first);
    }

    @Test
    void theSameKeyWithAnotherCountIs422AndConsumesNothing() {
        next("GET", "/next?count=2", "count-2", MediaType.TEXT_PLAIN);
        long stored = stored("default");

        http.get()
            .uri("/next?count=3")
            .header(IdempotencyKey.HEADER, "count-2")
            .exchange()
            .expectStatus()
            .isEqualTo(422)
            .expectHeader()
            .contentType(MediaType.APPLICATION_PROBLEM_JSON)
            .expectBody()
            .jsonPath("$.detail")
            .value(detail -> assertThat(detail.toString()).contains("count=2"));
        assertThat(stored("default")).isEqualTo(stored);
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "\"\"", "a b", "\"a b\"", "back\\slash", "with\"quote", "\u00e9t\u00e9", "a\u0001b" })
    void malformedKeysAre400AndConsumeNothing(String key) {
        long stored = stored("default");

        RawHttp.Response response = RawHttp.send("http://127.0.0.1:" + port,
                ("GET /next HTTP/1.1\r\nHost: localhost\r\n" + "Idempotency-Key: " + key
                        + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.headers().get("content-type")).isEqualTo("application/problem+json");
        assertThat(stored("default")).isEqualTo(stored);
    }

    @Test
    void aKeyOf255CharactersIsAcceptedAnd256AreNot() {
        long stored = stored("default");
        next("GET", "/next", "k".repeat(255), MediaType.TEXT_PLAIN);

        http.get().uri("/next").header(IdempotencyKey.HEADER, "k".repeat(256)).exchange().expectStatus().isBadRequest();
        http.get().uri("/next").header(IdempotencyKey.HEADER, "one", "two").exchange().expectStatus().isBadRequest();
        assertThat(stored("default")).isEqualTo(stored + 1);
    }

    /**
     * More expired keys than one statement deletes: the purge goes on until none is left,
     * and keeps the others.
     */
    @Test
    void keysOlderThanTheRetentionArePurged(@Autowired IdempotencyKeyPurge purge) {
        next("GET", "/next", "old-key", MediaType.TEXT_PLAIN);
        next("GET", "/next", "new-key", MediaType.TEXT_PLAIN);
        database.execute("INSERT INTO idempotency_key (counter, key, count, first) SELECT 'idle', 'expired-' || i, 1, i"
                + " FROM generate_series(1, %d) i".formatted(2 * IdempotencyKeyPurge.BATCH + 500));
        database.execute("UPDATE idempotency_key SET created_at = now() - interval '25 hours'"
                + " WHERE key = 'old-key' OR key LIKE 'expired-%'");

        purge.purgeExpired();

        assertThat(database.queryForLong("SELECT count(*) FROM idempotency_key WHERE key = 'old-key'")).isZero();
        assertThat(database.queryForLong("SELECT count(*) FROM idempotency_key WHERE key LIKE 'expired-%'"))
            .as("expired keys left after the purge")
            .isZero();
        assertThat(database.queryForLong("SELECT count(*) FROM idempotency_key WHERE key = 'new-key'")).isOne();
        // An expired key is a new request
        assertThat(next("GET", "/next", "old-key", MediaType.TEXT_PLAIN).getResponseHeaders()
            .getFirst(CounterController.REPLAYED)).isNull();
    }

    private EntityExchangeResult<byte[]> next(String method, String path, String key, MediaType accept) {
        return http.method(org.springframework.http.HttpMethod.valueOf(method))
            .uri(path)
            .header(IdempotencyKey.HEADER, key)
            .accept(accept)
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody()
            .returnResult();
    }

    private static String body(EntityExchangeResult<byte[]> result) {
        return new String(result.getResponseBody(), StandardCharsets.UTF_8);
    }

    private long stored(String counter) {
        return database.queryForLong("SELECT value FROM counter WHERE name = '%s'".formatted(counter));
    }

}
