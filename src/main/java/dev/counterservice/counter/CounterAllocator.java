package dev.counterservice.counter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.counterservice.counter.CounterRepository.Attempt;
import dev.counterservice.counter.CounterRepository.Stored;

/**
 * What one counter's batches must know and decide in this instance: the database server
 * they run on, the highest number handed out (the high-water mark), what the counter's
 * row in a batch's statement comes to, and the refusal and fence after a failover. The
 * statements, which serve several counters at once, are {@link BatchStatements}'; the
 * queue in front of them is {@link RequestCoalescer}'s.
 *
 * <p>
 * Constraints a batch keeps for this counter:
 * <ol>
 * <li>A block is answered only once the statement that reserved it has committed; on any
 * failure the whole batch fails and hands out nothing.</li>
 * <li>The counter moves only on the server expected: the one this instance started on,
 * then the one it was last fenced on (the first batch of an instance that never learnt
 * its server adopts its own). On another server the counter is refused and fenced, so a
 * counter first served after a failover, even one created after the instance started, is
 * fenced before it serves.</li>
 * <li>It moves only from a stored (period, value) at or above the high-water mark, read
 * before the statement that takes the row lock; below it, commits were lost: the counter
 * is refused, counted and fenced. Pairs compare period first: a counter without a period
 * has the period "".</li>
 * <li>A fence moves the counter to max(stored, high-water mark) + the counter's margin,
 * under bigint's maximum; until one succeeds, every batch of the counter is refused. A
 * refused batch sent before the last fence succeeded is covered by it and fences nothing,
 * so concurrent batches (coalescing off) that find the same new server fence it once. An
 * audited counter records the range a fence skips.</li>
 * <li>A known key gets its stored block and takes no number: a batch moves its counters
 * only if none of the keys it stores is stored already. One stored while its statement
 * waited for a row lock violates the primary key: nothing moves, and the batch tries
 * again.</li>
 * <li>The counter never passes bigint's maximum; a refused counter moves nothing.</li>
 * <li>The high-water mark only grows, to the last (period, number) of each committed
 * block.</li>
 * <li>An audited counter moves only while the database confirms that its commits survive
 * a failover; its new blocks are recorded in the ledger by the statement that reserves
 * them.</li>
 * </ol>
 */
final class CounterAllocator {

    private static final Logger log = LoggerFactory.getLogger(CounterAllocator.class);

    private final String counter;

    private final CounterSettings settings;

    /** The text form of the numbers, null for none. */
    private final SeriesFormat format;

    private final CounterRepository repository;

    private final long fenceMargin;

    /** A statement waits for the row lock no longer than its requests wait for it. */
    private final String lockTimeout;

    private final CounterMeters meters;

    private final AtomicReference<Position> highWaterMark = new AtomicReference<>(Position.NONE);

    /**
     * How many fences succeeded; written only in {@link #fence}, after the server it
     * adopts.
     */
    private volatile long fences;

    /** The database server the counter may move on; null until one is known. */
    private final AtomicReference<String> server;

    /**
     * @param startServer the database server this instance started on, or null if it does
     * not know it
     */
    CounterAllocator(String counter, CounterSettings settings, CounterRepository repository,
            CounterProperties properties, CounterMeters meters, String startServer) {
        this.counter = counter;
        this.settings = settings;
        this.format = settings.compiledFormat();
        this.repository = repository;
        this.fenceMargin = settings.fenceMargin(properties.fenceMargin());
        this.lockTimeout = Long.toString(properties.timeout().toMillis());
        this.meters = meters;
        this.server = new AtomicReference<>(startServer);
    }

    String counter() {
        return counter;
    }

    CounterMeters meters() {
        return meters;
    }

    CounterSettings settings() {
        return settings;
    }

    /** The text form of the counter's numbers, null for a counter without a format. */
    SeriesFormat format() {
        return format;
    }

    /**
     * What a batch sends and is judged by, read before the statement that takes the row
     * lock: (3) the mark, (2) the server expected and (4) the fences done. The fences are
     * read first and a fence adopts its server before it counts itself, so a batch that
     * sees a fence's count also expects its server.
     */
    Guards guards() {
        long fenced = fences;
        String expected = server.get();
        return new Guards(highWaterMark.get(), (expected != null) ? expected : "", fenced);
    }

    /**
     * What the counter's row in a batch's statement comes to: a block per demand, in
     * order, from the new numbers laid out by {@code layout} and the blocks {@code known}
     * for its keys; or why the counter did not move.
     * @param guards what the statement was sent with
     */
    Outcome judge(Attempt attempt, Guards guards, List<Demand> demands, Map<String, Block> known, Layout layout) {
        Outcome refusal = (attempt.getValue() == null) ? refusal(attempt, guards.expected(), guards.mark())
                : adopt(attempt.getServer());
        if (refusal != null) {
            return refusal;
        }
        List<Result> results = new ArrayList<>();
        long held = attempt.getValue() - layout.total();
        for (int i = 0; i < demands.size(); i++) {
            Demand demand = demands.get(i);
            Block block = known.get(demand.key());
            if (block == null) {
                long first = held + layout.starts()[i];
                results.add(new Result.Served(
                        new Block(counter, attempt.getPeriod(), first, first + demand.count() - 1, false)));
            }
            else {
                results.add((block.count() == demand.count()) ? new Result.Served(block)
                        : new Result.KeyReused(block.count()));
            }
        }
        return new Outcome.Committed(results);
    }

