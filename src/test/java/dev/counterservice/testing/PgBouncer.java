package dev.counterservice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * PgBouncer (Debian's {@code pgbouncer}) in transaction pooling mode in front of one
 * database: each transaction of a client runs on whichever server connection is free, so
 * many client connections share a few server connections. Runs as the
 * {@link PostgresUser} on a free loopback port, from a temporary directory removed when
 * the JVM exits.
 *
 * <p>
 * What a client of this PgBouncer (1.18) must do, and the service's documentation says:
 * prepare no statement on the server ({@code prepareThreshold=0} in the JDBC URL), since
 * the next transaction may run on a server connection that never saw it.
 */
public final class PgBouncer implements AutoCloseable {

    /**
     * Server connections per database and user: fewer than the 16 each instance of the
     * service pools.
     */
    public static final int POOL_SIZE = 8;

    private static final String CONFIGURATION = """
            [databases]
            %s = host=%s port=%d dbname=%s

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = %d
            unix_socket_dir =
            auth_type = scram-sha-256
            auth_file = %s
            pool_mode = transaction
            default_pool_size = %d
            max_client_conn = 500
            """;

    private final Path directory;

    private final int port = Ports.free();

    private final TestDatabase target;

    private final String database;

    private BackgroundProgram program;

    private PgBouncer(Path directory, TestDatabase target, String database) {
        this.directory = directory;
        this.target = target;
        this.database = database;
    }

    /**
     * Starts PgBouncer in front of {@code target}, the database named {@code database},
     * logging in as its user.
     */
    public static PgBouncer start(TestDatabase target, String database) {
        PgBouncer pgbouncer = new PgBouncer(PostgresUser.temporaryDirectory("counter-pgbouncer-"), target, database);
        try {
            Files.writeString(pgbouncer.directory.resolve("userlist.txt"),
                    "\"%s\" \"%s\"%n".formatted(target.username(), target.password()));
            Files.writeString(pgbouncer.configuration(), CONFIGURATION.formatted(database, target.host(), target.port(),
                    database, pgbouncer.port, pgbouncer.directory.resolve("userlist.txt"), POOL_SIZE));
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(pgbouncer::close));
        pgbouncer.startProgram();
        return pgbouncer;
    }

    /**
     * The database through PgBouncer, as the service must be given it: without
     * server-side prepared statements.
     */
    public TestDatabase database() {
        return new TestDatabase("jdbc:postgresql://127.0.0.1:%d/%s?prepareThreshold=0".formatted(port, database),
                target.username(), target.password(), "PgBouncer in front of " + target.source());
    }

    /**
     * Restarts PgBouncer as a service manager would: SIGTERM, which this version answers
     * with an immediate shutdown that closes every client and server connection, then a
     * start on the same port.
     */
    public void restart() {
        program.stop();
        startProgram();
    }

    private void startProgram() {
        program = BackgroundProgram
            .start(List.of("pgbouncer", configuration().toString()), directory.resolve("pgbouncer.log"))
            .awaitListening(port);
    }

    private Path configuration() {
        return directory.resolve("pgbouncer.ini");
    }

    /** Stops PgBouncer at once and removes its files; also done when the JVM exits. */
    @Override
    public synchronized void close() {
        if (program != null) {
            program.kill();
        }
        PostgresUser.delete(directory);
    }

}
