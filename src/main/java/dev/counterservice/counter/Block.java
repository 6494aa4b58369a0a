package dev.counterservice.counter;

/** Consecutive numbers {@code first..last} of one counter, committed to the database. */
record Block(String counter, long first, long last) {

    /** The block that ends at {@code last}, the value the UPDATE returned, and holds {@code count} numbers. */
    static Block endingAt(String counter, long last, long count) {
        return new Block(counter, last - count + 1, last);
    }

    long count() {
        return last - first + 1;
    }
}
