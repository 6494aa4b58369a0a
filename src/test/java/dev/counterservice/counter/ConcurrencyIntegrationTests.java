package dev.counterservice.counter;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.IssuedNumbers;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guarantees 1 to 4 under contention: many clients, two instances sharing one database,
 * every response checked for duplicates, per-client order and real-time order (send and
 * receive times recorded around each request), every acknowledged number stored, and, as
 * nothing fails, the counter moved by exactly the numbers handed out (none burned), with
 * request coalescing on (the default) and off.
 */
class ConcurrencyIntegrationTests {

    private static final int CLIENTS = 32;

    private static final int REQUESTS_PER_CLIENT = 200;

    private final TestDatabase database = TestDatabase.shared();

    @ParameterizedTest(name = "coalescing enabled: {0}")
    @ValueSource(booleans = { true, false })
    void manyClientsOnTwoInstancesNeverShareANumberAndSeeRealTimeOrder(boolean coalescing) throws Exception {
        List<AppInstance> pair = AppInstance.sharedPair(coalescing);
        assertGuaranteesUnderLoad(pair.getFirst(), pair.getLast());
    }

    private void assertGuaranteesUnderLoad(AppInstance first, AppInstance second) throws Exception {
        long start = stored();
        IssuedNumbers numbers = new IssuedNumbers();
        AtomicInteger failures = new AtomicInteger();
        try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
            List<Future<?>> running = new java.util.ArrayList<>();
            for (int client = 0; client < CLIENTS; client++) {
                int id = client;
                running.add(clients.submit(() -> {
                    for (int request = 0; request < REQUESTS_PER_CLIENT; request++) {
                        // Alternate instances, and mix single numbers with small blocks
                        AppInstance instance = (id + request) % 2 == 0 ? first : second;
                        int count = request % 10 == 0 ? 3 : 1;
                        long sent = System.nanoTime();
                        HttpResponse<String> response = instance.send("GET", "/counters/contended/next?count=" + count);
                        long received = System.nanoTime();
                        if (response.statusCode() != 200) {
                            failures.incrementAndGet();
                            continue;
                        }
                        String[] lines = response.body().split("\n");
                        assertThat(lines).hasSize(count);
                        numbers.record(id, sent, received, Long.parseLong(lines[0]), Long.parseLong(lines[count - 1]));
                    }
                }));
            }
            for (Future<?> client : running) {
                client.get();
            }
        }

        assertThat(failures).hasValue(0);
        assertThat(numbers.count()).isEqualTo(CLIENTS * (REQUESTS_PER_CLIENT + REQUESTS_PER_CLIENT / 10 * 2));
        assertThat(numbers.cleanRunViolations(start, stored())).isEmpty();
    }

    private long stored() {
        return database.queryForLong("SELECT value FROM counter WHERE name = 'contended'");
    }

}
