package dev.counterservice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the programs the tests use (PostgreSQL's tools, the JDK's, podman, the load
 * tester) to their end, each bounded in time.
 */
public final class Commands {

    private Commands() {
    }

    /**
     * Runs {@code command} to its end; fails, with its output, unless it exits 0 within
     * {@code limit}.
     */
    public static void run(List<String> command, Duration limit) {
        Result result = tryRun(command, limit);
        if (result.exitCode() != 0) {
            throw new IllegalStateException("Failed: " + String.join(" ", command) + "\n" + result.output());
        }
    }

    /**
     * Runs {@code command} to its end and returns what it printed (standard output and
     * error) with its exit code, failing or not; fails if it runs past {@code limit}.
     */
    public static Result tryRun(List<String> command, Duration limit) {
        try {
            // A file, not a pipe: a program that leaves a child holding its output open
            // still ends within the limit
            Path output = Files.createTempFile("command", ".out");
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
                if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError(
                            String.join(" ", command) + " ran past " + limit + ":\n" + Files.readString(output));
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

    /** How a command ended: its exit code and everything it printed. */
    public record Result(int exitCode, String output) {
    }

}
