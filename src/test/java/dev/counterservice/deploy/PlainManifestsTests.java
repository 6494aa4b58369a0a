package dev.counterservice.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * k8s/ holds the chart rendered for users without Helm. It is generated, never edited:
 * {@code k8s/render.sh} (which runs this class with -Dk8s.render=true) writes it, and
 * this test fails when it drifts from the chart.
 */
class PlainManifestsTests {

    static final Path FILE = Path.of("k8s/counter-service.yaml");

    private static final String HEADER = """
            # Generated from chart/ by k8s/render.sh with chart/ci/plain-manifests-values.yaml: do not edit, re-render.
            # Before applying, create the database password Secret (see docs/kubernetes.md):
            #   kubectl create secret generic counter-service-postgresql --from-literal=password="$(openssl rand -base64 24)"
            #   kubectl apply -f k8s/counter-service.yaml
            """;

    @Test
    void k8sManifestsAreTheChartRenderedWithThePlainManifestsValues() throws IOException {
        String expected = HEADER + withoutHelmTests(Chart.template(ValueSet.PLAIN_MANIFESTS, Map.of()));
        if (Boolean.getBoolean("k8s.render")) {
            Files.writeString(FILE, expected);
        }
        assertThat(Files.readString(FILE)).as("%s is out of date: run k8s/render.sh", FILE).isEqualTo(expected);
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
        assertThat(Files.readString(Path.of("docs/kubernetes.md"))).as("the render command is documented")
            .contains("k8s/render.sh");
    }

    /** The helm test pod is left out: kubectl users have no helm test. */
    private static String withoutHelmTests(String rendered) {
        return Arrays.stream(rendered.split("(?m)^---\n"))
            .filter(document -> !document.isBlank() && !document.contains("/templates/tests/"))
            .map(document -> "---\n" + document)
            .collect(Collectors.joining());
    }

}
