package dev.counterservice.system;

import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.RawHttp;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Probes and metrics live on the management port, and nothing else of the actuator is
 * reachable anywhere.
 */
class ActuatorIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final AppInstance instance = AppInstance.shared();

    @Test
    void livenessAndReadinessGroupsAreUpAndReadinessChecksTheDatabase() {
        assertThat(instance.management("/actuator/health/liveness").body()).isEqualTo("{\"status\":\"UP\"}");
        assertThat(instance.management("/actuator/health/readiness").body()).isEqualTo("{\"status\":\"UP\"}");
        assertThat(instance.management("/actuator/health").statusCode()).isEqualTo(200);
        assertThat(
                instance.context().getEnvironment().getProperty("management.endpoint.health.group.readiness.include"))
            .contains("database");
    }

    @Test
    void prometheusScrapesTheServiceMetrics() {
        instance.send("GET", "/next?count=2");
        var response = instance.management("/actuator/prometheus");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("http_server_requests")
            .contains("hikaricp_connections")
            .contains("counter_numbers_issued_total{counter=\"default\"}")
            .contains("counter_batch_size_count{counter=\"default\"}")
            .contains("counter_commit_seconds_count{counter=\"default\",error=\"none\"}")
            .contains("counter_commit_seconds_bucket{counter=\"default\",error=\"none\",le=")
            .contains("counter_requests_waiting{counter=\"default\"}")
            .contains("counter_fences_total{counter=\"default\"} 0.0")
            .contains("counter_regressions_total{counter=\"default\"} 0.0")
            .contains("counter_database_synchronous 0.0")
            .contains("counter_database_standbys 0.0")
            .contains("counter_high_water_mark{counter=\"default\"}")
            .doesNotContain("counter_commit_active");
        assertThat(response.body().lines().filter(line -> line.startsWith("# HELP counter_")))
            .as("every counter_ metric says what it is")
            .isNotEmpty()
            .allSatisfy(help -> assertThat(help).matches("# HELP counter_\\w+ \\S.*"));
    }

    @Test
    void prometheusExemplarsReadTheSpanThroughTheServicesOwnSpanContext() {
        assertThat(instance.context().getBean(io.prometheus.metrics.tracer.common.SpanContext.class))
            .isInstanceOf(ExemplarSpanContext.class);
    }

    @Test
    void infoIsExposed() {
        assertThat(instance.management("/actuator/info").statusCode()).isEqualTo(200);
    }

    @Test
    void theManagementPortListsOnlyHealthInfoAndPrometheus() {
        var response = instance.management("/actuator");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).get("_links").propertyNames()).containsExactlyInAnyOrder("self",
                "health", "health-path", "info", "prometheus");
    }

    @Test
    void sensitiveEndpointsAreNotReachableOnEitherPort() {
        for (String endpoint : List.of("env", "heapdump", "configprops", "beans", "mappings", "threaddump", "loggers",
                "shutdown", "conditions", "scheduledtasks", "metrics", "caches", "startup", "sbom", "httpexchanges",
                "auditevents", "flyway", "logfile", "sessions", "liquibase", "quartz", "integrationgraph", "jolokia")) {
            assertThat(instance.management("/actuator/" + endpoint).statusCode()).as(endpoint).isEqualTo(404);
            assertThat(instance.send("GET", "/actuator/" + endpoint).statusCode()).as(endpoint).isEqualTo(404);
        }
        assertThat(instance.send("GET", "/actuator/health").statusCode()).isEqualTo(404);
        assertThat(instance.send("GET", "/actuator").statusCode()).isEqualTo(404);
        for (String url : List.of(instance.managementUrl(), instance.baseUrl())) {
            var shutdown = RawHttp.send(url,
                    "POST /actuator/shutdown HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
            assertThat(shutdown.status()).as(url).isEqualTo(404);
        }
        assertThat(instance.management("/actuator/health").statusCode()).as("still running").isEqualTo(200);
    }

    @Test
    void theManagementPortServesNoApi() {
        long before = TestDatabase.shared().queryForLong("SELECT value FROM counter WHERE name = 'default'");

        for (String path : List.of("/", "/next", "/counters", "/counters/default/next")) {
            assertThat(instance.management(path).statusCode()).as(path).isEqualTo(404);
        }
        assertThat(TestDatabase.shared().queryForLong("SELECT value FROM counter WHERE name = 'default'"))
            .isEqualTo(before);
    }

}
