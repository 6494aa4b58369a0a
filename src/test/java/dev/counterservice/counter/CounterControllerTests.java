package dev.counterservice.counter;

import java.util.List;
import java.util.Map;

import org.assertj.core.api.AbstractStringAssert;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.assertj.MockMvcTester;
import org.springframework.test.web.servlet.assertj.MvcTestResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.willThrow;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;

/**
 * The HTTP contract, with the service behind it mocked: representations, headers and
 * every error's shape.
 */
@WebMvcTest(CounterController.class)
class CounterControllerTests {

    @Autowired
    private MockMvcTester mvc;

    @MockitoBean
    private CounterService counters;

    @MockitoBean
    private CounterAdmin admin;

    @MockitoBean
    private CounterAdminAccess adminAccess;

    @BeforeEach
    void adminOn() {
        given(adminAccess.mayAdminister()).willReturn(true);
    }

    @Test
    void nextIsAPlainNumberAndALineForCurlAndUnknownClients() {
        given(counters.next("default", 1, null)).willReturn(new Block("default", 42, 42));

        assertThat(mvc.get().uri("/next")).hasStatusOk()
            .hasContentType("text/plain;charset=UTF-8")
            .hasHeader(HttpHeaders.CACHE_CONTROL, "no-store")
            .hasHeader("X-Content-Type-Options", "nosniff")
            .hasBodyTextEqualTo("42\n");
    }

