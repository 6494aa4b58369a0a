package dev.counterservice.counter;

/**
 * Consecutive numbers {@code first..last} of one counter, committed to the database;
 * {@code replayed} when it was reserved earlier for the same {@code Idempotency-Key} and
 * is handed out again to its retry.
 */
record Block(String counter, long first, long last, boolean replayed) {

    Block(String counter, long first, long last) {
        this(counter, first, last, false);
    }

    long count() {
        return last - first + 1;
    }
}
