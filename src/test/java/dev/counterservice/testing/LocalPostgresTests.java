package dev.counterservice.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The fault tests' crash is a crash: after {@link LocalPostgres#kill()} no backend
 * finishes the statement it was running, as none would on a pod that died.
 */
class LocalPostgresTests {

    @Test
    void aKillEndsEveryBackendInTheMiddleOfItsStatement() throws SQLException {
        LocalPostgres server = LocalPostgres.start();
        try {
            TestDatabase database = server.createDatabase("killed");
            try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.username(),
                    database.password())) {
                // Seconds of CPU: a backend notices a dead postmaster only when it waits,
                // so left alive it would finish this and answer
                CompletableFuture<Long> running = CompletableFuture
                    .supplyAsync(() -> count(connection, "SELECT count(*) FROM generate_series(1, 50000000)"));
                await("the statement running").atMost(Duration.ofSeconds(10))
                    .until(() -> database.queryForLong("SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                            + " AND query LIKE 'SELECT count(*) FROM generate_series%'") == 1);

                server.kill();

                assertThatThrownBy(running::join).as("the statement's answer")
                    .isInstanceOf(CompletionException.class)
                    .cause()
                    .isInstanceOfSatisfying(SQLException.class,
                            ex -> assertThat(ex.getSQLState()).as("a connection failure").startsWith("08"));
            }
        }
        finally {
            server.close();
        }
    }

    private static long count(Connection connection, String sql) {
        try (Statement statement = connection.createStatement(); var result = statement.executeQuery(sql)) {
            result.next();
            return result.getLong(1);
        }
        catch (SQLException ex) {
            throw new CompletionException(ex);
        }
    }

}
