package dev.counterservice.counter;

/** The name is well-formed but not one of the configured counters (404). */
class UnknownCounterException extends RuntimeException {

    UnknownCounterException(String name) {
        super("No counter named '" + name + "'");
    }
}
