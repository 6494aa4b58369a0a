package dev.counterservice.loadtest;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import javax.tools.ToolProvider;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.counterservice.testing.LoadTesterRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the {@code LoadTest*Tests} share: {@code bench/LoadTest.java} compiled once per
 * class, a tiny fake counter on loopback that each test makes correct or wrong in one
 * deliberate way, and a run of the tester, for one second as a separate process, against
 * it.
 */
abstract class LoadTesterHarness {

    static final Path SOURCE = Path.of("bench", "LoadTest.java");

    @TempDir
    static Path classes;

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

    interface Handler {

        void handle(HttpExchange exchange) throws IOException;

    }

    /** Starts the fake counter, serving {@code /next} with {@code next}. */
    void start(Handler next) throws IOException {
        executor = Executors.newVirtualThreadPerTaskExecutor();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        server.setExecutor(executor);
        serve("/next", next);
        server.start();
    }

    /** Serves the paths under {@code path} too, on the started fake. */
    void serve(String path, Handler handler) {
        server.createContext(path, exchange -> {
            try (exchange) {
                handler.handle(exchange);
            }
        });
    }

    static int count(HttpExchange exchange) {
        String query = exchange.getRequestURI().getQuery();
        return query == null ? 1 : Integer.parseInt(query.substring("count=".length()));
    }

    /** The plain-text body of a block: one number a line. */
    static String numbers(long first, long last) {
        StringBuilder body = new StringBuilder();
        for (long number = first; number <= last; number++) {
            body.append(number).append('\n');
        }
        return body.toString();
    }

    static void reply(HttpExchange exchange, int status, String body, boolean chunked) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", status == 200 ? "text/plain" : "application/problem+json");
        exchange.sendResponseHeaders(status, chunked ? 0 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    static void replyToKey(HttpExchange exchange, String body, boolean replayed) throws IOException {
        if (replayed) {
            exchange.getResponseHeaders().set("Idempotent-Replayed", "true");
        }
        reply(exchange, 200, body, false);
    }

    LoadTesterRun run(String... options) {
        return launch(List.of(LoadTesterRun.JAVA, "-cp", classes.toString(), "LoadTest"), options);
    }

    /** The way users and the benchmark run it: {@code java bench/LoadTest.java ...}. */
    LoadTesterRun runFromSource(String... options) {
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
