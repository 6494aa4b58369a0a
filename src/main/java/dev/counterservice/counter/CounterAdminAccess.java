package dev.counterservice.counter;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * Whether the caller may create and advance counters, and void numbers. Without this
 * bean, anyone when {@code counter.admin.enabled}, else no one; with authorization on, a
 * token with the scope {@code counter:admin}
 * ({@code dev.counterservice.web.ApiSecurity}).
 */
@FunctionalInterface
public interface CounterAdminAccess {

    boolean mayAdminister();

    /** The 403 of a caller who may not. */
    static ErrorResponseException refused() {
        return new ErrorResponseException(HttpStatus.FORBIDDEN, ProblemDetail.forStatusAndDetail(HttpStatus.FORBIDDEN,
                "Creating and advancing counters and voiding numbers is off: it takes counter.admin.enabled=true "
                        + "(private networks only), or authorization on and a token with the scope counter:admin"),
                null);
    }

}
