package dev.counterservice.counter;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * The database could not confirm a number in time, or the outcome of a commit is unknown
 * (503, retry after a second). Whatever the database did, the client gets no number from
 * this request.
 */
class CounterUnavailableException extends ErrorResponseException {

    CounterUnavailableException(String reason, Throwable cause) {
        super(HttpStatus.SERVICE_UNAVAILABLE,
                ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, reason + "; no number was handed out"),
                cause);
        getHeaders().set(HttpHeaders.RETRY_AFTER, "1");
    }

}
