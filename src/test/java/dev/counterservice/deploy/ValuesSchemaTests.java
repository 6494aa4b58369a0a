package dev.counterservice.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * values.schema.json stops a wrong value at install time, with the key in the message;
 * and every value in values.yaml is documented and known to the schema.
 */
class ValuesSchemaTests {

    private static final Pattern KEY = Pattern.compile("^( *)([A-Za-z][A-Za-z0-9]*):(.*)$");

    @Test
    void everyValueIsDocumentedByACommentStartingWithItsKey() throws IOException {
        assertThat(valuesKeys())
            .allSatisfy((key, documented) -> assertThat(documented).as("%s is documented", key).isTrue());
    }

    @Test
    void everyValueIsDescribedByTheSchema() throws IOException {
        JsonNode schema = JsonMapper.shared().readTree(Chart.DIR.resolve("values.schema.json").toFile());
        for (String key : valuesKeys().keySet()) {
            JsonNode node = schema;
            for (String part : key.split("\\.")) {
                if (node.has("$ref")) {
                    node = schema.at(node.path("$ref").asString().substring(1));
                }
                if (!node.has("properties")) {
                    break; // a free-form object such as resources or podSecurityContext
                }
                node = node.path("properties").path(part);
                assertThat(node.isMissingNode()).as("%s is in values.schema.json", key).isFalse();
            }
        }
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({ "replicaCount, two", "replicaCount, -1", "image.pullPolicy, Sometimes", "service.port, 70000",
            "counter.maxCount, many", "counter.maxCount, 0", "counters[0].name, Not A Name", "counters[0].start, -1",
            "counter.timeout, soon", "counter.coalescing.enabled, maybe", "counter.coalescing.maxBatch, 100001",
            "logFormat, xml", "tracing.otlpEndpoint, otel-collector:4318", "tracing.samplingProbability, 1.5",
            "postgresql.enabled, yes", "postgresql.persistence.accessModes[0], ReadWriteSometimes",
            "postgresql.image.tag, latest", "resources.limits.memory, lots", "counter.idempotency.retention, forever",
            "counter.fenceMargin, 0", "counter.requireSynchronousReplication, maybe", "cloudnativepg.instances, 1",
            "cloudnativepg.synchronous.number, 0", "prometheusRule.commitLatency.p99Seconds, fast",
            "prometheusRule.notReady.for, a while", "auth.issuerUri, idp.example.com", })
    void rejectsAWrongTypeOrValue(String key, String value) {
        assertThatIllegalStateException().isThrownBy(() -> Chart.template(ValueSet.DEFAULTS, Map.of(key, value)))
            .withMessageContaining("values don't meet the specifications of the schema")
            .withMessageContaining(key.replaceAll("\\[\\d+]", "").replaceAll("\\..*", ""));
    }

    @ParameterizedTest
    @CsvSource({ "replicas, 3", "postgres.enabled, false", "postgresql.persistance.size, 1Gi", "counter.maxcount, 5" })
    void rejectsAnUnknownKey(String key, String value) {
        assertThatIllegalStateException().isThrownBy(() -> Chart.template(ValueSet.DEFAULTS, Map.of(key, value)))
            .withMessageContaining("additional properties");
    }

    @Test
    void anExternalDatabaseNeedsItsHostAndSecret() {
        assertThatIllegalStateException()
            .isThrownBy(() -> Chart.template(ValueSet.DEFAULTS, Map.of("postgresql.enabled", false)))
            .withMessageContaining("externalDatabase.host is required");
        assertThatIllegalStateException()
            .isThrownBy(() -> Chart.template(ValueSet.DEFAULTS,
                    Map.of("postgresql.enabled", false, "externalDatabase.host", "db.example.com")))
            .withMessageContaining("externalDatabase.existingSecret is required");
    }

    /**
     * Below 512Mi the JVM is killed for memory under load (ImageIT serves under load at
     * 512Mi; docs/kubernetes.md, Memory, has what killed it at 256Mi and how close 384Mi
     * came).
     */
    @ParameterizedTest
    @CsvSource({ "256Mi, true", "511Mi, true", "536870911, true", "0.4Gi, true", "512Mi, false", "0.5Gi, false",
            "537M, false", "4Gi, false" })
    void refusesAnAppMemoryLimitBelowWhatTheJvmNeedsToStart(String limit, boolean refused) {
        Map<String, Object> values = Map.of("resources.limits.memory", limit, "resources.requests.memory", limit);
        if (refused) {
            assertThatIllegalStateException().isThrownBy(() -> Chart.template(ValueSet.DEFAULTS, values))
                .withMessageContaining("resources.limits.memory is " + limit + ": the app needs at least 512Mi");
        }
        else {
            assertThatCode(() -> Chart.template(ValueSet.DEFAULTS, values)).doesNotThrowAnyException();
        }
    }

    @Test
    void acceptsItsOwnDefaultsAsSetValues() {
        assertThatCode(() -> Chart.template(ValueSet.DEFAULTS, Map.of("replicaCount", 3, "counter.timeout", "500ms",
                "postgresql.image.tag", "18.1", "resources.limits.cpu", "1500m")))
            .doesNotThrowAnyException();
    }

    /**
     * The keys of values.yaml, as dotted paths, and whether each is documented: by a
     * comment block right above it that starts with its path, or through such a comment
     * on a parent (resources documents resources.limits.cpu). Keys inside list items
     * (ingress.hosts[].host) belong to their list.
     */
    private static Map<String, Boolean> valuesKeys() throws IOException {
        Map<String, Boolean> keys = new LinkedHashMap<>();
        Deque<Object[]> parents = new ArrayDeque<>(); // {indent, path, documented}
        List<String> lines = Files.readAllLines(Chart.DIR.resolve("values.yaml"));
        String comment = null;
        Integer listIndent = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String stripped = line.strip();
            int indent = line.length() - line.stripLeading().length();
            if (stripped.isEmpty()) {
                comment = null;
                continue;
            }
            if (stripped.startsWith("#")) {
                comment = comment == null ? stripped : comment;
                continue;
            }
            Matcher key = KEY.matcher(line);
            if (stripped.startsWith("-") || !key.matches() || (listIndent != null && indent > listIndent)) {
                listIndent = stripped.startsWith("-") && (listIndent == null || indent < listIndent)
                        ? Integer.valueOf(indent) : listIndent;
                comment = null;
                continue;
            }
            listIndent = null;
            while (!parents.isEmpty() && (int) parents.peek()[0] >= indent) {
                parents.pop();
            }
            String path = (parents.isEmpty() ? "" : parents.peek()[1] + ".") + key.group(2);
            boolean documented = (comment != null && comment.startsWith("# " + path + " "))
                    || (!parents.isEmpty() && (boolean) parents.peek()[2]);
            keys.put(path, documented);
            parents.push(new Object[] { indent, path, documented });
            comment = null;
        }
        keys.keySet()
            .removeIf(
                    path -> keys.keySet().stream().anyMatch(other -> other.startsWith(path + ".")) && !keys.get(path));
        return keys;
    }

}
