package dev.counterservice.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;
import dev.counterservice.testing.AppProcess;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With {@code logging.structured.format.console=ecs} (the chart's
 * {@code logFormat: json}) every line the service writes is one JSON object, and a line
 * logged while serving a request names its counter and, with tracing on, its trace id.
 * Tracing is turned on as a user does, with an OTLP endpoint: a loopback receiver that
 * only counts what the exporter posts to it.
 */
class JsonLogsIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.shared();

    @Test
    void everyLineIsJsonAndARequestsLineCarriesItsCounterAndTraceId() throws Exception {
        TestDatabase database = TestDatabase.shared();
        AtomicInteger exports = new AtomicInteger();
        HttpServer collector = otlpReceiver(exports);
        try (AppProcess app = AppProcess.start(database,
                Map.of("logging.structured.format.console", "ecs", "counter.names", "logged", "counter.timeout", "1s",
                        "management.opentelemetry.tracing.export.otlp.endpoint",
                        "http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/traces",
                        "management.opentelemetry.tracing.export.schedule-delay", "100ms",
                        "management.tracing.sampling.probability", "1.0"))) {
            app.awaitReady(Duration.ofSeconds(60));
            HttpResponse<String> unavailable;
            // A row held by another transaction past counter.timeout: the service answers
            // 503 and logs a warning
            try (Connection holder = DriverManager.getConnection(database.jdbcUrl(), database.username(),
                    database.password())) {
                holder.setAutoCommit(false);
                holder.createStatement().execute("SELECT value FROM counter WHERE name = 'logged' FOR UPDATE");
                unavailable = app.send("GET", "/counters/logged/next");
                holder.rollback();
            }
            assertThat(unavailable.statusCode()).isEqualTo(503);

            List<JsonNode> lines = app.output().lines().map(JSON::readTree).toList();
            assertThat(lines).isNotEmpty().allSatisfy(line -> assertThat(line.at("/log/level").isString()).isTrue());
            JsonNode warning = lines.stream()
                .filter(line -> line.path("message").asString().startsWith("Answering 503"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no 503 warning in " + lines));
            assertThat(warning.path("counter").asString()).as("%s", warning).isEqualTo("logged");
            assertThat(warning.path("traceId").asString()).as("%s", warning).matches("[0-9a-f]{32}");
            awaitExport(exports);
        }
        finally {
            collector.stop(0);
        }
    }

    private static HttpServer otlpReceiver(AtomicInteger exports) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/v1/traces", exchange -> {
                exchange.getRequestBody().readAllBytes();
                exports.incrementAndGet();
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            server.start();
            return server;
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static void awaitExport(AtomicInteger exports) {
        await("spans posted to the OTLP endpoint").atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(50))
            .until(() -> exports.get() > 0);
    }

}
