package dev.counterservice.counter;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import dev.counterservice.testing.OpenApiDocument;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.assertj.MockMvcTester;
import org.springframework.test.web.servlet.assertj.MockMvcTester.MockMvcRequestBuilder;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.willThrow;
import static org.mockito.Mockito.reset;

/**
 * Every status an operation of the counters answers is listed under it in the OpenAPI
 * document (web/openapi.yaml): every mapping of {@link CounterController} is sent a
 * request in every way a request can fail here, with the service behind mocked to fail in
 * each way it can, and whatever status comes back must be in the document. A body is sent
 * only with POST, which takes one; the document says once, in its description, that any
 * other body is refused. (Every route is an operation: MappedRoutesIntegrationTests.)
 */
@WebMvcTest(CounterController.class)
class OpenApiDocumentTests {

    @Autowired
    private MockMvcTester mvc;

    @Autowired
    private RequestMappingHandlerMapping mappings;

    @MockitoBean
    private CounterService counters;

    /** How a request fails, or doesn't. */
    enum Outcome {

        NUMBERS, MALFORMED, UNKNOWN, EXHAUSTED, KEY_REUSED, UNAVAILABLE, BODY_TOO_LARGE, NOT_A_FORM;

        boolean sendsABody() {
            return this == BODY_TOO_LARGE || this == NOT_A_FORM;
        }

    }

    @Test
    void everyStatusAnOperationAnswersIsInTheDocument() {
        Set<String> operations = new TreeSet<>();
        mappings.getHandlerMethods().forEach((info, handler) -> {
            if (handler.getBeanType() == CounterController.class) {
                info.getMethodsCondition()
                    .getMethods()
                    .forEach(method -> info.getPatternValues().forEach(route -> operations.add(method + " " + route)));
            }
        });
        SoftAssertions softly = new SoftAssertions();
        Set<Integer> seen = new TreeSet<>();
        for (String operation : operations) {
            String method = operation.split(" ")[0];
            String route = operation.split(" ")[1];
            for (Outcome outcome : Outcome.values()) {
                if (outcome.sendsABody() && !method.equals("POST")) {
                    continue;
                }
                int status = answer(method, route, outcome);
                seen.add(status);
                softly.assertThat(OpenApiDocument.operation(method, route).path("responses").propertyNames())
                    .as("%s answers %s with %d", operation, outcome, status)
                    .contains(String.valueOf(status));
            }
        }
        softly.assertAll();
        assertThat(seen).as("every way to fail was tried").containsExactly(200, 400, 404, 409, 413, 415, 422, 503);
    }

    private int answer(String method, String route, Outcome outcome) {
        stub(outcome);
        boolean named = route.contains("{" + CounterRoutes.NAME + "}");
        String uri = route.replace("{" + CounterRoutes.NAME + "}", outcome == Outcome.MALFORMED ? "Bad!" : "orders");
        if (outcome == Outcome.MALFORMED && !named) {
            uri += "?count=0";
        }
        MockMvcRequestBuilder request = mvc.method(HttpMethod.valueOf(method)).uri(uri);
        if (outcome == Outcome.BODY_TOO_LARGE) {
            request.contentType(MediaType.APPLICATION_FORM_URLENCODED).content("count=1&pad=" + "x".repeat(2048));
        }
        if (outcome == Outcome.NOT_A_FORM) {
            request.contentType(MediaType.APPLICATION_JSON).content("{\"count\":1}");
        }
        return request.exchange().getResponse().getStatus();
    }

    /** The service fails as it can in each method: {@link CounterService}'s contract. */
    private void stub(Outcome outcome) {
        reset(counters);
        given(counters.next(anyString(), anyInt(), any())).willReturn(new Block("orders", 1, 1));
        given(counters.current(anyString())).willReturn(new CounterRow("orders", 1));
        given(counters.all()).willReturn(List.of(new CounterRow("orders", 1)));
        switch (outcome) {
            case UNKNOWN -> {
                UnknownCounterException unknown = new UnknownCounterException("orders");
                given(counters.next(anyString(), anyInt(), any())).willThrow(unknown);
                given(counters.current(anyString())).willThrow(unknown);
                willThrow(unknown).given(counters).requireKnown(anyString());
            }
            case EXHAUSTED -> given(counters.next(anyString(), anyInt(), any()))
                .willThrow(new CounterExhaustedException("orders", 1));
            case KEY_REUSED -> given(counters.next(anyString(), anyInt(), any()))
                .willThrow(IdempotencyKeyConflictException.reused("orders", 2));
            case UNAVAILABLE -> {
                CounterUnavailableException unavailable = new CounterUnavailableException("No answer", null);
                given(counters.next(anyString(), anyInt(), any())).willThrow(unavailable);
                given(counters.current(anyString())).willThrow(unavailable);
                given(counters.all()).willThrow(unavailable);
            }
            default -> {
            }
        }
    }

    /**
     * The slice does not scan configuration properties; the controller needs
     * counter.max-count.
     */
    @TestConfiguration
    @EnableConfigurationProperties(CounterProperties.class)
    static class Properties {

    }

}
