package dev.counterservice.loadtest;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToLongFunction;

import javax.tools.ToolProvider;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.counterservice.testing.LoadTesterRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves that {@code bench/LoadTest.java} catches what it claims to: each test runs the
 * load tester for two seconds, as a separate process, against a tiny fake counter that is
 * either correct or wrong in one deliberate way, and checks the exit status and what the
 * tester printed. With {@code --idempotency-keys} the fake keeps keys, and is wrong by
 * giving a key two blocks, not marking a replay, leaving a gap, or never answering a key.
 * A fake daily counter moves to the next day every {@value DailyCounter#PER_DAY} numbers,
 * so that a one-second run crosses many periods.
 */
class LoadTestTests {

    private static final Path SOURCE = Path.of("bench", "LoadTest.java");

    @TempDir
    static Path classes;

    @TempDir
    Path work;

    private HttpServer server;

    private ExecutorService executor;

    /**
     * Compiled once, so that each test pays for a JVM start but not for compiling the
     * tester again; from its sources alone (an empty class path), as users compile it.
     */
    @BeforeAll
    static void compile() {
        int status = ToolProvider.getSystemJavaCompiler()
            .run(null, null, null, "-d", classes.toString(), "-cp", classes.toString(), "-sourcepath",
                    SOURCE.getParent().toString(), SOURCE.toString());
        assertThat(status).as("javac " + SOURCE).isZero();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
        if (executor != null) {
            executor.close();
        }
    }

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

    interface Handler {

        void handle(HttpExchange exchange) throws IOException;

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

    @Test
    void passesAKeyedCounterWithPeriodsAcrossPeriodChangesCreatingItWithTheSettingsGiven() throws Exception {
        DailyCounter counter = startDaily(DailyCounter.Fault.NONE);

        LoadTesterRun run = run("--counter", "series", "--counters", "1", "--period", "daily", "--time-zone",
                "Europe/Paris", "--format", "T-{period}-{value:04}", "--audit", "--idempotency-keys", "--count", "2");

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.resultLine()).contains(" violations=0 ", " malformed=0 ", " unanswered=0 ", " gaps=0 ",
                "gapless_checked=true", "verdict=PASS");
        assertThat(run.field("periods")).isGreaterThan(2);
        assertThat(run.field("replays")).isPositive();
        assertThat(counter.settings.get()).isEqualTo(
                "{\"period\":\"daily\",\"timeZone\":\"Europe/Paris\",\"format\":\"T-{period}-{value:04}\",\"audit\":true}");
    }

    @Test
    void reportsAPairThatGoesBackToTheEarlierPeriod() throws Exception {
        LoadTesterRun run = runDaily(DailyCounter.Fault.BACKWARDS);

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("duplicates")).isZero();
        assertThat(run.field("client_order") + run.field("realtime")).isPositive();
        assertThat(run.output()).containsPattern("got \\d+ in \\d{4}-\\d\\d-\\d\\d.* got \\d+ in \\d{4}-\\d\\d-\\d\\d");
    }

    @Test
    void reportsAPairHandedOutTwiceWhereAPeriodStarts() throws Exception {
        LoadTesterRun run = runDaily(DailyCounter.Fault.FIRST_TWICE);

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("duplicates")).as(run.output()).isPositive();
        assertThat(run.output()).containsPattern("duplicate: number 1 handed out twice: .* got 1 in \\d{4}-");
    }

    @Test
    void reportsAFormattedTextThatIsNotItsNumberAndAnAnswerWithoutAPeriod() throws Exception {
        LoadTesterRun run = runDaily(DailyCounter.Fault.WRONG_TEXT);

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("malformed")).isPositive();
        assertThat(run.output()).containsPattern("formatted T-\\S+ does not hold its number \\d+")
            .contains("with no period: ");
    }

    /**
     * A fake daily counter {@code series-0} that answers JSON as the service does, with
     * the formatted text of {@code T-{period}-{value:04}}: PUT keeps the settings sent,
     * GET gives the value and period, {@code /next} takes the next number (replaying a
     * key's answer), starting the next day at 1 after {@value #PER_DAY} numbers.
     */
    static final class DailyCounter {

        static final int PER_DAY = 100;

        enum Fault {

            NONE,
            /** Every 50th answer is a new number of the day before. */
            BACKWARDS,
            /** Each day's number 1 is handed out twice. */
            FIRST_TWICE,
            /**
             * Every 50th answer's text holds another number, every 70th names no period.
             */
            WRONG_TEXT

        }

        final AtomicReference<String> settings = new AtomicReference<>();

        final Map<String, String> bodies = new ConcurrentHashMap<>();

        private final Fault fault;

        private LocalDate day = LocalDate.of(2026, 12, 7);

        private long value;

        private long answers;

        private long late = PER_DAY;

        private LocalDate repeated;

        DailyCounter(Fault fault) {
            this.fault = fault;
        }

        synchronized String take(int count) {
            answers++;
            if (fault == Fault.BACKWARDS && answers % 50 == 0) {
                late += count;
                return answer(day.minusDays(1).toString(), late - count + 1, late, 0);
            }
            if (value + count > PER_DAY) {
                day = day.plusDays(1);
                value = 0;
            }
            long first = value + 1;
            value += count;
            long last = value;
            if (fault == Fault.FIRST_TWICE && first == 1 && !day.equals(repeated)) {
                repeated = day;
                value = 0;
            }
            String period = fault == Fault.WRONG_TEXT && answers % 70 == 0 ? null : day.toString();
            return answer(period, first, last, fault == Fault.WRONG_TEXT && answers % 50 == 0 ? 1 : 0);
        }

        synchronized String stored() {
            return "{\"counter\":\"series-0\",\"value\":" + value + ",\"start\":0,\"period\":\"daily\","
                    + "\"currentPeriod\":\"" + day + "\"}";
        }

        /** The JSON of a block, its formatted texts off by {@code skew}. */
        private static String answer(String period, long first, long last, long skew) {
            List<String> texts = new ArrayList<>();
            for (long number = first; number <= last; number++) {
                texts.add(String.format("\"T-%s-%04d\"", period, number + skew));
            }
            String named = period == null ? "" : ",\"period\":\"" + period + "\"";
            return first == last
                    ? "{\"counter\":\"series-0\"" + named + ",\"value\":" + first + ",\"formatted\":" + texts.getFirst()
                            + "}"
                    : "{\"counter\":\"series-0\"" + named + ",\"first\":" + first + ",\"last\":" + last + ",\"count\":"
                            + (last - first + 1) + ",\"formatted\":[" + String.join(",", texts) + "]}";
        }

    }

    /** A run against a faulty daily counter, without keys. */
    private LoadTesterRun runDaily(DailyCounter.Fault fault) throws IOException {
        startDaily(fault);
        return run("--counter", "series", "--counters", "1", "--period", "daily");
    }

    private DailyCounter startDaily(DailyCounter.Fault fault) throws IOException {
        DailyCounter counter = new DailyCounter(fault);
        start(exchange -> reply(exchange, 404, "{}", false));
        server.createContext("/counters/series-0", exchange -> {
            try (exchange) {
                if (exchange.getRequestMethod().equals("PUT")) {
                    counter.settings.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                    reply(exchange, 201, counter.stored(), false);
                }
                else if (exchange.getRequestURI().getPath().endsWith("/next")) {
                    String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
                    boolean stored = key != null && counter.bodies.containsKey(key);
                    String body = key == null ? counter.take(count(exchange))
                            : counter.bodies.computeIfAbsent(key, k -> counter.take(count(exchange)));
                    replyToKey(exchange, body, stored);
                }
                else {
                    reply(exchange, 200, counter.stored(), false);
                }
            }
        });
        return counter;
    }

    /**
     * Fake counters under {@code /counters/NAME}: PUT creates one, {@code /next} takes
     * its next number; the one named {@code repeating} hands out every tenth number
     * twice.
     */
    private Map<String, AtomicLong> startCounters(String repeating) throws IOException {
        Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
        start(exchange -> reply(exchange, 404, "{}", false));
        server.createContext("/counters/", exchange -> {
            try (exchange) {
                String[] path = exchange.getRequestURI().getPath().split("/");
                if (exchange.getRequestMethod().equals("PUT")) {
                    counters.putIfAbsent(path[2], new AtomicLong());
                    reply(exchange, 201, "0\n", false);
                    return;
                }
                long number = counters.get(path[2]).incrementAndGet();
                long handedOut = path[2].equals(repeating) && number % 10 == 0 ? number - 1 : number;
                reply(exchange, 200, numbers(handedOut, handedOut), false);
            }
        });
        return counters;
    }

    private void start(Handler handler) throws IOException {
        executor = Executors.newVirtualThreadPerTaskExecutor();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        server.setExecutor(executor);
        server.createContext("/next", exchange -> {
            try (exchange) {
                handler.handle(exchange);
            }
        });
        server.start();
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
        server.createContext("/counters/default", exchange -> {
            try (exchange) {
                reply(exchange, 200, counter.value.get() + "\n", false);
            }
        });
        return counter;
    }

    private static void replyToKey(HttpExchange exchange, String body, boolean replayed) throws IOException {
        if (replayed) {
            exchange.getResponseHeaders().set("Idempotent-Replayed", "true");
        }
        reply(exchange, 200, body, false);
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

    private static int count(HttpExchange exchange) {
        String query = exchange.getRequestURI().getQuery();
        return query == null ? 1 : Integer.parseInt(query.substring("count=".length()));
    }

    private static String numbers(long first, long last) {
        StringBuilder body = new StringBuilder();
        for (long number = first; number <= last; number++) {
            body.append(number).append('\n');
        }
        return body.toString();
    }

    private static void reply(HttpExchange exchange, int status, String body, boolean chunked) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", status == 200 ? "text/plain" : "application/problem+json");
        exchange.sendResponseHeaders(status, chunked ? 0 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private LoadTesterRun run(String... options) {
        return launch(List.of(LoadTesterRun.JAVA, "-cp", classes.toString(), "LoadTest"), options);
    }

    /** The way users and the benchmark run it: {@code java bench/LoadTest.java ...}. */
    private LoadTesterRun runFromSource(String... options) {
        return launch(List.of(LoadTesterRun.JAVA, SOURCE.toString()), options);
    }

    private LoadTesterRun launch(List<String> command, String... options) {
        List<String> line = new ArrayList<>(command);
        line.addAll(List.of("--url", "http://127.0.0.1:" + server.getAddress().getPort(), "--clients", "8",
                "--duration", "1", "--timeout", "2"));
        line.addAll(List.of(options));
        return LoadTesterRun.run(line, Duration.ofSeconds(60));
    }

}
