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
 * Names the counter a request is about in the logging context (MDC key {@code counter})
 * while it is served, error handling included, so that a line such as a 503's warning
 * says which counter it concerns; JSON logs carry it as a field. A malformed name is left
 * out: it is the caller's input, not a counter.
 */
@Component
class CounterLogContext implements HandlerInterceptor, WebMvcConfigurer {

    static final String KEY = "counter";

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this).addPathPatterns("/next", "/counters/*", "/counters/*/next");
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        String name = request
            .getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE) instanceof Map<?, ?> variables
                && variables.get("name") instanceof String given ? given : CounterName.DEFAULT;
        if (CounterName.isValid(name)) {
            MDC.put(KEY, name);
        }
        return true;
    }

    @Override
    public void afterCompletion(HttpServletRequest request, HttpServletResponse response, Object handler,
            Exception ex) {
        MDC.remove(KEY);
    }

}