    @Test
    void browsersAndUnknownAcceptTypesGetPlainTextToo() {
        given(counters.next("default", 1, null)).willReturn(new Block("default", 42, 42));

        assertThat(mvc.get().uri("/next").header(HttpHeaders.ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8"))
            .hasStatusOk()
            .hasContentType("text/plain;charset=UTF-8")
            .hasBodyTextEqualTo("42\n");
        assertThat(mvc.get().uri("/next").header(HttpHeaders.ACCEPT, "text/html")).hasStatusOk()
            .hasContentType("text/plain;charset=UTF-8");
        assertThat(mvc.get().uri("/next").header(HttpHeaders.ACCEPT, "application/xml")).hasStatusOk()
            .hasContentType("text/plain;charset=UTF-8");
    }

    @Test
    void jsonNamesTheCounterAndTheValue() {
        given(counters.next("default", 1, null)).willReturn(new Block("default", 42, 42));

        assertThat(mvc.get().uri("/next").accept(MediaType.APPLICATION_JSON)).hasStatusOk()
            .hasContentType(MediaType.APPLICATION_JSON)
            .hasHeader(HttpHeaders.CACHE_CONTROL, "no-store")
            .bodyJson()
            .isStrictlyEqualTo("{\"counter\":\"default\",\"value\":42}");
    }

    @Test
    void aBlockIsOneNumberPerLineOrFirstLastCountInJson() {
        given(counters.next("orders", 3, null)).willReturn(new Block("orders", 10, 12));

        assertThat(mvc.post().uri("/counters/orders/next?count=3")).hasStatusOk().hasBodyTextEqualTo("10\n11\n12\n");
        assertThat(mvc.get().uri("/counters/orders/next?count=3").accept(MediaType.APPLICATION_JSON)).hasStatusOk()
            .bodyJson()
            .isStrictlyEqualTo("{\"counter\":\"orders\",\"first\":10,\"last\":12,\"count\":3}");
    }

    @Test
    void postTakesANumberLikeGet() {
        given(counters.next("default", 1, null)).willReturn(new Block("default", 7, 7));

        assertThat(mvc.post().uri("/next")).hasStatusOk().hasBodyTextEqualTo("7\n");
    }

    @Test
    void headConsumesNothing() {
        assertThat(mvc.head().uri("/next")).hasStatusOk().hasHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        assertThat(mvc.head().uri("/counters/orders/next")).hasStatusOk();

        verify(counters).requireKnown("default");
        verify(counters).requireKnown("orders");
        verify(counters, never()).next(anyString(), anyInt(), any());
    }

    @Test
    void currentValueAndListDoNotConsume() {
        CounterRow orders = new CounterRow("orders", 12, 10);
        given(counters.current("orders")).willReturn(orders);
        given(counters.page("", CounterController.MAX_PAGE + 1))
            .willReturn(List.of(new CounterRow("default", 3, 0), orders));

        assertThat(mvc.get().uri("/counters/orders")).hasStatusOk()
            .hasHeader(HttpHeaders.CACHE_CONTROL, "no-store")
            .hasBodyTextEqualTo("12\n");
        assertThat(mvc.get().uri("/counters/orders").accept(MediaType.APPLICATION_JSON)).hasStatusOk()
            .bodyJson()
            .isStrictlyEqualTo("{\"counter\":\"orders\",\"value\":12,\"start\":10}");
        assertThat(mvc.get().uri("/counters")).hasStatusOk()
            .doesNotContainHeader(HttpHeaders.LINK)
            .hasBodyTextEqualTo("default 3\norders 12\n");
        assertThat(mvc.get().uri("/counters").accept(MediaType.APPLICATION_JSON)).hasStatusOk()
            .bodyJson()
            .isStrictlyEqualTo("[{\"counter\":\"default\",\"value\":3,\"start\":0},"
                    + "{\"counter\":\"orders\",\"value\":12,\"start\":10}]");
        verify(counters, never()).next(anyString(), anyInt(), any());
    }

    @Test
    void aPageOfCountersLinksToTheNextWhileThereIsOne() {
        given(counters.page("b", 3))
            .willReturn(List.of(new CounterRow("c", 1, 0), new CounterRow("d", 2, 0), new CounterRow("e", 3, 0)));

        assertThat(mvc.get().uri("/counters?after=b&limit=2")).hasStatusOk()
            .hasHeader(HttpHeaders.LINK, "</counters?after=d&limit=2>; rel=\"next\"")
            .hasBodyTextEqualTo("c 1\nd 2\n");
        for (String query : List.of("after=B", "after=a&after=b", "after=")) {
            assertProblem(mvc.get().uri("/counters?" + query).exchange(), HttpStatus.BAD_REQUEST)
                .contains("'after' must be one counter name");
        }
        assertProblem(mvc.get().uri("/counters?limit=1001").exchange(), HttpStatus.BAD_REQUEST)
            .contains("'limit' must be a whole number from 1 to 1000");
    }

    @Test
    void putCreatesACounterWith201AndLocationAndTheSameSettingsAgainAre200() {
        given(admin.create("orders", new CounterSettings(1000)))
            .willReturn(new CounterAdmin.Created(new CounterRow("orders", 1000, 1000), true))
            .willReturn(new CounterAdmin.Created(new CounterRow("orders", 1003, 1000), false));

        assertThat(mvc.put()
            .uri("/counters/orders")
            .contentType(MediaType.APPLICATION_JSON)
            .content("{\"start\": 1000}")
            .accept(MediaType.APPLICATION_JSON)).hasStatus(HttpStatus.CREATED)
            .hasHeader(HttpHeaders.LOCATION, "/counters/orders")
            .bodyJson()
            .isStrictlyEqualTo("{\"counter\":\"orders\",\"value\":1000,\"start\":1000}");
        assertThat(
                mvc.put().uri("/counters/orders").contentType(MediaType.APPLICATION_JSON).content("{\"start\":1000}"))
            .hasStatusOk()
            .doesNotContainHeader(HttpHeaders.LOCATION)
            .hasBodyTextEqualTo("1003\n");
    }

    @Test
    void putWithoutABodyCreatesWithTheDefaultSettings() {
        given(admin.create("orders", CounterSettings.DEFAULT))
            .willReturn(new CounterAdmin.Created(new CounterRow("orders", 0, 0), true));

        assertThat(mvc.put().uri("/counters/orders")).hasStatus(HttpStatus.CREATED).hasBodyTextEqualTo("0\n");
    }

    @Test
    void advanceMovesTheCounterToTheTargetOfTheBody() {
        given(admin.advance("orders", 52000)).willReturn(new CounterRow("orders", 52000, 0));

        assertThat(mvc.post()
            .uri("/counters/orders/advance")
            .contentType(MediaType.APPLICATION_JSON)
            .content("{\"to\": 52000}")
            .accept(MediaType.APPLICATION_JSON)).hasStatusOk()
            .bodyJson()
            .isStrictlyEqualTo("{\"counter\":\"orders\",\"value\":52000,\"start\":0}");
    }

    @Test
    void badBodiesAre400NamingTheFaultAndNothingIsCreatedOrMoved() {
        Map<String, String> faults = Map.of("{", "not JSON", "[1]", "must be a JSON object", "\"x\"",
                "must be a JSON object", "{\"start\": 1, \"extra\": 2}", "an unknown field", "{\"start\": -1}",
                "'start' must be a whole number from 0 to 9223372036854775807", "{\"start\": 1.5}",
                "'start' must be a whole number", "{\"start\": \"5\"}", "'start' must be a whole number",
                "{\"start\": 9223372036854775808}", "'start' must be a whole number", "{\"start\": 1} {}", "not JSON",
                "{\"start\": 1, \"start\": 2}", "a field is given twice");
        faults.forEach((body, fault) -> assertProblem(
                mvc.put().uri("/counters/orders").contentType(MediaType.APPLICATION_JSON).content(body).exchange(),
                HttpStatus.BAD_REQUEST)
            .as(body)
            .contains(fault));
        for (String body : List.of("", "{}", "{\"to\": 0}", "{\"to\": true}", "{\"start\": 5}")) {
            assertProblem(mvc.post()
                .uri("/counters/orders/advance")
                .contentType(MediaType.APPLICATION_JSON)
                .content(body)
                .exchange(), HttpStatus.BAD_REQUEST).as(body).containsAnyOf("'to' must be", "must be {", "unknown");
        }
        verifyNoInteractions(admin);
    }

    @Test
    void theAdminEndpointsTakeJsonOnlyAndNextNoJson() {
        assertProblem(mvc.put()
            .uri("/counters/orders")
            .contentType(MediaType.APPLICATION_FORM_URLENCODED)
            .content("start=5")
            .exchange(), HttpStatus.UNSUPPORTED_MEDIA_TYPE).contains("JSON");
        assertProblem(mvc.post().uri("/next").contentType(MediaType.APPLICATION_JSON).content("{}").exchange(),
                HttpStatus.UNSUPPORTED_MEDIA_TYPE)
            .contains("form-encoded count");
        verifyNoInteractions(admin, counters);
    }

    @Test
    void withAdminOffCreatingAndAdvancingAre403AndTouchNothing() {
        given(adminAccess.mayAdminister()).willReturn(false);

        assertProblem(mvc.put().uri("/counters/orders").exchange(), HttpStatus.FORBIDDEN)
            .contains("counter.admin.enabled=true");
        assertProblem(mvc.post()
            .uri("/counters/orders/advance")
            .contentType(MediaType.APPLICATION_JSON)
            .content("{\"to\": 5}")
            .exchange(), HttpStatus.FORBIDDEN);
        verifyNoInteractions(admin);
    }

    @Test
    void aBadCountIs400ProblemAndNeverReachesTheService() {
        for (String count : List.of("0", "-1", "1.5", "abc", "1001", "100000000000000000000", "")) {
            assertProblem(mvc.get().uri("/next?count=" + count).exchange(), HttpStatus.BAD_REQUEST)
                .contains("'count' must be a whole number from 1 to 1000");
        }
        assertProblem(mvc.get().uri("/next?count=1&count=2").exchange(), HttpStatus.BAD_REQUEST)
            .contains("Give 'count' at most once");
        verify(counters, never()).next(anyString(), anyInt(), any());
    }

    @Test
    void problemsAreJsonEvenForClientsThatAskForText() {
        assertThat(mvc.get().uri("/next?count=0").header(HttpHeaders.ACCEPT, "text/plain"))
            .hasStatus(HttpStatus.BAD_REQUEST)
            .hasContentType(MediaType.APPLICATION_PROBLEM_JSON);
    }

    @Test
    void anUnknownCounterIs404() {
        given(counters.next("nope", 1, null)).willThrow(new UnknownCounterException("nope"));

        assertProblem(mvc.get().uri("/counters/nope/next").exchange(), HttpStatus.NOT_FOUND)
            .contains("No counter named 'nope'");
    }

    @Test
    void aMalformedNameIs400AndNeverReachesTheService() {
        for (MvcTestResult result : List.of(mvc.get().uri("/counters/Bad!/next").exchange(),
                mvc.post().uri("/counters/Bad!/next").exchange(), mvc.get().uri("/counters/Bad!").exchange())) {
            assertProblem(result, HttpStatus.BAD_REQUEST).contains("Counter names are 1 to 63 characters");
        }
        assertThat(mvc.head().uri("/counters/Bad!/next")).hasStatus(HttpStatus.BAD_REQUEST);
        verifyNoInteractions(counters);
    }

    @Test
    void aHeadForAnUnknownCounterIs404() {
        willThrow(new UnknownCounterException("nope")).given(counters).requireKnown("nope");

        assertThat(mvc.head().uri("/counters/nope/next")).hasStatus(HttpStatus.NOT_FOUND);
    }

    @Test
    void anExhaustedCounterIs409() {
        given(counters.next("default", 5, null)).willThrow(new CounterExhaustedException("default", 5));

        assertProblem(mvc.get().uri("/next?count=5").exchange(), HttpStatus.CONFLICT)
            .contains("fewer than 5 numbers left before 9223372036854775807");
    }

    @Test
    void anUnavailableDatabaseIs503WithRetryAfterAndNoNumber() {
        given(counters.next("default", 1, null))
            .willThrow(new CounterUnavailableException("The database did not answer within 3000 ms",
                    new RuntimeException("SQL state 08006 at db.internal:5432")));

        MvcTestResult result = mvc.get().uri("/next").exchange();
        assertProblem(result, HttpStatus.SERVICE_UNAVAILABLE).contains("no number was handed out")
            .doesNotContain("db.internal");
        assertThat(result).hasHeader(HttpHeaders.RETRY_AFTER, "1");
    }

    @Test
    void otherMethodsAre405WithAllow() {
        MvcTestResult result = mvc.put().uri("/next").exchange();
        assertProblem(result, HttpStatus.METHOD_NOT_ALLOWED);
        assertThat(result.getResponse().getHeader(HttpHeaders.ALLOW)).contains("GET").contains("POST").contains("HEAD");

        assertProblem(mvc.delete().uri("/counters/default/next").exchange(), HttpStatus.METHOD_NOT_ALLOWED);
        assertProblem(mvc.post().uri("/counters/default").exchange(), HttpStatus.METHOD_NOT_ALLOWED);
    }

    @Test
    void unexpectedFailuresLeakNothing() {
        given(counters.next("default", 1, null)).willThrow(new IllegalStateException("secret internals"));

        assertProblem(mvc.get().uri("/next").exchange(), HttpStatus.INTERNAL_SERVER_ERROR)
            .doesNotContain("secret internals")
            .doesNotContain("IllegalStateException");
    }

    private static AbstractStringAssert<?> assertProblem(MvcTestResult result, HttpStatus status) {
        assertThat(result).hasStatus(status)
            .hasContentType(MediaType.APPLICATION_PROBLEM_JSON)
            .hasHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        assertThat(result).bodyJson().extractingPath("$.status").isEqualTo(status.value());
        return assertThat(result).bodyText();
    }

    /**
     * The slice does not scan configuration properties or components; the controller
     * needs counter.max-count and the admin bodies.
     */
    @TestConfiguration
    @EnableConfigurationProperties(CounterProperties.class)
    @Import(AdminBodies.class)
    static class Properties {

    }

}
