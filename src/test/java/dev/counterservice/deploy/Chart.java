package dev.counterservice.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Renders chart/ with the helm CLI on the PATH (Helm 4; {@code .ci/install-helm} installs
 * it), as release "counter-service" in namespace "default". Rendering is client-side: no
 * API server is asked, so the chart's {@code lookup} finds nothing, as on a first
 * install.
 */
final class Chart {

    static final Path DIR = Path.of("chart");
    static final String RELEASE = "counter-service";
    static final String NAMESPACE = "default";

    private static final Map<ValueSet, Manifests> rendered = new ConcurrentHashMap<>();

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
     * helm template's output, hooks included; a rendering error (a failed schema check, a
     * required value) is thrown.
     */
    static String template(ValueSet values, Map<String, ?> overrides) {
        List<String> args = withValues(List.of("template", RELEASE, DIR.toString()), values);
        overrides.forEach((key, value) -> args.addAll(List.of("--set", key + "=" + value)));
        return helm(args);
    }

    /** NOTES.txt as `helm install` prints it, from a client-side dry run. */
    static String notes(ValueSet values) {
        String output = helm(withValues(List.of("install", RELEASE, DIR.toString(), "--dry-run=client"), values));
        return output.substring(output.indexOf("NOTES:"));
    }

    /** helm lint --strict of the chart with a value set: any warning fails. */
    static String lint(ValueSet values) {
        return helm(withValues(List.of("lint", DIR.toString(), "--strict"), values));
    }

    private static List<String> withValues(List<String> args, ValueSet values) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of("--namespace", NAMESPACE));
        values.file().ifPresent(file -> all.addAll(List.of("--values", file.toString())));
        return all;
    }

    /**
     * Runs helm and returns what it printed; what it printed on its error output is
     * thrown when it fails.
     */
    static String helm(List<String> args) {
        List<String> command = new ArrayList<>(List.of("helm"));
        command.addAll(args);
        try {
            Path errors = Files.createTempFile("helm", ".err");
            Process process = start(new ProcessBuilder(command).redirectError(errors.toFile()));
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int exit = process.waitFor();
            String error = Files.readString(errors);
            Files.delete(errors);
            if (exit != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed:\n" + error);
            }
            return output;
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /**
     * KUBECONFIG names an empty file, so helm never reaches a cluster of the developer's.
     */
    private static Process start(ProcessBuilder builder) {
        builder.environment().put("KUBECONFIG", "/dev/null");
        try {
            return builder.start();
        }
        catch (IOException ex) {
            throw new UncheckedIOException("The chart tests run the helm CLI (Helm 4), which is not on the PATH: "
                    + "install it with `sudo .ci/install-helm` (docs/kubernetes.md)", ex);
        }
    }

}
