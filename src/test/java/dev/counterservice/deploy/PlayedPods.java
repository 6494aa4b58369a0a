package dev.counterservice.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import dev.counterservice.testing.Http;
import dev.counterservice.testing.Ports;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import static dev.counterservice.deploy.Manifests.container;
import static dev.counterservice.deploy.Manifests.containers;
import static dev.counterservice.deploy.Manifests.podSpec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chart's pods, played with {@code podman kube play} as their controllers and the
 * kubelet would run them: each with its rendered securityContext, env (ConfigMap and
 * Secret references), volumes and resources, on the image .ci/containers built. Podman
 * has no controllers, Services or kubelet, so this class plays them, and nothing more:
 * <ul>
 * <li>the StatefulSet controller: its pod template becomes the Pod {@code <name>-0}, with
 * a claim per volumeClaimTemplate ({@code <template>-<name>-0}, a podman volume that
 * outlives the pod);</li>
 * <li>the Deployment controller: its pod template becomes {@code replicas} Pods;</li>
 * <li>Services: each pod gets a hostAlias from every Service name to the first pod it
 * selects, whose addresses (IP and MAC) stay the same when it is played again (the chart
 * is rendered with service.port=8080, so every Service port is its target port);</li>
 * <li>the API server's Secrets: each rendered Secret becomes the podman secret that
 * secretKeyRef reads;</li>
 * <li>the kubelet's probes, restarts and stop sequence: the HTTP and exec probes are
 * called as rendered, a killed container is restarted, preStop runs before SIGTERM, and
 * the grace period bounds the stop.</li>
 * </ul>
 * The app ports are published on 127.0.0.1 only, so the load comes from the host over
 * loopback.
 */
final class PlayedPods implements AutoCloseable {

    private static final String NETWORK = "counter-service-played";

    private static final String SUBNET = "10.89.201";

    private static final String APP_CONTAINER = "counter-service-startup";

    private static final Path DIR = Path.of("target/played-chart");

    private static final JsonMapper json = JsonMapper.shared();

    final Manifests manifests;

    final JsonNode deployment;

    final JsonNode statefulSet;

    final List<Replica> replicas = new ArrayList<>();

    private final Map<String, String> podIps = new LinkedHashMap<>();

    /**
     * One played app pod: its name, and the host ports its http and management ports are
     * published on.
     */
    record Replica(String pod, int httpPort, int managementPort) {

        String container() {
            return pod + "-app";
        }

        String url(String path) {
            return "http://127.0.0.1:" + httpPort + path;
        }

        String managementUrl(String path) {
            return "http://127.0.0.1:" + managementPort + path;
        }
    }

    /**
     * Plays the rendered chart: the Secrets, PostgreSQL's pod on its claim and the app
     * replicas, and waits until every replica is ready. Whatever an earlier run left is
     * removed first.
     */
    PlayedPods(Manifests manifests) throws IOException {
        this.manifests = manifests;
        this.deployment = manifests.only("Deployment");
        this.statefulSet = manifests.only("StatefulSet");
        Files.createDirectories(DIR);
        podIps.put(Manifests.name(statefulSet) + "-0", SUBNET + ".10");
        for (int i = 0; i < deployment.at("/spec/replicas").asInt(); i++) {
            String pod = Manifests.name(deployment) + "-" + i;
            podIps.put(pod, SUBNET + "." + (20 + i));
            replicas.add(new Replica(pod, Ports.free(), Ports.free()));
        }
        podIps.put(Manifests.name(manifests.workload("test")), SUBNET + ".30");
        removeWhatAnEarlierRunLeft();
        if (Podman.tryRun("network", "exists", NETWORK).exitCode() != 0) {
            Podman.run("network", "create", "--subnet", SUBNET + ".0/24", NETWORK);
        }
        for (JsonNode secret : manifests.ofKind("Secret")) {
            Path data = DIR.resolve(Manifests.name(secret) + ".json");
            Files.writeString(data, json.writeValueAsString(secret.path("data")));
            Podman.run("secret", "create", Manifests.name(secret), data.toString());
        }
        playPostgresql();
        for (Replica replica : replicas) {
            play(replica.pod(), List.of(manifests.get("ConfigMap", Manifests.name(deployment)), appPod(replica)));
        }
        for (Replica replica : replicas) {
            awaitReady(replica);
        }
    }

