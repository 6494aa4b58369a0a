package dev.counterservice.deploy;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import dev.counterservice.counter.CounterProperties;

import org.springframework.boot.convert.DurationStyle;

import tools.jackson.databind.JsonNode;

import static dev.counterservice.deploy.Manifests.container;
import static dev.counterservice.deploy.Manifests.envEntry;
import static dev.counterservice.deploy.Manifests.literalEnv;
import static dev.counterservice.deploy.Manifests.name;
import static dev.counterservice.deploy.Manifests.podSpec;
import static dev.counterservice.deploy.Manifests.strings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chart with its default values: what `helm install counter-service chart/` creates.
 */
class ChartDefaultsTests {

    private final Manifests manifests = Chart.render(ValueSet.DEFAULTS);

    @Test
    void appRunsTwoReplicasAndARolloutNeverLowersCapacity() {
        JsonNode deployment = manifests.only("Deployment");
        assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(2);
        assertThat(deployment.at("/spec/strategy/rollingUpdate/maxUnavailable").asInt()).isZero();
        assertThat(manifests.only("PodDisruptionBudget").at("/spec/maxUnavailable").asInt()).isEqualTo(1);
    }

    @Test
    void postgresqlIsOneStatefulSetPodGovernedByItsHeadlessServiceAndReachedThroughTheClientService() {
        JsonNode statefulSet = manifests.only("StatefulSet");
        assertThat(statefulSet.at("/spec/replicas").asInt()).isEqualTo(1);
        JsonNode headless = manifests.get("Service", statefulSet.at("/spec/serviceName").asString());
        assertThat(name(headless)).isEqualTo("counter-service-postgresql-hl");
        assertThat(headless.at("/spec/publishNotReadyAddresses").asBoolean()).isTrue();
        JsonNode client = manifests.get("Service", "counter-service-postgresql");
        assertThat(client.at("/spec/clusterIP").isMissingNode()).as("the client Service has a cluster IP").isTrue();
        assertThat(client.at("/spec/ports/0/port").asInt()).isEqualTo(5432);
    }

    @Test
    void theDataClaimComesFromValuesAndIsMountedWherePostgres18KeepsItsData() {
        JsonNode statefulSet = manifests.only("StatefulSet");
        JsonNode claim = statefulSet.at("/spec/volumeClaimTemplates/0");
        assertThat(claim.at("/metadata/name").asString()).isEqualTo("data");
        assertThat(claim.at("/spec/accessModes").values()).extracting(JsonNode::asString)
            .containsExactly("ReadWriteOnce");
        assertThat(claim.at("/spec/resources/requests/storage").asString()).isEqualTo("8Gi");
        assertThat(claim.at("/spec/storageClassName").isMissingNode()).as("the cluster's default StorageClass")
            .isTrue();
        JsonNode postgresql = container(statefulSet, "postgresql");
        assertThat(postgresql.path("image").asString()).isEqualTo("postgres:18");
        assertThat(postgresql.at("/volumeMounts/0/name").asString()).isEqualTo("data");
        assertThat(postgresql.at("/volumeMounts/0/mountPath").asString()).isEqualTo("/var/lib/postgresql");
        assertThat(literalEnv(postgresql)).doesNotContainKey("PGDATA");
        assertThat(podSpec(statefulSet).at("/securityContext/fsGroup").asInt()).isEqualTo(999);
    }

