package dev.counterservice.counter;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * A request whose {@code Idempotency-Key} cannot be served now (409) or names another
 * request (422).
 */
class IdempotencyKeyConflictException extends ErrorResponseException {

    private IdempotencyKeyConflictException(HttpStatus status, String detail) {
        super(status, ProblemDetail.forStatusAndDetail(status, detail), null);
    }

    static IdempotencyKeyConflictException inFlight() {
        return new IdempotencyKeyConflictException(HttpStatus.CONFLICT,
                "A request with this Idempotency-Key is still in flight; retry it once that one has been answered");
    }

    static IdempotencyKeyConflictException reused(String counter, long count) {
        return new IdempotencyKeyConflictException(HttpStatus.UNPROCESSABLE_CONTENT,
                "This Idempotency-Key was used for count=" + count + " on counter '" + counter
                        + "'; a key names one request, so send another key for another count");
    }

}
