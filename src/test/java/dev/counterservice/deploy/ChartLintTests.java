package dev.counterservice.deploy;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.util.FileSystemUtils;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * helm lint --strict: any warning fails. helm-java's lint takes no values, so other value
 * sets lint a merged copy.
 */
class ChartLintTests {

    @Test
    void lintsStrictWithTheDefaultValues() {
        assertClean(new Helm(Chart.DIR).lint().strict().call());
    }

    @ParameterizedTest
    @EnumSource(value = ValueSet.class, names = "DEFAULTS", mode = EnumSource.Mode.EXCLUDE)
    void lintsStrictWithEveryValueSet(ValueSet values, @TempDir Path temp) throws IOException {
        Path chart = temp.resolve(Chart.RELEASE);
        FileSystemUtils.copyRecursively(Chart.DIR, chart);
        Map<String, Object> merged = load(Chart.DIR.resolve("values.yaml"));
        merge(merged, load(values.file().orElseThrow()));
        Files.writeString(chart.resolve("values.yaml"), new Yaml().dump(merged));
        assertClean(new Helm(chart).lint().strict().call());
    }

    private static void assertClean(LintResult result) {
        assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
        assertThat(result.getMessages()).allSatisfy(message -> assertThat(message).startsWith("[INFO]"));
    }

    private static Map<String, Object> load(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file)) {
            return new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
        }
    }

    /** Helm's own merge: maps merge key by key, anything else is replaced. */
    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> into, Map<String, Object> from) {
        from.forEach((key, value) -> {
            if (value instanceof Map<?, ?> map && into.get(key) instanceof Map<?, ?> existing) {
                Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) existing);
                merge(copy, (Map<String, Object>) map);
                into.put(key, copy);
            }
            else {
                into.put(key, value);
            }
        });
    }

}
