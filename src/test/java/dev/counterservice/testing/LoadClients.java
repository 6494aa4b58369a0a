package dev.counterservice.testing;

import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Clients that keep asking for numbers while a test breaks things, spread over several instances. Every
 * acknowledged number goes into {@link #numbers()} with its send and receive times; every failure is counted by
 * kind ("503", "connection"). Stops when told to, and at the latest after a minute.
 */
public final class LoadClients implements AutoCloseable {

    private static final Duration LONGEST = Duration.ofMinutes(1);

    private final IssuedNumbers numbers = new IssuedNumbers();
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final AtomicLong lastFailureNanos = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ExecutorService threads;

    private LoadClients(int clients, List<String> baseUrls, String path) {
        threads = Executors.newFixedThreadPool(clients);
        long deadline = System.nanoTime() + LONGEST.toNanos();
        for (int client = 0; client < clients; client++) {
            int id = client;
            threads.execute(() -> {
                for (int request = 0; running.get() && System.nanoTime() < deadline; request++) {
                    call(id, baseUrls.get((id + request) % baseUrls.size()) + path);
                }
            });
        }
    }

    /** {@code clients} threads sending GET {@code path} to each base URL in turn. */
    public static LoadClients start(int clients, List<String> baseUrls, String path) {
        return new LoadClients(clients, baseUrls, path);
    }

    private void call(int client, String url) {
        long sent = System.nanoTime();
        try {
            HttpResponse<String> response = Http.send("GET", url);
            long received = System.nanoTime();
            if (response.statusCode() == 200) {
                String[] lines = response.body().split("\n");
                numbers.record(client, sent, received, Long.parseLong(lines[0]), Long.parseLong(lines[lines.length - 1]));
                return;
            }
            fail(Integer.toString(response.statusCode()));
        }
        catch (UncheckedIOException ex) {
            fail("connection");
            // The instance is down: do not spin on a refused port
            AppProcess.sleep(Duration.ofMillis(20));
        }
    }

    private void fail(String kind) {
        failures.computeIfAbsent(kind, key -> new LongAdder()).increment();
        lastFailureNanos.set(System.nanoTime());
    }

    public IssuedNumbers numbers() {
        return numbers;
    }

    /** Failures by kind so far. */
    public Map<String, Long> failures() {
        return failures.entrySet().stream().collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> e.getValue().sum()));
    }

    /** When the last failure happened ({@link System#nanoTime()}), 0 if none did. */
    public long lastFailureNanos() {
        return lastFailureNanos.get();
    }

    /** Runs for {@code duration}, for a test that has nothing else to do meanwhile. */
    public LoadClients runFor(Duration duration) {
        AppProcess.sleep(duration);
        return this;
    }

    @Override
    public void close() {
        running.set(false);
        threads.close();
    }
}
