package dev.counterservice.web;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Every response of the API may carry a number, and a cached number is a duplicate to
 * whoever reads it from the cache: nothing is stored by browsers or proxies, and nothing
 * is content-sniffed. The one place these headers are set, for Spring MVC's responses and
 * for those Tomcat writes itself ({@link ProblemErrorReportValve}).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE) // before Spring Security's filters, when they run:
                                   // their 401 and 403 get them too
class ResponseHeaders extends OncePerRequestFilter {

    static void set(HttpServletResponse response) {
        response.setHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        response.setHeader("X-Content-Type-Options", "nosniff");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        set(response);
        chain.doFilter(request, response);
    }

    /**
     * Error dispatches too: a request Tomcat refuses itself (a TRACE) reaches the error
     * page without a first pass.
     */
    @Override
    protected boolean shouldNotFilterErrorDispatch() {
        return false;
    }

}
