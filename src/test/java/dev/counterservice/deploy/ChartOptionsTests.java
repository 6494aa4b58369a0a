package dev.counterservice.deploy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import static dev.counterservice.deploy.Manifests.COMPONENT;
import static dev.counterservice.deploy.Manifests.container;
import static dev.counterservice.deploy.Manifests.containerPort;
import static dev.counterservice.deploy.Manifests.envEntry;
import static dev.counterservice.deploy.Manifests.literalEnv;
import static dev.counterservice.deploy.Manifests.podLabels;
import static dev.counterservice.deploy.Manifests.podSpec;
import static dev.counterservice.deploy.Manifests.selects;
import static dev.counterservice.deploy.Manifests.strings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The value sets in chart/ci: an external database, an existing Secret, every optional
 * object, an older PostgreSQL.
 */
class ChartOptionsTests {

    @Test
    void anExternalDatabaseReplacesTheBundledPostgresql() {
        Manifests manifests = Chart.render(ValueSet.EXTERNAL_DATABASE);
        assertThat(manifests.ofKind("StatefulSet")).isEmpty();
        assertThat(manifests.ofKind("Secret")).isEmpty();
        assertThat(manifests.ofKind("Service")).extracting(Manifests::name).containsExactly("counter-service");
        JsonNode deployment = manifests.only("Deployment");
        assertThat(podSpec(deployment).path("initContainers").isMissingNode()).as("no wait for a bundled PostgreSQL")
            .isTrue();
        assertThat(manifests.configMapData("counter-service"))
            .containsEntry("SPRING_DATASOURCE_URL",
                    "jdbc:postgresql://counter-db-rw.databases.svc:5433/counters?sslmode=require")
            .containsEntry("SPRING_DATASOURCE_USERNAME", "counter_app");
        JsonNode password = envEntry(container(deployment, "app"), "SPRING_DATASOURCE_PASSWORD")
            .at("/valueFrom/secretKeyRef");
        assertThat(password.path("name").asString()).isEqualTo("counter-db-app");
        assertThat(password.path("key").asString()).isEqualTo("pgpass");
    }

    @Test
    void anExistingSecretIsUsedByPostgresqlAndTheAppAndNoneIsGenerated() {
        Manifests manifests = Chart.render(ValueSet.EXISTING_SECRET);
        assertThat(manifests.ofKind("Secret")).isEmpty();
        JsonNode app = envEntry(container(manifests.workload("app"), "app"), "SPRING_DATASOURCE_PASSWORD");
        JsonNode postgresql = envEntry(container(manifests.only("StatefulSet"), "postgresql"), "POSTGRES_PASSWORD");
        for (JsonNode ref : List.of(app.at("/valueFrom/secretKeyRef"), postgresql.at("/valueFrom/secretKeyRef"))) {
            assertThat(ref.path("name").asString()).isEqualTo("counter-db-credentials");
            assertThat(ref.path("key").asString()).isEqualTo("postgres-password");
        }
    }

    @Test
    void theAutoscalerTargetsTheDeploymentWhichThenLeavesReplicasToIt() {
        Manifests manifests = Chart.render(ValueSet.ALL_FEATURES);
        JsonNode autoscaler = manifests.only("HorizontalPodAutoscaler");
        assertThat(autoscaler.at("/spec/scaleTargetRef/kind").asString()).isEqualTo("Deployment");
        assertThat(autoscaler.at("/spec/scaleTargetRef/name").asString())
            .isEqualTo(Manifests.name(manifests.only("Deployment")));
        assertThat(autoscaler.at("/spec/minReplicas").asInt()).isEqualTo(3);
        assertThat(autoscaler.at("/spec/maxReplicas").asInt()).isEqualTo(6);
        assertThat(manifests.only("Deployment").at("/spec/replicas").isMissingNode()).isTrue();
    }

    @Test
    void theIngressRoutesToTheAppServicesHttpPortWithTls() {
        Manifests manifests = Chart.render(ValueSet.ALL_FEATURES);
        JsonNode ingress = manifests.only("Ingress");
        assertThat(ingress.at("/spec/ingressClassName").asString()).isEqualTo("nginx");
        assertThat(ingress.at("/spec/tls/0/secretName").asString()).isEqualTo("counter-example-tls");
        JsonNode rule = ingress.at("/spec/rules/0");
        assertThat(rule.path("host").asString()).isEqualTo("counter.example.com");
        JsonNode backend = rule.at("/http/paths/0/backend/service");
        JsonNode service = manifests.get("Service", backend.path("name").asString());
        assertThat(service.at("/spec/ports").values()).extracting(p -> p.path("name").asString())
            .contains(backend.at("/port/name").asString());
        assertThat(strings(service.at("/spec/selector"))).containsEntry(COMPONENT, "app");
    }

