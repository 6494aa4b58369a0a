package dev.counterservice.deploy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.TcpProxy;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every metric that the chart's Grafana dashboard and PrometheusRule query is one a
 * running instance exports on /actuator/prometheus, and every label value they match on
 * appears there. The instance first serves a number, refuses one (409, an exhausted
 * counter) and loses its database (503), so that the series those queries select exist.
 * Names are compared with the exported sample names, which carry the _bucket, _count,
 * _sum and _total suffixes themselves: a query of {@code x_bucket} passes only if x
 * really is a histogram.
 */
class ChartMetricNamesIntegrationTests {

    /**
     * Labels Prometheus adds to what it scrapes through the ServiceMonitor; the app does
     * not export them.
     */
    private static final Set<String> TARGET_LABELS = Set.of("namespace", "service", "pod", "job", "instance",
            "container", "endpoint");

    /**
     * Series the rules read from another exporter: pod readiness, which the app cannot
     * report while unready.
     */
    private static final Set<String> FROM_KUBE_STATE_METRICS = Set.of("kube_pod_status_ready");

    /**
     * PromQL functions, aggregations and keywords the queries use; any other word outside
     * a selector names a metric.
     */
    private static final Set<String> PROMQL_WORDS = Set.of("sum", "max", "min", "avg", "count", "rate", "increase",
            "histogram_quantile", "vector", "and", "or", "unless", "bool", "offset");

    private static final String STRING = "\"(?:[^\"\\\\]|\\\\.)*\"";

