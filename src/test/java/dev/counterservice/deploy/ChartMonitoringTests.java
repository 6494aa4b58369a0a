package dev.counterservice.deploy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static dev.counterservice.deploy.Manifests.strings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * grafanaDashboard.enabled and prometheusRule.enabled
 * (chart/ci/all-features-values.yaml). That every metric they query is one the app
 * exports is checked against a running instance by
 * {@link ChartMetricNamesIntegrationTests}.
 */
class ChartMonitoringTests {

    private final Manifests manifests = Chart.render(ValueSet.ALL_FEATURES);

    @Test
    void theDashboardIsAConfigMapForGrafanasSidecarWithAPanelPerConcern() {
        JsonNode configMap = manifests.get("ConfigMap", "counter-service-dashboard");
        assertThat(strings(configMap.at("/metadata/labels"))).containsEntry("grafana_dashboard", "1");
        assertThat(strings(configMap.at("/metadata/annotations"))).containsEntry("grafana_folder", "Counters");
        JsonNode dashboard = dashboard(manifests);
        assertThat(dashboard.path("uid").asString()).isEqualTo("counter-service");
        assertThat(dashboard.at("/templating/list").values()).extracting(v -> v.path("name").asString())
            .containsExactly("datasource", "namespace", "service", "counter");
        List<String> queries = dashboard.path("panels")
            .values()
            .stream()
            .flatMap(panel -> panel.path("targets").values().stream())
            .map(t -> t.path("expr").asString())
            .toList();
        assertThat(queries).anyMatch(q -> q.contains("rate(counter_numbers_issued_total"))
            .anyMatch(q -> q.contains("counter_batch_size_"))
            .anyMatch(q -> q.startsWith("histogram_quantile(0.5,") && q.contains("counter_commit_seconds_bucket"))
            .anyMatch(q -> q.startsWith("histogram_quantile(0.99,") && q.contains("counter_commit_seconds_bucket"))
            .anyMatch(q -> q.contains("counter_requests_waiting"))
            .anyMatch(q -> q.contains("http_server_requests_seconds_count") && q.contains("status=\"503\""))
            .anyMatch(q -> q.contains("status=\"409\""))
            .anyMatch(q -> q.contains("jvm_memory_used_bytes"))
            .anyMatch(q -> q.contains("counter_fences_total"))
            .anyMatch(q -> q.contains("counter_regressions_total"))
            .anyMatch(q -> q.contains("counter_database_synchronous"))
            .anyMatch(q -> q.contains("counter_database_standbys"));
        assertThat(queries).allSatisfy(q -> assertThat(q).contains("namespace=\"$namespace\", service=\"$service\""));
        assertThat(dashboard.path("panels").values()).extracting(p -> p.path("id").asInt()).doesNotHaveDuplicates();
    }

    @Test
    void thePrometheusRuleAlertsOnEachWayTheServiceFailsWithThresholdsFromValues() {
        JsonNode rule = manifests.only("PrometheusRule");
        assertThat(rule.path("apiVersion").asString()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(strings(rule.at("/metadata/labels"))).containsEntry("release", "prometheus");
        Map<String, JsonNode> alerts = alerts(manifests);
        assertThat(alerts).containsOnlyKeys("CounterServiceDatabaseUnreachable", "CounterServiceCommitLatencyHigh",
                "CounterServiceCounterExhausted", "CounterServiceHeadroomLow", "CounterServiceInstanceNotReady",
                "CounterServiceNumbersRegressed", "CounterServiceReplicationNotSynchronous");
        assertThat(alerts.get("CounterServiceHeadroomLow").path("expr").asString()).contains("counter_high_water_mark")
            .endsWith("/ 9223372036854775807 > 0.5");
        assertThat(alerts.get("CounterServiceNumbersRegressed").path("expr").asString())
            .contains("counter_regressions_total")
            .endsWith("> 0");
        assertThat(alerts.get("CounterServiceReplicationNotSynchronous").path("for").asString()).isEqualTo("5m");
        assertThat(alerts.get("CounterServiceCounterExhausted").path("for").asString())
            .as("longer than an Idempotency-Key's 409s last")
            .isEqualTo("10m");
        JsonNode latency = alerts.get("CounterServiceCommitLatencyHigh");
        assertThat(latency.path("expr").asString()).startsWith("histogram_quantile(0.99,").endsWith("> 0.5");
        assertThat(latency.path("for").asString()).isEqualTo("15m");
        JsonNode unreachable = alerts.get("CounterServiceDatabaseUnreachable");
        assertThat(unreachable.path("expr").asString()).contains("status=\"503\"")
            .contains("hikaricp_connections_timeout_total")
            .endsWith("> 0.1");
        assertThat(unreachable.path("for").asString()).isEqualTo("2m");
        assertThat(alerts.get("CounterServiceInstanceNotReady").path("expr").asString())
            .contains("kube_pod_status_ready{namespace=\"default\"")
            .contains("condition=\"true\"")
            .endsWith("== 0");
        for (JsonNode alert : alerts.values()) {
            assertThat(alert.at("/labels/severity").asString()).isIn("critical", "warning");
            assertThat(alert.at("/annotations/summary").asString()).isNotBlank();
            if (!alert.path("alert").asString().equals("CounterServiceInstanceNotReady")) {
                assertThat(alert.path("expr").asString())
                    .as("%s selects this release's scrape targets", alert.path("alert"))
                    .contains("namespace=\"default\", service=\"counter-service\"");
            }
        }
    }

    @Test
    void theReadinessAlertMatchesTheAppsPodsOnly() {
        String expr = alerts(manifests).get("CounterServiceInstanceNotReady").path("expr").asString();
        String podRegex = expr.replaceAll("(?s).*pod=~\"([^\"]+)\".*", "$1").replace("\\\\", "\\");
        assertThat("counter-service-7d9f8b6c5-x2k4q").as("a Deployment pod").matches(podRegex);
        assertThat(List.of("counter-service-postgresql-0", "counter-service-db-1", "counter-service-test-next",
                "counter-service-7d9f8b6c5"))
            .noneMatch(pod -> pod.matches(podRegex));
    }

    @Test
    void bothAreOffByDefault() {
        Manifests defaults = Chart.render(ValueSet.DEFAULTS);
        assertThat(defaults.ofKind("PrometheusRule")).isEmpty();
        assertThat(defaults.find("ConfigMap", "counter-service-dashboard")).isEmpty();
    }

    static JsonNode dashboard(Manifests manifests) {
        return JsonMapper.shared()
            .readTree(manifests.configMapData("counter-service-dashboard").get("counter-service.json"));
    }

    static Map<String, JsonNode> alerts(Manifests manifests) {
        Map<String, JsonNode> alerts = new LinkedHashMap<>();
        for (JsonNode group : manifests.only("PrometheusRule").at("/spec/groups")) {
            for (JsonNode rule : group.path("rules")) {
                alerts.put(rule.path("alert").asString(), rule);
            }
        }
        return alerts;
    }

}
