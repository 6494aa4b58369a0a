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

import org.springframework.transaction.support.TransactionOperations;

import dev.counterservice.counter.CounterRepository.Attempt;
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
 * commits before it answers. A batch with keys is a transaction: it takes the row lock,
 * reads the keys it carries, adds the total of the demands whose key is new, and stores
 * those keys.
 */
final class CounterAllocator {

    private static final Logger log = LoggerFactory.getLogger(CounterAllocator.class);

    private final String counter;

    private final CounterRepository repository;

    private final TransactionOperations transactions;

    private final long fenceMargin;

    /** A statement waits for the row lock no longer than its requests wait for it. */
    private final String lockTimeout;

    private final CounterMeters meters;

    private final AtomicLong highWaterMark = new AtomicLong();

    /** The database server the last batch ran on; null before the first. */
    private final AtomicReference<String> server = new AtomicReference<>();

    CounterAllocator(String counter, CounterRepository repository, TransactionOperations transactions,
            CounterProperties properties, CounterMeters meters) {
        this.counter = counter;
        this.repository = repository;
        this.transactions = transactions;
        this.fenceMargin = properties.fenceMargin();
        this.lockTimeout = Long.toString(properties.timeout().toMillis());
        this.meters = meters;
    }

    /**
     * Serves one batch of demands with one durable step. Constraints this method keeps:
     * <ol>
     * <li>A block is answered only once the statement or transaction that reserved it has
     * committed; on any failure the whole batch fails and hands out nothing.</li>
     * <li>The counter moves only on the server the last batch ran on (the first batch
     * adopts its server); on another, the batch is refused and the counter fenced.</li>
     * <li>It moves only from a stored value at or above the high-water mark, read before
     * the row lock; below it, commits were lost: the batch is refused, counted and the
     * counter fenced.</li>
     * <li>A fence moves the counter to max(stored value, high-water mark) + margin, under
     * bigint's maximum; until one succeeds, every batch is refused.</li>
     * <li>Keys are read after the row lock is taken, so a batch sees every key committed
     * before it; a known key gets its stored block and takes no number.</li>
     * <li>The counter never passes bigint's maximum; a refused batch moves nothing.</li>
     * <li>The high-water mark only grows, to the last number of each committed
     * block.</li>
     * </ol>
     */
    Outcome allocate(List<Demand> demands) {
        // (3) Read before the row lock: everything handed out by then lies at or below
        // the stored value
        long mark = highWaterMark.get();
        Outcome outcome;
        try {
            outcome = demands.stream().allMatch(demand -> demand.key() == null) ? move(demands, mark, false)
                    : transactions.execute(status -> move(demands, mark, true));
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
     * The batch's statements: with keys, the row lock and the known keys first; then one
     * {@code add} of the new demands' total, and the new keys stored. A refused batch
     * stores no key.
     */
    private Outcome move(List<Demand> demands, long mark, boolean keyed) {
        // Without keys, nothing is known (and a null key is never looked up)
        Map<String, Block> known = keyed ? knownBlocks(demands) : Collections.emptyMap();
        long total = demands.stream().filter(demand -> !known.containsKey(demand.key())).mapToLong(Demand::count).sum();
        String expected = server.get();
        Attempt attempt = repository.add(counter, total, mark, (expected != null) ? expected : "", lockTimeout);
        Outcome refusal = (attempt.getValue() == null) ? refusal(attempt, expected, mark) : adopt(attempt.getServer());
        if (refusal != null) {
            return refusal;
        }
        List<Result> results = new ArrayList<>();
        List<Demand> stored = new ArrayList<>();
        List<Long> firsts = new ArrayList<>();
        long value = attempt.getValue() - total;
        for (Demand demand : demands) {
            Block block = known.get(demand.key());
            if (block != null) {
                results.add((block.count() == demand.count()) ? new Result.Served(block)
                        : new Result.KeyReused(block.count()));
                continue;
            }
            results.add(new Result.Served(new Block(counter, value + 1, value + demand.count())));
            if (demand.key() != null) {
                stored.add(demand);
                firsts.add(value + 1);
            }
            value += demand.count();
        }
        if (!stored.isEmpty()) {
            repository.saveKeys(counter, stored.stream().map(Demand::key).toArray(String[]::new),
                    stored.stream().map(Demand::count).toArray(Integer[]::new), firsts.toArray(Long[]::new));
        }
        return new Outcome.Committed(results);
    }

    /** (5) Takes the row lock, then reads the blocks stored for the demands' keys. */
    private Map<String, Block> knownBlocks(List<Demand> demands) {
        repository.lock(counter, lockTimeout);
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
