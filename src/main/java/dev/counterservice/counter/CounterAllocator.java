package dev.counterservice.counter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.dao.DataIntegrityViolationException;

import dev.counterservice.counter.CounterRepository.Attempt;
import dev.counterservice.counter.CounterRepository.KeyedAttempt;
import dev.counterservice.counter.CounterRepository.Stored;
import dev.counterservice.counter.CounterRepository.StoredKey;

/**
 * What one counter's batches must know and decide in this instance: the database server
 * they run on, the highest number handed out (the high-water mark), the statements of one
 * batch, and the refusal and fence after a failover. It takes plain demands and answers
 * with an {@link Outcome}; the queue in front of it is {@link RequestCoalescer}'s.
 *
 * <p>
 * A batch without {@code Idempotency-Key}s is one {@code UPDATE}, which PostgreSQL
 * commits before it answers. A batch with keys reads the blocks stored for its keys, then
 * one statement adds the total of the demands whose key is new and stores those keys: two
 * round trips, each statement committed on its own.
 */
final class CounterAllocator {

    private static final Logger log = LoggerFactory.getLogger(CounterAllocator.class);

    private final String counter;

    private final CounterRepository repository;

    private final long fenceMargin;

    /** A statement waits for the row lock no longer than its requests wait for it. */
    private final String lockTimeout;

    private final CounterMeters meters;

    private final AtomicLong highWaterMark = new AtomicLong();

    /** The database server the last batch ran on; null before the first. */
    private final AtomicReference<String> server = new AtomicReference<>();

    CounterAllocator(String counter, CounterRepository repository, CounterProperties properties, CounterMeters meters) {
        this.counter = counter;
        this.repository = repository;
        this.fenceMargin = properties.fenceMargin();
        this.lockTimeout = Long.toString(properties.timeout().toMillis());
        this.meters = meters;
    }

    /**
     * Serves one batch of demands with one durable step. Constraints this method keeps:
     * <ol>
     * <li>A block is answered only once the statement that reserved it has committed; on
     * any failure the whole batch fails and hands out nothing.</li>
     * <li>The counter moves only on the server the last batch ran on (the first batch
     * adopts its server); on another, the batch is refused and the counter fenced.</li>
     * <li>It moves only from a stored value at or above the high-water mark, read before
     * the statement that moves it; below it, commits were lost: the batch is refused,
     * counted and the counter fenced.</li>
     * <li>A fence moves the counter to max(stored value, high-water mark) + margin, under
     * bigint's maximum; until one succeeds, every batch is refused.</li>
     * <li>A known key gets its stored block and takes no number: a batch moves the
     * counter only if none of the keys it stores is stored already. One stored while its
     * statement waited for the row lock violates the primary key: nothing moves, and the
     * batch tries again.</li>
     * <li>The counter never passes bigint's maximum; a refused batch moves nothing.</li>
     * <li>The high-water mark only grows, to the last number of each committed
     * block.</li>
     * </ol>
     */
    Outcome allocate(List<Demand> demands) {
        // (3) Read before the statement that takes the row lock: everything handed out by
        // then lies at or below the stored value
        long mark = highWaterMark.get();
        Outcome outcome;
        try {
            try {
                outcome = move(demands, mark);
            }
            catch (DataIntegrityViolationException ex) {
                // (5) The primary key refused a key stored while the statement waited:
                // the batch that stored it has committed, so trying again finds it
                outcome = move(demands, mark);
            }
        }
        catch (RuntimeException ex) {
            return new Outcome.Failed(ex);
        }
        if (outcome instanceof Outcome.Committed committed) {
            long issued = 0;
            for (Result result : committed.results()) {
                if (result instanceof Result.Served(Block block)) {
                    highWaterMark.accumulateAndGet(block.last(), Math::max);
                    issued += block.replayed() ? 0 : block.count();
                }
            }
            meters.served(demands.size(), issued);
        }
        else if (outcome instanceof Outcome.Refused refused) {
            fence(refused.server());
        }
        return outcome;
    }

    /**
     * The batch's statement: one {@code add} of the new demands' total, which with keys
     * also stores them, and moves nothing if one of them is stored already: then the
     * batch reads the blocks of its keys and adds the rest.
     */
    private Outcome move(List<Demand> demands, long mark) {
        boolean keyed = demands.stream().anyMatch(demand -> demand.key() != null);
        // None known at first (and a null key is never looked up)
        Map<String, Block> known = Collections.emptyMap();
        while (true) {
            // Where each new demand's block starts, past the value the counter holds
            long[] starts = new long[demands.size()];
            List<Integer> newKeys = new ArrayList<>();
            long total = 0;
            for (int i = 0; i < demands.size(); i++) {
                Demand demand = demands.get(i);
                if (!known.containsKey(demand.key())) {
                    starts[i] = total + 1;
                    total += demand.count();
                    if (demand.key() != null) {
                        newKeys.add(i);
                    }
                }
            }
            String expected = server.get();
            String on = (expected != null) ? expected : "";
            Attempt attempt;
            if (keyed) {
                KeyedAttempt keyedAttempt = repository.addWithKeys(counter, total, mark, on, lockTimeout,
                        newKeys.stream().map(i -> demands.get(i).key()).toArray(String[]::new),
                        newKeys.stream().map(i -> demands.get(i).count()).toArray(Integer[]::new),
                        newKeys.stream().map(i -> starts[i]).toArray(Long[]::new));
                if (keyedAttempt.getKnown()) {
                    // (5) Each round knows more of the keys, so this ends
                    known = knownBlocks(demands);
                    continue;
                }
                attempt = keyedAttempt;
            }
            else {
                attempt = repository.add(counter, total, mark, on, lockTimeout);
            }
            Outcome refusal = (attempt.getValue() == null) ? refusal(attempt, expected, mark)
                    : adopt(attempt.getServer());
            if (refusal != null) {
                return refusal;
            }
            return new Outcome.Committed(results(demands, known, starts, attempt.getValue() - total));
        }
    }

