package dev.counterservice.faults;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import dev.counterservice.testing.AppProcess;
import dev.counterservice.testing.LocalPostgres;
import dev.counterservice.testing.RetryingClients;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The faults the retrying-client suites drive while 16 {@link RetryingClients} take
 * numbers from two instances; each checks that the clients saw the fault, then hands
 * them, stopped, to the suite's own check.
 */
final class RetriedFaults {

    static final Duration START = Duration.ofSeconds(120);

    private RetriedFaults() {
    }

    /** PostgreSQL SIGKILLed a second into the load, and restarted a second later. */
    static void postgresKilledAndRestarted(LocalPostgres server, List<String> urls, String path,
            Consumer<RetryingClients> check) {
        try (RetryingClients clients = RetryingClients.start(16, urls, path)) {
            AppProcess.sleep(Duration.ofSeconds(1));
            server.kill();
            AppProcess.sleep(Duration.ofSeconds(1));
            server.startServer();
            AppProcess.sleep(Duration.ofSeconds(2));
            clients.close();

            assertThat(clients.retries()).as("the outage was seen").isNotEmpty();
            check.accept(clients);
        }
    }

    /**
     * The instance {@code killed} SIGKILLed a second into the load, and restarted.
     * @return the restarted instance
     */
    static AppProcess instanceKilledAndRestarted(AppProcess killed, AppProcess other, String path,
            Consumer<RetryingClients> check) {
        try (RetryingClients clients = RetryingClients.start(16, List.of(killed.baseUrl(), other.baseUrl()), path)) {
            AppProcess.sleep(Duration.ofSeconds(1));
            killed.kill();
            AppProcess.sleep(Duration.ofSeconds(1));
            AppProcess restarted = killed.restart().awaitReady(START);
            AppProcess.sleep(Duration.ofSeconds(1));
            clients.close();

            assertThat(clients.retries()).as("requests to the killed instance failed")
                .containsKey("connection or timeout");
            check.accept(clients);
            return restarted;
        }
    }

}
