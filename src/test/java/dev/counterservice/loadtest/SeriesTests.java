package dev.counterservice.loadtest;

import java.util.concurrent.atomic.AtomicLongArray;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The report's per-second series. */
class SeriesTests {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void drawsWholeSecondsOnlySoTheLastPartialSecondIsNoFallToNothing() {
        // Two responses in each of the seconds 0 and 1, one in the 50 ms after them
        long[] received = { 100, SECOND / 2, SECOND + 100, SECOND + SECOND / 2, 2 * SECOND + 10 };
        long[] sent = received.clone();
        Responses responses = Responses.grouped(new int[5], sent, received, new long[5], new long[5]);

        Series series = Series.of(responses, 0, 2 * SECOND + SECOND / 20, new AtomicLongArray(new long[] { 1, 0, 7 }));

        assertThat(series.ok()).containsExactly(2, 2);
        assertThat(series.errors()).containsExactly(1, 0);
    }

    @Test
    void aRunShorterThanASecondIsOneSecond() {
        long[] received = { 100, 200 };
        Responses responses = Responses.grouped(new int[2], received.clone(), received, new long[2], new long[2]);

        assertThat(Series.of(responses, 0, SECOND / 2, new AtomicLongArray(3)).ok()).containsExactly(2);
    }

}
