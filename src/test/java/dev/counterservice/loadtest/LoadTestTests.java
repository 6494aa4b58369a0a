package dev.counterservice.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

import dev.counterservice.testing.LoadTesterRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves that {@code bench/LoadTest.java} catches what it claims to on plain counters:
 * each test runs the tester against a fake counter that is either correct or wrong in one
 * deliberate way (a number twice, an overlapping block, numbers out of real-time or
 * per-client order, a malformed body, all refused), and checks the exit status and what
 * the tester printed.
 */
class LoadTestTests extends LoadTesterHarness {

    @TempDir
    Path work;

    @Test
    void passesACorrectCounterRunFromItsSourceFileAndWritesTheReport() throws Exception {
        AtomicLong value = new AtomicLong();
        AtomicLong requests = new AtomicLong();
        // Chunked bodies, and now and then Connection: close, which the tester must
        // follow by reconnecting
        start(exchange -> {
            int count = count(exchange);
            long last = value.addAndGet(count);
            if (requests.incrementAndGet() % 20 == 0) {
                exchange.getResponseHeaders().set("Connection", "close");
            }
            reply(exchange, 200, numbers(last - count + 1, last), true);
        });
        Path report = work.resolve("report.html");

        // Two seconds, so that a whole second is reported on its own line
        LoadTesterRun run = runFromSource("--count", "3", "--report", report.toString(), "--duration", "2");

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.resultLine()).contains(" errors=0 ", " violations=0 ", "verdict=PASS");
        assertThat(run.field("numbers")).isEqualTo(3 * run.field("ok")).isPositive();
        assertThat(run.output()).containsPattern("(?m)^ +1s +\\d+ req/s");
        assertThat(Files.readString(report)).contains("<svg", "PASS", "p99");
    }

    @Test
    void reportsANumberHandedOutTwice() throws Exception {
        AtomicLong value = new AtomicLong();
        start(exchange -> {
            long number = value.incrementAndGet();
            long handedOut = number % 100 == 0 ? number - 1 : number;
            reply(exchange, 200, numbers(handedOut, handedOut), false);
        });

        LoadTesterRun run = run();

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("duplicates")).isPositive();
        assertThat(run.output()).contains("duplicate: number 99 handed out twice", "verdict=FAIL");
    }

    @Test
    void reportsABlockThatOverlapsTheBlockBeforeIt() throws Exception {
        AtomicLong value = new AtomicLong();
        AtomicLong requests = new AtomicLong();
        // Every 50th block of five starts at the last number of the block before it
        start(exchange -> {
            long first;
            synchronized (value) {
                first = requests.incrementAndGet() % 50 == 0 ? value.get() : value.get() + 1;
                value.set(first + 4);
            }
            reply(exchange, 200, numbers(first, first + 4), false);
        });

        LoadTesterRun run = run("--count", "5");

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("duplicates")).isPositive();
        assertThat(run.output()).containsPattern("duplicate: number \\d+ handed out twice: .* got \\d+\\.\\.\\d+");
    }

    @Test
    void reportsNumbersThatBreakRealTimeOrderAcrossClients() throws Exception {
        // Unique and increasing per client, yet a client on a low range is handed numbers
        // below what a client on
        // a higher range already received
        startWithARangePerConnection(AtomicLong::incrementAndGet);

        LoadTesterRun run = run();

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("duplicates")).isZero();
        assertThat(run.field("client_order")).isZero();
        assertThat(run.field("realtime")).isPositive();
        assertThat(run.output()).contains("real-time order: client ");
    }

    @Test
    void reportsAClientWhoseNumbersGoBackwards() throws Exception {
        startWithARangePerConnection(AtomicLong::decrementAndGet);

        LoadTesterRun run = run();

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("duplicates")).isZero();
        assertThat(run.field("client_order")).isPositive();
        assertThat(run.output()).contains("per-client order: client ");
    }

    @Test
    void reportsABodyThatIsNotTheBlockAskedFor() throws Exception {
        AtomicLong value = new AtomicLong();
        // Three numbers with a gap in the middle: 1, 2, 4
        start(exchange -> {
            long first = value.getAndAdd(4) + 1;
            reply(exchange, 200, first + "\n" + (first + 1) + "\n" + (first + 3) + "\n", false);
        });

        LoadTesterRun run = run("--count", "3");

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("malformed")).isPositive();
        assertThat(run.output()).containsPattern("line 3 is \\d+ where \\d+ should follow");
    }

    @Test
    void failsWhenEveryRequestIsRefused() throws Exception {
        start(exchange -> {
            exchange.getResponseHeaders().set("Retry-After", "1");
            reply(exchange, 503, "{\"status\":503}", false);
        });

        LoadTesterRun run = run();

        assertThat(run.exit()).as(run.output()).isEqualTo(3);
        assertThat(run.field("ok")).isZero();
        assertThat(run.output()).contains("HTTP 503: ", "verdict=UNCHECKED");
    }

    @Test
    void checksEachOfSeveralCountersApartSoTheSameNumberOnTwoCountersIsNoDuplicate() throws Exception {
        Map<String, AtomicLong> counters = startCounters(null);

        LoadTesterRun run = run("--counter", "c", "--counters", "10");

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.resultLine()).contains(" violations=0 ", " counters=10 counters_failed=0 ", "verdict=PASS");
        assertThat(counters).as("each created, then served")
            .hasSize(10)
            .allSatisfy((name, value) -> assertThat(value).hasPositiveValue());
    }

    @Test
    void reportsANumberOneOfSeveralCountersHandedOutTwiceNamingTheCounter() throws Exception {
        startCounters("c-3");

        LoadTesterRun run = run("--counter", "c", "--counters", "10");

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.resultLine()).contains(" counters=10 counters_failed=1 ");
        assertThat(run.output()).contains("counter c-3: duplicate");
    }

    /**
     * Fake counters under {@code /counters/NAME}: PUT creates one, {@code /next} takes
     * its next number; the one named {@code repeating} hands out every tenth number
     * twice.
     */
    private Map<String, AtomicLong> startCounters(String repeating) throws IOException {
        Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
        start(exchange -> reply(exchange, 404, "{}", false));
        serve("/counters/", exchange -> {
            String[] path = exchange.getRequestURI().getPath().split("/");
            if (exchange.getRequestMethod().equals("PUT")) {
                counters.putIfAbsent(path[2], new AtomicLong());
                reply(exchange, 201, "0\n", false);
                return;
            }
            long number = counters.get(path[2]).incrementAndGet();
            long handedOut = path[2].equals(repeating) && number % 10 == 0 ? number - 1 : number;
            reply(exchange, 200, numbers(handedOut, handedOut), false);
        });
        return counters;
    }

    /**
     * A fake where each connection draws from its own range, a billion apart, moving by
     * {@code step}.
     */
    private void startWithARangePerConnection(ToLongFunction<AtomicLong> step) throws IOException {
        Map<String, AtomicLong> connections = new ConcurrentHashMap<>();
        AtomicLong ranges = new AtomicLong();
        start(exchange -> {
            AtomicLong own = connections.computeIfAbsent(exchange.getRemoteAddress().toString(),
                    key -> new AtomicLong(ranges.incrementAndGet() * 1_000_000_000L));
            long number = step.applyAsLong(own);
            reply(exchange, 200, numbers(number, number), false);
        });
    }

}
