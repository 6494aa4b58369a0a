package dev.counterservice.deploy;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import tools.jackson.databind.JsonNode;

import static dev.counterservice.deploy.Manifests.COMPONENT;
import static dev.counterservice.deploy.Manifests.container;
import static dev.counterservice.deploy.Manifests.containerPort;
import static dev.counterservice.deploy.Manifests.containers;
import static dev.counterservice.deploy.Manifests.literalEnv;
import static dev.counterservice.deploy.Manifests.name;
import static dev.counterservice.deploy.Manifests.podLabels;
import static dev.counterservice.deploy.Manifests.podSpec;
import static dev.counterservice.deploy.Manifests.selects;
import static dev.counterservice.deploy.Manifests.strings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What must hold for every value set the chart is rendered with (defaults and each file
 * in chart/ci).
 */
class ChartRenderingTests {

    private static final AppContract app = AppContract.load();

    @ParameterizedTest
    @EnumSource(ValueSet.class)
    void controllersSelectTheirOwnPodsAndServicesSelectExactlyOneWorkload(ValueSet values) {
        Manifests manifests = Chart.render(values);
        for (String kind : List.of("Deployment", "StatefulSet")) {
            for (JsonNode controller : manifests.ofKind(kind)) {
                Map<String, String> selector = strings(controller.at("/spec/selector/matchLabels"));
                assertThat(selects(selector, podLabels(controller)))
                    .as("%s %s selects its pods", kind, name(controller))
                    .isTrue();
            }
        }
        for (JsonNode service : manifests.ofKind("Service")) {
            assertThat(selectedWorkloads(manifests, strings(service.path("spec").path("selector"))))
                .as("workloads behind Service %s", name(service))
                .hasSize(1);
        }
        for (JsonNode budget : manifests.ofKind("PodDisruptionBudget")) {
            assertThat(selectedWorkloads(manifests, strings(budget.at("/spec/selector/matchLabels"))))
                .extracting(w -> podLabels(w).get(COMPONENT))
                .containsExactly("app");
        }
    }

