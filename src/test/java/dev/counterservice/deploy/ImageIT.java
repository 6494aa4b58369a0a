package dev.counterservice.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.counterservice.testing.Http;
import dev.counterservice.testing.LoadTesterRun;
import dev.counterservice.testing.Ports;
import dev.counterservice.testing.TestDatabase;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.util.FileSystemUtils;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static dev.counterservice.deploy.Manifests.container;
import static dev.counterservice.deploy.Manifests.containerPort;
import static dev.counterservice.deploy.Manifests.podSpec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The image .ci/containers built from the Dockerfile with podman: the one the chart runs
 * by default.
 */
@Tag("delivery")
class ImageIT {

    private static final Manifests defaults = Chart.render(ValueSet.DEFAULTS);

    private static final String IMAGE = container(defaults.workload("app"), "app").path("image").asString();

    @Test
    void theImageRunsAsTheChartsUserOnTheAppsPortsFromItsAotCache() {
        JsonNode config = JsonMapper.shared()
            .readTree(Podman.run("image", "inspect", "--format", "{{json .Config}}", IMAGE));
        JsonNode pod = podSpec(defaults.workload("app")).path("securityContext");
        assertThat(config.path("User").asString())
            .isEqualTo(pod.path("runAsUser").asInt() + ":" + pod.path("runAsGroup").asInt());
        AppContract app = AppContract.load();
        JsonNode container = container(defaults.workload("app"), "app");
        assertThat(containerPort(container, "http")).isEqualTo(app.serverPort());
        assertThat(containerPort(container, "management")).isEqualTo(app.managementPort());
        assertThat(config.path("ExposedPorts").propertyNames()).containsExactlyInAnyOrder(app.serverPort() + "/tcp",
                app.managementPort() + "/tcp");
        List<String> entrypoint = config.path("Entrypoint").values().stream().map(JsonNode::asString).toList();
        assertThat(entrypoint).startsWith("java")
            .contains("-XX:AOTCache=app.aot")
            .anyMatch(flag -> flag.startsWith("-XX:MaxRAMPercentage="));
        assertThat(Podman.run("run", "--rm", "--entrypoint", "ls", IMAGE, "-l", "app.aot"))
            .as("trained at build time, as root: read-only to the app")
            .startsWith("-rw-r--r-- 1 root root");
    }

