package dev.counterservice.counter;

import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.web.servlet.HandlerMapping;

import static org.assertj.core.api.Assertions.assertThat;

class CounterLogContextTests {

    private final CounterLogContext context = new CounterLogContext();

    private final MockHttpServletResponse response = new MockHttpServletResponse();

    @AfterEach
    void clear() {
        MDC.clear();
    }

    @Test
    void aNamedCounterIsInTheLogContextUntilTheRequestCompletes() {
        MockHttpServletRequest request = withName("orders");

        context.preHandle(request, response, new Object());
        assertThat(MDC.get(CounterLogContext.KEY)).isEqualTo("orders");

        context.afterCompletion(request, response, new Object(), null);
        assertThat(MDC.get(CounterLogContext.KEY)).isNull();
    }

    @Test
    void nextWithoutANameIsTheDefaultCounter() {
        context.preHandle(new MockHttpServletRequest("GET", "/next"), response, new Object());

        assertThat(MDC.get(CounterLogContext.KEY)).isEqualTo(CounterName.DEFAULT);
    }

    @Test
    void aMalformedNameIsNotCopiedIntoTheLogs() {
        context.preHandle(withName("x\n{\"forged\":true}"), response, new Object());

        assertThat(MDC.get(CounterLogContext.KEY)).isNull();
    }

    private static MockHttpServletRequest withName(String name) {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/counters/" + name + "/next");
        request.setAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE, Map.of("name", name));
        return request;
    }

}
