package dev.counterservice.testing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import dev.counterservice.loadtest.Checker;
import dev.counterservice.loadtest.Responses;

/**
 * Every block of numbers clients were acknowledged, with when each request was sent and
 * its response received, checked against the README's guarantees by the load tester's own
 * {@link Checker}: one algorithm for both. Thread-safe to record into.
 */
public final class IssuedNumbers {

    /** One acknowledged response: numbers {@code first..last}, seen by {@code client}. */
    public record Issue(int client, long sentNanos, long receivedNanos, long first, long last) {
    }

    private final List<Issue> issues = new ArrayList<>();

    private final List<String> malformed = new ArrayList<>();

    /**
     * One acknowledged response: numbers {@code first..last}, seen by {@code client}.
     * Violations name clients from 0 up: when some client numbers are negative, every
     * number is shifted up by as much.
     */
    public synchronized void record(int client, long sentNanos, long receivedNanos, long first, long last) {
        issues.add(new Issue(client, sentNanos, receivedNanos, first, last));
    }

    /**
     * A 200 whose body was not the block asked for: a violation, since the client cannot
     * know its numbers.
     */
    public synchronized void recordMalformed(int client, String problem) {
        malformed.add("client %d got a malformed 200: %s".formatted(client, problem));
    }

    public synchronized List<Issue> issues() {
        return List.copyOf(issues);
    }

    /** How many numbers were acknowledged. */
    public synchronized long count() {
        return issues.stream().mapToLong(issue -> issue.last() - issue.first() + 1).sum();
    }

    /** The largest number acknowledged, 0 if none was. */
    public synchronized long max() {
        return issues.stream().mapToLong(Issue::last).max().orElse(0);
    }

    /**
     * Every way the acknowledged numbers break guarantees 1 to 3, given the value the
     * database holds now: a malformed answer, a block that ends below its start, a
     * duplicate, a client going backwards, a break of real-time order, or an acknowledged
     * number not stored.
     */
    public synchronized List<String> guaranteeViolations(long storedValue) {
        List<String> violations = new ArrayList<>(malformed);
        violations.addAll(check().examples());
        if (max() > storedValue) {
            violations.add("acknowledged %d but the database holds %d".formatted(max(), storedValue));
        }
        return violations;
    }

    /**
     * Guarantees 1 to 4 on a run without faults, where no request failed: on top of the
     * above, the counter moved from {@code startValue} by exactly the numbers
     * acknowledged, so none was burned.
     */
    public synchronized List<String> cleanRunViolations(long startValue, long storedValue) {
        List<String> violations = guaranteeViolations(storedValue);
        if (storedValue - startValue != count()) {
            violations.add("the counter moved from %d to %d but %d numbers were acknowledged".formatted(startValue,
                    storedValue, count()));
        }
        return violations;
    }

    /**
     * Every number acknowledged more than once, described; empty when each went to one
     * response only.
     */
    public synchronized List<String> duplicates() {
        return check().examples().stream().filter(violation -> violation.startsWith("duplicate:")).toList();
    }

    /**
     * Every request sent after another's answer arrived that got a number not above that
     * answer's, described.
     */
    public synchronized List<String> realTimeOrderViolations() {
        return check().examples().stream().filter(violation -> violation.startsWith("real-time order:")).toList();
    }

    /**
     * Every way these blocks, one per {@code Idempotency-Key} (sent at the key's first
     * send, received at its final answer), break the exactly-once promise, by the load
     * tester's keyed checks: a duplicate, a client going backwards, a break of real-time
     * order, or a gap: the blocks must cover {@code before + 1 .. stored} exactly.
     */
    public synchronized List<String> keyedViolations(long before, long stored) {
        List<String> violations = new ArrayList<>(malformed);
        violations.addAll(Checker.checkKeyed(responses(), 0, Integer.MAX_VALUE, before, stored).examples());
        return violations;
    }

    /** The load tester's checks, every violation described. */
    private Checker.Verdict check() {
        return Checker.check(responses(), 0, Integer.MAX_VALUE);
    }

    private Responses responses() {
        List<Issue> ordered = issues.stream()
            .sorted(Comparator.comparingInt(Issue::client).thenComparingLong(Issue::sentNanos))
            .toList();
        // The checker numbers clients from 0
        int shift = Math.max(0, -ordered.stream().mapToInt(Issue::client).min().orElse(0));
        return Responses.grouped(ordered.stream().mapToInt(issue -> issue.client() + shift).toArray(),
                ordered.stream().mapToLong(Issue::sentNanos).toArray(),
                ordered.stream().mapToLong(Issue::receivedNanos).toArray(),
                ordered.stream().mapToLong(Issue::first).toArray(), ordered.stream().mapToLong(Issue::last).toArray());
    }

}