    /**
     * The image starts from its AOT cache ({@code -XX:AOTMode=on} refuses to start
     * without it) and serves under load within each memory limit a user may give the
     * chart: its floor, the default and a large one. The JVM picks its heap from the
     * limit, and the cache must suit every choice; 64 clients for 10 s take the JVM to
     * the memory it holds under load.
     */
    @ParameterizedTest
    @MethodSource("memoryLimits")
    void startsFromItsAotCacheAndServesWithinTheMemoryLimit(String limit) {
        AppContract app = AppContract.load();
        TestDatabase database = TestDatabase.shared();
        int port = Ports.free();
        int managementPort = Ports.free();
        String container = "counter-service-memory-" + limit.toLowerCase();
        Podman.tryRun("rm", "--force", "--ignore", container);
        Podman.run("run", "--detach", "--name", container, "--network", "host", "--read-only", "--tmpfs", "/tmp",
                "--memory", String.valueOf(ChartRenderingTests.quantity(limit).longValueExact()), "--env",
                "JAVA_TOOL_OPTIONS=-XX:AOTMode=on", "--env", "SERVER_PORT=" + port, "--env",
                "MANAGEMENT_SERVER_PORT=" + managementPort, "--env", "SPRING_DATASOURCE_URL=" + database.jdbcUrl(),
                "--env", "SPRING_DATASOURCE_USERNAME=" + database.username(), "--env",
                "SPRING_DATASOURCE_PASSWORD=" + database.password(), IMAGE);
        try {
            Awaitility.await(container + " becomes ready")
                .atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(250))
                .ignoreException(java.io.UncheckedIOException.class)
                .failFast(() -> !Podman.inspect(container, "{{.State.Status}}").equals("running"))
                .until(() -> Http.send("GET", "http://127.0.0.1:" + managementPort + app.readinessPath())
                    .statusCode() == 200);
            LoadTesterRun load = LoadTesterRun.fromSource(Duration.ofMinutes(2),
                    List.of("--clients", "64", "--duration", "10", "--url", "http://127.0.0.1:" + port));
            System.out.printf("memory limit %s: load %s%n", limit, load.result());
            assertThat(load.result()).as(load.output()).containsEntry("violations", "0").containsEntry("errors", "0");
            assertThat(Podman.inspect(container, "{{.State.Status}} {{.State.Restarting}}")).as("not killed for memory")
                .isEqualTo("running false");
        }
        catch (RuntimeException | AssertionError ex) {
            throw new AssertionError(ex.getMessage() + "\n" + Podman.tryRun("logs", "--tail", "20", container).output(),
                    ex);
        }
        finally {
            Podman.tryRun("rm", "--force", container);
        }
    }

    /**
     * The chart's floor (ValuesSchemaTests), its default and a large limit.
     */
    static List<String> memoryLimits() {
        return List.of("512Mi", container(defaults.workload("app"), "app").at("/resources/limits/memory").asString(),
                "4Gi");
    }

    /**
     * The jar's three layers (dependencies, snapshot-dependencies, application), then the
     * AOT cache copied from the training stage.
     */
    @Test
    void theFinalStageAddsTheJarsThreeLayersThenTheAotCache() {
        List<String> history = finalStageHistory(IMAGE);
        System.out.println("image " + IMAGE + ": " + Podman.run("image", "inspect", "--format", "{{.Size}}", IMAGE)
                + " bytes; final stage layers:");
        history.forEach(layer -> System.out.println("  " + layer));
        assertThat(history).hasSize(4);
        assertThat(history.subList(0, 3)).allSatisfy(layer -> assertThat(layer).contains("COPY dir:"));
        assertThat(history.getLast()).contains("COPY file:");
    }

    @Test
    void aSourceOnlyChangeRebuildsOnlyTheApplicationLayerAndTheAotCache() throws IOException {
        Path context = Path.of("target/image-rebuild");
        FileSystemUtils.deleteRecursively(context);
        for (String path : List.of("Dockerfile", ".dockerignore", "mvnw", "pom.xml", ".springjavaformatconfig", ".mvn",
                "src/main")) {
            Files.createDirectories(context.resolve(path).getParent());
            FileSystemUtils.copyRecursively(Path.of(path), context.resolve(path));
        }
        Files.writeString(context.resolve("src/main/resources/application.properties"), "\n# a source-only change\n",
                java.nio.file.StandardOpenOption.APPEND);
        String rebuilt = "counter-service:source-change";
        Instant start = Instant.now();
        Podman.run("build", "--quiet", "--tag", rebuilt, context.toString());
        Duration took = Duration.between(start, Instant.now());
        try {
            List<String> before = layers(IMAGE);
            List<String> after = layers(rebuilt);
            System.out.printf("source-only change: rebuilt in %d s; final stage layers after it:%n", took.toSeconds());
            finalStageHistory(rebuilt).forEach(layer -> System.out.println("  " + layer));
            int reused = before.size() - 2;
            assertThat(after).hasSameSizeAs(before);
            assertThat(after.subList(0, reused)).as("the base image and the dependency layers are reused")
                .isEqualTo(before.subList(0, reused));
            assertThat(after.subList(reused, after.size())).as("application and AOT cache layers")
                .doesNotContainAnyElementsOf(before.subList(reused, before.size()));
        }
        finally {
            Podman.run("rmi", rebuilt);
        }
    }

    private static List<String> layers(String image) {
        return List
            .of(Podman.run("image", "inspect", "--format", "{{range .RootFS.Layers}}{{.}} {{end}}", image).split(" "));
    }

    /**
     * Size and instruction of each layer the final stage adds (the WORKDIR, USER...
     * entries add none), oldest first.
     */
    private static List<String> finalStageHistory(String image) {
        List<String> history = Podman.run("history", "--no-trunc", "--format", "{{.Size}}\t{{.CreatedBy}}", image)
            .lines()
            .toList();
        return history.reversed()
            .stream()
            .filter(line -> line.contains("COPY dir:") || line.contains("COPY file:"))
            .map(line -> line.length() > 160 ? line.substring(0, 160) + "..." : line)
            .toList();
    }

}