    /**
     * After the batch's commit: (7) a committed counter raises its high-water mark and is
     * counted; (4) a refused one is fenced, unless a fence succeeded since the batch was
     * sent with {@code guards}.
     */
    void settle(int requests, Outcome outcome, Guards guards) {
        if (outcome instanceof Outcome.Committed committed) {
            long issued = 0;
            int blocks = 0;
            Position last = Position.NONE;
            for (Result result : committed.results()) {
                if (result instanceof Result.Served(Block block)) {
                    last = Position.max(last, new Position(block.period(), block.last()));
                    issued += block.replayed() ? 0 : block.count();
                    blocks += block.replayed() ? 0 : 1;
                }
            }
            highWaterMark.accumulateAndGet(last, Position::max);
            meters.served(requests, issued, last.value());
            if (settings.audit()) {
                meters.recorded(blocks);
            }
        }
        else if (outcome instanceof Outcome.Refused refused) {
            fence(refused.server(), guards.fences());
        }
    }

    /**
     * (2) Why the statement left the counter as it was: it ran on a server other than the
     * one {@code expected}, or (3) the counter held less than {@code mark}, or (8) the
     * server did not confirm that an audited counter's commits survive a failover; else
     * (6) its total would pass bigint's maximum.
     */
    private Outcome refusal(Attempt attempt, String expected, Position mark) {
        if (attempt.getHeld() == null) {
            return new Outcome.Failed(new UnknownCounterException(counter));
        }
        if (!expected.isEmpty() && !expected.equals(attempt.getServer())) {
            return new Outcome.Refused(attempt.getServer(), serverChanged());
        }
        if (new Position(attempt.getHeldPeriod(), attempt.getHeld()).compareTo(mark) < 0) {
            meters.regressed();
            log.error(
                    "Counter '{}': the database holds {}, but this instance had already handed out numbers up to {}: "
                            + "it lost commits (a standby promoted without them?). Refusing the batch and fencing",
                    counter, attempt.getHeld(), mark);
            return new Outcome.Refused(attempt.getServer(), new CounterUnavailableException(
                    "The database lost numbers already handed out; the counter is fenced before more are", null));
        }
        if (settings.audit() && !attempt.getReplicated()) {
            return new Outcome.Failed(new CounterUnavailableException("The counter is audited, and the database has a "
                    + "standby but commits do not wait for a synchronous one (synchronous_standby_names, "
                    + "synchronous_commit): a failover could lose numbers", null));
        }
        return new Outcome.Exhausted();
    }

    /**
     * (2) A counter with no server yet adopts its first. Concurrent first batches
     * (coalescing off) may run on different servers: all but the one adopted are refused,
     * and what they moved stays a gap.
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
     * other has handed out, then adopts the server. Synchronized: concurrent refusals
     * wait for the fence in progress, and those it covers fence nothing.
     * @param sent the fences done when the refused batch was sent
     */
    private synchronized void fence(String on, long sent) {
        if (fences != sent) {
            return;
        }
        Position mark = highWaterMark.get();
        try {
            Optional<Stored> moved = repository.fence(counter, mark.period(), mark.value(), fenceMargin, lockTimeout);
            if (moved.isEmpty()) {
                log.error("Counter '{}' cannot be fenced on database server {}: fewer than {} numbers are left "
                        + "before bigint's maximum; every batch is refused", counter, on, fenceMargin);
                return;
            }
            Stored fenced = moved.get();
            server.set(fenced.getServer());
            fences++;
            meters.fenced();
            if (settings.audit() && fenceMargin > 0) {
                meters.recorded(1);
            }
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

    /** The highest number this instance has handed out, ("", 0) before the first. */
    Position highWaterMark() {
        return highWaterMark.get();
    }

    /**
     * One request's share of a batch: {@code count} numbers, for its
     * {@code Idempotency-Key} or null, and the subject of its token (null without one),
     * which the ledger records.
     */
    record Demand(int count, String key, String subject) {
    }

    /**
     * A number with its period ("" for a counter without one): pairs are ordered by
     * period, whose fixed-width keys sort as time does, then by value.
     */
    record Position(String period, long value) implements Comparable<Position> {

        static final Position NONE = new Position("", 0);

        @Override
        public int compareTo(Position other) {
            int byPeriod = period.compareTo(other.period);
            return (byPeriod != 0) ? byPeriod : Long.compare(value, other.value);
        }

        static Position max(Position a, Position b) {
            return (a.compareTo(b) >= 0) ? a : b;
        }

        /** As logs show it: the number, with its period if it has one. */
        @Override
        public String toString() {
            return period.isEmpty() ? Long.toString(value) : value + " of period " + period;
        }

    }

    /**
     * Where each demand's new block starts past the value the counter holds (1: the first
     * number the statement adds; 0 for a demand whose key is known, which takes none),
     * and the {@code total} the statement adds.
     */
    record Layout(long[] starts, long total) {

        static Layout of(List<Demand> demands, Map<String, Block> known) {
            long[] starts = new long[demands.size()];
            long total = 0;
            for (int i = 0; i < demands.size(); i++) {
                Demand demand = demands.get(i);
                if (!known.containsKey(demand.key())) {
                    starts[i] = total + 1;
                    total += demand.count();
                }
            }
            return new Layout(starts, total);
        }

    }

    /**
     * What a batch was sent with ({@link #guards()}): the mark and the server (empty for
     * any) the statement demands, and the fences done by then.
     */
    record Guards(Position mark, String expected, long fences) {
    }

    /** What a batch came to for one counter. */
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
