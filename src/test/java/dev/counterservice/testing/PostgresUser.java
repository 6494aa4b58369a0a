package dev.counterservice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The unprivileged user as whom the tests run PostgreSQL and the programs around it
 * (Patroni, etcd, PgBouncer), since PostgreSQL and PgBouncer refuse to run as root:
 * {@code postgres}, or {@code nobody} on a machine without it (PostgreSQL from Maven
 * Central's binaries only). As root, commands go through {@code runuser} and their
 * directories are handed to that user; as anyone else, both stay as they are.
 */
final class PostgresUser {

    private static final String NAME = name();

    private PostgresUser() {
    }

    /** {@code command} as this user. */
    static List<String> command(List<String> command) {
        List<String> line = new ArrayList<>();
        if (isRoot()) {
            line.addAll(List.of("runuser", "-u", NAME, "--"));
        }
        line.addAll(command);
        return line;
    }

    /**
     * Creates the directory {@code path} unless it exists, and makes it this user's, so
     * that the programs run as that user can write there.
     */
    static Path directory(Path path) {
        try {
            Files.createDirectories(path);
            if (isRoot()) {
                Files.setOwner(path, path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(NAME));
            }
            return path;
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * A new temporary directory that this user owns; whoever starts programs in it
     * removes it ({@link #delete(Path)}) once they have stopped.
     */
    static Path temporaryDirectory(String prefix) {
        try {
            return directory(Files.createTempDirectory(prefix));
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Removes {@code directory} and everything in it, as far as it can. */
    static void delete(Path directory) {
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        catch (IOException ex) {
            // best effort: a temporary directory
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static String name() {
        try {
            FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            return "postgres";
        }
        catch (IOException ex) {
            return "nobody";
        }
    }

}
