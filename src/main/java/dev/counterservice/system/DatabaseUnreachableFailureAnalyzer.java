package dev.counterservice.system;

import java.net.ConnectException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;

/**
 * The service migrates its schema before it serves, so it cannot start without its
 * database: it exits non-zero and says so in one line, naming the URL it tried (never the
 * credentials), instead of a page of stack trace.
 */
class DatabaseUnreachableFailureAnalyzer extends AbstractFailureAnalyzer<ConnectException> {

    private final Environment environment;

    DatabaseUnreachableFailureAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, ConnectException cause) {
        String url = environment.getProperty("spring.datasource.url", "(spring.datasource.url not set)");
        return new FailureAnalysis("Cannot reach the database at " + url + ": " + cause.getMessage(),
                "Check SPRING_DATASOURCE_URL and that PostgreSQL accepts connections; the service exits rather than serve without it.",
                cause);
    }

}
