package dev.counterservice.counter;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
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
 *
 * @param <T> what the statement finds of a counter (its row)
 */
final class CounterLookup<T> {

    static final int MAX_NAMES = 1000;

    static final int MAX_WAITING = 100_000;

    private final Function<String[], Map<String, T>> existing;

    private final Executor executor;

    private final ReentrantLock lock = new ReentrantLock();

    private final Map<String, CompletableFuture<Optional<T>>> waiting = new LinkedHashMap<>();

    private boolean inFlight;

    /**
     * @param existing which of the names are counters, with what was found of each, in
     * one statement
     * @param executor where the statements run
     */
    CounterLookup(Function<String[], Map<String, T>> existing, Executor executor) {
        this.existing = existing;
        this.executor = executor;
    }

    /** What was found of the counter {@code name}, once a statement has looked. */
    CompletableFuture<Optional<T>> exists(String name) {
        CompletableFuture<Optional<T>> answer;
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
        Map<String, CompletableFuture<Optional<T>>> names;
        while (!(names = next()).isEmpty()) {
            try {
                Map<String, T> found = existing.apply(names.keySet().toArray(String[]::new));
                names.forEach((name, answer) -> answer.complete(Optional.ofNullable(found.get(name))));
            }
            catch (RuntimeException ex) {
                names.values().forEach(answer -> answer.completeExceptionally(ex));
            }
        }
    }

    private Map<String, CompletableFuture<Optional<T>>> next() {
        lock.lock();
        try {
            Map<String, CompletableFuture<Optional<T>>> names = new LinkedHashMap<>();
            Iterator<Map.Entry<String, CompletableFuture<Optional<T>>>> entries = waiting.entrySet().iterator();
            while (names.size() < MAX_NAMES && entries.hasNext()) {
                Map.Entry<String, CompletableFuture<Optional<T>>> entry = entries.next();
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
