package dev.counterservice.deploy;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** values.schema.json stops a wrong value at install time, with the key in the message. */
class ValuesSchemaTests {

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
            "replicaCount, two",
            "replicaCount, -1",
            "image.pullPolicy, Sometimes",
            "service.port, 70000",
            "counter.maxCount, many",
            "counter.maxCount, 0",
            "counter.names[0], Not A Name",
            "counter.timeout, soon",
            "counter.coalescing.enabled, maybe",
            "postgresql.enabled, yes",
            "postgresql.persistence.accessModes[0], ReadWriteSometimes",
            "postgresql.image.tag, latest",
            "resources.limits.memory, lots",
    })
    void rejectsAWrongTypeOrValue(String key, String value) {
        assertThatIllegalStateException().isThrownBy(() -> Chart.template(ValueSet.DEFAULTS, Map.of(key, value)))
                .withMessageContaining("values don't meet the specifications of the schema")
                .withMessageContaining(key.replaceAll("\\[\\d+]", "").replaceAll("\\..*", ""));
    }

    @ParameterizedTest
    @CsvSource({"replicas, 3", "postgres.enabled, false", "postgresql.persistance.size, 1Gi", "counter.maxcount, 5"})
    void rejectsAnUnknownKey(String key, String value) {
        assertThatIllegalStateException().isThrownBy(() -> Chart.template(ValueSet.DEFAULTS, Map.of(key, value)))
                .withMessageContaining("Additional property");
    }

    @Test
    void anExternalDatabaseNeedsItsHostAndSecret() {
        assertThatIllegalStateException().isThrownBy(() -> Chart.template(ValueSet.DEFAULTS, Map.of("postgresql.enabled", false)))
                .withMessageContaining("externalDatabase.host is required");
        assertThatIllegalStateException().isThrownBy(() -> Chart.template(ValueSet.DEFAULTS,
                        Map.of("postgresql.enabled", false, "externalDatabase.host", "db.example.com")))
                .withMessageContaining("externalDatabase.existingSecret is required");
    }

    @Test
    void acceptsItsOwnDefaultsAsSetValues() {
        assertThatCode(() -> Chart.template(ValueSet.DEFAULTS, Map.of("replicaCount", 3, "counter.timeout", "500ms",
                "postgresql.image.tag", "18.1", "resources.limits.cpu", "1500m"))).doesNotThrowAnyException();
    }
}
