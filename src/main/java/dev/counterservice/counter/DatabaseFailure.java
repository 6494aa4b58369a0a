package dev.counterservice.counter;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * What went wrong with the database, in the words a 503's detail gives the client:
 * refused, timed out, locked, shutting down, broken, read-only. Read from the socket's
 * exception if the chain of causes holds one, else from the first SQL state that says.
 * Host names and the driver's messages stay out: they are the service's internals.
 */
final class DatabaseFailure {

    private DatabaseFailure() {
    }

    static String describe(Throwable failure) {
        // The socket's own exception, deepest in the chain, says most
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException) {
                return "The database refused the connection";
            }
            if (cause instanceof SocketTimeoutException) {
                return "The database did not answer within the socket timeout";
            }
        }
        boolean poolWaitTimedOut = false;
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                String described = describe(sql.getSQLState());
                if (described != null) {
                    return described;
                }
            }
            poolWaitTimedOut |= cause instanceof SQLTransientConnectionException;
        }
        return poolWaitTimedOut ? "No database connection became free in time"
                : "The database could not confirm the request";
    }

    /** The SQL states that say what happened (PostgreSQL's error codes, appendix A). */
    private static String describe(String sqlState) {
        return switch (sqlState) {
            case "08001", "08004" -> "The database refused the connection";
            case "08003", "08006" -> "The connection to the database broke; the outcome of its request is unknown";
            case "55P03" -> "The counter's row stayed locked by another transaction past counter.timeout";
            case "57014" -> "The database cancelled the statement";
            case "57P01", "57P02" -> "The database is shutting down";
            case "57P03" -> "The database is starting up and not yet accepting connections";
            case "25006" -> "The database is read-only (a standby, or not yet promoted)";
            default -> null;
        };
    }

}
