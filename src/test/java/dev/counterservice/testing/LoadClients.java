package dev.counterservice.testing;

import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.counterservice.loadtest.Numbers;

import static org.awaitility.Awaitility.await;

/**
 * Clients that keep asking for numbers while a test breaks things, spread over several
 * instances. Every acknowledged number goes into {@link #numbers()} with its send and
 * receive times. Every other answer is a failure counted by kind: {@code "503"} (a 503
 * problem with {@code Retry-After}, what the service promises when in doubt), any other
 * status as its number ({@code "503 without problem+json and Retry-After"} included),
 * {@code "malformed 200"} (also a violation in {@link #numbers()}), {@code "timeout"}, or
 * {@code "connection"}. Stops when told to, and at the latest after a minute.
 */
public final class LoadClients implements AutoCloseable {

    private static final Duration LONGEST = Duration.ofMinutes(1);

    private static final Pattern COUNT = Pattern.compile("[?&]count=(\\d+)");

    private final IssuedNumbers numbers = new IssuedNumbers();

    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();

    private final AtomicLong firstFailureNanos = new AtomicLong();

    private final AtomicLong lastFailureNanos = new AtomicLong();

    private final AtomicLong slowestNanos = new AtomicLong();

    /** Per base URL, how many of its answers carried numbers. */
    private final AtomicLongArray served;

    private final AtomicBoolean running = new AtomicBoolean(true);

    private final List<String> baseUrls;

    private final int count;

    private final ExecutorService threads;

    private LoadClients(int clients, List<String> baseUrls, String path) {
        this.baseUrls = List.copyOf(baseUrls);
        this.served = new AtomicLongArray(baseUrls.size());
        Matcher count = COUNT.matcher(path);
        this.count = count.find() ? Integer.parseInt(count.group(1)) : 1;
        threads = Executors.newFixedThreadPool(clients);
        long deadline = System.nanoTime() + LONGEST.toNanos();
        for (int client = 0; client < clients; client++) {
            int id = client;
            threads.execute(() -> {
                for (int request = 0; running.get() && System.nanoTime() < deadline; request++) {
                    call(id, (id + request) % baseUrls.size(), path);
                }
            });
        }
    }

    /** {@code clients} threads sending GET {@code path} to each base URL in turn. */
    public static LoadClients start(int clients, List<String> baseUrls, String path) {
        return new LoadClients(clients, baseUrls, path);
    }

    private void call(int client, int instance, String path) {
        long sent = System.nanoTime();
        HttpResponse<String> response;
        try {
            response = Http.send("GET", baseUrls.get(instance) + path);
        }
        catch (UncheckedIOException ex) {
            fail(ex.getCause() instanceof HttpTimeoutException ? "timeout" : "connection", sent);
            return;
        }
        long received = System.nanoTime();
        slowestNanos.accumulateAndGet(received - sent, Math::max);
        if (response.statusCode() != 200) {
            fail(kind(response), received);
            return;
        }
        byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
        long[] range = new long[2];
        String problem = Numbers.parse(body, 0, body.length, count, range);
        if (problem != null) {
            numbers.recordMalformed(client, problem + " in \"" + response.body() + "\"");
            fail("malformed 200", received);
            return;
        }
        numbers.record(client, sent, received, range[0], range[1]);
        served.incrementAndGet(instance);
    }

    /**
     * {@code "503"} for the promised 503 (problem, Retry-After), else the status, marked
     * when a 503 lacks them.
     */
    static String kind(HttpResponse<String> response) {
        boolean promised503 = response.headers()
            .firstValue("Content-Type")
            .orElse("")
            .equals("application/problem+json") && response.headers().firstValue("Retry-After").isPresent();
        return response.statusCode() != 503 || promised503 ? Integer.toString(response.statusCode())
                : "503 without problem+json and Retry-After";
    }

    private void fail(String kind, long when) {
        failures.computeIfAbsent(kind, key -> new LongAdder()).increment();
        firstFailureNanos.accumulateAndGet(when, (first, next) -> first == 0 ? next : Math.min(first, next));
        lastFailureNanos.accumulateAndGet(when, Math::max);
        // Refused at once while an instance or its database is down: do not spin on it
        AppProcess.sleep(Duration.ofMillis(20));
    }

    public IssuedNumbers numbers() {
        return numbers;
    }

    /** Failures by kind so far. */
    public Map<String, Long> failures() {
        return failures.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().sum()));
    }

    /** How many requests failed so far, of any kind. */
    public long failureCount() {
        return failures.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** When the first failure happened ({@link System#nanoTime()}), 0 if none did. */
    public long firstFailureNanos() {
        return firstFailureNanos.get();
    }

    /** When the last failure happened ({@link System#nanoTime()}), 0 if none did. */
    public long lastFailureNanos() {
        return lastFailureNanos.get();
    }

    /** The longest any request waited for its answer, whatever the answer. */
    public Duration slowestAnswer() {
        return Duration.ofNanos(slowestNanos.get());
    }

    /** Runs for {@code duration}, for a test that has nothing else to do meanwhile. */
    public LoadClients runFor(Duration duration) {
        AppProcess.sleep(duration);
        return this;
    }

    /**
     * Waits until every instance has answered these clients with numbers again, after a
     * fault: the answers that show recovery are the clients' own, so they are checked
     * with all the others.
     */
    public LoadClients awaitServing(Duration limit) {
        long[] before = IntStream.range(0, baseUrls.size()).mapToLong(served::get).toArray();
        await("each of " + baseUrls + " serving again").atMost(limit)
            .pollInterval(Duration.ofMillis(10))
            .until(() -> IntStream.range(0, before.length)
                .allMatch(instance -> served.get(instance) > before[instance]));
        return this;
    }

    @Override
    public void close() {
        running.set(false);
        threads.close();
    }

}
