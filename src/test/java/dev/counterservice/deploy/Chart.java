package dev.counterservice.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.TemplateCommand;

import org.springframework.util.FileSystemUtils;

/**
 * Renders chart/ with the helm that helm-java bundles, as release "counter-service" in
 * namespace "default".
 */
final class Chart {

    static final Path DIR = Path.of("chart");
    static final String RELEASE = "counter-service";
    static final String NAMESPACE = "default";

    /**
     * helm-java's template, unlike {@code helm template}, leaves hooks out. So templates
     * are rendered from a copy of chart/ in which the hook annotation is renamed to this
     * one: the helm test pod then renders like any object, and every check applies to it
     * too.
     */
    static final String RENAMED_HOOK_ANNOTATION = "tests.counter-service.dev/helm-hook";

    private static final Path COPY = Path.of("target/chart-with-visible-hooks").resolve(RELEASE);

    private static final Map<ValueSet, Manifests> rendered = new ConcurrentHashMap<>();

    private static boolean copied;

    private Chart() {
    }

    /**
     * The chart rendered with one value set; rendered once per JVM (every test only reads
     * it).
     */
    static Manifests render(ValueSet values) {
        return rendered.computeIfAbsent(values, set -> Manifests.parse(template(set, Map.of())));
    }

    /** The chart rendered with a value set plus --set overrides. */
    static Manifests render(ValueSet values, Map<String, ?> overrides) {
        return Manifests.parse(template(values, overrides));
    }

    /**
     * helm template's output; a rendering error (a failed schema check, a required value)
     * is thrown.
     */
    static String template(ValueSet values, Map<String, ?> overrides) {
        FakeKubernetesApi.start();
        TemplateCommand command = new Helm(withVisibleHooks()).template().withName(RELEASE).withNamespace(NAMESPACE);
        values.file().ifPresent(command::withValuesFile);
        overrides.forEach(command::set);
        return command.call();
    }

    /** NOTES.txt as `helm install` prints it, from a client-side dry run. */
    static String notes(ValueSet values) {
        InstallCommand install = new Helm(DIR).install()
            .withName(RELEASE)
            .withNamespace(NAMESPACE)
            .dryRun()
            .withDryRunOption(DryRun.CLIENT)
            .clientOnly();
        values.file().ifPresent(install::withValuesFile);
        String output = install.call().getOutput();
        return output.substring(output.indexOf("NOTES:"));
    }

    private static synchronized Path withVisibleHooks() {
        if (!copied) {
            try {
                FileSystemUtils.deleteRecursively(COPY);
                FileSystemUtils.copyRecursively(DIR, COPY);
                try (Stream<Path> tests = Files.list(COPY.resolve("templates/tests"))) {
                    for (Path test : tests.toList()) {
                        Files.writeString(test,
                                Files.readString(test).replace("helm.sh/hook:", RENAMED_HOOK_ANNOTATION + ":"));
                    }
                }
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            copied = true;
        }
        return COPY;
    }

}
