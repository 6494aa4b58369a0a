package dev.counterservice.web;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;

/**
 * Answers the requests Tomcat refuses before any application code runs (a malformed
 * request line or header, an encoded slash, backslash or NUL in the path, a path above
 * the root, a request line or headers larger than
 * {@code server.max-http-request-header-size}) with the API's RFC 9457 shape instead of
 * Tomcat's HTML page. The body is fixed per status: it repeats nothing of the request and
 * names no server, class or exception. Public, as Tomcat names a host's error report
 * valve by class ({@link TomcatErrorsCustomizer}).
 */
public final class ProblemErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        // As Tomcat's own valves: only an error not yet reported, on a response nothing
        // has been written to
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        AtomicBoolean ioAllowed = new AtomicBoolean(false);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) {
            return;
        }
        HttpStatus known = HttpStatus.resolve(status);
        String title = known != null ? known.getReasonPhrase() : "Error";
        try {
            response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            ResponseHeaders.set(response);
            Writer writer = response.getReporter();
            if (writer != null) {
                writer
                    .write("""
                            {"title":"%s","status":%d,"detail":"The HTTP server refused this request before it reached the service"}"""
                        .formatted(title, status));
                response.finishResponse();
            }
        }
        catch (IOException | IllegalStateException ex) {
            // The client is gone or the response cannot be written: nothing left to tell
        }
    }

}