    private static final Pattern SELECTOR = Pattern
        .compile("([a-zA-Z_:][a-zA-Z0-9_:]*)?\\s*\\{((?:[^}\"]|" + STRING + ")*)}");

    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_]\\w*)\\s*(=~|!~|!=|=)\\s*(" + STRING + ")");

    private static final Pattern WORD = Pattern.compile("(?<![\\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*");

    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+\\S+.*");

    private static final Pattern LABEL = Pattern.compile("(\\w+)=(" + STRING + ")");

    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.*),\\s*\\w+\\)");

    private static final Map<String, List<Map<String, String>>> exported = new LinkedHashMap<>();

    private static double poolTimeoutsBeforeProbe;

    private static double poolTimeoutsAfterProbe;

    @BeforeAll
    static void scrapeAnInstanceThatServedRefusedAndLostItsDatabase() throws InterruptedException {
        TestDatabase database = TestDatabase.shared();
        try (TcpProxy proxy = TcpProxy.to(database.host(), database.port());
                AppInstance instance = AppInstance.start(database.via(proxy.port()), Map.of("counter.names",
                        "default,metrics-edge", "spring.datasource.hikari.connection-timeout", "1000"))) {
            assertThat(instance.send("GET", "/next").statusCode()).isEqualTo(200);
            database.execute("UPDATE counter SET value = 9223372036854775000 WHERE name = 'metrics-edge'");
            assertThat(instance.send("GET", "/counters/metrics-edge/next?count=1000").statusCode()).isEqualTo(409);

            proxy.refuseConnections(true);
            proxy.cutConnections();
            assertThat(instance.send("GET", "/next").statusCode()).isEqualTo(503);
            // No request arrives at an unready pod; only its readiness probe still asks
            // the database. The request's
            // own wait for a connection may end just after its 503: count from when the
            // count has settled
            poolTimeoutsBeforeProbe = settledPoolTimeouts(instance);
            assertThat(instance.management("/actuator/health/readiness").statusCode()).isEqualTo(503);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            do {
                Thread.sleep(200);
                poolTimeoutsAfterProbe = poolTimeouts(scrape(instance));
            }
            while (poolTimeoutsAfterProbe == poolTimeoutsBeforeProbe && System.nanoTime() < deadline);
        }
    }

    @AfterAll
    static void forget() {
        exported.clear();
    }

    @Test
    void everyMetricTheDashboardAndTheRulesQueryIsExported() {
        Set<String> referenced = new LinkedHashSet<>();
        queries().forEach(query -> referenced.addAll(metricNames(query)));
        assertThat(referenced).as("the queries were read")
            .contains("counter_numbers_issued_total", "counter_batch_size_bucket", "counter_commit_seconds_bucket",
                    "counter_requests_waiting", "http_server_requests_seconds_count",
                    "hikaricp_connections_timeout_total", "jvm_memory_used_bytes", "counter_regressions_total",
                    "counter_database_synchronous", "kube_pod_status_ready");
        for (String name : referenced) {
            if (FROM_KUBE_STATE_METRICS.contains(name)) {
                assertThat(exported).as("%s is kube-state-metrics', not the app's", name).doesNotContainKey(name);
            }
            else {
                assertThat(exported).as("the app exports %s", name).containsKey(name);
            }
        }
    }

    @Test
    void everyLabelValueTheyMatchOnIsExported() {
        int checked = 0;
        for (String query : queries()) {
            Matcher selector = SELECTOR.matcher(query);
            while (selector.find()) {
                String name = selector.group(1);
                if (name == null || FROM_KUBE_STATE_METRICS.contains(name)) {
                    continue;
                }
                Matcher matcher = MATCHER.matcher(selector.group(2));
                while (matcher.find()) {
                    String label = matcher.group(1);
                    String operator = matcher.group(2);
                    String value = unquote(matcher.group(3));
                    if (TARGET_LABELS.contains(label) || value.contains("$") || operator.startsWith("!")) {
                        continue; // added by Prometheus, a Grafana variable, or a
                                  // negative matcher that absent series also meet
                    }
                    assertThat(exported.getOrDefault(name, List.of()))
                        .as("a series %s{%s%s\"%s\"}", name, label, operator, value)
                        .anyMatch(labels -> operator.equals("=~") ? labels.getOrDefault(label, "").matches(value)
                                : value.equals(labels.get(label)));
                    checked++;
                }
            }
        }
        assertThat(checked).as("status=\"503\", status=\"409\", area=\"heap\" at least").isGreaterThanOrEqualTo(3);
    }

    @Test
    void theReadinessProbeAloneCountsPoolTimeoutsWhileTheDatabaseIsUnreachable() {
        assertThat(poolTimeoutsAfterProbe)
            .as("hikaricp_connections_timeout_total, which the database alert adds to the 503s")
            .isGreaterThan(poolTimeoutsBeforeProbe);
    }

    /**
     * Every PromQL expression of the dashboard (panels and variables) and of the rules.
     */
    private static List<String> queries() {
        Manifests manifests = Chart.render(ValueSet.ALL_FEATURES);
        JsonNode dashboard = ChartMonitoringTests.dashboard(manifests);
        List<String> queries = new ArrayList<>();
        dashboard.path("panels")
            .forEach(panel -> panel.path("targets").forEach(target -> queries.add(target.path("expr").asString())));
        for (JsonNode variable : dashboard.at("/templating/list")) {
            Matcher labelValues = LABEL_VALUES.matcher(variable.path("query").asString());
            if (variable.path("type").asString().equals("query") && labelValues.matches()) {
                queries.add(labelValues.group(1));
            }
        }
        ChartMonitoringTests.alerts(manifests).values().forEach(alert -> queries.add(alert.path("expr").asString()));
        return queries;
    }

    /**
     * The words of a query that are neither PromQL's own, nor inside a selector, range,
     * label list or string.
     */
    static Set<String> metricNames(String query) {
        String outside = query.replaceAll(SELECTOR.pattern(), "$1 ")
            .replaceAll("\\[[^]]*]", " ")
            .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
            .replaceAll(STRING, " ")
            .replaceAll("\\$\\w+", " ");
        Set<String> names = new LinkedHashSet<>();
        Matcher word = WORD.matcher(outside);
        while (word.find()) {
            if (!PROMQL_WORDS.contains(word.group())) {
                names.add(word.group());
            }
        }
        return names;
    }

    /**
     * Reads the instance's metrics into {@link #exported}: the last scrape is what the
     * tests compare the queries with.
     */
    private static String scrape(AppInstance instance) {
        String body = instance.management("/actuator/prometheus").body();
        exported.clear();
        for (String line : body.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList()) {
            Matcher sample = SAMPLE.matcher(line);
            assertThat(sample.matches()).as("a sample line: %s", line).isTrue();
            Map<String, String> labels = new LinkedHashMap<>();
            Matcher label = LABEL.matcher(sample.group(2) == null ? "" : sample.group(2));
            while (label.find()) {
                labels.put(label.group(1), unquote(label.group(2)));
            }
            exported.computeIfAbsent(sample.group(1), name -> new ArrayList<>()).add(labels);
        }
        return body;
    }

    /**
     * The pool's timeouts once two scrapes, more than a connection timeout (1 s) apart,
     * agree.
     */
    private static double settledPoolTimeouts(AppInstance instance) throws InterruptedException {
        double before = poolTimeouts(scrape(instance));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            Thread.sleep(1500);
            double now = poolTimeouts(scrape(instance));
            if (now == before) {
                return now;
            }
            assertThat(System.nanoTime()).as("connection pool timeouts settle without requests").isLessThan(deadline);
            before = now;
        }
    }

    private static double poolTimeouts(String body) {
        return body.lines()
            .filter(l -> l.startsWith("hikaricp_connections_timeout_total{"))
            .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
            .sum();
    }

    /** A PromQL or exposition-format string literal's value. */
    private static String unquote(String literal) {
        return literal.substring(1, literal.length() - 1).replaceAll("\\\\(.)", "$1");
    }

}