    /** Removes every pod, the Secrets and the claim. */
    @Override
    public void close() {
        removeWhatAnEarlierRunLeft();
    }

    /** Plays the helm test pod and returns its container's name. */
    String playTestPod() throws IOException {
        JsonNode test = manifests.workload("test");
        String pod = Manifests.name(test);
        play(pod, List.of(withServicesAsHostAliases(podOf(test, pod), pod)));
        return pod + "-" + podSpec(test).at("/containers/0/name").asString();
    }

    /**
     * The StatefulSet's pod on its claim, which is created only the first time, as the
     * controller does.
     */
    void playPostgresql() throws IOException {
        List<JsonNode> objects = new ArrayList<>();
        if (Podman.tryRun("volume", "exists", claim()).exitCode() != 0) {
            for (JsonNode template : statefulSet.at("/spec/volumeClaimTemplates")) {
                ObjectNode claim = json.createObjectNode().put("apiVersion", "v1").put("kind", "PersistentVolumeClaim");
                claim.set("metadata", json.createObjectNode().put("name", claim()));
                claim.set("spec", template.path("spec"));
                objects.add(claim);
            }
        }
        ObjectNode pod = withServicesAsHostAliases(podOf(statefulSet, postgresqlPod()), postgresqlPod());
        ArrayNode volumes = (ArrayNode) pod.path("spec").path("volumes");
        for (JsonNode template : statefulSet.at("/spec/volumeClaimTemplates")) {
            String name = template.at("/metadata/name").asString();
            volumes.add(json.createObjectNode()
                .put("name", name)
                .set("persistentVolumeClaim", json.createObjectNode().put("claimName", name + "-" + postgresqlPod())));
        }
        objects.add(pod);
        play(postgresqlPod(), objects);
        JsonNode startup = container(statefulSet, "postgresql").path("startupProbe");
        awaitCondition(period(startup).multipliedBy(startup.path("failureThreshold").asInt()),
                () -> execProbe(postgresqlPod() + "-postgresql", startup), "PostgreSQL passes its startup probe");
    }

    /** An app replica: the Deployment's pod template, its ports published on loopback. */
    ObjectNode appPod(Replica replica) {
        ObjectNode pod = withServicesAsHostAliases(podOf(deployment, replica.pod()), replica.pod());
        for (JsonNode port : pod.at("/spec/containers/0/ports")) {
            int hostPort = port.path("name").asString().equals("http") ? replica.httpPort() : replica.managementPort();
            ((ObjectNode) port).put("hostPort", hostPort).put("hostIP", "127.0.0.1");
        }
        return pod;
    }

