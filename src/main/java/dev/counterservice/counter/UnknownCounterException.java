package dev.counterservice.counter;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** The name is well-formed but not one of the configured counters (404). */
class UnknownCounterException extends ErrorResponseException {

    UnknownCounterException(String name) {
        super(HttpStatus.NOT_FOUND,
                ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, "No counter named '" + name + "'"), null);
    }

}
