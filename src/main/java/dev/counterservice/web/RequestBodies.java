package dev.counterservice.web;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.counterservice.counter.CounterRoutes;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The bodies the API takes: a form-encoded {@code count} on the routes that take numbers,
 * JSON on the admin endpoints that create and advance counters
 * ({@link CounterRoutes#isAdmin}). A body larger than
 * {@code server.tomcat.max-http-form-post-size} is refused with 413 on its
 * {@code Content-Length}, before a byte of it is read, and a body of another type with
 * 415, before any handler runs. (Tomcat refuses a chunked form body over the same limit
 * while reading it: {@link ProblemHandler}; the admin endpoints read at most that much of
 * a chunked one.) Tomcat then reads at most {@code server.tomcat.max-swallow-size} of the
 * rest to keep the connection, else closes it.
 */
@Component
class RequestBodies implements HandlerInterceptor, WebMvcConfigurer {

    private final long maxBytes;

    RequestBodies(@Value("${server.tomcat.max-http-form-post-size}") DataSize maxBytes) {
        this.maxBytes = maxBytes.toBytes();
    }

    static ErrorResponseException tooLarge() {
        return new ErrorResponseException(HttpStatus.CONTENT_TOO_LARGE,
                ProblemDetail.forStatusAndDetail(HttpStatus.CONTENT_TOO_LARGE,
                        "The request body is larger than the API takes: a form-encoded count"),
                null);
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this);
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        boolean hasBody = request.getContentLengthLong() > 0
                || request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
        if (!hasBody || request.getDispatcherType() != DispatcherType.REQUEST) {
            return true;
        }
        if (request.getContentLengthLong() > maxBytes) {
            throw tooLarge();
        }
        boolean admin = CounterRoutes.isAdmin(request.getMethod(),
                (String) request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE));
        MediaType taken = admin ? MediaType.APPLICATION_JSON : MediaType.APPLICATION_FORM_URLENCODED;
        if (!is(taken, request.getContentType())) {
            throw new ErrorResponseException(HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                    ProblemDetail.forStatusAndDetail(HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                            admin ? "The only body this endpoint takes is JSON (" + taken + ")"
                                    : "The only body the API takes is a form-encoded count (" + taken
                                            + "); JSON only where a counter is created or advanced"),
                    null);
        }
        return true;
    }

    private static boolean is(MediaType taken, String contentType) {
        try {
            return contentType != null && taken.equalsTypeAndSubtype(MediaType.parseMediaType(contentType));
        }
        catch (IllegalArgumentException ex) {
            return false;
        }
    }

}
