package dev.counterservice.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import dev.counterservice.loadtest.Checker;
import dev.counterservice.loadtest.Numbers;

/**
 * Clients that give every request an {@code Idempotency-Key} and retry it, on the next
 * instance, after a 503 problem with Retry-After, a 409, a timeout or a dropped
 * connection, until it is answered 200: the client exactly-once numbering needs. Any
 * other answer, and a 200 that is not exactly the numbers asked for, is a violation, and
 * the client leaves that key. Every fifth answered key is sent once more, to check that
 * the replay is identical. {@link #violations} checks the whole promise: one block per
 * key, no number in two keys, real-time order between logical requests (a key's request
 * spans from its first send to its final answer), and the blocks forming one contiguous
 * range.
 */
public final class RetryingClients implements AutoCloseable {

    private static final Duration LONGEST = Duration.ofMinutes(1);

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private static final String NO_ANSWER = "connection or timeout";

    /** The answers a key is retried after ({@link LoadClients#kind} names them). */
    private static final Set<String> RETRIED = Set.of("503", "409", NO_ANSWER);

    /** A key's logical request: its block and the exact body of its first answer. */
    public record Answer(String key, int client, long firstSentNanos, long receivedNanos, long first, long last,
            String body) {
    }

    private final HttpClient http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2))
        .build();

    private final List<Answer> answers = new ArrayList<>();

    private final List<String> replayMismatches = new ArrayList<>();

    private final List<String> garbled = new ArrayList<>();

    private final List<String> unexpected = new ArrayList<>();

    private final Map<String, LongAdder> retries = new ConcurrentHashMap<>();

    private final AtomicBoolean running = new AtomicBoolean(true);

    private final ExecutorService threads;

    private RetryingClients(int clients, List<String> baseUrls, String path) {
        threads = Executors.newFixedThreadPool(clients);
        long deadline = System.nanoTime() + LONGEST.toNanos();
        // Keys of an earlier run on the same counter would be replayed, not answered anew
        String run = java.util.UUID.randomUUID().toString().substring(0, 8);
        for (int client = 0; client < clients; client++) {
            int id = client;
            threads.execute(() -> {
                for (int request = 0; running.get() && System.nanoTime() < deadline; request++) {
                    String key = run + "-c" + id + "-r" + request;
                    int count = 1 + request % 3;
                    // A key once sent is retried until answered, even after close() asked
                    // the clients to stop
                    take(id, key, count, baseUrls, (id + request) % baseUrls.size(), path + "?count=" + count,
                            deadline);
                }
            });
        }
    }

    /**
     * {@code clients} threads taking numbers from {@code path}, starting on each base URL
     * in turn.
     */
    public static RetryingClients start(int clients, List<String> baseUrls, String path) {
        return new RetryingClients(clients, baseUrls, path);
    }

    private void take(int client, String key, int count, List<String> baseUrls, int firstInstance, String path,
            long deadline) {
        long firstSent = System.nanoTime();
        for (int attempt = 0; System.nanoTime() < deadline; attempt++) {
            String url = baseUrls.get((firstInstance + attempt) % baseUrls.size()) + path;
            HttpResponse<String> response = send(url, key);
            if (response != null && response.statusCode() == 200) {
                long received = System.nanoTime();
                byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
                long[] range = new long[2];
                String problem = Numbers.parse(body, 0, body.length, count, range);
                synchronized (this) {
                    if (problem != null) {
                        garbled.add("key %s answered 200 with %s: %s".formatted(key, response.body(), problem));
                        return;
                    }
                    answers.add(new Answer(key, client, firstSent, received, range[0], range[1], response.body()));
                }
                if (key.hashCode() % 5 == 0) {
                    checkReplay(baseUrls.get((firstInstance + attempt + 1) % baseUrls.size()) + path, key,
                            response.body());
                }
                return;
            }
            if (!retried(key, response)) {
                return;
            }
            AppProcess.sleep(Duration.ofMillis(20));
        }
    }

    /**
     * Counts a failed attempt by kind if it is one to retry; else records it as a
     * violation and returns false.
     */
    private boolean retried(String key, HttpResponse<String> response) {
        String kind = response == null ? NO_ANSWER : LoadClients.kind(response);
        if (!RETRIED.contains(kind)) {
            synchronized (this) {
                unexpected.add("key %s answered %s: %s".formatted(key, kind, response.body()));
            }
            return false;
        }
        retries.computeIfAbsent(kind, k -> new LongAdder()).increment();
        return true;
    }

    private void checkReplay(String url, String key, String body) {
        for (int attempt = 0; attempt < 50; attempt++) {
            HttpResponse<String> replay = send(url, key);
            if (replay != null && replay.statusCode() == 200) {
                String problem = Checker.replay(key, body, replay.body(),
                        "true".equals(replay.headers().firstValue("Idempotent-Replayed").orElse(null)));
                if (problem != null) {
                    synchronized (this) {
                        replayMismatches.add(problem);
                    }
                }
                return;
            }
            if (!retried(key, replay)) {
                return;
            }
            AppProcess.sleep(Duration.ofMillis(20));
        }
    }

    private HttpResponse<String> send(String url, String key) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
            .timeout(REQUEST_TIMEOUT)
            .header("Idempotency-Key", key)
            .GET()
            .build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        }
        catch (IOException ex) {
            return null;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    public synchronized List<Answer> answers() {
        return List.copyOf(answers);
    }

    /**
     * Failed attempts by kind ("503", "409", "connection or timeout"), each followed by a
     * retry (replays of answered keys included).
     */
    public Map<String, Long> retries() {
        return retries.entrySet()
            .stream()
            .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> e.getValue().sum()));
    }

    /**
     * Every way the answers break the exactly-once promise, given the counter's value
     * before the clients started and its value now: each key one block, no number in two
     * blocks, real-time order, and no gap: the blocks cover
     * {@code before + 1 .. storedNow} exactly. Empty when the promise held.
     */
    public synchronized List<String> violations(long before, long storedNow) {
        List<String> violations = new ArrayList<>(replayMismatches);
        violations.addAll(garbled);
        violations.addAll(unexpected);
        violations.addAll(violations(answers, before, storedNow));
        return violations;
    }

    /**
     * The checks of {@link #violations(long, long)} on answers alone: the load tester's
     * keyed checks.
     */
    static List<String> violations(List<Answer> answers, long before, long storedNow) {
        IssuedNumbers spans = new IssuedNumbers();
        answers.forEach(answer -> spans.record(answer.client(), answer.firstSentNanos(), answer.receivedNanos(),
                answer.first(), answer.last()));
        return spans.keyedViolations(before, storedNow);
    }

    /**
     * Lets the clients finish the key each is on, then stops them; bounded by the
     * one-minute limit.
     */
    @Override
    public void close() {
        running.set(false);
        threads.close();
    }

}
