package dev.counterservice.counter;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * The block would carry the counter past bigint's maximum; the stored value is unchanged
 * (409).
 */
class CounterExhaustedException extends ErrorResponseException {

    CounterExhaustedException(String name, long count) {
        super(HttpStatus.CONFLICT,
                ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT,
                        "Counter '" + name + "' has fewer than " + count + " numbers left before 9223372036854775807"),
                null);
    }

}
