package dev.counterservice.loadtest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The correctness checks, over the recorded responses only: the load tester's, and through
 * {@code dev.counterservice.testing.IssuedNumbers} the integration tests'.
 */
public final class Checker {

    /**
     * How many violations of each kind were found, and the first few described; {@code gaps} counts the ways keyed
     * blocks fail to cover the counter's new numbers exactly (0 when that was not checked).
     */
    public record Verdict(long inverted, long duplicates, long clientOrder, long realTime, long gaps,
            List<String> examples) {

        /** Nothing checked, nothing found. */
        public static final Verdict NONE = new Verdict(0, 0, 0, 0, 0, List.of());

        public long violations() {
            return inverted + duplicates + clientOrder + realTime + gaps;
        }

        /**
         * This verdict and the one of another counter's numbers, checked apart, whose examples name it; at most
         * {@code maxExamples} examples in all.
         */
        public Verdict plus(Verdict other, String counter, int maxExamples) {
            List<String> all = new ArrayList<>(examples);
            other.examples().stream().limit(Math.max(0, maxExamples - all.size()))
                    .forEach(example -> all.add("counter " + counter + ": " + example));
            return new Verdict(inverted + other.inverted, duplicates + other.duplicates,
                    clientOrder + other.clientOrder, realTime + other.realTime, gaps + other.gaps, List.copyOf(all));
        }
    }

    private Checker() {
    }

    /**
     * @param origin      the time (nanoTime) that messages measure from
     * @param maxExamples how many violations of each kind to describe
     */
    public static Verdict check(Responses r, long origin, int maxExamples) {
        List<String> examples = new ArrayList<>();
        long inverted = inverted(r, examples, maxExamples);
        long duplicates = duplicates(r, examples, maxExamples);
        long clientOrder = clientOrder(r, examples, maxExamples);
        long realTime = realTimeOrder(r, origin, examples, maxExamples);
        return new Verdict(inverted, duplicates, clientOrder, realTime, 0, List.copyOf(examples));
    }

    /**
     * The checks of {@link #check} on keyed rows (one per key, spanning from its first send to its final answer),
     * and gapless: the counter held {@code before} when the clients started and {@code stored} when they finished,
     * and nobody else drew from it, so the blocks must cover {@code before + 1 .. stored} exactly.
     */
    public static Verdict checkKeyed(Responses r, long origin, int maxExamples, long before, long stored) {
        return checkKeyed(r, origin, maxExamples, new Stored(Period.NONE, before), new Stored(Period.NONE, stored));
    }

    /**
     * A counter's value in its current period, as read from the service ({@link Period#NONE} without periods).
     */
    public record Stored(long period, long value) {
    }

    /**
     * {@link #checkKeyed(Responses, long, int, long, long)} over periods, each period apart: the blocks of the
     * period the counter was in before the run must cover from the number after {@code before}, those of a later
     * period from 1; those of the period it is in after the run up to {@code after}, those of an earlier one up to
     * their highest (what the counter held when its period ended is not known).
     */
    public static Verdict checkKeyed(Responses r, long origin, int maxExamples, Stored before, Stored after) {
        Verdict verdict = check(r, origin, maxExamples);
        List<String> examples = new ArrayList<>(verdict.examples());
        long gaps = gaps(r, before, after, examples, maxExamples);
        return new Verdict(verdict.inverted(), verdict.duplicates(), verdict.clientOrder(), verdict.realTime(), gaps,
                List.copyOf(examples));
    }

