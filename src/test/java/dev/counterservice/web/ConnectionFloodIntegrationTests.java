package dev.counterservice.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.counterservice.testing.AppProcess;
import dev.counterservice.testing.RawHttp;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The "slowloris" pattern against default settings: one client holds 9,000 connections,
 * each with half a request line that grows by a byte every few seconds so that no read
 * time-out fires, while a fresh client (a new connection per request) takes a number
 * every 100 ms. Each must be answered in under a second: while the connections are
 * opened, held past the connection time-out, and then left silent until the server closes
 * them. Measures the heap each one holds: at most the figure the chart's heap is sized
 * from, with which the chart's default connection limit fits in its heap beside the idle
 * service. The service runs in a process of its own: its sockets and the attacker's would
 * not fit in one process's file limit (20,000 on the dev machine).
 */
class ConnectionFloodIntegrationTests {

    private static final int HALF_OPEN = 9_000;

    /**
     * The heap one connection with a request under way may hold: chart/values.yaml sizes
     * the heap from it ({@code http.maxConnections} x 24 KB well under the heap), as does
     * docs/security.md.
     */
    private static final double HEAP_PER_CONNECTION_KB = 24;

    /** server.tomcat.connection-timeout in application.properties. */
    private static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(10);

    private static final byte[] NEXT = "GET /next HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        .getBytes(StandardCharsets.US_ASCII);

    @Test
    void freshClientsAreAnsweredWithinASecondWhileNineThousandHalfOpenConnectionsAreHeld() throws Exception {
        try (AppProcess app = AppProcess.start(TestDatabase.shared(), Map.of()).awaitReady(Duration.ofSeconds(120))) {
            Memory idle = Memory.of(app);
            FreshClient freshClient = new FreshClient(app);
            try (freshClient;
                    HalfOpenConnections flood = HalfOpenConnections.start(app.baseUrl(), HALF_OPEN,
                            CONNECTION_TIMEOUT.dividedBy(2))) {
                assertThat(flood.awaitAllOpen(Duration.ofSeconds(90)))
                    .as("%d half-open connections open (%d attempts failed)", flood.open(), flood.failedConnects())
                    .isTrue();
                Memory held = freshClient.pausedFor(() -> Memory.of(app));
                double heapPerConnectionKb = (held.heapKb - idle.heapKb) / (double) HALF_OPEN;
                System.out.printf(
                        "Memory with %d half-open connections: RSS %d -> %d MB (%d KB each), "
                                + "heap after a full GC %d -> %d MB (%.1f KB each)%n",
                        HALF_OPEN, idle.rssKb / 1024, held.rssKb / 1024, (held.rssKb - idle.rssKb) / HALF_OPEN,
                        idle.heapKb / 1024, held.heapKb / 1024, heapPerConnectionKb);
                assertThat(heapPerConnectionKb).as("heap per half-open connection, KB")
                    .isLessThanOrEqualTo(HEAP_PER_CONNECTION_KB);
                ChartSizing chart = ChartSizing.read();
                assertThat(idle.heapKb + chart.maxConnections() * HEAP_PER_CONNECTION_KB)
                    .as("the idle service and http.maxConnections (%d) connections, against the chart's heap (%d MB)",
                            chart.maxConnections(), chart.heapKb() / 1024)
                    .isLessThanOrEqualTo(chart.heapKb());

                freshClient.phase = "holding";
                pause(CONNECTION_TIMEOUT.plusSeconds(5));
                assertThat(flood.open()).as("held past the connection time-out").isEqualTo(HALF_OPEN);
                assertThat(flood.closedByServer()).isZero();

                freshClient.phase = "silent";
                flood.letGo();
                assertThat(flood.awaitAllClosed(CONNECTION_TIMEOUT.plusSeconds(10)))
                    .as("silent connections closed by the server, %d still open", flood.open())
                    .isTrue();
            }
            System.out.printf("Fresh client: %d numbers, slowest %d ms%n", freshClient.millis.size(),
                    freshClient.millis.stream().mapToLong(Long::longValue).max().orElse(-1));
            assertThat(freshClient.slowOrFailed).isEmpty();
            assertThat(freshClient.millis).hasSizeGreaterThan(50);
        }
    }

