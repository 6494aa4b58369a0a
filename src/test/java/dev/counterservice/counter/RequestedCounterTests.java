package dev.counterservice.counter;

import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.web.servlet.HandlerMapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class RequestedCounterTests {

    private final RequestedCounter requested = new RequestedCounter();

    private final MockHttpServletResponse response = new MockHttpServletResponse();

    @AfterEach
    void clear() {
        MDC.clear();
    }

    @Test
    void aNamedCounterIsTheHandlersAndInTheLogContextUntilTheRequestCompletes() {
        MockHttpServletRequest request = withName("orders");

        assertThat(requested.preHandle(request, response, new Object())).isTrue();
        assertThat(request.getAttribute(RequestedCounter.ATTRIBUTE)).isEqualTo("orders");
        assertThat(MDC.get(RequestedCounter.ATTRIBUTE)).isEqualTo("orders");

        requested.afterCompletion(request, response, new Object(), null);
        assertThat(MDC.get(RequestedCounter.ATTRIBUTE)).isNull();
    }

    @Test
    void nextWithoutANameIsTheDefaultCounter() {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/next");
        request.setAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE, Map.of());

        requested.preHandle(request, response, new Object());

        assertThat(request.getAttribute(RequestedCounter.ATTRIBUTE)).isEqualTo(CounterName.DEFAULT);
        assertThat(MDC.get(RequestedCounter.ATTRIBUTE)).isEqualTo(CounterName.DEFAULT);
    }

    @Test
    void aMalformedNameIs400AndIsNotCopiedIntoTheLogs() {
        MockHttpServletRequest request = withName("x\n{\"forged\":true}");

        assertThatExceptionOfType(InvalidRequestException.class)
            .isThrownBy(() -> requested.preHandle(request, response, new Object()))
            .satisfies(ex -> assertThat(ex.getBody().getDetail()).isEqualTo("Counter names are " + CounterName.RULE));
        assertThat(request.getAttribute(RequestedCounter.ATTRIBUTE)).isNull();
        assertThat(MDC.get(RequestedCounter.ATTRIBUTE)).isNull();
    }

    private static MockHttpServletRequest withName(String name) {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/counters/" + name + "/next");
        request.setAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE, Map.of("name", name));
        return request;
    }

}