    ObjectNode podOf(JsonNode workload, String name) {
        JsonNode template = Manifests.podTemplate(workload);
        ObjectNode pod = json.createObjectNode().put("apiVersion", "v1").put("kind", "Pod");
        ObjectNode metadata = (ObjectNode) template.path("metadata").deepCopy();
        metadata.put("name", name);
        // podman 4.3 refuses annotation values over 63 characters (a label value's limit,
        // not an annotation's): the
        // config checksum only makes the Deployment controller roll pods, which nothing
        // here does
        if (metadata.path("annotations") instanceof ObjectNode annotations) {
            annotations.remove("checksum/config");
        }
        // podman removes a finished init container right away, and on a busy machine
        // finds it still running: kept
        metadata.withObjectProperty("annotations").put("io.podman.annotations.init.container.type", "always");
        pod.set("metadata", metadata);
        ObjectNode spec = (ObjectNode) template.path("spec").deepCopy();
        // The kubelet runs init containers once; podman 4.3 applies restartPolicy Always
        // to them too and reruns a finished one for as long as the pod lives (measured:
        // 30 times in 12 s). OnFailure restarts a killed JVM (exit 137) all the same.
        if (spec.path("restartPolicy").asString("Always").equals("Always")) {
            spec.put("restartPolicy", "OnFailure");
        }
        pod.set("spec", spec);
        // podman 4.3 plays an emptyDir as a volume named like it, shared by every pod:
        // each pod gets its own instead
        for (JsonNode volume : pod.at("/spec/volumes")) {
            if (volume.has("emptyDir")) {
                ((ObjectNode) volume).remove("emptyDir");
                ((ObjectNode) volume).set("persistentVolumeClaim",
                        json.createObjectNode().put("claimName", name + "-" + volume.path("name").asString()));
            }
        }
        return pod;
    }

    /** The claims standing for a pod's emptyDir volumes, made new with it. */
    List<JsonNode> emptyDirClaims(JsonNode pod) {
        List<JsonNode> claims = new ArrayList<>();
        for (String name : emptyDirVolumes(Manifests.name(pod))) {
            ObjectNode claim = json.createObjectNode().put("apiVersion", "v1").put("kind", "PersistentVolumeClaim");
            claim.set("metadata", json.createObjectNode().put("name", name));
            claim.set("spec", json.createObjectNode()
                .set("resources",
                        json.createObjectNode().set("requests", json.createObjectNode().put("storage", "64Mi"))));
            claims.add(claim);
        }
        return claims;
    }

    List<String> emptyDirVolumes(String pod) {
        JsonNode workload = pod.equals(postgresqlPod()) ? statefulSet
                : replicas.stream().anyMatch(r -> r.pod().equals(pod)) ? deployment : manifests.workload("test");
        return podSpec(workload).path("volumes")
            .values()
            .stream()
            .filter(v -> v.has("emptyDir"))
            .map(v -> pod + "-" + v.path("name").asString())
            .toList();
    }

    /** Deletes a pod, and with it its emptyDir volumes. */
    void removePod(String pod) {
        Podman.tryRun("pod", "rm", "--force", "--ignore", pod);
        emptyDirVolumes(pod).forEach(volume -> Podman.tryRun("volume", "rm", "--force", volume));
    }

    /**
     * Every Service name resolves to the first played pod it selects; its ports must be
     * its pods' ports.
     */
    ObjectNode withServicesAsHostAliases(ObjectNode pod, String self) {
        ArrayNode aliases = ((ObjectNode) pod.path("spec")).putArray("hostAliases");
        for (JsonNode service : manifests.ofKind("Service")) {
            Map<String, String> selector = Manifests.strings(service.at("/spec/selector"));
            JsonNode target = manifests.workloads()
                .stream()
                .filter(w -> Manifests.selects(selector, Manifests.podLabels(w)))
                .findFirst()
                .orElseThrow();
            for (JsonNode port : service.at("/spec/ports")) {
                assertThat(containers(target).stream()
                    .flatMap(c -> c.path("ports").values().stream())
                    .anyMatch(p -> p.path("name").asString().equals(port.path("targetPort").asString())
                            && p.path("containerPort").asInt() == port.path("port").asInt()))
                    .as("Service %s port %s", Manifests.name(service), port)
                    .isTrue();
            }
            String pod0 = Manifests.name(target) + "-0";
            if (!pod0.equals(self)) {
                aliases.add(json.createObjectNode()
                    .put("ip", podIps.get(pod0))
                    .set("hostnames", json.createArrayNode().add(Manifests.name(service))));
            }
        }
        return pod;
    }

