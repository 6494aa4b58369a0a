package dev.counterservice.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every object of every value set, validated by a third party against Kubernetes' OpenAPI
 * schemas: the npm packages pinned in .ci/kubernetes-schemas (installed there by
 * .ci/containers), strict about unknown fields.
 */
@Tag("delivery")
class KubernetesSchemaIT {

    private static final Path VALIDATOR = Path.of(".ci/kubernetes-schemas/validate.mjs");

    private static final Path DIR = Path.of("target/kubernetes-schemas");

    @Test
    void everyRenderedObjectOfEveryValueSetIsValidForTheKubernetesApi() throws Exception {
        List<String> files = new ArrayList<>();
        int objects = 0;
        for (ValueSet values : ValueSet.values()) {
            List<?> rendered = Chart.render(values).objects();
            files.add(write(values.name(), rendered).toString());
            objects += rendered.size();
        }
        Validation validation = validate(files);
        System.out.print(validation.output());
        assertThat(validation.exitCode()).as(validation.output()).isZero();
        assertThat(validation.output().lines().filter(line -> line.startsWith("ok ") || line.startsWith("skip ")))
            .as("one line per object")
            .hasSize(objects);
        assertThat(validation.output().lines().filter(line -> line.startsWith("skip ")))
            .as("only the CloudNativePG Cluster has no schema to check")
            .allMatch(line -> line.contains("postgresql.cnpg.io/v1 Cluster"));
    }

    @Test
    void theValidatorRejectsAFieldTheApiDoesNotKnow() throws Exception {
        ObjectNode deployment = (ObjectNode) Chart.render(ValueSet.DEFAULTS).only("Deployment").deepCopy();
        ((ObjectNode) deployment.at("/spec/template/spec/containers/0")).putObject("securityContex");
        Validation validation = validate(List.of(write("misspelt", List.of(deployment)).toString()));
        assertThat(validation.exitCode()).isEqualTo(1);
        assertThat(validation.output()).contains("unknown field .spec.template.spec.containers[0].securityContex");
    }

    private static Path write(String name, List<?> objects) throws IOException {
        Files.createDirectories(DIR);
        Path file = DIR.resolve(name + ".json");
        Files.writeString(file, JsonMapper.shared().writeValueAsString(objects));
        return file;
    }

    private static Validation validate(List<String> files) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("node", VALIDATOR.toString()));
        command.addAll(files);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Validation(process.exitValue(), output);
    }

    private record Validation(int exitCode, String output) {
    }

}