    @Test
    void theNetworkPolicyLetsOnlyTheAppReachPostgresqlOn5432() {
        Manifests manifests = Chart.render(ValueSet.ALL_FEATURES);
        JsonNode policy = manifests.only("NetworkPolicy");
        assertThat(
                selects(strings(policy.at("/spec/podSelector/matchLabels")), podLabels(manifests.only("StatefulSet"))))
            .isTrue();
        assertThat(policy.at("/spec/policyTypes").values()).extracting(JsonNode::asString).containsExactly("Ingress");
        assertThat(policy.at("/spec/ingress").size()).isEqualTo(1);
        var from = strings(policy.at("/spec/ingress/0/from/0/podSelector/matchLabels"));
        for (JsonNode workload : manifests.workloads()) {
            boolean app = "app".equals(podLabels(workload).get(COMPONENT));
            assertThat(selects(from, podLabels(workload))).as("%s may reach PostgreSQL", Manifests.name(workload))
                .isEqualTo(app);
        }
        assertThat(policy.at("/spec/ingress/0/ports/0/port").asInt()).isEqualTo(5432);
    }

    @Test
    void theServiceMonitorScrapesThePrometheusEndpointOnTheAppsManagementPort() {
        Manifests manifests = Chart.render(ValueSet.ALL_FEATURES);
        JsonNode monitor = manifests.only("ServiceMonitor");
        assertThat(strings(monitor.at("/metadata/labels"))).containsEntry("release", "prometheus");
        var selector = strings(monitor.at("/spec/selector/matchLabels"));
        List<JsonNode> services = manifests.ofKind("Service")
            .stream()
            .filter(s -> selects(selector, strings(s.at("/metadata/labels"))))
            .toList();
        assertThat(services).extracting(Manifests::name).containsExactly("counter-service");
        JsonNode endpoint = monitor.at("/spec/endpoints/0");
        JsonNode port = services.getFirst()
            .at("/spec/ports")
            .values()
            .stream()
            .filter(p -> p.path("name").asString().equals(endpoint.path("port").asString()))
            .findFirst()
            .orElseThrow();
        JsonNode app = container(manifests.workload("app"), "app");
        assertThat(containerPort(app, port.path("targetPort").asString()))
            .isEqualTo(AppContract.load().managementPort());
        assertThat(endpoint.path("path").asString()).isEqualTo(AppContract.load().prometheusPath());
    }

    @Test
    void counterSettingsAndExtrasReachTheApp() {
        Manifests manifests = Chart.render(ValueSet.ALL_FEATURES);
        assertThat(manifests.configMapData("counter-service")).containsEntry("COUNTER_NAMES", "")
            .containsEntry("COUNTER_COUNTERS_0_NAME", "default")
            .containsEntry("COUNTER_COUNTERS_0_START", "0")
            .containsEntry("COUNTER_COUNTERS_2_NAME", "invoices")
            .containsEntry("COUNTER_COUNTERS_2_START", "52000")
            .containsEntry("COUNTER_MAX_COUNTERS", "500")
            .containsEntry("COUNTER_ADMIN_ENABLED", "true")
            .containsEntry("COUNTER_COALESCING_CONCURRENT_BATCHES", "4")
            .containsEntry("COUNTER_MAX_COUNT", "500")
            .containsEntry("COUNTER_TIMEOUT", "2s")
            .containsEntry("COUNTER_COALESCING_ENABLED", "false")
            .containsEntry("COUNTER_COALESCING_MAX_BATCH", "200")
            .containsEntry("COUNTER_IDEMPOTENCY_RETENTION", "1h")
            .containsEntry("COUNTER_FENCE_MARGIN", "50000000");
        JsonNode deployment = manifests.only("Deployment");
        assertThat(literalEnv(container(deployment, "app"))).containsEntry("JAVA_TOOL_OPTIONS", "-XX:+PrintFlagsFinal");
        assertThat(strings(deployment.at("/spec/template/metadata/annotations")))
            .containsEntry("example.com/team", "platform")
            .containsKey("checksum/config");
        assertThat(podSpec(deployment).at("/topologySpreadConstraints/0/topologyKey").asString())
            .isEqualTo("topology.kubernetes.io/zone");
        JsonNode claim = manifests.only("StatefulSet").at("/spec/volumeClaimTemplates/0/spec");
        assertThat(claim.path("storageClassName").asString()).isEqualTo("fast-ssd");
        assertThat(claim.at("/resources/requests/storage").asString()).isEqualTo("20Gi");
    }