    @ParameterizedTest
    @EnumSource(ValueSet.class)
    void serviceTargetPortsAreNamedPortsOfTheSelectedContainers(ValueSet values) {
        Manifests manifests = Chart.render(values);
        for (JsonNode service : manifests.ofKind("Service")) {
            JsonNode workload = selectedWorkloads(manifests, strings(service.path("spec").path("selector"))).getFirst();
            for (JsonNode port : service.path("spec").path("ports")) {
                JsonNode target = port.path("targetPort");
                assertThat(target.isString()).as("Service %s refers to ports by name", name(service)).isTrue();
                assertThat(podSpec(workload).path("containers").values())
                    .as("container port %s behind %s", target, name(service))
                    .anySatisfy(c -> assertThat(c.path("ports").values()).extracting(p -> p.path("name").asString())
                        .contains(target.asString()));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ValueSet.class)
    void everySecretAndConfigMapReferenceResolvesToARenderedKey(ValueSet values) {
        Manifests manifests = Chart.render(values);
        for (JsonNode workload : manifests.workloads()) {
            for (JsonNode container : containers(workload)) {
                for (JsonNode env : container.path("env")) {
                    JsonNode secretRef = env.at("/valueFrom/secretKeyRef");
                    if (!secretRef.isMissingNode()) {
                        assertSecretKey(manifests, values, secretRef.path("name").asString(),
                                secretRef.path("key").asString());
                    }
                    JsonNode configMapRef = env.at("/valueFrom/configMapKeyRef");
                    if (!configMapRef.isMissingNode()) {
                        assertThat(manifests.configMapData(configMapRef.path("name").asString()))
                            .containsKey(configMapRef.path("key").asString());
                    }
                }
                for (JsonNode source : container.path("envFrom")) {
                    if (source.has("configMapRef")) {
                        assertThat(manifests.find("ConfigMap", source.at("/configMapRef/name").asString())).isPresent();
                    }
                    assertThat(source.has("secretRef")).as("no envFrom of a whole Secret").isFalse();
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ValueSet.class)
    void configMapValuesAreStrings(ValueSet values) {
        for (JsonNode configMap : Chart.render(values).ofKind("ConfigMap")) {
            configMap.path("data")
                .properties()
                .forEach(entry -> assertThat(entry.getValue().isString())
                    .as("%s in %s is a string", entry.getKey(), name(configMap))
                    .isTrue());
        }
    }

    @ParameterizedTest
    @EnumSource(ValueSet.class)
    void noContainerRunsAsRootOrCanGainPrivileges(ValueSet values) {
        for (JsonNode workload : Chart.render(values).workloads()) {
            JsonNode pod = podSpec(workload).path("securityContext");
            assertThat(pod.at("/seccompProfile/type").asString()).as("seccomp of %s", name(workload))
                .isEqualTo("RuntimeDefault");
            assertThat(podSpec(workload).path("automountServiceAccountToken").asBoolean(true)).isFalse();
            for (JsonNode container : containers(workload)) {
                String what = name(workload) + "/" + container.path("name").asString();
                JsonNode own = container.path("securityContext");
                assertThat(own.path("runAsNonRoot").asBoolean(pod.path("runAsNonRoot").asBoolean(false)))
                    .as("runAsNonRoot of %s", what)
                    .isTrue();
                assertThat(own.path("runAsUser").asInt(pod.path("runAsUser").asInt(0))).as("uid of %s", what)
                    .isPositive();
                assertThat(own.path("allowPrivilegeEscalation").asBoolean(true)).as("privilege escalation of %s", what)
                    .isFalse();
                assertThat(own.path("readOnlyRootFilesystem").asBoolean(false)).as("read-only root of %s", what)
                    .isTrue();
                assertThat(own.at("/capabilities/drop").values()).extracting(JsonNode::asString)
                    .as("dropped capabilities of %s", what)
                    .contains("ALL");
                assertThat(own.at("/capabilities/add").values()).as("added capabilities of %s", what).isEmpty();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ValueSet.class)
    void theAppWritesOnlyToAnEmptyDirAtTmp(ValueSet values) {
        JsonNode workload = Chart.render(values).workload("app");
        JsonNode tmp = container(workload, "app").path("volumeMounts")
            .values()
            .stream()
            .filter(m -> m.path("mountPath").asString().equals("/tmp"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("Tomcat needs a writable /tmp on the read-only root"));
        assertThat(podSpec(workload).path("volumes").values()).anySatisfy(volume -> {
            assertThat(volume.path("name").asString()).isEqualTo(tmp.path("name").asString());
            assertThat(volume.has("emptyDir")).isTrue();
        });
    }

    @ParameterizedTest
    @EnumSource(ValueSet.class)
    void everyContainerHasRequestsWithinLimits(ValueSet values) {
        for (JsonNode workload : Chart.render(values).workloads()) {
            for (JsonNode container : containers(workload)) {
                JsonNode resources = container.path("resources");
                for (String resource : List.of("cpu", "memory")) {
                    String what = name(workload) + "/" + container.path("name").asString() + " " + resource;
                    JsonNode request = resources.path("requests").path(resource);
                    JsonNode limit = resources.path("limits").path(resource);
                    assertThat(request.isMissingNode() || limit.isMissingNode()).as("request and limit of %s", what)
                        .isFalse();
                    assertThat(quantity(request.asString())).as("request of %s within its limit", what)
                        .isLessThanOrEqualTo(quantity(limit.asString()));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ValueSet.class)
    void everyImageIsPinned(ValueSet values) {
        for (JsonNode workload : Chart.render(values).workloads()) {
            for (JsonNode container : containers(workload)) {
                String image = container.path("image").asString();
                assertThat(image).as("image of %s", container.path("name"))
                    .matches("[^:]+:[0-9][^:]*")
                    .doesNotEndWith(":latest");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ValueSet.class)
    void probesUseThePortsAndPathsTheAppServes(ValueSet values) {
        Manifests manifests = Chart.render(values);
        JsonNode appContainer = container(manifests.workload("app"), "app");
        Map<String, String> config = manifests
            .configMapData(appContainer.at("/envFrom/0/configMapRef/name").asString());
        int management = Integer.parseInt(config.get("MANAGEMENT_SERVER_PORT"));
        assertThat(containerPort(appContainer, "http")).isEqualTo(Integer.parseInt(config.get("SERVER_PORT")));
        Map<String, String> expectedPaths = Map.of("startupProbe", app.livenessPath(), "livenessProbe",
                app.livenessPath(), "readinessProbe", app.readinessPath());
        expectedPaths.forEach((probe, path) -> {
            JsonNode httpGet = appContainer.path(probe).path("httpGet");
            assertThat(httpGet.path("path").asString()).as(probe).isEqualTo(path).isIn(app.managementPaths());
            assertThat(containerPort(appContainer, httpGet.path("port").asString())).as("port of %s", probe)
                .isEqualTo(management);
        });
    }

    @ParameterizedTest
    @EnumSource(ValueSet.class)
    void appPodsOutliveTheirGracefulShutdown(ValueSet values) {
        JsonNode workload = Chart.render(values).workload("app");
        JsonNode appContainer = container(workload, "app");
        int preStop = appContainer.at("/lifecycle/preStop/sleep/seconds").asInt();
        assertThat(app.graceful()).as("server.shutdown=graceful").isTrue();
        assertThat(preStop).as("preStop sleep").isPositive();
        assertThat(podSpec(workload).path("terminationGracePeriodSeconds").asInt())
            .isGreaterThan(preStop + (int) app.shutdownPhase().toSeconds());
        assertThat(podSpec(workload).path("enableServiceLinks").asBoolean(true)).as("service links off").isFalse();
    }

    @ParameterizedTest
    @EnumSource(ValueSet.class)
    void postgresqlKeepsItsDataOnTheClaim(ValueSet values) {
        Manifests manifests = Chart.render(values);
        for (JsonNode statefulSet : manifests.ofKind("StatefulSet")) {
            JsonNode postgresql = container(statefulSet, "postgresql");
            String claim = statefulSet.at("/spec/volumeClaimTemplates/0/metadata/name").asString();
            assertThat(claim).isEqualTo("data");
            String mountPath = postgresql.path("volumeMounts")
                .values()
                .stream()
                .filter(m -> m.path("name").asString().equals(claim))
                .findFirst()
                .orElseThrow()
                .path("mountPath")
                .asString();
            int major = Integer.parseInt(postgresql.path("image").asString().replaceAll(".*:(\\d+).*", "$1"));
            String dataDirectory = literalEnv(postgresql).getOrDefault("PGDATA",
                    major >= 18 ? "/var/lib/postgresql/" + major + "/docker" : "/var/lib/postgresql/data");
            assertThat(dataDirectory)
                .as("PostgreSQL %d's data directory is below the claim's mount (not the mount itself, "
                        + "which may hold lost+found)", major)
                .startsWith(mountPath + "/");
            assertThat(manifests.get("Service", statefulSet.at("/spec/serviceName").asString())
                .at("/spec/clusterIP")
                .asString()).as("the governing Service is headless").isEqualTo("None");
        }
    }

    @ParameterizedTest
    @EnumSource(ValueSet.class)
    void everyObjectCarriesTheStandardLabels(ValueSet values) {
        for (JsonNode object : Chart.render(values).objects()) {
            assertThat(strings(object.at("/metadata/labels"))).as("labels of %s %s", object.path("kind"), name(object))
                .containsKeys("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
                        "app.kubernetes.io/managed-by", "helm.sh/chart", COMPONENT)
                .containsEntry("app.kubernetes.io/instance", Chart.RELEASE);
            assertThat(object.path("metadata").has("namespace")).as("namespace left to the release").isFalse();
        }
    }

    private static List<JsonNode> selectedWorkloads(Manifests manifests, Map<String, String> selector) {
        List<JsonNode> selected = new ArrayList<>();
        for (JsonNode workload : manifests.workloads()) {
            if (selects(selector, podLabels(workload))) {
                selected.add(workload);
            }
        }
        return selected;
    }

    private static void assertSecretKey(Manifests manifests, ValueSet values, String secret, String key) {
        if (secret.endsWith("-app")
                && manifests.find("Cluster", secret.substring(0, secret.length() - "-app".length())).isPresent()) {
            assertThat(key).as("a key of the Secret the CloudNativePG operator writes for its Cluster")
                .isIn("username", "password");
            return;
        }
        if (values.existingSecretKeys().containsKey(secret)) {
            assertThat(manifests.find("Secret", secret)).as("existing Secret %s is not rendered", secret).isEmpty();
            assertThat(key).isEqualTo(values.existingSecretKeys().get(secret));
            return;
        }
        assertThat(strings(manifests.get("Secret", secret).path("data"))).as("keys of Secret %s", secret)
            .containsKey(key);
    }

    /**
     * A Kubernetes quantity in base units (cores, bytes), for the suffixes this chart
     * uses.
     */
    static BigDecimal quantity(String value) {
        Map<String, BigDecimal> suffixes = Map.of("m", new BigDecimal("0.001"), "Ki", BigDecimal.valueOf(1L << 10),
                "Mi", BigDecimal.valueOf(1L << 20), "Gi", BigDecimal.valueOf(1L << 30), "k", BigDecimal.valueOf(1000),
                "M", BigDecimal.valueOf(1_000_000), "G", BigDecimal.valueOf(1_000_000_000));
        for (String suffix : Set.of("Ki", "Mi", "Gi", "m", "k", "M", "G")) {
            if (value.endsWith(suffix)) {
                return new BigDecimal(value.substring(0, value.length() - suffix.length()))
                    .multiply(suffixes.get(suffix));
            }
        }
        return new BigDecimal(value);
    }

}