    void play(String pod, List<JsonNode> objects) throws IOException {
        // JSON documents: podman's YAML reader takes them as they are
        Path file = DIR.resolve(pod + ".json");
        StringBuilder documents = new StringBuilder();
        List<JsonNode> all = new ArrayList<>(emptyDirClaims(objects.getLast()));
        all.addAll(objects);
        for (JsonNode object : all) {
            documents.append("---\n").append(json.writeValueAsString(object)).append('\n');
        }
        Files.writeString(file, documents);
        Podman.run("kube", "play", "--network", NETWORK, "--ip", podIps.get(pod), "--mac-address", mac(podIps.get(pod)),
                file.toString());
    }

    /**
     * A fixed MAC address for a fixed IP address. A pod played again on its address with
     * a new MAC would be unreachable from the pods that cached the old one until their
     * neighbour entries expire (seen for 8 s, once for over 40 s), a stall no Kubernetes
     * Service address has: it stays the same while the pods behind it change.
     */
    String mac(String ip) {
        return "02:00:" + Arrays.stream(ip.split("\\."))
            .map(octet -> "%02x".formatted(Integer.parseInt(octet)))
            .collect(Collectors.joining(":"));
    }

    /**
     * The kubelet's stop: the preStop hook (sleep, or exec in the container), then
     * SIGTERM, SIGKILL after the grace period.
     */
    Duration stopLikeTheKubelet(JsonNode workload, String container) throws InterruptedException {
        JsonNode preStop = podSpec(workload).at("/containers/0/lifecycle/preStop");
        Instant start = Instant.now();
        if (preStop.has("sleep")) {
            Thread.sleep(preStop.at("/sleep/seconds").asInt() * 1000L);
        }
        else {
            // PostgreSQL's pg_ctl stop ends the container's main process, and podman the
            // hook with it (exit 137)
            List<String> exec = new ArrayList<>(List.of("exec", container));
            preStop.at("/exec/command").values().forEach(word -> exec.add(word.asString()));
            Podman.tryRun(exec.toArray(String[]::new));
        }
        long left = podSpec(workload).path("terminationGracePeriodSeconds").asInt()
                - Duration.between(start, Instant.now()).toSeconds();
        Podman.run("stop", "--time", String.valueOf(Math.max(left, 1)), container);
        return Duration.between(start, Instant.now());
    }

    void awaitReady(Replica replica) {
        JsonNode app = container(deployment, "app");
        JsonNode startup = app.path("startupProbe");
        awaitCondition(period(startup).multipliedBy(startup.path("failureThreshold").asInt()),
                () -> probe(replica, "startupProbe") == 200, replica.pod() + " passes its startup probe");
        JsonNode readiness = app.path("readinessProbe");
        try {
            awaitCondition(period(readiness).multipliedBy(readiness.path("failureThreshold").asInt() + 6L),
                    () -> probe(replica, "readinessProbe") == 200, replica.pod() + " becomes ready");
        }
        catch (AssertionError ex) {
            throw new AssertionError(
                    ex.getMessage() + "\n" + Podman.tryRun("logs", "--tail", "30", replica.container()).output(), ex);
        }
    }

    /**
     * An HTTP probe as rendered, through the published management port: its status, or -1
     * when nothing answers.
     */
    int probe(Replica replica, String probe) {
        JsonNode httpGet = container(deployment, "app").path(probe).path("httpGet");
        assertThat(httpGet.path("port").asString()).isEqualTo("management");
        try {
            return Http.send("GET", replica.managementUrl(httpGet.path("path").asString())).statusCode();
        }
        catch (UncheckedIOException ex) {
            return -1;
        }
    }

    boolean execProbe(String container, JsonNode probe) {
        List<String> exec = new ArrayList<>(List.of("exec", container));
        probe.at("/exec/command").values().forEach(word -> exec.add(word.asString()));
        return Podman.tryRun(exec.toArray(String[]::new)).exitCode() == 0;
    }

    Duration period(JsonNode probe) {
        return Duration.ofSeconds(probe.path("periodSeconds").asInt());
    }

