package dev.counterservice.counter;

import java.util.List;

import dev.counterservice.testing.TestDatabase;
import dev.counterservice.testing.TestDatabaseConfiguration;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.resttestclient.autoconfigure.AutoConfigureRestTestClient;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.json.JsonCompareMode;
import org.springframework.test.web.servlet.client.RestTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole HTTP contract through a real server and a real PostgreSQL: what moves the
 * counters and what does not.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "counter.names=default,orders,edge,idle")
@AutoConfigureRestTestClient
@Import(TestDatabaseConfiguration.class)
class CounterApiIntegrationTests {

    private static final long BIGINT_MAX = Long.MAX_VALUE;

    @Autowired
    private RestTestClient http;

    private final TestDatabase database = TestDatabase.shared();

    @Test
    void consecutiveRequestsGetConsecutiveNumbersThatAreAlreadyCommitted() {
        long first = nextNumber("/next");
        assertThat(stored("default")).isEqualTo(first);
        long second = nextNumber("/next");

        assertThat(second).isEqualTo(first + 1);
        assertThat(stored("default")).isEqualTo(second);
    }

    @Test
    void postTakesANumberToo() {
        long before = stored("orders");
        String body = http.post()
            .uri("/counters/orders/next")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(String.class)
            .returnResult()
            .getResponseBody();

        assertThat(body).isEqualTo((before + 1) + "\n");
    }

    @Test
    void aBlockReservesConsecutiveNumbersInOneStep() {
        long before = stored("orders");
        String body = http.get()
            .uri("/counters/orders/next?count=5")
            .exchange()
            .expectStatus()
            .isOk()
            .expectHeader()
            .valueEquals(HttpHeaders.CACHE_CONTROL, "no-store")
            .expectBody(String.class)
            .returnResult()
            .getResponseBody();

        assertThat(body)
            .isEqualTo("%d\n%d\n%d\n%d\n%d\n".formatted(before + 1, before + 2, before + 3, before + 4, before + 5));
        assertThat(stored("orders")).isEqualTo(before + 5);
    }

    @Test
    void jsonForOneNumberAndForABlock() {
        long before = stored("orders");
        http.get()
            .uri("/counters/orders/next")
            .accept(MediaType.APPLICATION_JSON)
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody()
            .json("{\"counter\":\"orders\",\"value\":%d}".formatted(before + 1), JsonCompareMode.STRICT);
        http.get()
            .uri("/counters/orders/next?count=2")
            .accept(MediaType.APPLICATION_JSON)
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody()
            .json("{\"counter\":\"orders\",\"first\":%d,\"last\":%d,\"count\":2}".formatted(before + 2, before + 3),
                    JsonCompareMode.STRICT);
    }

    @Test
    void headShowAndListConsumeNothing() {
        long before = stored("idle");

        http.head().uri("/counters/idle/next").exchange().expectStatus().isOk();
        http.get()
            .uri("/counters/idle")
            .exchange()
            .expectStatus()
            .isOk()
            .expectHeader()
            .valueEquals(HttpHeaders.CACHE_CONTROL, "no-store")
            .expectBody(String.class)
            .isEqualTo(before + "\n");
        String list = http.get()
            .uri("/counters")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(String.class)
            .returnResult()
            .getResponseBody();

        assertThat(list).contains("idle " + before + "\n").contains("default ").contains("orders ").contains("edge ");
        assertThat(stored("idle")).isEqualTo(before);
    }

    @Test
    void badRequestsAreProblemsAndMoveNothing() {
        long before = stored("default");
        List<String> badCounts = List.of("0", "-1", "1.5", "abc", "1001", "1000000000000000000000000000000", "",
                "1&count=2");
        for (String count : badCounts) {
            expectProblem(HttpMethod.GET, "/next?count=" + count, HttpStatus.BAD_REQUEST);
            expectProblem(HttpMethod.POST, "/next?count=" + count, HttpStatus.BAD_REQUEST);
        }
        expectProblem(HttpMethod.GET, "/counters/Not_Valid!/next", HttpStatus.BAD_REQUEST);
        expectProblem(HttpMethod.GET, "/counters/" + "a".repeat(64) + "/next", HttpStatus.BAD_REQUEST);
        expectProblem(HttpMethod.GET, "/counters/unknown/next", HttpStatus.NOT_FOUND);
        expectProblem(HttpMethod.GET, "/counters/unknown", HttpStatus.NOT_FOUND);
        expectProblem(HttpMethod.PUT, "/next", HttpStatus.METHOD_NOT_ALLOWED);
        expectProblem(HttpMethod.DELETE, "/next", HttpStatus.METHOD_NOT_ALLOWED);
        expectProblem(HttpMethod.PATCH, "/counters/default/next", HttpStatus.METHOD_NOT_ALLOWED);

        assertThat(stored("default")).isEqualTo(before);
    }

    @Test
    void requestsCannotCreateCounters() {
        long rows = database.queryForLong("SELECT count(*) FROM counter");

        expectProblem(HttpMethod.POST, "/counters/brand-new/next", HttpStatus.NOT_FOUND);

        assertThat(database.queryForLong("SELECT count(*) FROM counter")).isEqualTo(rows);
    }

    @Test
    void aBlockThatWouldPassBigintMaximumIsRefusedAndLeavesTheValueUntouched() {
        database.execute("UPDATE counter SET value = %d WHERE name = 'edge'".formatted(BIGINT_MAX - 3));

        expectProblem(HttpMethod.GET, "/counters/edge/next?count=4", HttpStatus.CONFLICT);
        assertThat(stored("edge")).isEqualTo(BIGINT_MAX - 3);

        String body = http.get()
            .uri("/counters/edge/next?count=3")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(String.class)
            .returnResult()
            .getResponseBody();
        assertThat(body).isEqualTo("%d\n%d\n%d\n".formatted(BIGINT_MAX - 2, BIGINT_MAX - 1, BIGINT_MAX));

        expectProblem(HttpMethod.GET, "/counters/edge/next", HttpStatus.CONFLICT);
        assertThat(stored("edge")).isEqualTo(BIGINT_MAX);
    }

    private long nextNumber(String path) {
        String body = http.get()
            .uri(path)
            .exchange()
            .expectStatus()
            .isOk()
            .expectHeader()
            .contentType("text/plain;charset=UTF-8")
            .expectBody(String.class)
            .returnResult()
            .getResponseBody();
        assertThat(body).endsWith("\n");
        return Long.parseLong(body.trim());
    }

    private void expectProblem(HttpMethod method, String path, HttpStatus status) {
        http.method(method)
            .uri(path)
            .exchange()
            .expectStatus()
            .isEqualTo(status)
            .expectHeader()
            .contentType(MediaType.APPLICATION_PROBLEM_JSON)
            .expectBody()
            .jsonPath("$.status")
            .isEqualTo(status.value());
    }

    private long stored(String counter) {
        return database.queryForLong("SELECT value FROM counter WHERE name = '%s'".formatted(counter));
    }

}
