package dev.counterservice.counter;

import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import dev.counterservice.testing.AppProcess;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that asks from the moment the port opens, as one polling a restarting instance
 * does, gets its first answer from a counter that exists: the configured counters are
 * created before the port takes requests.
 */
class StartRaceIntegrationTests {

    @Test
    void theFirstRequestAfterTheSocketOpensIsServedFromACounterThatExists() {
        String counter = "race-" + Long.toString(ThreadLocalRandom.current().nextLong(Long.MAX_VALUE), 36);
        try (AppProcess app = AppProcess.start(TestDatabase.shared(), Map.of("counter.names", counter))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            HttpResponse<String> first = null;
            while (first == null && System.nanoTime() < deadline) {
                try {
                    first = app.send("GET", "/counters/" + counter + "/next");
                }
                catch (UncheckedIOException notListeningYet) {
                    AppProcess.sleep(Duration.ofMillis(2));
                }
            }
            assertThat(first).as("an answer within 90 s:\n%s", app.output()).isNotNull();
            assertThat(first.statusCode() + " " + first.body().trim()).isEqualTo("200 1");
        }
    }

}
