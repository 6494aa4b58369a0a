package dev.counterservice.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster, for machines without Docker, from the first server
 * binaries found: {@code PG_BIN}; the newest installed under {@code /usr/lib/postgresql};
 * the build Maven Central carries ({@link EmbeddedPostgresBinaries}: no
 * {@code pg_basebackup}, so no standby). PostgreSQL refuses to run as root, so the
 * cluster and every command on it belong to the {@link PostgresUser}. The cluster listens
 * on 127.0.0.1 only, on a free port, and is removed when the JVM exits.
 */
public final class LocalPostgres {

    private final Path bin;

    private final Path dataDir;

    private final int port;

    /** Variables the server runs with ({@code NAME=value}), such as a shifted clock's. */
    private final List<String> environment;

    private LocalPostgres(Path bin, Path dataDir, int port, List<String> environment) {
        this.bin = bin;
        this.dataDir = dataDir;
        this.port = port;
        this.environment = environment;
    }

    /** Creates a new cluster in a temporary directory and starts it. */
    public static LocalPostgres start() {
        return start(List.of());
    }

    /**
     * Creates a new cluster in a temporary directory and starts it with the variables
     * {@code environment} ({@code NAME=value}), e.g. a {@link ShiftedClock}'s.
     */
    public static LocalPostgres start(List<String> environment) {
        Path bin = findBin();
        if (bin == null) {
            throw new IllegalStateException("No PostgreSQL server binaries: set PG_BIN, install PostgreSQL "
                    + "(Debian: apt-get install -y postgresql), or put Maven Central's on the class path");
        }
        LocalPostgres server = inNewDirectory(bin, environment);
        server.run(bin.resolve("initdb").toString(), "-D", server.dataDir.toString(), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--no-sync", "--no-instructions");
        server.startServer();
        return server;
    }

    /**
     * Copies this running server with {@code pg_basebackup -R} into a new cluster and
     * starts it: a hot standby that streams from this one, connecting as
     * {@code applicationName} (the name {@code synchronous_standby_names} uses).
     */
    public LocalPostgres startStandby(String applicationName) {
        LocalPostgres standby = inNewDirectory(bin, environment);
        standby.restartAsStandbyOf(this, applicationName);
        return standby;
    }

    /**
     * Throws this server's data away and starts it, on the same port, as a fresh standby
     * of {@code primary}: how a failed primary rejoins after a failover.
     */
    public void restartAsStandbyOf(LocalPostgres primary, String applicationName) {
        if (!Files.isExecutable(bin.resolve("pg_basebackup"))) {
            throw new IllegalStateException("A standby needs pg_basebackup, which " + bin
                    + " lacks: install PostgreSQL (Debian: apt-get install -y postgresql)");
        }
        close();
        // pg_basebackup creates the directory, owned by the user it runs as and with the
        // permissions PostgreSQL wants
        run(bin.resolve("pg_basebackup").toString(), "-D", dataDir.toString(), "-R", "-X", "stream", "-c", "fast",
                "--no-sync", "-d",
                "host=127.0.0.1 port=%d user=postgres application_name=%s".formatted(primary.port, applicationName));
        startServer();
    }

    private static LocalPostgres inNewDirectory(Path bin, List<String> environment) {
        LocalPostgres server = new LocalPostgres(bin, PostgresUser.temporaryDirectory("counter-pg-"), Ports.free(),
                List.copyOf(environment));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        return server;
    }

    /**
     * Creates a database owned by a new login role of the same name, and returns how to
     * reach it.
     */
    public TestDatabase createDatabase(String name) {
        try (Connection admin = DriverManager.getConnection(jdbcUrl("postgres"), "postgres", "");
                var statement = admin.createStatement()) {
            statement.execute("CREATE ROLE \"%s\" LOGIN PASSWORD '%s'".formatted(name, name));
            statement.execute("CREATE DATABASE \"%s\" OWNER \"%s\"".formatted(name, name));
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not create database " + name, ex);
        }
        return new TestDatabase(jdbcUrl(name), name, name, "PostgreSQL from " + bin + ", cluster " + dataDir);
    }

    /**
     * {@code database} on this server as the superuser, e.g. to read a standby or change
     * the server's settings.
     */
    public TestDatabase asSuperuser(String database) {
        return new TestDatabase(jdbcUrl(database), "postgres", "", "PostgreSQL from " + bin + ", cluster " + dataDir);
    }

    public int port() {
        return port;
    }

    /**
     * Starts the server on the existing data directory, e.g. after {@link #kill()}, as a
     * restarted pod would.
     */
    public void startServer() {
        List<String> command = new ArrayList<>();
        if (!environment.isEmpty()) {
            command.add("env");
            command.addAll(environment);
        }
        command.addAll(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-l",
                dataDir.resolve("server.log").toString(), "-o",
                "-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200".formatted(port, dataDir), "-w", "-t",
                "30", "start"));
        run(command.toArray(String[]::new));
    }

    /**
     * Stops the server the polite way ({@code -m fast}): it finishes writing what it has,
     * as a drained pod would.
     */
    public void stopServer() {
        stop("fast");
    }

    /**
     * Stops the server at once ({@code -m immediate}), as a lost node would, but its data
     * directory stays.
     */
    public void stopServerImmediately() {
        stop("immediate");
    }

    /**
     * Ends recovery: a standby becomes a primary on a new timeline; returns once it
     * accepts writes.
     */
    public void promote() {
        run(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-w", "-t", "30", "promote");
    }

    /**
     * Kills the server as a crashed pod's processes die: the postmaster and every backend
     * with SIGKILL at once ({@link Postmaster#kill(Path)}); what was committed stays on
     * disk.
     */
    public void kill() {
        Postmaster.kill(dataDir);
    }

    private void stop(String mode) {
        run(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", mode, "-w", "-t", "30", "stop");
    }

    /** Stops the server at once and removes its files; also done when the JVM exits. */
    public void close() {
        try {
            stopServerImmediately();
        }
        catch (RuntimeException ex) {
            // already stopped
        }
        PostgresUser.delete(dataDir);
    }

    private String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:%d/%s".formatted(port, database);
    }

    private void run(String... command) {
        Commands.run(PostgresUser.command(List.of(command)), Duration.ofSeconds(60));
    }

    static Path findBin() {
        String explicit = System.getenv("PG_BIN");
        if (explicit != null && Files.isExecutable(Path.of(explicit, "initdb"))) {
            return Path.of(explicit);
        }
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            Path installed = versions.map(version -> version.resolve("bin"))
                .filter(bin -> Files.isExecutable(bin.resolve("initdb")))
                .max(Comparator.comparing(
                        bin -> Integer.parseInt(bin.getParent().getFileName().toString().replaceAll("\\D", "0"))))
                .orElse(null);
            if (installed != null) {
                return installed;
            }
        }
        catch (IOException ex) {
            // none installed
        }
        return EmbeddedPostgresBinaries.bin();
    }

}
