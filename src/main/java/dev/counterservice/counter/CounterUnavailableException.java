package dev.counterservice.counter;

/**
 * The database could not confirm a number in time, or the outcome of a commit is unknown (503).
 * Whatever the database did, the client gets no number from this request.
 */
class CounterUnavailableException extends RuntimeException {

    CounterUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
