package dev.counterservice.loadtest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.counterservice.testing.LoadTesterRun;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves the load tester's {@code --idempotency-keys} checks: the fake counter keeps
 * keys, and is either correct through ambiguous failures or wrong by giving a key two
 * blocks, not marking a replay, leaving a gap, or never answering a key.
 */
class LoadTestIdempotencyKeyTests extends LoadTesterHarness {

    @Test
    void passesACorrectKeyedCounterThroughAmbiguousFailuresRetryingEachKey() throws Exception {
        // Every seventh new key is stored and then answered 503, as after a commit whose
        // answer was lost, and every
        // eleventh request is refused with 409: the tester must retry those keys and be
        // replayed their blocks
        KeyedCounter counter = startKeyed((fake, exchange, key, count) -> {
            if (fake.requests.incrementAndGet() % 11 == 0) {
                reply(exchange, 409, "{\"status\":409}", false);
                return;
            }
            boolean stored = fake.bodies.containsKey(key);
            String body = fake.bodies.computeIfAbsent(key, k -> fake.take(count));
            if (!stored && fake.requests.get() % 7 == 0) {
                reply(exchange, 503, "{\"status\":503}", false);
                return;
            }
            replyToKey(exchange, body, stored);
        });

        LoadTesterRun run = run("--idempotency-keys", "--count", "2");

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.resultLine()).contains(" violations=0 ", " bad_replays=0 ", " unanswered=0 ", " gaps=0 ",
                "gapless_checked=true", "verdict=PASS");
        assertThat(run.field("http_errors")).isPositive();
        assertThat(run.field("replays")).isPositive();
        assertThat(run.field("highest")).isEqualTo(counter.value.get());
        assertThat(run.field("numbers")).isEqualTo(counter.value.get());
    }

    @Test
    void retriesAKeyOnTheNextUrl() throws Exception {
        startKeyed((fake, exchange, key, count) -> {
            boolean stored = fake.bodies.containsKey(key);
            replyToKey(exchange, fake.bodies.computeIfAbsent(key, k -> fake.take(count)), stored);
        });
        // Half the clients start on an instance that refuses everything: only a retry
        // elsewhere answers their keys
        HttpServer refusing = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        refusing.createContext("/next", exchange -> {
            try (exchange) {
                reply(exchange, 503, "{\"status\":503}", false);
            }
        });
        refusing.start();
        try {
            LoadTesterRun run = run("--idempotency-keys", "--url",
                    "http://127.0.0.1:" + refusing.getAddress().getPort());

            assertThat(run.exit()).as(run.output()).isZero();
            assertThat(run.resultLine()).contains(" unanswered=0 ", " gaps=0 ", "gapless_checked=true", "verdict=PASS");
            assertThat(run.field("http_errors")).isPositive();
        }
        finally {
            refusing.stop(0);
        }
    }

    @Test
    void reportsAKeyGivenTwoDifferentBlocks() throws Exception {
        // Forgets every key: the replay of an answered key takes a new block
        startKeyed((fake, exchange, key, count) -> replyToKey(exchange, fake.take(count), false));

        LoadTesterRun run = run("--idempotency-keys");

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("bad_replays")).isPositive();
        assertThat(run.field("duplicates")).isZero();
        assertThat(run.output()).containsPattern("replay: key \\S+ was answered \\d+, then \\d+");
    }

    @Test
    void reportsAReplayNotMarkedAsOne() throws Exception {
        startKeyed((fake, exchange, key, count) -> replyToKey(exchange,
                fake.bodies.computeIfAbsent(key, k -> fake.take(count)), false));

        LoadTesterRun run = run("--idempotency-keys");

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("bad_replays")).isPositive();
        assertThat(run.field("gaps")).isZero();
        assertThat(run.output()).contains("answered again without Idempotent-Replayed: true");
    }

    @Test
    void reportsAGapLeftByAKeyWhoseNumbersWereTakenButNotStored() throws Exception {
        // Every fiftieth new key takes a block and answers 503 without storing the key:
        // its retry takes another
        startKeyed((fake, exchange, key, count) -> {
            boolean stored = fake.bodies.containsKey(key);
            if (!stored && fake.requests.incrementAndGet() % 50 == 0) {
                fake.take(count);
                reply(exchange, 503, "{\"status\":503}", false);
                return;
            }
            replyToKey(exchange, fake.bodies.computeIfAbsent(key, k -> fake.take(count)), stored);
        });

        LoadTesterRun run = run("--idempotency-keys");

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("gaps")).isPositive();
        assertThat(run.field("duplicates")).isZero();
        assertThat(run.field("bad_replays")).isZero();
        assertThat(run.output()).containsPattern("gap: numbers (\\d+)\\.\\.\\1 belong to no key");
    }

    @Test
    void reportsAKeyThatIsNeverAnswered() throws Exception {
        // One key is refused with 409 for ever
        AtomicReference<String> stuck = new AtomicReference<>();
        startKeyed((fake, exchange, key, count) -> {
            if (key.equals(stuck.updateAndGet(first -> first == null ? key : first))) {
                reply(exchange, 409, "{\"status\":409}", false);
                return;
            }
            boolean stored = fake.bodies.containsKey(key);
            replyToKey(exchange, fake.bodies.computeIfAbsent(key, k -> fake.take(count)), stored);
        });

        LoadTesterRun run = run("--idempotency-keys", "--retry-grace", "1");

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("unanswered")).isEqualTo(1);
        assertThat(run.output()).contains("unanswered: key " + stuck.get() + " ");
    }

    /**
     * A fake counter that keeps keys: {@code bodies} by key, and the value
     * {@code GET /counters/default} reads.
     */
    static final class KeyedCounter {

        final AtomicLong value = new AtomicLong();

        final AtomicLong requests = new AtomicLong();

        final Map<String, String> bodies = new ConcurrentHashMap<>();

        /** Takes the next {@code count} numbers. */
        synchronized String take(int count) {
            long last = value.addAndGet(count);
            return numbers(last - count + 1, last);
        }

    }

    interface KeyedHandler {

        void handle(KeyedCounter counter, HttpExchange exchange, String key, int count) throws IOException;

    }

    /**
     * Serves {@code /next} with the key each request carries, and
     * {@code /counters/default} with the value.
     */
    private KeyedCounter startKeyed(KeyedHandler handler) throws IOException {
        KeyedCounter counter = new KeyedCounter();
        start(exchange -> handler.handle(counter, exchange, exchange.getRequestHeaders().getFirst("Idempotency-Key"),
                count(exchange)));
        serve("/counters/default", exchange -> {
            reply(exchange, 200, counter.value.get() + "\n", false);
        });
        return counter;
    }

}