    /**
     * Takes a number over a new connection every 100 ms, recording how long each took and
     * any slower than a second.
     */
    private static final class FreshClient implements AutoCloseable {

        final List<Long> millis = new CopyOnWriteArrayList<>();

        final List<String> slowOrFailed = new CopyOnWriteArrayList<>();

        volatile String phase = "opening";

        private volatile boolean stopped;

        private final Object notMeasuring = new Object();

        private final Thread thread;

        FreshClient(AppProcess app) {
            this.thread = Thread.ofVirtual().start(() -> {
                while (!stopped) {
                    synchronized (notMeasuring) {
                        long start = System.nanoTime();
                        String failure = takeNumber(app);
                        long elapsed = (System.nanoTime() - start) / 1_000_000;
                        if (failure != null || elapsed >= 1_000) {
                            slowOrFailed
                                .add(phase + ", after " + elapsed + " ms: " + (failure == null ? "200" : failure));
                        }
                        millis.add(elapsed);
                    }
                    pause(Duration.ofMillis(100));
                }
            });
        }

        /**
         * Runs {@code action} with no request in flight: a full collection the test
         * forces is no part of the attack.
         */
        <T> T pausedFor(Supplier<T> action) {
            synchronized (notMeasuring) {
                return action.get();
            }
        }

        @Override
        public void close() throws InterruptedException {
            stopped = true;
            thread.join(Duration.ofSeconds(10));
        }

    }

    /** One number over a new connection; null when it came, else what went wrong. */
    private static String takeNumber(AppProcess app) {
        try {
            RawHttp.Response response = RawHttp.send(app.baseUrl(), NEXT, Duration.ofSeconds(5));
            return response.status() == 200 && response.body().matches("\\d+\n") ? null
                    : response.status() + " " + response.body();
        }
        catch (UncheckedIOException ex) {
            return ex.getCause().toString();
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The chart's defaults: its connection limit, and its heap, the image's
     * {@code MaxRAMPercentage} of the app container's memory limit.
     */
    private record ChartSizing(long maxConnections, long heapKb) {

        @SuppressWarnings("unchecked")
        static ChartSizing read() {
            try {
                Map<String, Map<String, Object>> values = new Yaml(new SafeConstructor(new LoaderOptions()))
                    .load(Files.readString(Path.of("chart/values.yaml")));
                long maxConnections = ((Number) values.get("http").get("maxConnections")).longValue();
                String limit = ((Map<String, String>) values.get("resources").get("limits")).get("memory");
                Matcher memory = Pattern.compile("(\\d+)(Mi|Gi)").matcher(limit);
                Matcher percentage = Pattern.compile("MaxRAMPercentage=(\\d+)")
                    .matcher(Files.readString(Path.of("Dockerfile")));
                assertThat(memory.matches()).as("resources.limits.memory " + limit).isTrue();
                assertThat(percentage.find()).as("MaxRAMPercentage in the Dockerfile").isTrue();
                long limitKb = Long.parseLong(memory.group(1)) * (memory.group(2).equals("Gi") ? 1024 * 1024 : 1024);
                return new ChartSizing(maxConnections, limitKb * Long.parseLong(percentage.group(1)) / 100);
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    }

    /**
     * Resident memory of the process, and its heap in use right after a full collection.
     */
    private record Memory(long rssKb, long heapKb) {

        static Memory of(AppProcess app) {
            try {
                Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
                new ProcessBuilder(jcmd.toString(), Long.toString(app.pid()), "GC.run").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start()
                    .waitFor();
                long heapBytes = app.management("/actuator/prometheus")
                    .body()
                    .lines()
                    .filter(line -> line.startsWith("jvm_memory_used_bytes{area=\"heap\""))
                    .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                    .sum();
                String rss = Files.readAllLines(Path.of("/proc", Long.toString(app.pid()), "status"))
                    .stream()
                    .filter(line -> line.startsWith("VmRSS:"))
                    .findFirst()
                    .orElseThrow();
                return new Memory(Long.parseLong(rss.replaceAll("\\D", "")), heapBytes / 1024);
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
        }
    }

}
