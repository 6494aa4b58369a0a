package dev.counterservice.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.counterservice.CounterServiceApplication;

/**
 * The command line that starts the service in a JVM of its own ({@link AppProcess}),
 * prepared once per test JVM. A start spends most of its CPU time loading classes, and a
 * suite starts twenty-odd such JVMs on a busy two-core machine, so the classes are read
 * once: a first start with {@code -XX:ArchiveClassesAtExit} leaves a class-data archive
 * that every later start maps instead (about half the CPU time of a start, see
 * docs/testing.md). The JDK archives classes from jars only, so the test class path's
 * class directories are packed into jars first. The archive changes only how fast classes
 * load: a JVM that cannot use it loads them as usual.
 */
final class ServiceJvm {

    private static final Path DIRECTORY = Path.of("target", "service-jvm").toAbsolutePath();

    private static final Path ARCHIVE = DIRECTORY.resolve("classes.jsa");

    private static List<String> command;

    private ServiceJvm() {
    }

    /** {@code java}, its options and class path: the main class and arguments follow. */
    static synchronized List<String> command() {
        if (command == null) {
            List<String> jvm = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    // The chart's heap: a 1Gi memory limit at MaxRAMPercentage=50
                    "-Xmx512m", "-XX:TieredStopAtLevel=1",
                    // Nothing about the archive in the service's output, which tests read
                    "-Xlog:cds*=off,aot*=off", "-cp", packedClassPath());
            archiveAStart(jvm);
            command = new ArrayList<>(jvm);
            command.add(1, "-XX:SharedArchiveFile=" + ARCHIVE);
        }
        return command;
    }

    /**
     * Starts the service on the shared test database until its context is refreshed, and
     * writes the classes it loaded to {@link #ARCHIVE} as it exits.
     */
    private static void archiveAStart(List<String> jvm) {
        List<String> training = new ArrayList<>(jvm);
        training.add(1, "-XX:ArchiveClassesAtExit=" + ARCHIVE);
        training.add("-Dspring.context.exit=onRefresh");
        training.add(CounterServiceApplication.class.getName());
        training.addAll(AppInstance.arguments(TestDatabase.shared(), Map.of(), 0, 0));
        Commands.run(training, Duration.ofMinutes(5));
        if (!Files.isRegularFile(ARCHIVE)) {
            throw new IllegalStateException("No class-data archive at " + ARCHIVE);
        }
    }

    private static String packedClassPath() {
        return Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
            .map(Path::of)
            .map(entry -> Files.isDirectory(entry) ? packed(entry) : entry)
            .map(Path::toString)
            .collect(Collectors.joining(File.pathSeparator));
    }

    private static Path packed(Path directory) {
        try {
            Files.createDirectories(DIRECTORY);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        Path jar = DIRECTORY.resolve(directory.getFileName() + ".jar");
        Commands.run(List.of(Path.of(System.getProperty("java.home"), "bin", "jar").toString(), "--create", "--file",
                jar.toString(), "-C", directory.toString(), "."), Duration.ofMinutes(1));
        return jar;
    }

}
