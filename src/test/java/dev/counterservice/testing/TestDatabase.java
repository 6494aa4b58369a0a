package dev.counterservice.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import ch.qos.logback.classic.Level;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

import static org.awaitility.Awaitility.await;

/**
 * A real PostgreSQL for tests, found in this order: an explicit {@code TEST_DATABASE_URL}
 * (with {@code TEST_DATABASE_USERNAME} and {@code TEST_DATABASE_PASSWORD}); a
 * Testcontainers container when Docker runs; otherwise a throwaway cluster
 * ({@link LocalPostgres}) from the PostgreSQL installed on this machine, or else from the
 * binaries Maven Central carries. Which one it took is logged.
 */
public record TestDatabase(String jdbcUrl, String username, String password, String source) {

    private static final Logger log = LoggerFactory.getLogger(TestDatabase.class);

    private static TestDatabase shared;

    /**
     * One database for the whole test JVM, started on first use and removed when the JVM
     * exits.
     */
    public static synchronized TestDatabase shared() {
        if (shared == null) {
            shared = find();
            log.info("Test database: {} at {}", shared.source(), shared.jdbcUrl());
        }
        return shared;
    }

    private static TestDatabase find() {
        String url = System.getenv("TEST_DATABASE_URL");
        if (url != null && !url.isBlank()) {
            return new TestDatabase(url, System.getenv().getOrDefault("TEST_DATABASE_USERNAME", "postgres"),
                    System.getenv().getOrDefault("TEST_DATABASE_PASSWORD", ""), "TEST_DATABASE_URL");
        }
        if (dockerAvailable()) {
            return fromContainer();
        }
        return LocalPostgres.start().createDatabase("counter");
    }

    /**
     * Testcontainers logs an ERROR when it finds no Docker; here that only means the next
     * source, so its probe speaks only if Docker is there.
     */
    private static boolean dockerAvailable() {
        ch.qos.logback.classic.Logger probe = (ch.qos.logback.classic.Logger) LoggerFactory
            .getLogger("org.testcontainers.dockerclient");
        Level level = probe.getLevel();
        probe.setLevel(Level.OFF);
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        }
        finally {
            probe.setLevel(level);
        }
    }

    @SuppressWarnings("resource") // stopped by Testcontainers' Ryuk when the JVM exits
    private static TestDatabase fromContainer() {
        PostgreSQLContainer container = new PostgreSQLContainer("postgres:18-alpine").withDatabaseName("counter");
        container.start();
        return new TestDatabase(container.getJdbcUrl(), container.getUsername(), container.getPassword(),
                "Testcontainers");
    }

    public String host() {
        return java.net.URI.create(jdbcUrl.substring("jdbc:".length())).getHost();
    }

    public int port() {
        return java.net.URI.create(jdbcUrl.substring("jdbc:".length())).getPort();
    }

    /**
     * The same database reached through another port on 127.0.0.1, such as a
     * {@link TcpProxy}'s.
     */
    public TestDatabase via(int localPort) {
        String url = jdbcUrl.replaceFirst("//[^/]+/", "//127.0.0.1:" + localPort + "/");
        return new TestDatabase(url, username, password, source + " via port " + localPort);
    }

    /**
     * Runs one statement as this database's user, e.g. to set up a state a test needs.
     */
    public void execute(String sql) {
        try (Connection connection = DriverManager.getConnection(jdbcUrl, username, password);
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not run: " + sql, ex);
        }
    }

    /** Reads one number, e.g. a counter's stored value. */
    public long queryForLong(String sql) {
        try (Connection connection = DriverManager.getConnection(jdbcUrl, username, password);
                Statement statement = connection.createStatement();
                var result = statement.executeQuery(sql)) {
            if (!result.next()) {
                throw new IllegalStateException("No row for: " + sql);
            }
            return result.getLong(1);
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not run: " + sql, ex);
        }
    }

    /** Reads a column of text, e.g. rows of the ledger put as one string each. */
    public List<String> queryForStrings(String sql) {
        try (Connection connection = DriverManager.getConnection(jdbcUrl, username, password);
                Statement statement = connection.createStatement();
                var result = statement.executeQuery(sql)) {
            List<String> rows = new ArrayList<>();
            while (result.next()) {
                rows.add(result.getString(1));
            }
            return rows;
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not run: " + sql, ex);
        }
    }

    /**
     * Waits until exactly {@code count} statements in this database wait for a lock, e.g.
     * on a row a test holds; fails past {@code limit}.
     */
    public void awaitLockWaits(long count, Duration limit) {
        await(count + " statements waiting for a lock").atMost(limit)
            .pollInterval(Duration.ofMillis(20))
            .until(() -> queryForLong("SELECT count(*) FROM pg_stat_activity "
                    + "WHERE wait_event_type = 'Lock' AND datname = current_database()"), waiting -> waiting == count);
    }
}