    @Test
    void postgresqlProbesUsePgIsReadyAndShutdownIsFastAndWithinTheGracePeriod() {
        JsonNode statefulSet = manifests.only("StatefulSet");
        JsonNode postgresql = container(statefulSet, "postgresql");
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            assertThat(postgresql.path(probe).at("/exec/command/0").asString()).as(probe).isEqualTo("pg_isready");
        }
        List<String> preStop = postgresql.at("/lifecycle/preStop/exec/command")
            .values()
            .stream()
            .map(JsonNode::asString)
            .toList();
        assertThat(preStop).startsWith("pg_ctl", "stop", "--mode=fast");
        int grace = podSpec(statefulSet).path("terminationGracePeriodSeconds").asInt();
        int stopTimeout = Integer.parseInt(preStop.getLast().replace("--timeout=", ""));
        assertThat(grace).isGreaterThanOrEqualTo(30).isGreaterThan(stopTimeout);
    }

    @Test
    void theDatasourceUrlPointsAtThePostgresqlServiceAndItsDatabaseUserAndPassword() {
        JsonNode app = container(manifests.workload("app"), "app");
        JsonNode postgresql = container(manifests.only("StatefulSet"), "postgresql");
        Map<String, String> config = manifests.configMapData("counter-service");
        URI url = URI.create(config.get("SPRING_DATASOURCE_URL").substring("jdbc:".length()));
        JsonNode service = manifests.get("Service", url.getHost());
        assertThat(service.at("/spec/ports/0/port").asInt()).isEqualTo(url.getPort());
        assertThat(strings(service.at("/spec/selector"))).containsEntry(Manifests.COMPONENT, "postgresql");
        assertThat(url.getPath()).isEqualTo("/" + literalEnv(postgresql).get("POSTGRES_DB"));
        assertThat(config.get("SPRING_DATASOURCE_USERNAME")).isEqualTo(literalEnv(postgresql).get("POSTGRES_USER"));
        assertThat(envEntry(app, "SPRING_DATASOURCE_PASSWORD").at("/valueFrom/secretKeyRef"))
            .isEqualTo(envEntry(postgresql, "POSTGRES_PASSWORD").at("/valueFrom/secretKeyRef"));
    }

    /**
     * Only a first install's password: rendering asks no cluster, so lookup finds no
     * Secret to keep the password from (a real upgrade does, docs/kubernetes.md).
     */
    @Test
    void theGeneratedPasswordIsRandomAndKeptOnUninstall() {
        JsonNode secret = manifests.get("Secret", "counter-service-postgresql");
        assertThat(strings(secret.at("/metadata/annotations"))).containsEntry("helm.sh/resource-policy", "keep");
        String password = new String(Base64.getDecoder().decode(secret.at("/data/password").asString()));
        assertThat(password).matches("[A-Za-z0-9]{32}");
        assertThat(generatedPassword()).as("a new install gets a new password").isNotEqualTo(password);
    }

    @Test
    void everyCounterSettingOfTheAppIsAChartValueInTheAppsEnvironment() {
        Map<String, String> config = manifests.configMapData("counter-service");
        List<String> settings = new ArrayList<>();
        collectEnvironmentNames("COUNTER", CounterProperties.class, settings);
        assertThat(config).containsKeys(settings.toArray(String[]::new));
        assertThat(config).containsEntry("COUNTER_NAMES", "")
            .containsEntry("COUNTER_COUNTERS_0_NAME", "default")
            .containsEntry("COUNTER_COUNTERS_0_START", "0")
            .containsEntry("COUNTER_MAX_COUNTERS", "10000")
            .containsEntry("COUNTER_ADMIN_ENABLED", "false")
            .containsEntry("COUNTER_COALESCING_CONCURRENT_BATCHES", "2")
            .containsEntry("COUNTER_MAX_COUNT", "1000")
            .containsEntry("COUNTER_TIMEOUT", "3s")
            .containsEntry("COUNTER_COALESCING_ENABLED", "true")
            .containsEntry("COUNTER_COALESCING_MAX_BATCH", "1000")
            .containsEntry("COUNTER_IDEMPOTENCY_RETENTION", "24h")
            .containsEntry("COUNTER_FENCE_MARGIN", "10000000")
            .containsEntry("COUNTER_REQUIRE_SYNCHRONOUS_REPLICATION", "false");
    }

    /**
     * The least the fence margin must cover after a failover that lost commits: one full
     * batch ({@code max-batch} requests of {@code max-count} numbers) from every other
     * replica the chart can run, handed out above the mark of an instance that was busy
     * until the failover (docs/scaling.md). What it covers beyond that is time: lost
     * commits, or a stalled instance, at the counter's rate.
     */
    @Test
    void theDefaultFenceMarginCoversAFullBatchFromEveryOtherReplicaTheChartCanRun() {
        Map<String, String> config = manifests.configMapData("counter-service");
        int replicas = Math.max(manifests.only("Deployment").at("/spec/replicas").asInt(),
                Chart.render(ValueSet.DEFAULTS, Map.of("autoscaling.enabled", true))
                    .only("HorizontalPodAutoscaler")
                    .at("/spec/maxReplicas")
                    .asInt());
        long batch = Long.parseLong(config.get("COUNTER_COALESCING_MAX_BATCH"))
                * Long.parseLong(config.get("COUNTER_MAX_COUNT"));
        assertThat(Long.parseLong(config.get("COUNTER_FENCE_MARGIN")))
            .as("the margin against %d other replicas' batches of %d numbers", replicas - 1, batch)
            .isGreaterThanOrEqualTo((replicas - 1) * batch);
    }

    /**
     * The flood defences the chart sets ({@code http.*}) reach the app's environment with
     * the values application.properties has, those the flood test measured.
     */
    @Test
    void theFloodSettingsReachTheAppAsServerTomcatWithTheValuesOfApplicationProperties() {
        JsonNode app = container(manifests.workload("app"), "app");
        assertThat(app.path("envFrom").values()).extracting(from -> from.at("/configMapRef/name").asString())
            .contains("counter-service");
        Map<String, String> tomcat = new TreeMap<>();
        manifests.configMapData("counter-service")
            .entrySet()
            .stream()
            .filter(entry -> entry.getKey().startsWith("SERVER_TOMCAT_"))
            .forEach(entry -> tomcat.put(
                    entry.getKey().substring("SERVER_TOMCAT_".length()).toLowerCase(Locale.ROOT).replace('_', '-'),
                    entry.getValue()));
        assertThat(tomcat).containsOnlyKeys("max-connections", "accept-count", "connection-timeout",
                "keep-alive-timeout");
        Map<String, String> properties = AppContract.load().tomcat();
        tomcat.forEach((name, value) -> assertThat(normalized(name, value)).as("server.tomcat." + name)
            .isEqualTo(normalized(name, properties.get(name))));
    }

    private static String normalized(String name, String value) {
        return value != null && name.endsWith("timeout") ? DurationStyle.detectAndParse(value).toString() : value;
    }

    @Test
    void aConfigChangeRollsTheAppPodsAndNothingElseDoes() {
        String checksum = checksum(manifests);
        assertThat(checksum).matches("[0-9a-f]{64}");
        assertThat(checksum(Chart.render(ValueSet.DEFAULTS, Map.of("counter.maxCount", 10)))).isNotEqualTo(checksum);
        assertThat(checksum(Chart.render(ValueSet.DEFAULTS, Map.of("replicaCount", 3)))).isEqualTo(checksum);
    }

    @Test
    void optionalObjectsAreOffByDefault() {
        for (String kind : List.of("Ingress", "HorizontalPodAutoscaler", "NetworkPolicy", "ServiceMonitor",
                "PrometheusRule", "Cluster")) {
            assertThat(manifests.ofKind(kind)).as(kind).isEmpty();
        }
        assertThat(manifests.objects()).extracting(o -> o.path("kind").asString())
            .containsExactlyInAnyOrder("ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "StatefulSet",
                    "Service", "Service", "Secret", "Pod");
    }

    @Test
    void theHelmTestPodCallsNextTwiceThroughTheAppService() {
        JsonNode pod = manifests.workload("test");
        assertThat(strings(pod.at("/metadata/annotations"))).containsEntry("helm.sh/hook", "test");
        assertThat(podSpec(pod).path("restartPolicy").asString()).isEqualTo("Never");
        JsonNode next = podSpec(pod).at("/containers/0");
        URI url = URI.create(literalEnv(next).get("NEXT_URL"));
        JsonNode service = manifests.get("Service", url.getHost());
        assertThat(service.at("/spec/ports").values()).anySatisfy(port -> {
            assertThat(port.path("port").asInt()).isEqualTo(url.getPort());
            assertThat(port.path("name").asString()).isEqualTo("http");
        });
        assertThat(url.getPath()).isEqualTo("/next");
        assertThat(next.at("/command/2").asString()).contains("-gt");
    }

    @Test
    void notesTellHowToReachNextAndHowToTestTheRelease() {
        String notes = Chart.notes(ValueSet.DEFAULTS);
        assertThat(notes).contains("kubectl --namespace default port-forward service/counter-service 8080:80")
            .contains("curl http://127.0.0.1:8080/next")
            .contains("helm test counter-service")
            .contains("data-counter-service-postgresql-0");
    }

    private static String checksum(Manifests manifests) {
        return manifests.only("Deployment").at("/spec/template/metadata/annotations/checksum~1config").asString();
    }

    private static String generatedPassword() {
        JsonNode secret = Chart.render(ValueSet.DEFAULTS, Map.of()).get("Secret", "counter-service-postgresql");
        return new String(Base64.getDecoder().decode(secret.at("/data/password").asString()));
    }

    /**
     * counter.maxCount becomes COUNTER_MAX_COUNT; nested records (counter.coalescing.*)
     * are followed.
     */
    /**
     * The environment variable of every setting of a properties record; of a list of
     * records, those of its first element.
     */
    private static void collectEnvironmentNames(String prefix, Class<?> type, List<String> names) {
        for (RecordComponent component : type.getRecordComponents()) {
            String name = prefix + "_" + component.getName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase();
            if (component.getType().isRecord()) {
                collectEnvironmentNames(name, component.getType(), names);
            }
            else if (component.getGenericType() instanceof ParameterizedType list
                    && list.getActualTypeArguments()[0] instanceof Class<?> element && element.isRecord()) {
                collectEnvironmentNames(name + "_0", element, names);
            }
            else {
                names.add(name);
            }
        }
    }

}
