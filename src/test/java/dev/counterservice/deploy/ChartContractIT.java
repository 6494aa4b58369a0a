package dev.counterservice.deploy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.counterservice.testing.TestDatabase;

import tools.jackson.databind.JsonNode;

import static dev.counterservice.deploy.Manifests.container;
import static dev.counterservice.deploy.Manifests.containerPort;
import static dev.counterservice.deploy.Manifests.literalEnv;
import static dev.counterservice.deploy.Manifests.podSpec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proof that the chart and the app agree: the image's entry point (run from the layout the Dockerfile builds)
 * starts with exactly the environment the rendered Deployment gives the container, ConfigMap and Secret resolved,
 * against a real PostgreSQL. Only the database's host and port are swapped for the test database's, and both
 * servers are bound to 127.0.0.1 on free ports (rendered through containerPorts, so the probes follow).
 * The database password reaches the app the way it does in a cluster: the test database's password is the
 * "existing" Secret that the chart's lookup keeps, so it is rendered into the Secret the Deployment refers to.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChartContractIT {

    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Path LOG = Path.of("target/chart-contract-app.log");

    private static TestDatabase database;
    private static Manifests manifests;
    private static JsonNode appContainer;
    private static Process app;

    @BeforeAll
    static void startTheImageWithTheRenderedEnvironment() throws Exception {
        database = TestDatabase.shared();
        String databaseName = URI.create(database.jdbcUrl().substring("jdbc:".length())).getPath().substring(1);
        FakeKubernetesApi.start();
        FakeKubernetesApi.putSecret(Chart.NAMESPACE, "counter-service-postgresql",
                Map.of("password", Base64.getEncoder().encodeToString(database.password().getBytes(StandardCharsets.UTF_8))));
        manifests = Chart.render(ValueSet.DEFAULTS, Map.of(
                "containerPorts.http", freePort(), "containerPorts.management", freePort(),
                "postgresql.auth.username", database.username(), "postgresql.auth.database", databaseName,
                "counter.names[0]", "default", "counter.names[1]", "chart-contract"));
        appContainer = container(manifests.workload("app"), "app");

        Map<String, String> env = containerEnvironment(appContainer);
        String serviceUrl = "jdbc:postgresql://counter-service-postgresql:5432/" + databaseName;
        assertThat(env.get("SPRING_DATASOURCE_URL")).isEqualTo(serviceUrl);
        env.put("SPRING_DATASOURCE_URL", serviceUrl.replace("counter-service-postgresql:5432", database.host() + ":" + database.port()));
        env.put("SERVER_ADDRESS", "127.0.0.1");
        env.put("MANAGEMENT_SERVER_ADDRESS", "127.0.0.1");
        // The JVM sizes itself from the container's memory limit; outside a container, MaxRAM stands in for it.
        // AOTMode=on makes start-up fail unless the image's AOT cache (trained without a database) is usable.
        long memoryLimit = ChartRenderingTests.quantity(appContainer.at("/resources/limits/memory").asString()).longValueExact();
        env.put("JAVA_TOOL_OPTIONS", "-XX:MaxRAM=" + memoryLimit + " -XX:AOTMode=on");

        List<String> command = new ArrayList<>(Dockerfile.read().entrypoint());
        command.set(0, ImageLayout.javaExecutable());
        ProcessBuilder builder = new ProcessBuilder(command).directory(ImageLayout.app().toFile())
                .redirectErrorStream(true).redirectOutput(LOG.toFile());
        builder.environment().clear();
        builder.environment().putAll(env);
        app = builder.start();

        JsonNode startup = appContainer.path("startupProbe");
        Duration budget = Duration.ofSeconds((long) startup.path("periodSeconds").asInt() * startup.path("failureThreshold").asInt());
        Instant deadline = Instant.now().plus(budget);
        while (!probe("startupProbe").equals(200)) {
            if (!app.isAlive() || Instant.now().isAfter(deadline)) {
                throw new AssertionError("the app did not pass its startup probe within " + budget + ":\n" + Files.readString(LOG));
            }
            Thread.sleep(250);
        }
    }

    @AfterAll
    static void stop() {
        FakeKubernetesApi.removeSecret(Chart.NAMESPACE, "counter-service-postgresql");
        if (app != null && app.isAlive()) {
            app.destroyForcibly();
        }
    }

    @Test
    @Order(1)
    void livenessAndReadinessProbesAnswerUpOnTheRenderedPortAndPaths() throws Exception {
        assertThat(probe("livenessProbe")).isEqualTo(200);
        assertThat(probe("readinessProbe")).as("readiness includes the database").isEqualTo(200);
        HttpResponse<String> readiness = get(managementUrl(appContainer.at("/readinessProbe/httpGet/path").asString()), "application/json");
        assertThat(readiness.body()).contains("\"status\":\"UP\"");
    }

    @Test
    @Order(2)
    void nextHandsOutIncreasingNumbersOnTheRenderedHttpPort() throws Exception {
        long first = Long.parseLong(get(appUrl("/next"), "text/plain").body().strip());
        long second = Long.parseLong(get(appUrl("/next"), "text/plain").body().strip());
        assertThat(second).isGreaterThan(first);
        assertThat(get(appUrl("/next"), "application/json").body()).contains("\"counter\":\"default\"");
        assertThat(get(appUrl("/counters/chart-contract/next"), "text/plain").statusCode())
                .as("a counter named in the chart's counter.names exists").isEqualTo(200);
    }

    @Test
    @Order(3)
    void theHelmTestPodsScriptPassesAgainstTheApp() throws Exception {
        assertThat(Path.of("/usr/bin/wget")).as("wget, which the test pod's busybox provides (apt-get install -y wget)").exists();
        JsonNode testPod = manifests.workload("test");
        JsonNode next = podSpec(testPod).path("containers").get(0);
        assertThat(literalEnv(next).get("NEXT_URL")).isEqualTo("http://counter-service:80/next");
        List<String> command = next.path("command").values().stream().map(JsonNode::asString).toList();
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("NEXT_URL", appUrl("/next"));
        Process script = builder.start();
        assertThat(script.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String output = new String(script.getInputStream().readAllBytes());
        assertThat(script.exitValue()).as(output).isZero();
        assertThat(output).matches("(?s)first: \\d+, second: \\d+\\s*");
    }

    @Test
    @Order(4)
    void theWaitForPostgresqlInitContainerFinishesOnceTheDatabaseAnswers() throws Exception {
        JsonNode wait = container(manifests.workload("app"), "wait-for-postgresql");
        Path pgIsReady = Files.list(Path.of("/usr/lib/postgresql")).map(dir -> dir.resolve("bin/pg_isready"))
                .filter(Files::isExecutable).findFirst().orElse(null);
        assertThat(pgIsReady).as("pg_isready, which the postgres image provides (apt-get install -y postgresql)").isNotNull();
        Map<String, String> env = containerEnvironment(wait);
        assertThat(env.get("PGHOST")).isEqualTo("counter-service-postgresql");
        env.put("PGHOST", database.host());
        env.put("PGPORT", String.valueOf(database.port()));
        env.put("PATH", pgIsReady.getParent() + ":/usr/bin:/bin");
        ProcessBuilder builder = new ProcessBuilder(wait.path("command").values().stream().map(JsonNode::asString).toList());
        builder.environment().clear();
        builder.environment().putAll(env);
        Process process = builder.redirectErrorStream(true).start();
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("pg_isready loop ends").isTrue();
        assertThat(process.exitValue()).isZero();
    }

    @Test
    @Order(5)
    void theServiceMonitorsEndpointServesPrometheusMetrics() throws Exception {
        JsonNode endpoint = Chart.render(ValueSet.ALL_FEATURES).only("ServiceMonitor").at("/spec/endpoints/0");
        assertThat(endpoint.path("port").asString()).isEqualTo("management");
        HttpResponse<String> metrics = get(managementUrl(endpoint.path("path").asString()), "text/plain");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("jvm_memory_used_bytes");
    }

    @Test
    @Order(6)
    void residentMemoryStaysWellUnderTheContainerLimitUnderLoad() throws Exception {
        try (ExecutorService clients = Executors.newFixedThreadPool(8)) {
            List<Future<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < 1_500; i++) {
                calls.add(clients.submit(() -> get(appUrl("/next"), "text/plain").statusCode()));
            }
            for (Future<Integer> call : calls) {
                assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo(200);
            }
        }
        long rssKiB = Files.readAllLines(Path.of("/proc/" + app.pid() + "/status")).stream()
                .filter(line -> line.startsWith("VmRSS:")).map(line -> line.replaceAll("\\D", "")).mapToLong(Long::parseLong)
                .findFirst().orElseThrow();
        System.out.printf("chart contract: app RSS after 1500 requests: %d MiB%n", rssKiB / 1024);
        assertThat(rssKiB / 1024).as("RSS in MiB").isLessThan(400);
    }

    @Test
    @Order(7)
    void sigtermEndsTheAppWithinTheTerminationGracePeriod() throws Exception {
        JsonNode pod = podSpec(manifests.workload("app"));
        int budget = pod.path("terminationGracePeriodSeconds").asInt() - appContainer.at("/lifecycle/preStop/sleep/seconds").asInt();
        app.destroy();
        assertThat(app.waitFor(budget, TimeUnit.SECONDS)).as("exited within %d s of SIGTERM", budget).isTrue();
        assertThat(Files.readString(LOG)).contains("Commencing graceful shutdown");
    }

    /** The environment Kubernetes would give the container: envFrom ConfigMaps, then env, refs resolved. */
    private static Map<String, String> containerEnvironment(JsonNode container) {
        Map<String, String> env = new LinkedHashMap<>();
        container.path("envFrom").values().forEach(source -> env.putAll(manifests.configMapData(source.at("/configMapRef/name").asString())));
        for (JsonNode entry : container.path("env")) {
            JsonNode secret = entry.at("/valueFrom/secretKeyRef");
            String value = secret.isMissingNode() ? entry.path("value").asString()
                    : new String(Base64.getDecoder().decode(manifests.get("Secret", secret.path("name").asString())
                            .path("data").path(secret.path("key").asString()).asString()), StandardCharsets.UTF_8);
            env.put(entry.path("name").asString(), value);
        }
        return env;
    }

    private static Integer probe(String probe) {
        try {
            return get(managementUrl(appContainer.path(probe).at("/httpGet/path").asString()), "application/json").statusCode();
        }
        catch (IOException ex) {
            return -1;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private static String managementUrl(String path) {
        return "http://127.0.0.1:" + containerPort(appContainer, "management") + path;
    }

    private static String appUrl(String path) {
        return "http://127.0.0.1:" + containerPort(appContainer, "http") + path;
    }

    private static HttpResponse<String> get(String url, String accept) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Accept", accept).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
