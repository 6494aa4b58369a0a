package dev.counterservice.counter;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

import org.springframework.dao.DataAccessResourceFailureException;

import static org.assertj.core.api.Assertions.assertThat;

class DatabaseFailureTests {

    @Test
    void aRefusedConnectionBehindThePoolsTimeoutSaysRefused() {
        // What HikariCP throws when PostgreSQL is down: its wait timed out, the last
        // attempt refused
        Throwable failure = new DataAccessResourceFailureException("could not prepare statement",
                new SQLTransientConnectionException("HikariPool-1 - Connection is not available", "08001",
                        new PSQLException("Connection to 127.0.0.1:5432 refused",
                                PSQLState.CONNECTION_UNABLE_TO_CONNECT, new ConnectException("Connection refused"))));

        assertThat(DatabaseFailure.describe(failure)).isEqualTo("The database refused the connection");
    }

    @Test
    void aPoolWithNoFreeConnectionSaysSo() {
        assertThat(DatabaseFailure.describe(new DataAccessResourceFailureException("x",
                new SQLTransientConnectionException("HikariPool-1 - Connection is not available"))))
            .isEqualTo("No database connection became free in time");
    }

    @Test
    void eachSqlStateThatSaysWhatHappenedIsNamed() {
        assertThat(describe("55P03")).contains("locked");
        assertThat(describe("57P01")).contains("shutting down");
        assertThat(describe("57P03")).contains("starting up");
        assertThat(describe("08006")).contains("broke");
        assertThat(describe("25006")).contains("read-only");
        assertThat(describe("57014")).contains("cancelled");
        assertThat(describe("23505")).isEqualTo("The database could not confirm the request");
    }

    @Test
    void aSocketTimeoutUnderTheDriversErrorSaysTimedOut() {
        assertThat(DatabaseFailure.describe(new DataAccessResourceFailureException("x",
                new PSQLException("An I/O error occurred", PSQLState.CONNECTION_FAILURE_DURING_TRANSACTION,
                        new SocketTimeoutException("Read timed out")))))
            .isEqualTo("The database did not answer within the socket timeout");
    }

    private static String describe(String sqlState) {
        return DatabaseFailure.describe(new DataAccessResourceFailureException("x", new SQLException("m", sqlState)));
    }

}
