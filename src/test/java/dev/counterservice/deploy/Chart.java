package dev.counterservice.deploy;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;

/** Renders chart/ with the helm that helm-java bundles, as release "counter-service" in namespace "default". */
final class Chart {

    static final Path DIR = Path.of("chart");
    static final String RELEASE = "counter-service";
    static final String NAMESPACE = "default";

    private static final Map<ValueSet, Manifests> rendered = new ConcurrentHashMap<>();

    private Chart() {
    }

    /** The chart rendered with one value set; rendered once per JVM (every test only reads it). */
    static Manifests render(ValueSet values) {
        return rendered.computeIfAbsent(values, set -> Manifests.parse(template(set, Map.of())));
    }

    /** The chart rendered with a value set plus --set overrides. */
    static Manifests render(ValueSet values, Map<String, ?> overrides) {
        return Manifests.parse(template(values, overrides));
    }

    /** helm template's output; a rendering error (a failed schema check, a required value) is thrown. */
    static String template(ValueSet values, Map<String, ?> overrides) {
        FakeKubernetesApi.start();
        TemplateCommand command = new Helm(DIR).template().withName(RELEASE).withNamespace(NAMESPACE);
        values.file().ifPresent(command::withValuesFile);
        overrides.forEach(command::set);
        return command.call();
    }
}
