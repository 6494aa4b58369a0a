package dev.counterservice.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * k8s/ holds the chart rendered for users without Helm: generated, never edited, by the
 * {@code helm template} command docs/kubernetes.md gives ({@link #COMMAND}). This test
 * runs the same command and fails when its output and the file differ.
 */
class PlainManifestsTests {

    static final Path FILE = Path.of("k8s/counter-service.yaml");

    /**
     * The chart with the plain-manifests values, without the helm test pod (kubectl users
     * have no helm test).
     */
    private static final List<String> RENDER = List.of("template", Chart.RELEASE, Chart.DIR.toString(), "--values",
            ValueSet.PLAIN_MANIFESTS.file().orElseThrow().toString(), "--skip-tests");

    static final String COMMAND = "helm " + String.join(" ", RENDER) + " > " + FILE;

    @Test
    void k8sManifestsAreWhatTheDocumentedCommandWrites() throws IOException {
        assertThat(Files.readString(Path.of("docs/kubernetes.md"))).as("the render command is documented")
            .contains(COMMAND);
        assertThat(Files.readString(FILE)).as("%s is out of date: run %s", FILE, COMMAND).isEqualTo(Chart.helm(RENDER));
    }

    @Test
    void k8sManifestsHoldNoSecretNoHelmHookAndNoNamespace() throws IOException {
        Manifests manifests = Manifests.parse(Files.readString(FILE));
        assertThat(manifests.ofKind("Secret")).isEmpty();
        for (JsonNode object : manifests.objects()) {
            assertThat(object.path("metadata").has("namespace")).as("namespace of %s", Manifests.name(object))
                .isFalse();
            assertThat(Manifests.strings(object.at("/metadata/annotations"))).doesNotContainKey("helm.sh/hook");
        }
        JsonNode password = Manifests.envEntry(Manifests.container(manifests.workload("app"), "app"),
                "SPRING_DATASOURCE_PASSWORD");
        assertThat(password.at("/valueFrom/secretKeyRef/name").asString()).isEqualTo("counter-service-postgresql");
    }

}