    /**
     * A block per demand: a known key's stored one, else the numbers from its start past
     * the value the counter {@code held}.
     */
    private List<Result> results(List<Demand> demands, Map<String, Block> known, long[] starts, long held) {
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < demands.size(); i++) {
            Demand demand = demands.get(i);
            Block block = known.get(demand.key());
            if (block == null) {
                results.add(
                        new Result.Served(new Block(counter, held + starts[i], held + starts[i] + demand.count() - 1)));
            }
            else {
                results.add((block.count() == demand.count()) ? new Result.Served(block)
                        : new Result.KeyReused(block.count()));
            }
        }
        return results;
    }

    /** (5) The blocks stored for the demands' keys. */
    private Map<String, Block> knownBlocks(List<Demand> demands) {
        String[] keys = demands.stream().map(Demand::key).filter(key -> key != null).toArray(String[]::new);
        Map<String, Block> known = new HashMap<>();
        for (StoredKey key : repository.findKeys(counter, keys)) {
            known.put(key.getKey(), new Block(counter, key.getFirst(), key.getFirst() + key.getCount() - 1, true));
        }
        return known;
    }

    /**
     * (2) Why {@code add} left the counter as it was: it ran on a server other than the
     * one {@code expected}, or (3) the counter held less than {@code mark}; else (6) the
     * total would pass bigint's maximum.
     */
    private Outcome refusal(Attempt attempt, String expected, long mark) {
        if (expected != null && !expected.equals(attempt.getServer())) {
            return new Outcome.Refused(attempt.getServer(), serverChanged());
        }
        if (attempt.getHeld() == null) {
            return new Outcome.Failed(new UnknownCounterException(counter));
        }
        if (attempt.getHeld() < mark) {
            meters.regressions().increment();
            log.error(
                    "Counter '{}': the database holds {}, but this instance had already handed out numbers up to {}: "
                            + "it lost commits (a standby promoted without them?). Refusing the batch and fencing",
                    counter, attempt.getHeld(), mark);
            return new Outcome.Refused(attempt.getServer(), new CounterUnavailableException(
                    "The database lost numbers already handed out; the counter is fenced before more are", null));
        }
        return new Outcome.Exhausted();
    }

    /**
     * (2) The first batch adopts its server. Concurrent first batches (coalescing off)
     * may run on different servers: all but the one adopted are refused, and what they
     * moved stays a gap.
     * @return null if the batch ran on the adopted server
     */
    private Outcome adopt(String on) {
        if (server.compareAndSet(null, on) || on.equals(server.get())) {
            return null;
        }
        return new Outcome.Refused(on, serverChanged());
    }

    private static CounterUnavailableException serverChanged() {
        return new CounterUnavailableException(
                "The database server changed; the counter is fenced before more numbers are handed out", null);
    }

    /**
     * (4) Moves the counter past everything this instance and, within the margin, any
     * other has handed out, then adopts the server. Synchronized so that concurrent
     * refusals fence once each.
     */
    private synchronized void fence(String on) {
        long mark = highWaterMark.get();
        try {
            Optional<Stored> moved = repository.fence(counter, mark, fenceMargin, lockTimeout);
            if (moved.isEmpty()) {
                log.error("Counter '{}' cannot be fenced on database server {}: fewer than {} numbers are left "
                        + "before bigint's maximum; every batch is refused", counter, on, fenceMargin);
                return;
            }
            Stored fenced = moved.get();
            server.set(fenced.getServer());
            meters.fences().increment();
            log.warn(
                    "Fenced counter '{}' on database server {}: moved to {}, past this instance's high-water mark {} by at least {}",
                    counter, fenced.getServer(), fenced.getValue(), mark, fenceMargin);
        }
        catch (RuntimeException ex) {
            // The fence stays owed: the next batch finds the same mismatch and fences
            // again
            log.warn("Counter '{}': fencing on database server {} failed: {}", counter, on, ex.toString());
        }
    }

    /** The highest number this instance has handed out, 0 before the first. */
    double highWaterMark() {
        return highWaterMark.get();
    }

    /**
     * One request's share of a batch: {@code count} numbers, for its
     * {@code Idempotency-Key} or null.
     */
    record Demand(int count, String key) {
    }

    /** What a batch came to. */
    sealed interface Outcome {

        /** Committed: one result per demand, in the demands' order. */
        record Committed(List<Result> results) implements Outcome {
        }

        /**
         * Refused, nothing moved: the batch ran on {@code server}, a new one or one that
         * lost commits, and the counter was fenced (or will be, by the next refusal).
         */
        record Refused(String server, CounterUnavailableException problem) implements Outcome {
        }

        /** The new demands' total would pass bigint's maximum; nothing moved. */
        record Exhausted() implements Outcome {
        }

        /**
         * A statement or the commit failed, or its outcome is unknown: no number of the
         * batch is ever handed out.
         */
        record Failed(RuntimeException cause) implements Outcome {
        }

    }

    /** What one demand of a committed batch gets. */
    sealed interface Result {

        /** Its block: new, or stored for its key and now replayed. */
        record Served(Block block) implements Result {
        }

        /** Its key names a block of another {@code count}: a key names one request. */
        record KeyReused(long count) implements Result {
        }

    }

}
