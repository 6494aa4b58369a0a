package dev.counterservice.counter;

import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.MDC;

import org.springframework.stereotype.Component;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Resolves the counter a request to a route of one counter names, once, before its
 * handler runs ({@link CounterRoutes#counter}): a malformed name is answered 400 and
 * consumes nothing. The handler takes the counter as the request attribute
 * {@value #ATTRIBUTE}; while the request is served, error handling included, it is in the
 * logging context under the same key, so that a line such as a 503's warning says which
 * counter it concerns (JSON logs carry it as a field). A malformed name never reaches the
 * logs: it is the caller's input, not a counter.
 */
@Component
class RequestedCounter implements HandlerInterceptor, WebMvcConfigurer {

    /** The request attribute and the MDC key. */
    static final String ATTRIBUTE = "counter";

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this).addPathPatterns(CounterRoutes.OF_ONE_COUNTER);
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        @SuppressWarnings("unchecked")
        Map<String, String> variables = (Map<String, String>) request
            .getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE);
        String counter = CounterRoutes.counter(variables == null ? Map.of() : variables)
            .orElseThrow(CounterName::malformed);
        request.setAttribute(ATTRIBUTE, counter);
        MDC.put(ATTRIBUTE, counter);
        return true;
    }

    @Override
    public void afterCompletion(HttpServletRequest request, HttpServletResponse response, Object handler,
            Exception ex) {
        MDC.remove(ATTRIBUTE);
    }

}
