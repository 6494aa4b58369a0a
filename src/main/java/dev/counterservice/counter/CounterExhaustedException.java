package dev.counterservice.counter;

/** The block would carry the counter past bigint's maximum; the stored value is unchanged (409). */
class CounterExhaustedException extends RuntimeException {

    CounterExhaustedException(String name, long count) {
        super("Counter '" + name + "' has fewer than " + count + " numbers left before 9223372036854775807");
    }
}