    void awaitCondition(Duration budget, BooleanSupplier condition, String what) {
        try {
            Awaitility.await(what).atMost(budget).pollInterval(Duration.ofMillis(250)).until(condition::getAsBoolean);
        }
        catch (ConditionTimeoutException ex) {
            throw new AssertionError(ex.getMessage() + "\n" + Podman.run("ps", "--all"), ex);
        }
    }

    int uid(String container) {
        return Integer.parseInt(procStatus(container, "Uid:").split("\\s+")[0]);
    }

    long rssKiB(String container) {
        return Long.parseLong(procStatus(container, "VmRSS:").replaceAll("\\D", ""));
    }

    /**
     * A line of /proc/PID/status of the container's main process (the JVM for the app),
     * seen from the host.
     */
    String procStatus(String container, String field) {
        try {
            return Files.readAllLines(Path.of("/proc", Podman.inspect(container, "{{.State.Pid}}"), "status"))
                .stream()
                .filter(line -> line.startsWith(field))
                .findFirst()
                .orElseThrow()
                .substring(field.length())
                .strip();
        }
        catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    String postgresqlPod() {
        return Manifests.name(statefulSet) + "-0";
    }

    String claim() {
        return "data-" + postgresqlPod();
    }

    private void removeWhatAnEarlierRunLeft() {
        podIps.keySet().forEach(this::removePod);
        Podman.tryRun("rm", "--force", "--ignore", APP_CONTAINER);
        manifests.ofKind("Secret").forEach(secret -> Podman.tryRun("secret", "rm", Manifests.name(secret)));
        Podman.tryRun("volume", "rm", "--force", claim());
    }

    /**
     * The app's container as the chart runs it (its environment, user, read-only root,
     * capabilities and memory limit), alone beside the played pods, with these JVM
     * options; its management port published on loopback. Returns that port; remove it
     * with {@link #removeAppContainer}.
     */
    int runAppContainer(String javaToolOptions) {
        JsonNode app = container(deployment, "app");
        int managementPort = Ports.free();
        List<String> run = new ArrayList<>(List.of("run", "--detach", "--name", APP_CONTAINER, "--network", NETWORK,
                "--ip", SUBNET + ".40", "--mac-address", mac(SUBNET + ".40"), "--add-host",
                databaseHost() + ":" + podIps.get(postgresqlPod()), "--read-only", "--tmpfs", "/tmp", "--user",
                "10001:10001", "--cap-drop", "ALL", "--memory",
                String.valueOf(
                        ChartRenderingTests.quantity(app.at("/resources/limits/memory").asString()).longValueExact()),
                "--publish", "127.0.0.1:" + managementPort + ":" + Manifests.containerPort(app, "management")));
        manifests.configMapData(Manifests.name(deployment))
            .forEach((name, value) -> run.addAll(List.of("--env", name + "=" + value)));
        JsonNode password = Manifests.envEntry(app, "SPRING_DATASOURCE_PASSWORD").at("/valueFrom/secretKeyRef");
        run.addAll(List.of("--env",
                "SPRING_DATASOURCE_PASSWORD=" + new String(java.util.Base64.getDecoder()
                    .decode(manifests.get("Secret", password.path("name").asString())
                        .path("data")
                        .path(password.path("key").asString())
                        .asString()))));
        run.addAll(List.of("--env", "JAVA_TOOL_OPTIONS=" + javaToolOptions, app.path("image").asString()));
        Podman.run(run.toArray(String[]::new));
        return managementPort;
    }

    void removeAppContainer() {
        Podman.run("rm", "--force", APP_CONTAINER);
    }

    /** The host of the datasource URL in the app's ConfigMap: the PostgreSQL Service. */
    private String databaseHost() {
        String url = manifests.configMapData(Manifests.name(deployment)).get("SPRING_DATASOURCE_URL");
        return URI.create(url.substring("jdbc:".length())).getHost();
    }

}
