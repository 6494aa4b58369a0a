package dev.counterservice.counter;

import java.util.Map;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Numbers live in the database, not in the process: a restarted instance carries on where
 * the last one stopped.
 */
class RestartIntegrationTests {

    private final TestDatabase database = TestDatabase.shared();

    @Test
    void aRestartedInstanceContinuesAfterTheLastNumberAndStartUpResetsNothing() {
        Map<String, String> properties = Map.of("counter.names", "restarted");
        long beforeRestart;
        try (AppInstance instance = AppInstance.start(database, properties)) {
            instance.send("GET", "/counters/restarted/next?count=10");
            beforeRestart = Long.parseLong(instance.send("GET", "/counters/restarted/next").body().trim());
        }
        try (AppInstance restarted = AppInstance.start(database, properties)) {
            long afterRestart = Long.parseLong(restarted.send("GET", "/counters/restarted/next").body().trim());

            assertThat(afterRestart).isEqualTo(beforeRestart + 1);
        }
    }

}
