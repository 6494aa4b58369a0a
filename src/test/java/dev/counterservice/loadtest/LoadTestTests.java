package dev.counterservice.loadtest;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.tools.ToolProvider;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves that {@code bench/LoadTest.java} catches what it claims to: each test runs the load tester for two seconds,
 * as a separate process, against a tiny fake counter that is either correct or wrong in one deliberate way, and
 * checks the exit status and what the tester printed.
 */
class LoadTestTests {

    private static final Path SOURCE = Path.of("bench", "LoadTest.java");

    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private static final Pattern RESULT = Pattern.compile("^RESULT .*$", Pattern.MULTILINE);

    @TempDir
    static Path classes;

    @TempDir
    Path work;

    private HttpServer server;

    private ExecutorService executor;

    /**
     * Compiled once, so that each test pays for a JVM start but not for compiling the tester again; from its
     * sources alone (an empty class path), as users compile it.
     */
    @BeforeAll
    static void compile() {
        int status = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(),
                "-cp", classes.toString(), "-sourcepath", SOURCE.getParent().toString(), SOURCE.toString());
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
        // Chunked bodies, and now and then Connection: close, which the tester must follow by reconnecting
        start(exchange -> {
            int count = count(exchange);
            long last = value.addAndGet(count);
            if (requests.incrementAndGet() % 20 == 0) {
                exchange.getResponseHeaders().set("Connection", "close");
            }
            reply(exchange, 200, numbers(last - count + 1, last), true);
        });
        Path report = work.resolve("report.html");

        Run run = runFromSource("--count", "3", "--report", report.toString());

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.result()).contains(" errors=0 ", " violations=0 ", "verdict=PASS");
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

        Run run = run();

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

        Run run = run("--count", "5");

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("duplicates")).isPositive();
        assertThat(run.output()).containsPattern("duplicate: number \\d+ handed out twice: .* got \\d+\\.\\.\\d+");
    }

    @Test
    void reportsNumbersThatBreakRealTimeOrderAcrossClients() throws Exception {
        // Unique and increasing per client, yet a client on a low range is handed numbers below what a client on
        // a higher range already received
        startWithARangePerConnection(AtomicLong::incrementAndGet);

        Run run = run();

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("duplicates")).isZero();
        assertThat(run.field("client_order")).isZero();
        assertThat(run.field("realtime")).isPositive();
        assertThat(run.output()).contains("real-time order: client ");
    }

    @Test
    void reportsAClientWhoseNumbersGoBackwards() throws Exception {
        startWithARangePerConnection(AtomicLong::decrementAndGet);

        Run run = run();

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

        Run run = run("--count", "3");

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

        Run run = run();

        assertThat(run.exit()).as(run.output()).isEqualTo(3);
        assertThat(run.field("ok")).isZero();
        assertThat(run.output()).contains("HTTP 503: ", "verdict=UNCHECKED");
    }

    interface Handler {

        void handle(HttpExchange exchange) throws IOException;
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

    /** A fake where each connection draws from its own range, a billion apart, moving by {@code step}. */
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

    private Run run(String... options) throws Exception {
        return launch(List.of(JAVA, "-cp", classes.toString(), "LoadTest"), options);
    }

    /** The way users and the benchmark run it: {@code java bench/LoadTest.java ...}. */
    private Run runFromSource(String... options) throws Exception {
        return launch(List.of(JAVA, SOURCE.toString()), options);
    }

    private Run launch(List<String> command, String... options) throws Exception {
        List<String> line = new ArrayList<>(command);
        line.addAll(List.of("--url", "http://127.0.0.1:" + server.getAddress().getPort(), "--clients", "8",
                "--duration", "2", "--timeout", "2"));
        line.addAll(List.of(options));
        Path output = work.resolve("output.txt");
        Process process = new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the load tester ran past 60 s: " + Files.readString(output));
        }
        return new Run(process.exitValue(), Files.readString(output));
    }

    record Run(int exit, String output) {

        String result() {
            Matcher matcher = RESULT.matcher(output);
            assertThat(matcher.find()).as("a RESULT line in:%n%s", output).isTrue();
            return matcher.group() + " ";
        }

        long field(String name) {
            Matcher matcher = Pattern.compile(" " + name + "=(\\d+) ").matcher(result());
            assertThat(matcher.find()).as(name + " in " + result()).isTrue();
            return Long.parseLong(matcher.group(1));
        }
    }
}
