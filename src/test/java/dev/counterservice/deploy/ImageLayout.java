package dev.counterservice.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.springframework.util.FileSystemUtils;

import dev.counterservice.deploy.Dockerfile.Instruction;

/**
 * The image's filesystem as the Dockerfile would lay it out, built without Docker from the jar that
 * {@code ./mvnw package} made: the build stage's extract command is run as written (on target/'s jar), then the
 * final stage's {@code COPY --from} and {@code RUN} instructions are applied, in order, to a directory standing for
 * its WORKDIR, with the test's Java 25 as {@code java} and an empty environment, as in a {@code docker build}.
 */
final class ImageLayout {

    static final Path ROOT = Path.of("target/image-layout");

    private static Path app;

    private ImageLayout() {
    }

    /** The final stage's WORKDIR with every layer copied in; assembled once per JVM. */
    static synchronized Path app() {
        if (app == null) {
            app = assemble(Dockerfile.read());
        }
        return app;
    }

    /** The jars the build stage's glob (target/counter-service-*.jar) matches after package. */
    static List<Path> packagedJars(String glob) {
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            return files.filter(matcher::matches).toList();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The command the build stage runs to split the jar, e.g. java -Djarmode=tools -jar target/x-*.jar extract ... */
    static List<String> extractCommand(Dockerfile dockerfile) {
        String run = dockerfile.all("RUN").stream().map(Instruction::args).filter(args -> args.contains("-Djarmode=tools"))
                .findFirst().orElseThrow(() -> new AssertionError("no RUN extracts the jar's layers"));
        String command = run.substring(run.indexOf("java -Djarmode=tools"));
        int end = command.indexOf("&&");
        return List.of((end < 0 ? command : command.substring(0, end)).trim().split("\\s+"));
    }

    private static Path assemble(Dockerfile dockerfile) {
        try {
            FileSystemUtils.deleteRecursively(ROOT);
            String buildStage = dockerfile.all("FROM").getFirst().stage();
            Path buildWorkdir = ROOT.resolve("build");
            List<String> command = new ArrayList<>(extractCommand(dockerfile));
            command.set(0, javaExecutable());
            for (int i = 0; i < command.size(); i++) {
                if (command.get(i).startsWith("target/")) {
                    List<Path> jars = packagedJars(command.get(i));
                    if (jars.size() != 1) {
                        throw new AssertionError(command.get(i) + " matches " + jars + ", not one jar: run ./mvnw package first");
                    }
                    Path jar = buildWorkdir.resolve(command.get(i).replace("*", "x"));
                    Files.createDirectories(jar.getParent());
                    Files.copy(jars.getFirst(), jar);
                    command.set(i, buildWorkdir.relativize(jar).toString());
                }
            }
            run(command, buildWorkdir, "extract");
            Path appDir = ROOT.resolve("app");
            Files.createDirectories(appDir);
            for (Instruction instruction : dockerfile.instructions()) {
                if (!instruction.stage().equals(dockerfile.finalStage())) {
                    continue;
                }
                if (instruction.keyword().equals("COPY")) {
                    List<String> words = instruction.words();
                    if (!words.getFirst().equals("--from=" + buildStage)) {
                        throw new AssertionError("the final stage copies only from the build stage: " + instruction);
                    }
                    Path source = inStage(buildWorkdir, dockerfile.workdir(buildStage), words.get(1));
                    if (!Files.isDirectory(source)) {
                        throw new AssertionError(words.get(1) + " does not exist in the build stage after the extract");
                    }
                    FileSystemUtils.copyRecursively(source, appDir.resolve(words.get(2)).normalize());
                }
                if (instruction.keyword().equals("RUN")) {
                    List<String> run = new ArrayList<>(instruction.command());
                    if (run.getFirst().equals("java")) {
                        run.set(0, javaExecutable());
                    }
                    run(run, appDir, "run");
                }
            }
            return appDir;
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** A build-stage path: absolute ones are under its WORKDIR here, relative ones relative to it. */
    static Path inStage(Path workdirHere, String workdir, String path) {
        String relative = path.startsWith(workdir + "/") ? path.substring(workdir.length() + 1) : path;
        if (relative.startsWith("/")) {
            throw new AssertionError(path + " is outside the build stage's WORKDIR " + workdir);
        }
        return workdirHere.resolve(relative);
    }

    /** The java launcher of the JVM running the tests (Java 25, like the image), not whatever is first on PATH. */
    static String javaExecutable() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static void run(List<String> command, Path workdir, String logName) throws IOException {
        Path log = ROOT.resolve(logName + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workdir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().clear();
        Process process = builder.start();
        try {
            if (!process.waitFor(180, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new AssertionError(command + " failed: " + Files.readString(log));
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}
