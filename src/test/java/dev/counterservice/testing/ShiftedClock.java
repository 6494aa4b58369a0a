package dev.counterservice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A clock that a test sets, for a PostgreSQL server started with its
 * {@link #environment()} ({@link LocalPostgres#start(List)}): libfaketime (Debian:
 * {@code apt-get install -y libfaketime}) shifts every time the server reads by the
 * offset in a file, read again on each call, so that the database's own clock can be set
 * to just before a new year, or back, while the server runs. The monotonic clock, which
 * PostgreSQL's timeouts use, is left alone.
 */
public final class ShiftedClock {

    static final Path LIBRARY = Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");

    private final Path offset;

    public ShiftedClock() {
        if (!Files.isReadable(LIBRARY)) {
            throw new IllegalStateException(
                    "No libfaketime at " + LIBRARY + ": install it (Debian: apt-get install -y libfaketime)");
        }
        try {
            offset = Files.createTempFile("counter-clock-", ".txt",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            offset.toFile().deleteOnExit();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        write(Duration.ZERO);
    }

    /** The variables a server runs with to read this clock. */
    public List<String> environment() {
        return List.of("LD_PRELOAD=" + LIBRARY, "FAKETIME_TIMESTAMP_FILE=" + offset, "FAKETIME_NO_CACHE=1",
                "FAKETIME_DONT_FAKE_MONOTONIC=1");
    }

    /** Sets the clock so that it reads {@code now} at once, and runs on from there. */
    public void set(Instant now) {
        write(Duration.between(Instant.now(), now));
    }

    private void write(Duration shift) {
        try {
            Files.writeString(offset.resolveSibling(offset.getFileName() + ".new"),
                    "%+.3fs%n".formatted(shift.toMillis() / 1000.0));
            Files.move(offset.resolveSibling(offset.getFileName() + ".new"), offset,
                    StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

}
