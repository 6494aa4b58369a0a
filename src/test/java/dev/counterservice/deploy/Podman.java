package dev.counterservice.deploy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.counterservice.testing.Commands;

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
        Commands.Result result = tryRun(args);
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
    static Commands.Result tryRun(String... args) {
        List<String> command = new ArrayList<>(List.of("podman"));
        command.addAll(List.of(args));
        return Commands.tryRun(command, Duration.ofMinutes(5));
    }

    /** One field of podman inspect, e.g. "{{.State.Pid}}". */
    static String inspect(String container, String format) {
        return run("inspect", "--format", format, container);
    }

}
