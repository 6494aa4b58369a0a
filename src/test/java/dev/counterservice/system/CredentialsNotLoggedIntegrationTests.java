package dev.counterservice.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;
import java.util.UUID;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The database password never reaches the log, on the paths where it could: start-up with
 * the pool and Flyway at DEBUG, serving, the actuator, and a start against a database
 * that cannot be reached.
 */
@ExtendWith(OutputCaptureExtension.class)
class CredentialsNotLoggedIntegrationTests {

    /**
     * Loggers that see the connection settings, turned up so that anything they could
     * print, they do.
     */
    private static final Map<String, String> VERBOSE = Map.of("logging.level.com.zaxxer.hikari", "DEBUG",
            "logging.level.org.postgresql", "DEBUG", "logging.level.org.flywaydb", "DEBUG",
            "logging.level.org.springframework.jdbc", "DEBUG", "logging.level.org.springframework.boot.jdbc", "DEBUG");

    private final String password = "pw-" + UUID.randomUUID();

    @AfterEach
    void quietAgain() {
        LoggingSystem logging = LoggingSystem.get(getClass().getClassLoader());
        VERBOSE.keySet().forEach(key -> logging.setLogLevel(key.substring("logging.level.".length()), null));
    }

    @Test
    void thePasswordIsNeverLoggedWhileServing(CapturedOutput output) {
        TestDatabase database = TestDatabase.shared();
        // The tests' local PostgreSQL trusts 127.0.0.1, so it accepts any password; a
        // database that checks it
        // refuses this one, and the start-up failure is the logged path this test then
        // covers
        TestDatabase withPassword = new TestDatabase(database.jdbcUrl(), database.username(), password,
                database.source());
        try (AppInstance instance = AppInstance.start(withPassword, VERBOSE)) {
            assertThat(instance.send("GET", "/next").statusCode()).isEqualTo(200);
            for (String endpoint : new String[] { "/actuator/health", "/actuator/health/readiness", "/actuator/info",
                    "/actuator/prometheus" }) {
                assertThat(instance.management(endpoint).body()).as(endpoint).doesNotContain(password);
            }
        }
        catch (RuntimeException startFailed) {
            assertThat(startFailed).hasStackTraceContaining("password");
        }

        assertThat(output.getAll()).contains("HikariPool").doesNotContain(password);
    }

    @Test
    void thePasswordIsNeverLoggedWhenTheDatabaseIsUnreachable(CapturedOutput output) {
        TestDatabase unreachable = new TestDatabase("jdbc:postgresql://127.0.0.1:" + closedPort() + "/counter",
                "counter", password, "a closed port");
        try (AppInstance instance = AppInstance.start(unreachable, VERBOSE)) {
            // Whether the service starts without its database is another test's concern;
            // only the log matters here
            instance.management("/actuator/health/readiness");
        }
        catch (RuntimeException expected) {
            // start-up failed, and logged why
        }

        assertThat(output.getAll()).contains("127.0.0.1").doesNotContain(password);
    }

    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

}
