package dev.counterservice.testing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Every block of numbers clients were acknowledged, with when each request was sent and its response received,
 * and the checks the README's guarantees promise. Thread-safe to record into.
 */
public final class IssuedNumbers {

    /** One acknowledged response: numbers {@code first..last}, seen by {@code client}. */
    public record Issue(int client, long sentNanos, long receivedNanos, long first, long last) {
    }

    private final List<Issue> issues = new ArrayList<>();

    public synchronized void record(int client, long sentNanos, long receivedNanos, long first, long last) {
        issues.add(new Issue(client, sentNanos, receivedNanos, first, last));
    }

    public synchronized List<Issue> issues() {
        return List.copyOf(issues);
    }

    public synchronized long count() {
        return issues.stream().mapToLong(issue -> issue.last() - issue.first() + 1).sum();
    }

    public synchronized long max() {
        return issues.stream().mapToLong(Issue::last).max().orElse(0);
    }

    /**
     * Every way the acknowledged numbers break the README's guarantees, given the value the database holds now:
     * a duplicate, a client going backwards, a break of real-time order, or an acknowledged number not stored.
     */
    public synchronized List<String> guaranteeViolations(long storedValue) {
        List<String> violations = new ArrayList<>();
        duplicates().forEach(number -> violations.add("acknowledged twice: " + number));
        violations.addAll(perClientOrderViolations());
        violations.addAll(realTimeOrderViolations());
        if (max() > storedValue) {
            violations.add("acknowledged %d but the database holds %d".formatted(max(), storedValue));
        }
        return violations;
    }

    /** Numbers acknowledged more than once; empty when every number went to one response only. */
    public synchronized List<Long> duplicates() {
        Set<Long> seen = new HashSet<>();
        List<Long> duplicates = new ArrayList<>();
        for (Issue issue : issues) {
            for (long number = issue.first(); number <= issue.last(); number++) {
                if (!seen.add(number)) {
                    duplicates.add(number);
                }
            }
        }
        return duplicates;
    }

    /** Responses a client got that were not larger than that client's previous one. */
    public synchronized List<String> perClientOrderViolations() {
        List<String> violations = new ArrayList<>();
        issues.stream()
                .sorted(Comparator.comparingInt(Issue::client).thenComparingLong(Issue::sentNanos))
                .reduce((previous, next) -> {
                    if (previous.client() == next.client() && next.first() <= previous.last()) {
                        violations.add("client %d got %d after %d".formatted(next.client(), next.first(), previous.last()));
                    }
                    return next;
                });
        return violations;
    }

    /**
     * Pairs that break real-time order: a request sent after another's response arrived got a number not larger
     * than every number of that response. O(n log n): walk the requests in send order while taking in, in
     * receive order, every response that arrived before the send, keeping the largest number among them.
     */
    public synchronized List<String> realTimeOrderViolations() {
        List<Issue> bySend = issues.stream().sorted(Comparator.comparingLong(Issue::sentNanos)).toList();
        List<Issue> byReceive = issues.stream().sorted(Comparator.comparingLong(Issue::receivedNanos)).toList();
        List<String> violations = new ArrayList<>();
        long largestReceived = Long.MIN_VALUE;
        int received = 0;
        for (Issue request : bySend) {
            while (received < byReceive.size() && byReceive.get(received).receivedNanos() < request.sentNanos()) {
                largestReceived = Math.max(largestReceived, byReceive.get(received++).last());
            }
            if (request.first() <= largestReceived) {
                violations.add("a request sent after %d was acknowledged got %d".formatted(largestReceived, request.first()));
            }
        }
        return violations;
    }
}
