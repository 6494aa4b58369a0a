package dev.counterservice.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;

import static org.awaitility.Awaitility.await;

/**
 * A server program the tests run in the background as the {@link PostgresUser} (etcd,
 * Patroni, PgBouncer), its output in a log file. Signals go to the program itself, not to
 * {@code runuser} in front of it: {@code runuser} answers a SIGTERM by killing its child
 * two seconds later, which would cut short the shutdown being tested. Killed when the JVM
 * exits.
 */
final class BackgroundProgram {

    private static final Duration STOP = Duration.ofSeconds(30);

    private static final String PACKAGES = "patroni etcd-server etcd-client pgbouncer";

    private final Process process;

    private final ProcessHandle program;

    private final Path log;

    private BackgroundProgram(Process process, ProcessHandle program, Path log) {
        this.process = process;
        this.program = program;
        this.log = log;
    }

    /**
     * Starts {@code command} as the {@link PostgresUser}, appending its output to
     * {@code log}; fails, saying how to install it, if its program is not on this
     * machine.
     */
    static BackgroundProgram start(List<String> command, Path log) {
        String executable = Stream
            .concat(Stream.of(System.getenv("PATH").split(File.pathSeparator)), Stream.of("/usr/sbin"))
            .map(directory -> Path.of(directory, command.getFirst()))
            .filter(Files::isExecutable)
            .findFirst()
            .orElseThrow(() -> new IllegalStateException(
                    "No %s on this machine (Debian: apt-get install -y %s, as .ci/run does)"
                        .formatted(command.getFirst(), PACKAGES)))
            .toString();
        List<String> line = Stream.concat(Stream.of(executable), command.stream().skip(1)).toList();
        try {
            Process process = new ProcessBuilder(PostgresUser.command(line)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
            // runuser, when there is one, starts the program as its child at once
            ProcessHandle program = line.equals(PostgresUser.command(line)) ? process.toHandle()
                    : await("the program under runuser").atMost(Duration.ofSeconds(10))
                        .pollInterval(Duration.ofMillis(10))
                        .until(() -> process.children().findFirst().orElse(null), child -> child != null);
            BackgroundProgram started = new BackgroundProgram(process, program, log);
            Runtime.getRuntime().addShutdownHook(new Thread(started::kill));
            return started;
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Waits until the program takes connections on the loopback {@code port}; fails with
     * its log if it exits first or takes longer than 30 s.
     */
    BackgroundProgram awaitListening(int port) {
        try {
            await("listening on " + port).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20))
                .failFast(() -> !program.isAlive())
                .until(() -> Ports.listening(port));
            return this;
        }
        catch (ConditionTimeoutException | TerminalFailureException ex) {
            throw new IllegalStateException((program.isAlive() ? "Not listening on " + port : "Exited") + ":\n" + log(),
                    ex);
        }
    }

    /** SIGTERM, and waits until the program has exited: SIGKILL if it takes too long. */
    void stop() {
        program.destroy();
        program.onExit().completeOnTimeout(program, STOP.toMillis(), TimeUnit.MILLISECONDS).join();
        kill();
    }

    /** SIGKILL, and waits until the program has exited. */
    void kill() {
        program.destroyForcibly();
        awaitExit();
    }

    boolean isAlive() {
        return program.isAlive();
    }

    String log() {
        try {
            return Files.readString(log);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private void awaitExit() {
        try {
            process.waitFor(STOP.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

}
