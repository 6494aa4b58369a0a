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
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.assertj.MockMvcTester;
import org.springframework.test.web.servlet.assertj.MockMvcTester.MockMvcRequestBuilder;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.willThrow;
import static org.mockito.Mockito.reset;

/**
 * Every status an operation of the counters answers is listed under it in the OpenAPI
 * document (web/openapi.yaml): every mapping of {@link CounterController} is sent a
 * request in every way a request can fail here, with the service behind mocked to fail in
 * each way it can, and whatever status comes back must be in the document. A body is sent
 * only with POST and PUT, which take one; the document says once, in its description,
 * that any other body is refused. (Every route is an operation:
 * MappedRoutesIntegrationTests.)
 */
@WebMvcTest(CounterController.class)
class OpenApiDocumentTests {

    @Autowired
    private MockMvcTester mvc;

    @Autowired
    private RequestMappingHandlerMapping mappings;

    @MockitoBean
    private CounterService counters;

    @MockitoBean
    private CounterAdmin admin;

    @MockitoBean
    private CounterAdminAccess adminAccess;

    /** How a request fails, or doesn't. */
    enum Outcome {

        NUMBERS, EXISTS, MALFORMED, UNKNOWN, CONFLICT, KEY_REUSED, UNAVAILABLE, ADMIN_OFF, BAD_BODY, BODY_TOO_LARGE,
        WRONG_BODY_TYPE;

        boolean sendsABody() {
            return this == BAD_BODY || this == BODY_TOO_LARGE || this == WRONG_BODY_TYPE;
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
                if (outcome.sendsABody() && !(method.equals("POST") || method.equals("PUT"))) {
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
        assertThat(seen).as("every way to fail was tried")
            .containsExactly(200, 201, 400, 403, 404, 409, 413, 415, 422, 503);
    }

    private int answer(String method, String route, Outcome outcome) {
        stub(outcome);
        boolean named = route.contains("{" + CounterRoutes.NAME + "}");
        String uri = route.replace("{" + CounterRoutes.NAME + "}", outcome == Outcome.MALFORMED ? "Bad!" : "orders");
        if (outcome == Outcome.MALFORMED && !named) {
            uri += "?count=0";
        }
        boolean admin = CounterRoutes.isAdmin(method, route);
        MockMvcRequestBuilder request = mvc.method(HttpMethod.valueOf(method)).uri(uri);
        MediaType taken = admin ? MediaType.APPLICATION_JSON : MediaType.APPLICATION_FORM_URLENCODED;
        switch (outcome) {
            case BAD_BODY -> request.contentType(taken).content(admin ? "{\"to\": -1, \"start\": -1}" : "count=0");
            case BODY_TOO_LARGE -> request.contentType(taken).content("count=1&pad=" + "x".repeat(2048));
            case WRONG_BODY_TYPE ->
                request.contentType(admin ? MediaType.APPLICATION_FORM_URLENCODED : MediaType.APPLICATION_JSON)
                    .content("{\"count\":1}");
            default -> {
                if (admin && route.equals(CounterRoutes.ADVANCE)) {
                    request.contentType(MediaType.APPLICATION_JSON).content("{\"to\": 5}");
                }
            }
        }
        return request.exchange().getResponse().getStatus();
    }

    /**
     * The services fail as they can in each method: {@link CounterService}'s and
     * {@link CounterAdmin}'s contracts.
     */
    private void stub(Outcome outcome) {
        reset(counters, admin, adminAccess);
        given(adminAccess.mayAdminister()).willReturn(outcome != Outcome.ADMIN_OFF);
        given(counters.next(anyString(), anyInt(), any())).willReturn(new Block("orders", 1, 1));
        given(counters.current(anyString())).willReturn(new CounterRow("orders", 1, 0));
        given(counters.page(anyString(), anyInt())).willReturn(List.of(new CounterRow("orders", 1, 0)));
        given(admin.create(anyString(), any()))
            .willReturn(new CounterAdmin.Created(new CounterRow("orders", 0, 0), outcome != Outcome.EXISTS));
        given(admin.advance(anyString(), anyLong())).willReturn(new CounterRow("orders", 5, 0));
        switch (outcome) {
            case UNKNOWN -> {
                UnknownCounterException unknown = new UnknownCounterException("orders");
                given(counters.next(anyString(), anyInt(), any())).willThrow(unknown);
                given(counters.current(anyString())).willThrow(unknown);
                willThrow(unknown).given(counters).requireKnown(anyString());
                given(admin.advance(anyString(), anyLong())).willThrow(unknown);
            }
            case CONFLICT -> {
                given(counters.next(anyString(), anyInt(), any()))
                    .willThrow(new CounterExhaustedException("orders", 1));
                ErrorResponseException conflict = new ErrorResponseException(HttpStatus.CONFLICT);
                given(admin.create(anyString(), any())).willThrow(conflict);
                given(admin.advance(anyString(), anyLong())).willThrow(conflict);
            }
            case KEY_REUSED -> given(counters.next(anyString(), anyInt(), any()))
                .willThrow(IdempotencyKeyConflictException.reused("orders", 2));
            case UNAVAILABLE -> {
                CounterUnavailableException unavailable = new CounterUnavailableException("No answer", null);
                given(counters.next(anyString(), anyInt(), any())).willThrow(unavailable);
                given(counters.current(anyString())).willThrow(unavailable);
                given(counters.page(anyString(), anyInt())).willThrow(unavailable);
                given(admin.create(anyString(), any())).willThrow(unavailable);
                given(admin.advance(anyString(), anyLong())).willThrow(unavailable);
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
    @Import(AdminBodies.class)
    static class Properties {

    }

}
