package dev.counterservice.counter;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Asks the database whether names this instance does not know are counters, so that a
 * counter created through another instance is served here on its next request, while a
 * flood of made-up names costs the database a bounded amount:
 * <ol>
 * <li>One statement at a time per instance, for every name waiting when it leaves (up to
 * {@value #MAX_NAMES}): a flood costs one connection and one primary-key probe per
 * distinct name, never a statement per request.</li>
 * <li>A name asked for again while it waits shares that wait.</li>
 * <li>A name is looked up by a statement that starts after it was asked for: a name that
 * joined no statement in flight, so a counter created (and answered 201) before the
 * request was sent is found. For the same reason nothing remembers a name as absent: a
 * remembered absence would hide a counter created since.</li>
 * <li>At most {@value #MAX_WAITING} names wait; past that the request is answered
 * 503.</li>
 * </ol>
 * Malformed names never get here ({@link RequestedCounter}); known names never need to.
 */
final class CounterLookup {

    static final int MAX_NAMES = 1000;

    static final int MAX_WAITING = 100_000;

    private final Function<String[], Set<String>> existing;

    private final Executor executor;

    private final ReentrantLock lock = new ReentrantLock();

    private final Map<String, CompletableFuture<Boolean>> waiting = new LinkedHashMap<>();

    private boolean inFlight;

    /**
     * @param existing which of the names are counters, in one statement
     * @param executor where the statements run
     */
    CounterLookup(Function<String[], Set<String>> existing, Executor executor) {
        this.existing = existing;
        this.executor = executor;
    }

    /** Whether {@code name} is a counter, once a statement has looked. */
    CompletableFuture<Boolean> exists(String name) {
        CompletableFuture<Boolean> answer;
        boolean start;
        lock.lock();
        try {
            answer = waiting.get(name);
            if (answer == null) {
                if (waiting.size() >= MAX_WAITING) {
                    return CompletableFuture.failedFuture(new CounterUnavailableException(
                            "Too many unknown counter names are being looked up", null));
                }
                answer = new CompletableFuture<>();
                waiting.put(name, answer);
            }
            start = !inFlight;
            inFlight = true;
        }
        finally {
            lock.unlock();
        }
        if (start) {
            executor.execute(this::lookUp);
        }
        // A waiter that gives up cancels its own copy, not the others' answer
        return answer.copy();
    }

    /** Looks up the waiting names, a statement at a time, until none is left. */
    private void lookUp() {
        Map<String, CompletableFuture<Boolean>> names;
        while (!(names = next()).isEmpty()) {
            try {
                Set<String> found = existing.apply(names.keySet().toArray(String[]::new));
                names.forEach((name, answer) -> answer.complete(found.contains(name)));
            }
            catch (RuntimeException ex) {
                names.values().forEach(answer -> answer.completeExceptionally(ex));
            }
        }
    }

    private Map<String, CompletableFuture<Boolean>> next() {
        lock.lock();
        try {
            Map<String, CompletableFuture<Boolean>> names = new LinkedHashMap<>();
            Iterator<Map.Entry<String, CompletableFuture<Boolean>>> entries = waiting.entrySet().iterator();
            while (names.size() < MAX_NAMES && entries.hasNext()) {
                Map.Entry<String, CompletableFuture<Boolean>> entry = entries.next();
                names.put(entry.getKey(), entry.getValue());
                entries.remove();
            }
            inFlight = !names.isEmpty();
            return names;
        }
        finally {
            lock.unlock();
        }
    }

}
