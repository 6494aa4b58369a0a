package dev.counterservice.counter;

/**
 * Consecutive numbers {@code first..last} of one counter and one period ("" for a counter
 * without one), committed to the database; {@code replayed} when it was reserved earlier
 * for the same {@code Idempotency-Key} and is handed out again to its retry.
 */
record Block(String counter, String period, long first, long last, boolean replayed) {

    long count() {
        return last - first + 1;
    }
}
