package dev.counterservice.counter;

import java.util.ArrayList;
import java.util.List;

/**
 * What a counter is created with, and compared on when it is created again: a repeated
 * {@code PUT} with the same settings is answered with the counter, one with others is
 * refused and told which differ. Settings never change once the counter exists.
 *
 * @param start the value the counter starts at: its first number is {@code start + 1}
 */
record CounterSettings(long start) {

    static final CounterSettings DEFAULT = new CounterSettings(0);

    /** The settings in which {@code wanted} differs from these, described. */
    List<String> differences(CounterSettings wanted) {
        List<String> differences = new ArrayList<>();
        if (start != wanted.start) {
            differences.add("start is " + start + ", not " + wanted.start);
        }
        return differences;
    }

}
