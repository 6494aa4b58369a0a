package dev.counterservice.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.counterservice.deploy.Dockerfile.Instruction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the Dockerfile against what {@code ./mvnw package} produced, without a Docker engine: an IT, so it runs
 * after package, on the jar the image would be built from.
 */
class DockerfileIT {

    private static final Dockerfile dockerfile = Dockerfile.read();

    @Test
    void baseImagesArePinnedJava25ImagesAndTheRuntimeIsAJre() {
        List<String> images = dockerfile.all("FROM").stream().map(from -> from.words().getFirst()).toList();
        assertThat(images).allSatisfy(image -> assertThat(image).matches("eclipse-temurin:25\\.\\d+\\.\\d+_\\d+-(jdk|jre)-\\w+"));
        assertThat(images.getLast()).contains("-jre-");
        assertThat(Runtime.version().feature()).as("the JVM the tests run on is the image's Java").isEqualTo(25);
    }

    @Test
    void buildContextCopiesExistAndAreNotDockerIgnored() throws IOException {
        List<String> ignore = Files.readAllLines(Path.of(".dockerignore")).stream()
                .map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        for (Instruction copy : dockerfile.all("COPY")) {
            List<String> words = copy.words();
            if (words.getFirst().startsWith("--from=")) {
                continue;
            }
            for (String source : words.subList(0, words.size() - 1)) {
                assertThat(Path.of(source)).as("COPY source %s", source).exists();
                assertThat(ignored(ignore, source)).as("%s is excluded by .dockerignore", source).isFalse();
            }
        }
        assertThat(ignored(ignore, "target/classes")).as("target/ stays out of the context").isTrue();
        assertThat(ignored(ignore, "src/test/java")).as("tests stay out of the context").isTrue();
    }

    @Test
    void theExtractGlobMatchesExactlyThePackagedJar() {
        String glob = ImageLayout.extractCommand(dockerfile).stream().filter(word -> word.startsWith("target/")).findFirst().orElseThrow();
        assertThat(ImageLayout.packagedJars(glob)).hasSize(1);
        assertThat(ImageLayout.extractCommand(dockerfile)).containsSubsequence("extract", "--layers", "--launcher");
    }

    @Test
    void layersAreCopiedInTheJarsOrderLeastChangedFirst() throws IOException {
        Path jar = ImageLayout.packagedJars("target/counter-service-*.jar").getFirst();
        List<String> layers = new ArrayList<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            String index = new String(file.getInputStream(file.getEntry("BOOT-INF/layers.idx")).readAllBytes());
            Matcher layer = Pattern.compile("(?m)^- \"([^\"]+)\":").matcher(index);
            while (layer.find()) {
                layers.add(layer.group(1));
            }
        }
        List<String> copied = dockerfile.inStage(dockerfile.finalStage(), "COPY").stream()
                .map(copy -> Path.of(copy.words().get(1)).getFileName().toString()).toList();
        assertThat(copied).isEqualTo(layers).containsExactly("dependencies", "spring-boot-loader", "snapshot-dependencies", "application");
    }

    @Test
    void theAssembledImageHoldsTheEntrypointsLauncherAndTheApplication() throws IOException {
        Path app = ImageLayout.app();
        List<String> entrypoint = dockerfile.entrypoint();
        assertThat(entrypoint.getFirst()).isEqualTo("java");
        assertThat(entrypoint).anySatisfy(flag -> assertThat(flag).startsWith("-XX:MaxRAMPercentage="));
        String mainClass = entrypoint.getLast();
        assertThat(app.resolve(mainClass.replace('.', '/') + ".class")).exists();
        try (var in = Files.newInputStream(app.resolve("META-INF/MANIFEST.MF"))) {
            assertThat(new Manifest(in).getMainAttributes().getValue("Start-Class")).isEqualTo("dev.counterservice.CounterServiceApplication");
        }
        assertThat(app.resolve("BOOT-INF/classes/application.properties")).exists();
        assertThat(app.resolve("BOOT-INF/lib")).isDirectoryContaining("glob:**/postgresql-*.jar");
    }

    @Test
    void theAotCacheIsTrainedWithoutADatabaseAsRootAndUsedByTheEntrypoint() {
        assertThat(ImageLayout.app().resolve("app.aot")).as("the training run wrote the cache").isNotEmptyFile();
        List<String> instructions = dockerfile.instructions().stream().filter(i -> i.stage().equals(dockerfile.finalStage()))
                .map(Instruction::keyword).toList();
        assertThat(instructions.lastIndexOf("RUN")).as("trained before USER: the cache stays read-only to the app")
                .isLessThan(instructions.indexOf("USER"));
        assertThat(dockerfile.entrypoint()).contains("-XX:AOTCache=app.aot");
    }

    @Test
    void theImageRunsAsANumericNonRootUserAndExposesTheChartsPorts() {
        String user = dockerfile.inStage(dockerfile.finalStage(), "USER").getLast().args().trim();
        assertThat(user).matches("[1-9][0-9]*(:[1-9][0-9]*)?");
        Manifests defaults = Chart.render(ValueSet.DEFAULTS);
        var pod = Manifests.podSpec(defaults.workload("app")).path("securityContext");
        assertThat(user).isEqualTo(pod.path("runAsUser").asInt() + ":" + pod.path("runAsGroup").asInt());

        AppContract app = AppContract.load();
        List<String> exposed = dockerfile.inStage(dockerfile.finalStage(), "EXPOSE").stream().flatMap(e -> e.words().stream()).toList();
        assertThat(exposed).containsExactlyInAnyOrder(String.valueOf(app.serverPort()), String.valueOf(app.managementPort()));
        var container = Manifests.container(defaults.workload("app"), "app");
        assertThat(Manifests.containerPort(container, "http")).isEqualTo(app.serverPort());
        assertThat(Manifests.containerPort(container, "management")).isEqualTo(app.managementPort());
    }

    /** .dockerignore's rules as used here: the last rule that matches the path or a parent of it wins. */
    private static boolean ignored(List<String> rules, String path) {
        boolean ignored = false;
        for (String rule : rules) {
            boolean negated = rule.startsWith("!");
            String pattern = (negated ? rule.substring(1) : rule).replaceAll("/$", "");
            if (pattern.equals("*") || path.equals(pattern) || path.startsWith(pattern + "/")) {
                ignored = !negated;
            }
        }
        return ignored;
    }
}
