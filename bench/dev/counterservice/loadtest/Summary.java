package dev.counterservice.loadtest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The figures a run ends with, printed and put in the report. */
record Summary(long requests, long ok, long errors, double seconds, double throughput, long p50, long p90,
        long p99, long max, Map<String, Long> errorKinds, long numbers, long lowest, long highest,
        long malformed, Checker.Verdict verdict, int counters, long failedCounters, List<String> examples,
        String stopReason, int exitCode, Keys keys, Periods periods) {

    /**
     * With periods: those of the lowest and the highest (period, number) pair ({@code lowest} and {@code highest}
     * are their numbers), and how many periods the numbers fell in; {@code null} without periods.
     */
    record Periods(long lowest, long highest, long count) {
    }

    /**
     * With {@code --idempotency-keys}: replays checked and how many differed, keys never answered, and the counter's
     * value before..after the run ({@code null} when it could not be read, so gapless was not checked).
     */
    record Keys(long replays, long badReplays, long unanswered, String counterRange) {

        long violations() {
            return badReplays + unanswered;
        }
    }

    /** Latency in nanoseconds at the given percentile (0-100) of a sorted array, nearest-rank. */
    static long percentile(long[] sorted, int from, int to, double p) {
        if (to <= from) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100 * (to - from));
        return sorted[from + Math.max(0, Math.min(to - from - 1, rank - 1))];
    }

    static Summary of(Options options, Run run, Responses r, Checker.Verdict verdict, long failedCounters, long end,
            String counterRange) {
        long[] latency = new long[r.size()];
        long numbers = 0;
        int lowest = -1;
        int highest = -1;
        for (int i = 0; i < latency.length; i++) {
            latency[i] = r.received()[i] - r.sent()[i];
            numbers += r.last()[i] - r.first()[i] + 1;
            if (lowest < 0 || r.period()[i] < r.period()[lowest]
                    || r.period()[i] == r.period()[lowest] && r.first()[i] < r.first()[lowest]) {
                lowest = i;
            }
            if (highest < 0 || r.period()[i] > r.period()[highest]
                    || r.period()[i] == r.period()[highest] && r.last()[i] > r.last()[highest]) {
                highest = i;
            }
        }
        Periods periods = r.size() == 0 || r.period()[highest] == Period.NONE ? null
                : new Periods(r.period()[lowest], r.period()[highest], Arrays.stream(r.period()).distinct().count());
        Arrays.sort(latency);
        long ok = run.ok.sum();
        long errors = run.errors.sum();
        double seconds = (end - run.origin) / 1e9;
        Map<String, Long> kinds = new TreeMap<>();
        run.errorKinds.forEach((kind, n) -> kinds.put(kind, n.sum()));
        List<String> examples = new ArrayList<>(run.examples);
        examples.addAll(verdict.examples());
        long malformed = run.malformed.sum();
        Keys keys = options.idempotencyKeys()
                ? new Keys(run.replays.sum(), run.badReplays.sum(), run.unanswered.sum(), counterRange) : null;
        long keyViolations = keys == null ? 0 : keys.violations();
        int exit = verdict.violations() + malformed + keyViolations > 0 ? LoadTester.EXIT_VIOLATION
                : r.size() == 0 || errors > options.maxErrors() ? LoadTester.EXIT_UNCHECKED : LoadTester.EXIT_PASS;
        return new Summary(ok + errors, ok, errors, seconds, (ok + errors) / seconds,
                percentile(latency, 0, latency.length, 50), percentile(latency, 0, latency.length, 90),
                percentile(latency, 0, latency.length, 99), latency.length == 0 ? 0 : latency[latency.length - 1],
                kinds, numbers, r.size() == 0 ? 0 : r.first()[lowest], r.size() == 0 ? 0 : r.last()[highest], malformed, verdict,
                options.counters(), failedCounters, List.copyOf(examples), run.stopReason, exit, keys, periods);
    }

    long violations() {
        return verdict.violations() + malformed + (keys == null ? 0 : keys.violations());
    }

    String verdictText() {
        return switch (exitCode) {
            case LoadTester.EXIT_PASS -> "PASS";
            case LoadTester.EXIT_VIOLATION -> "FAIL: " + violations() + " violation(s)";
            default -> ok == 0 || numbers == 0 ? "UNCHECKED: no successful response"
                    : "FAIL: " + errors + " errors, more than --max-errors";
        };
    }

    String errorsText() {
        if (errorKinds.isEmpty()) {
            return "none";
        }
        List<String> parts = new ArrayList<>();
        errorKinds.forEach((kind, n) -> parts.add(kind + ": " + n));
        return String.join(", ", parts);
    }

    void print(java.io.PrintStream out) {
        out.printf(Locale.ROOT, "Requests      %d in %.2f s: %.0f req/s (%d ok, %d errors)%n", requests, seconds,
                throughput, ok, errors);
        out.printf(Locale.ROOT, "Latency       p50 %s  p90 %s  p99 %s  max %s (successful responses)%n",
                ms(p50), ms(p90), ms(p99), ms(max));
        out.println("Errors        " + errorsText());
        out.println("Numbers       " + numbersText());
        out.printf(Locale.ROOT, "Checks        duplicates %d, per-client order %d, real-time order %d, malformed %d%n",
                verdict.duplicates(), verdict.clientOrder(), verdict.realTime(), malformed);
        if (counters > 0) {
            out.printf(Locale.ROOT, "Counters      %d, each checked apart: %d with a violation%n", counters,
                    failedCounters);
        }
        if (keys != null) {
            out.printf(Locale.ROOT, "Keys          one row per key (first send to final answer); %d replays, "
                            + "%d differed; %d unanswered; gapless %s%n", keys.replays(), keys.badReplays(),
                    keys.unanswered(),
                    keys.counterRange() == null ? "not checked (could not read the counter)"
                            : verdict.gaps() + " violations, counter " + keys.counterRange());
        }
        for (String example : examples) {
            out.println("  " + example);
        }
        out.println("Verdict       " + verdictText());
    }

    /** How many numbers were checked, from which to which (in which periods). */
    String numbersText() {
        if (periods == null) {
            return String.format(Locale.ROOT, "%d checked, from %d to %d", numbers, lowest, highest);
        }
        return String.format(Locale.ROOT, "%d checked, from %d in %s to %d in %s (%d periods)", numbers, lowest,
                Period.text(periods.lowest()), highest, Period.text(periods.highest()), periods.count());
    }

    void printResultLine(java.io.PrintStream out) {
        long httpErrors = errorKinds.entrySet().stream().filter(e -> e.getKey().startsWith("HTTP "))
                .mapToLong(Map.Entry::getValue).sum();
        out.printf(Locale.ROOT, "RESULT requests=%d ok=%d errors=%d http_errors=%d io_errors=%d violations=%d "
                        + "duplicates=%d client_order=%d realtime=%d malformed=%d numbers=%d highest=%d rps=%.0f "
                        + "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f verdict=%s%n",
                requests, ok, errors, httpErrors, errors - httpErrors, violations(), verdict.duplicates(),
                verdict.clientOrder(), verdict.realTime(), malformed, numbers, highest, throughput, p50 / 1e6,
                p90 / 1e6, p99 / 1e6, max / 1e6, verdictText().split(":")[0]
                        + (counters == 0 ? "" : String.format(Locale.ROOT, " counters=%d counters_failed=%d", counters,
                                failedCounters))
                        + (keys == null ? "" : String.format(Locale.ROOT, " replays=%d bad_replays=%d "
                                + "unanswered=%d gaps=%d gapless_checked=%b", keys.replays(),
                                keys.badReplays(), keys.unanswered(), verdict.gaps(), keys.counterRange() != null))
                        + (periods == null ? "" : " periods=" + periods.count()));
    }

    static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
    }
}
