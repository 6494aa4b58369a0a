package dev.counterservice.loadtest;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Per whole second of the run (by receive time): successful responses, errors, p50 and p99 latency. The part of a
 * second after the last whole one is left out, so that the chart does not end in a fall to almost nothing; the
 * summary counts it.
 */
record Series(long[] ok, long[] errors, long[] p50, long[] p99) {

    static Series of(Responses r, long origin, long end, AtomicLongArray errorsPerSecond) {
        int seconds = (int) Math.max(1, (end - origin) / 1_000_000_000L);
        // One sort of (second, latency in microseconds) pairs gives every second's percentiles
        long[] keys = new long[r.size()];
        int counted = 0;
        for (int i = 0; i < keys.length; i++) {
            long second = Math.max(0, (r.received()[i] - origin) / 1_000_000_000L);
            if (second < seconds) {
                long micros = Math.min((1L << 40) - 1, (r.received()[i] - r.sent()[i]) / 1_000);
                keys[counted++] = second << 40 | micros;
            }
        }
        keys = Arrays.copyOf(keys, counted);
        Arrays.sort(keys);
        long[] ok = new long[seconds];
        long[] errors = new long[seconds];
        long[] p50 = new long[seconds];
        long[] p99 = new long[seconds];
        int from = 0;
        for (int s = 0; s < seconds; s++) {
            int to = from;
            while (to < keys.length && keys[to] >>> 40 == s) {
                to++;
            }
            ok[s] = to - from;
            p50[s] = (Summary.percentile(keys, from, to, 50) & ((1L << 40) - 1)) * 1_000;
            p99[s] = (Summary.percentile(keys, from, to, 99) & ((1L << 40) - 1)) * 1_000;
            errors[s] = s < errorsPerSecond.length() ? errorsPerSecond.get(s) : 0;
            from = to;
        }
        return new Series(ok, errors, p50, p99);
    }
}
