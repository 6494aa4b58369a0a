package dev.counterservice.counter;

/** A request the service refuses as malformed (400); nothing was consumed. */
class InvalidRequestException extends RuntimeException {

    InvalidRequestException(String message) {
        super(message);
    }
}