    /** Every run of numbers that no block holds, period by period, and blocks past what the counter holds. */
    static long gaps(Responses r, Stored before, Stored after, List<String> examples, int maxExamples) {
        long found = 0;
        int[] byFirst = order(r.period(), r.first());
        boolean afterSeen = false;
        for (int at = 0; at < byFirst.length; ) {
            long period = r.period()[byFirst[at]];
            if ((period < before.period() || period > after.period()) && found++ < maxExamples) {
                examples.add(String.format(Locale.ROOT, "gap: %s got %s, but the counter was in %s before and %s "
                        + "after the run", who(r, byFirst[at]), block(r, byFirst[at]), Period.text(before.period()),
                        Period.text(after.period())));
            }
            long expected = (period == before.period() ? before.value() : 0) + 1;
            for (; at < byFirst.length && r.period()[byFirst[at]] == period; at++) {
                int i = byFirst[at];
                if (r.first()[i] > expected && found++ < maxExamples) {
                    examples.add(String.format(Locale.ROOT, "gap: numbers %d..%d%s belong to no key (%s got %s next)",
                            expected, r.first()[i] - 1, in(period), who(r, i), block(r, i)));
                }
                expected = Math.max(expected, r.last()[i] + 1);
            }
            if (period == after.period()) {
                afterSeen = true;
                found += ends(expected - 1, after, examples, maxExamples, found) ? 1 : 0;
            }
        }
        if (!afterSeen) {
            long start = after.period() == before.period() ? before.value() : 0;
            found += ends(start, after, examples, maxExamples, found) ? 1 : 0;
        }
        return found;
    }

    /** Whether the blocks of the counter's period after the run end elsewhere than at its value, described. */
    private static boolean ends(long end, Stored after, List<String> examples, int maxExamples, long found) {
        if (end == after.value()) {
            return false;
        }
        if (found < maxExamples) {
            examples.add(String.format(Locale.ROOT, "gap: the blocks%s end at %d but the counter holds %s%d",
                    in(after.period()), end, end < after.value() ? "" : "only ", after.value()));
        }
        return true;
    }

    /**
     * A replay of a key must be its first answer again, byte for byte, marked {@code Idempotent-Replayed: true}.
     *
     * @return {@code null} if it is, else what is wrong
     */
    public static String replay(String key, String firstBody, String replayBody, boolean markedReplayed) {
        if (!replayBody.equals(firstBody)) {
            return String.format(Locale.ROOT, "replay: key %s was answered %s, then %s", key,
                    firstBody.strip().replace("\n", ","), replayBody.strip().replace("\n", ","));
        }
        return markedReplayed ? null : "replay: key " + key + " answered again without Idempotent-Replayed: true";
    }
    /** A block ends at or above where it starts; one that does not holds no number and hides what was sent. */
    static long inverted(Responses r, List<String> examples, int maxExamples) {
        long found = 0;
        for (int i = 0; i < r.size(); i++) {
            if (r.last()[i] < r.first()[i] && found++ < maxExamples) {
                examples.add(String.format(Locale.ROOT, "inverted block: %s got %d..%d", who(r, i), r.first()[i],
                        r.last()[i]));
            }
        }
        return found;
    }

    /**
     * Blocks sorted by (period, first number) must not overlap: each starts above the highest number of its period
     * before it.
     */
    static long duplicates(Responses r, List<String> examples, int maxExamples) {
        int[] byFirst = order(r.period(), r.first());
        long found = 0;
        int highest = -1;
        for (int i : byFirst) {
            if (highest >= 0 && r.period()[highest] != r.period()[i]) {
                highest = -1;
            }
            if (highest >= 0 && r.first()[i] <= r.last()[highest] && found++ < maxExamples) {
                long from = r.first()[i];
                long to = Math.min(r.last()[i], r.last()[highest]);
                examples.add(String.format(Locale.ROOT, "duplicate: %s handed out twice: %s got %s, %s got %s",
                        from == to ? "number " + from : "numbers " + from + ".." + to,
                        who(r, highest), block(r, highest), who(r, i), block(r, i)));
            }
            if (highest < 0 || r.last()[i] > r.last()[highest]) {
                highest = i;
            }
        }
        return found;
    }

