package dev.counterservice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The processes of the PostgreSQL server on one data directory, found through its
 * {@code postmaster.pid}, whoever started it ({@link LocalPostgres} or Patroni): the one
 * way the tests crash a PostgreSQL.
 */
final class Postmaster {

    private Postmaster() {
    }

    /** The postmaster running on {@code dataDirectory}, if one is. */
    static Optional<ProcessHandle> running(Path dataDirectory) {
        Path pidFile = dataDirectory.resolve("postmaster.pid");
        try {
            return Files.exists(pidFile)
                    ? ProcessHandle.of(Long.parseLong(Files.readAllLines(pidFile).getFirst().trim()))
                    : Optional.empty();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Crashes the server as a pod's processes die when its container or cgroup is killed:
     * SIGKILL to the postmaster and every process it started, all sent before any is
     * waited for, so that no backend finishes its statement, commits or answers after the
     * crash (a backend notices a dead postmaster only when it waits). What was committed
     * stays on disk. Returns once they have all exited, so that the port and the shared
     * memory are free for a restart (a backend that outlived its postmaster by more than
     * 30 s kept Patroni from recovering a node). Does nothing if no server runs.
     */
    static void kill(Path dataDirectory) {
        running(dataDirectory).ifPresent(postmaster -> {
            // Each backend leads a session of its own (PostgreSQL calls setsid), so no
            // process group holds them all: each is signalled by its pid
            List<ProcessHandle> processes = Stream.concat(Stream.of(postmaster), postmaster.children()).toList();
            processes.forEach(ProcessHandle::destroyForcibly);
            processes.forEach(process -> process.onExit().orTimeout(10, TimeUnit.SECONDS).join());
        });
    }

}
