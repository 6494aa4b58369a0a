package dev.counterservice.web;

import org.apache.tomcat.util.http.InvalidParameterException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Turns every failure into an RFC 9457 problem. The service's own failures are
 * {@link ErrorResponseException}s that carry their status, detail and headers; Spring
 * MVC's (405, 404 ...) are handled by the base class. The content type is fixed to
 * {@code application/problem+json} so that a client asking for plain text still gets a
 * readable error instead of an empty 406.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

    @Override
    protected ResponseEntity<Object> handleErrorResponseException(ErrorResponseException ex, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        if (status.is5xxServerError()) {
            log.warn("Answering {}: {} ({})", status.value(), ex.getBody().getDetail(),
                    ex.getCause() == null ? "-" : ex.getCause().toString());
        }
        return super.handleErrorResponseException(ex, headers, status, request);
    }

    /**
     * Tomcat parses the query string (and a form body) when the controller first reads
     * {@code count}, and refuses bad percent-encoding or more than
     * {@code server.tomcat.max-parameter-count} parameters. Its message quotes the input,
     * so it is not passed on. A chunked form body over
     * {@code server.tomcat.max-http-form-post-size} is refused here too, as Tomcat reads
     * it (a larger {@code Content-Length} never gets this far: {@link RequestBodies}).
     */
    @ExceptionHandler
    ResponseEntity<Object> malformedParameters(InvalidParameterException ex, WebRequest request) throws Exception {
        if (ex.getErrorCode() == HttpStatus.CONTENT_TOO_LARGE.value()) {
            return handleException(RequestBodies.tooLarge(), request);
        }
        return problem(ex, HttpStatus.BAD_REQUEST,
                "The query string or form body is malformed or has too many parameters", request);
    }

    /** Last resort: log the details here, tell the client nothing about the internals. */
    @ExceptionHandler
    ResponseEntity<Object> unexpected(Exception ex, WebRequest request) {
        log.error("Unexpected failure", ex);
        return problem(ex, HttpStatus.INTERNAL_SERVER_ERROR, "Unexpected error", request);
    }

    private ResponseEntity<Object> problem(Exception ex, HttpStatus status, String detail, WebRequest request) {
        return handleExceptionInternal(ex, ProblemDetail.forStatusAndDetail(status, detail), new HttpHeaders(), status,
                request);
    }

    @Override
    protected ResponseEntity<Object> createResponseEntity(Object body, HttpHeaders headers, HttpStatusCode status,
            WebRequest request) {
        HttpHeaders withType = new HttpHeaders();
        withType.putAll(headers);
        withType.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return new ResponseEntity<>(body, withType, status);
    }

}