    /**
     * Each client's blocks must strictly increase in the order it sent the requests: a later period, or a larger
     * number in the same period.
     */
    static long clientOrder(Responses r, List<String> examples, int maxExamples) {
        long found = 0;
        int[] offsets = r.offsets();
        for (int c = 0; c + 1 < offsets.length; c++) {
            for (int i = offsets[c] + 1; i < offsets[c + 1]; i++) {
                if (!follows(r, i, i - 1) && found++ < maxExamples) {
                    examples.add(String.format(Locale.ROOT,
                            "per-client order: %s got %s after its previous request got %s",
                            who(r, i), block(r, i), block(r, i - 1)));
                }
            }
        }
        return found;
    }

    /**
     * For every request B, every response A received before B was sent must hold smaller (period, number) pairs
     * than B's.
     * Requests are swept in send order while responses are taken in receive order, keeping the highest number
     * received so far: O(n log n) for the two sorts, O(n) for the sweep. Times are taken before writing the
     * request and after reading the response, so a reported pair really was ordered in real time.
     */
    static long realTimeOrder(Responses r, long origin, List<String> examples, int maxExamples) {
        int[] bySent = order(r.sent());
        int[] byReceived = order(r.received());
        long found = 0;
        int next = 0;
        int highest = -1;
        for (int b : bySent) {
            while (next < byReceived.length && r.received()[byReceived[next]] < r.sent()[b]) {
                int a = byReceived[next++];
                if (highest < 0 || compare(r.period()[a], r.last()[a], r.period()[highest], r.last()[highest]) > 0) {
                    highest = a;
                }
            }
            if (highest >= 0 && !follows(r, b, highest) && found++ < maxExamples) {
                examples.add(String.format(Locale.ROOT,
                        "real-time order: %s sent at %s got %s, but %s had already received %s at %s",
                        who(r, b), seconds(r.sent()[b] - origin), block(r, b), who(r, highest),
                        block(r, highest), seconds(r.received()[highest] - origin)));
            }
        }
        return found;
    }

    /** Whether block {@code later} starts after block {@code earlier} ends. */
    private static boolean follows(Responses r, int later, int earlier) {
        return compare(r.period()[later], r.first()[later], r.period()[earlier], r.last()[earlier]) > 0;
    }

    /** (period, number) pairs in order: the period first, then the number. */
    private static int compare(long period, long number, long otherPeriod, long otherNumber) {
        int byPeriod = Long.compare(period, otherPeriod);
        return byPeriod != 0 ? byPeriod : Long.compare(number, otherNumber);
    }

    private static String who(Responses r, int index) {
        int client = r.clientOf(index);
        return "client " + client + " (request " + (index - r.offsets()[client] + 1) + ")";
    }

    private static String block(Responses r, int index) {
        long first = r.first()[index];
        long last = r.last()[index];
        return (first == last ? Long.toString(first) : first + ".." + last) + in(r.period()[index]);
    }

    private static String in(long period) {
        return period == Period.NONE ? "" : " in " + Period.text(period);
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.6fs", nanos / 1e9);
    }

    /** The indices 0..n-1 sorted by {@code key}, ties in index order (a stable bottom-up merge sort). */
    static int[] order(long[] key) {
        return order(key, key);
    }

    /** The indices 0..n-1 sorted by {@code major}, then {@code minor}, ties in index order. */
    static int[] order(long[] major, long[] minor) {
        int n = major.length;
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        int[] b = new int[n];
        for (int width = 1; width < n; width *= 2) {
            for (int lo = 0; lo < n; lo += 2 * width) {
                int mid = Math.min(lo + width, n);
                int hi = Math.min(lo + 2 * width, n);
                int i = lo;
                int j = mid;
                for (int k = lo; k < hi; k++) {
                    b[k] = j >= hi || (i < mid && (major[a[i]] < major[a[j]]
                            || major[a[i]] == major[a[j]] && minor[a[i]] <= minor[a[j]])) ? a[i++] : a[j++];
                }
            }
            int[] swap = a;
            a = b;
            b = swap;
        }
        return a;
    }
}
