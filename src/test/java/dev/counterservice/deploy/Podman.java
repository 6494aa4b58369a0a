package dev.counterservice.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The podman command line (.ci/containers installs and configures it), run from the
 * tests.
 */
final class Podman {

    private Podman() {
    }

    /**
     * Runs podman with these arguments; its standard output, or an AssertionError with
     * everything it printed.
     */
    static String run(String... args) {
        Result result = tryRun(args);
        if (result.exitCode() != 0) {
            throw new AssertionError(
                    "podman " + String.join(" ", args) + " exited " + result.exitCode() + ":\n" + result.output());
        }
        return result.output().strip();
    }

    /**
     * Runs podman and returns what it printed (standard output and error) with its exit
     * code, failing or not.
     */
    static Result tryRun(String... args) {
        List<String> command = new ArrayList<>(List.of("podman"));
        command.addAll(List.of(args));
        try {
            Path output = Files.createTempFile("podman", ".out");
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
                if (!process.waitFor(5, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    throw new AssertionError(command + " did not finish within 5 minutes");
                }
                return new Result(process.exitValue(), Files.readString(output));
            }
            finally {
                Files.delete(output);
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** One field of podman inspect, e.g. "{{.State.Pid}}". */
    static String inspect(String container, String format) {
        return run("inspect", "--format", format, container);
    }

    record Result(int exitCode, String output) {
    }

}