    @Test
    void jsonLogsAndTracingAreOneValueEachAndOffByDefault() {
        assertThat(Chart.render(ValueSet.ALL_FEATURES).configMapData("counter-service"))
            .containsEntry("LOGGING_STRUCTURED_FORMAT_CONSOLE", "ecs")
            .containsEntry("MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT",
                    "http://otel-collector.observability:4318/v1/traces")
            .containsEntry("MANAGEMENT_TRACING_SAMPLING_PROBABILITY", "1");
        assertThat(Chart.render(ValueSet.DEFAULTS).configMapData("counter-service")).doesNotContainKeys(
                "LOGGING_STRUCTURED_FORMAT_CONSOLE", "MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT",
                "MANAGEMENT_TRACING_SAMPLING_PROBABILITY");
    }

    @Test
    void postgresql17KeepsItsDataInASubdirectoryOfTheClaim() {
        JsonNode postgresql = container(Chart.render(ValueSet.POSTGRESQL_17).only("StatefulSet"), "postgresql");
        assertThat(postgresql.path("image").asString()).isEqualTo("postgres:17.6");
        assertThat(literalEnv(postgresql)).containsEntry("PGDATA", "/var/lib/postgresql/data/pgdata");
        assertThat(postgresql.at("/volumeMounts/0/mountPath").asString()).isEqualTo("/var/lib/postgresql/data");
    }

    @Test
    void longReleaseNamesStayWithinKubernetesNameLimits() {
        Manifests manifests = Chart.render(ValueSet.DEFAULTS, Map.of("fullnameOverride", "x".repeat(70)));
        for (JsonNode object : manifests.objects()) {
            assertThat(Manifests.name(object).length()).as("name of %s", object.path("kind")).isLessThanOrEqualTo(63);
        }
        assertThat(Manifests.name(manifests.only("StatefulSet")).length()).as("room for -0 and the revision hash")
            .isLessThanOrEqualTo(52);
        assertThat(manifests.ofKind("Service")).extracting(Manifests::name).doesNotHaveDuplicates();
    }

    @Test
    void authIsOffByDefaultAndAPublicKeyFromASecretOrConfigMapTurnsItOn() {
        assertThat(Chart.render(ValueSet.DEFAULTS).configMapData("counter-service")).doesNotContainKeys(
                "SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUERURI",
                "SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_JWKSETURI",
                "SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_PUBLICKEYLOCATION");

        for (String source : List.of("secretName", "configMapName")) {
            Manifests manifests = Chart.render(ValueSet.DEFAULTS,
                    Map.of("auth.publicKey." + source, "idp-key", "auth.publicKey.key", "rsa.pem"));
            assertThat(manifests.configMapData("counter-service")).containsEntry(
                    "SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_PUBLICKEYLOCATION",
                    "file:/etc/counter-service/jwt/rsa.pem");
            JsonNode deployment = manifests.only("Deployment");
            JsonNode volume = podSpec(deployment).path("volumes")
                .valueStream()
                .filter(v -> v.path("name").asString().equals("jwt-public-key"))
                .findFirst()
                .orElseThrow();
            JsonNode reference = source.equals("secretName") ? volume.path("secret") : volume.path("configMap");
            assertThat(reference.path(source.equals("secretName") ? "secretName" : "name").asString()).as(source)
                .isEqualTo("idp-key");
            assertThat(reference.at("/items/0/key").asString()).isEqualTo("rsa.pem");
            assertThat(container(deployment, "app").path("volumeMounts")
                .valueStream()
                .filter(mount -> mount.path("name").asString().equals("jwt-public-key"))).singleElement()
                .satisfies(mount -> {
                    assertThat(mount.path("mountPath").asString()).isEqualTo("/etc/counter-service/jwt");
                    assertThat(mount.path("readOnly").asBoolean()).isTrue();
                });
        }
    }

    @Test
    void authByAnIssuerOrAJwkSetUrlIsPassedToTheApp() {
        Map<String, String> config = Chart
            .render(ValueSet.DEFAULTS, Map.of("auth.issuerUri", "https://idp.example.com/realms/counters",
                    "auth.jwkSetUri", "https://idp.example.com/jwks"))
            .configMapData("counter-service");
        assertThat(config)
            .containsEntry("SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUERURI",
                    "https://idp.example.com/realms/counters")
            .containsEntry("SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_JWKSETURI", "https://idp.example.com/jwks")
            .doesNotContainKey("SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_PUBLICKEYLOCATION");
    }

}
