package dev.counterservice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;

import dev.counterservice.CounterServiceApplication;

/**
 * The service in a JVM of its own, so a test can do to it what happens to a pod: SIGKILL,
 * SIGTERM, a start-up without its database. Runs the test class path's application on
 * loopback ports; output goes to a file.
 */
public final class AppProcess implements AutoCloseable {

    private final List<String> command;

    private final Process process;

    private final Path output;

    private final int port;

    private final int managementPort;

    private AppProcess(List<String> command, int port, int managementPort) throws IOException {
        this.command = command;
        this.port = port;
        this.managementPort = managementPort;
        this.output = Files.createTempFile("counter-service-", ".log");
        this.process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
    }

    /** Starts the process; it may not be ready yet, see {@link #awaitReady(Duration)}. */
    public static AppProcess start(TestDatabase database, Map<String, String> properties) {
        try {
            int port = Ports.free();
            int managementPort = Ports.free();
            List<String> command = new ArrayList<>(ServiceJvm.command());
            command.add(CounterServiceApplication.class.getName());
            command.addAll(AppInstance.arguments(database, properties, port, managementPort));
            return new AppProcess(command, port, managementPort);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Starts the same service again, on the same ports, as Kubernetes restarts a
     * container in its pod.
     */
    public AppProcess restart() {
        try {
            return new AppProcess(command, port, managementPort);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Waits until readiness is UP; fails if the process dies or the time runs out. */
    public AppProcess awaitReady(Duration limit) {
        try {
            Awaitility.await("readiness UP")
                .atMost(limit)
                .pollInterval(Duration.ofMillis(200))
                .ignoreException(UncheckedIOException.class) // not listening yet
                .failFast("the service exited", () -> !process.isAlive())
                .until(() -> management("/actuator/health/readiness").statusCode() == 200);
            return this;
        }
        catch (ConditionTimeoutException | TerminalFailureException ex) {
            throw new IllegalStateException((process.isAlive() ? "The service was not ready within " + limit
                    : "The service exited with " + process.exitValue()) + ":\n" + output(), ex);
        }
    }

    /** The process id, e.g. to read its memory from /proc. */
    public long pid() {
        return process.pid();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public HttpResponse<String> send(String method, String path) {
        return Http.send(method, baseUrl() + path);
    }

    public HttpResponse<String> management(String path) {
        return Http.send("GET", "http://127.0.0.1:" + managementPort + path);
    }

    /**
     * SIGKILL: no shutdown hook, no graceful anything, as when a node dies or the OOM
     * killer strikes.
     */
    public void kill() {
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(10));
    }

    /**
     * SIGSTOP: the process stands still, as in a long pause or on a frozen node, until
     * {@link #resume()}.
     */
    public void pause() {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    public void resume() {
        signal("CONT");
    }

    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("Could not send SIG" + name + " to " + process.pid());
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

    /** SIGTERM, as Kubernetes sends when it deletes a pod. */
    public void terminate() {
        process.destroy();
    }

    /**
     * Waits for the process to end and returns its exit code; fails if it is still
     * running after {@code limit}.
     */
    public int awaitExit(Duration limit) {
        try {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("Still running after " + limit);
            }
            return process.exitValue();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    public String output() {
        try {
            return Files.readString(output);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
            Files.deleteIfExists(output);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        catch (IOException ex) {
            // a temporary file
        }
    }

    public static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

}
