package dev.counterservice.counter;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.transaction.TransactionStatus;
import org.springframework.transaction.support.TransactionOperations;

import dev.counterservice.counter.CounterRepository.Attempt;
import dev.counterservice.counter.CounterRepository.Stored;
import dev.counterservice.counter.CounterRepository.StoredKey;

/**
 * Serves all concurrent requests of one counter in this instance with one transaction per
 * batch: the requests waiting when a batch leaves share one
 * {@code UPDATE ... SET value = value + <their total>}, and once it has committed each
 * gets its own consecutive sub-range. There is no timer: a batch leaves as soon as the
 * previous one has committed, so at low load a request costs one transaction and under
 * load batches grow by themselves. A batch without {@code Idempotency-Key}s is that one
 * statement, committed on its own. With coalescing off, every request is a batch of one,
 * committed on its own thread.
 *
 * <p>
 * Why this keeps every guarantee: every member of a batch was sent before the batch's
 * commit, and every member's response is written after it, so members are concurrent and
 * may be ordered in any way; a request sent after any response arrived joins a later
 * batch, whose transaction runs after the earlier commit and so returns larger numbers.
 * Batches from other instances are ordered by the row lock. If the commit fails or its
 * outcome is unknown, the whole batch fails and none of its numbers is ever handed out.
 *
 * <p>
 * Retries: a request with an {@code Idempotency-Key} gets the block stored for its key if
 * there is one, else a new block that is stored with the key in the same transaction. The
 * keys are read after the row lock is taken, so a batch sees every key committed before
 * it, from any instance, and a retry never takes new numbers.
 *
 * <p>
 * Failover: a standby promoted without some of the primary's last commits would hand out
 * their numbers again. So the UPDATE that takes the row lock moves the counter only on
 * the server the last batch ran on. On another server, the batch is refused and the
 * counter fenced: moved past both its stored value and this instance's high-water mark
 * (the highest number it handed out) by {@code counter.fence-margin}, which covers what
 * other instances handed out above this one's mark. And a stored value below the
 * high-water mark proves lost commits: the batch is refused, the loss logged and counted,
 * and the counter fenced. Both checks are conditions of the UPDATE itself, so a refused
 * batch takes no number.
 */
final class RequestCoalescer {

    private static final Logger log = LoggerFactory.getLogger(RequestCoalescer.class);

    private final String counter;

    private final CounterRepository repository;

    private final TransactionOperations transactions;

    private final CounterProperties properties;

    private final CounterMeters meters;

    private final ObservationRegistry observations;

    private final ReentrantLock lock = new ReentrantLock();

    private final Queue<Request> waiting = new ArrayDeque<>();

    private boolean batchInFlight;

    /**
     * Keys of this instance's requests not yet answered, so that a second request with
     * the same key gets a 409.
     */
    private final Map<String, Request> keysInFlight = new ConcurrentHashMap<>();

    /** The highest number this instance has handed out. */
    private final AtomicLong highWaterMark = new AtomicLong();

    /** The database server the last batch ran on; null before the first. */
    private final AtomicReference<String> server = new AtomicReference<>();

    RequestCoalescer(String counter, CounterRepository repository, TransactionOperations transactions,
            CounterProperties properties, CounterMeters meters, ObservationRegistry observations) {
        this.counter = counter;
        this.repository = repository;
        this.transactions = transactions;
        this.properties = properties;
        this.meters = meters;
        this.observations = observations;
    }

    /**
     * Joins the next batch; completes after that batch has committed. Cancel it to leave
     * a batch not yet sent.
     * @param key the request's {@code Idempotency-Key}, or null
     */
    CompletableFuture<Block> reserve(int count, String key) {
        // The caller's observation (its HTTP request), so that the commit's span joins
        // the caller's trace
        Request request = new Request(count, key, observations.getCurrentObservation(), new CompletableFuture<>());
        if (key != null && keysInFlight.putIfAbsent(key, request) != null) {
            return CompletableFuture.failedFuture(IdempotencyKeyConflictException.inFlight());
        }
        if (!properties.coalescing().enabled()) {
            Thread.ofVirtual().name("commit-" + counter).start(() -> commit(List.of(request)));
            return request.result();
        }
        boolean startBatch;
        lock.lock();
        try {
            waiting.add(request);
            startBatch = !batchInFlight;
            batchInFlight = true;
        }
        finally {
            lock.unlock();
        }
        if (startBatch) {
            // A platform thread: the batches are the serial path every request waits on,
            // and a virtual thread would
            // queue behind all runnable request threads each time the database answers
            // (docs/benchmarks.md)
            Thread.ofPlatform().daemon().name("coalescer-" + counter).start(this::sendBatches);
        }
        return request.result();
    }

    /**
     * Sends batches one after another until no request is waiting; at most one runs per
     * counter.
     */
    private void sendBatches() {
        List<Request> batch;
        while (!(batch = nextBatch()).isEmpty()) {
            commit(batch);
        }
    }

    private List<Request> nextBatch() {
        lock.lock();
        try {
            List<Request> batch = new ArrayList<>();
            while (batch.size() < properties.coalescing().maxBatch() && !waiting.isEmpty()) {
                Request request = waiting.poll();
                // A request whose caller gave up (timed out) before its batch left
                // consumes nothing
                if (request.result().isDone()) {
                    request.leave(keysInFlight);
                }
                else {
                    batch.add(request);
                }
            }
            if (batch.isEmpty()) {
                batchInFlight = false;
            }
            return batch;
        }
        finally {
            lock.unlock();
        }
    }

    private void commit(List<Request> batch) {
        // Read before the row lock: everything handed out by then must lie at or below
        // the stored value
        long mark = highWaterMark.get();
        Outcome outcome;
        try {
            outcome = Observation.createNotStarted("counter.commit", observations)
                .parentObservation(batch.getFirst().parent())
                .lowCardinalityKeyValue("counter", counter)
                .highCardinalityKeyValue("counter.batch.size", Integer.toString(batch.size()))
                .observe(() -> reserve(batch, mark));
        }
        catch (RuntimeException ex) {
            outcome = Outcome.failed(ex);
        }
        if (outcome == null) {
            // The batch as a whole would pass bigint's maximum: each request tries alone,
            // so those that fit succeed
            if (batch.size() > 1) {
                batch.forEach(request -> commit(List.of(request)));
                return;
            }
            outcome = Outcome.failed(new CounterExhaustedException(counter, batch.getFirst().count()));
        }
        if (outcome.refusedOn() != null) {
            fence(outcome.refusedOn());
        }
        else if (outcome.failure() == null) {
            highWaterMark.accumulateAndGet(outcome.value(), Math::max);
            meters.served(batch.size(), outcome.reserved());
        }
        for (Request request : batch) {
            request.leave(keysInFlight);
            Object result = outcome.failure() != null ? outcome.failure() : outcome.results().get(request);
            if (result instanceof Block block) {
                request.result().complete(block);
            }
            else {
                request.result().completeExceptionally((RuntimeException) result);
            }
        }
    }

    /**
     * Without keys a batch is one statement, which PostgreSQL commits before it answers:
     * a single round trip on the path every request waits on. With keys, it runs in a
     * transaction whose row lock covers reading and storing them.
     */
    private Outcome reserve(List<Request> batch, long mark) {
        if (batch.stream().allMatch(request -> request.key() == null)) {
            return reserve(batch, mark, null);
        }
        return transactions.execute(status -> reserve(batch, mark, status));
    }

    /**
     * Reserves one block for the whole batch, unless refused (see {@link #refusal}), then
     * replays the blocks of known keys, gives their numbers back and stores the new keys.
     * @param status the transaction of a batch with keys, null for a batch without
     * @return null if the block would pass bigint's maximum
     */
    private Outcome reserve(List<Request> batch, long mark, TransactionStatus status) {
        long total = batch.stream().mapToLong(Request::count).sum();
        String expected = server.get();
        Attempt attempt = repository.add(counter, total, mark, expected != null ? expected : "", lockTimeout());
        if (attempt.getValue() == null) {
            return refusal(attempt, expected, mark);
        }
        if (!server.compareAndSet(null, attempt.getServer()) && !attempt.getServer().equals(server.get())) {
            // Concurrent first batches (coalescing off) ran on different servers: without
            // a transaction, this block stays a gap
            if (status != null) {
                status.setRollbackOnly();
            }
            return Outcome.refused(serverChanged(), attempt.getServer());
        }
        long before = attempt.getValue() - total;
        List<String> keys = batch.stream().map(Request::key).filter(key -> key != null).toList();
        Map<String, Block> blocksByKey = new HashMap<>();
        if (!keys.isEmpty()) {
            repository.planForTheKeysAtHand();
            for (StoredKey stored : repository.findKeys(counter, keys)) {
                blocksByKey.put(stored.getKey(),
                        new Block(counter, stored.getFirst(), stored.getFirst() + stored.getCount() - 1, true));
            }
        }
        Map<Request, Object> results = new HashMap<>();
        List<Request> keyed = new ArrayList<>();
        long value = before;
        for (Request request : batch) {
            Block known = request.key() == null ? null : blocksByKey.get(request.key());
            if (known != null) {
                results.put(request, known.count() == request.count() ? known
                        : IdempotencyKeyConflictException.reused(counter, known.count()));
                continue;
            }
            Block block = new Block(counter, value + 1, value + request.count());
            value = block.last();
            results.put(request, block);
            if (request.key() != null) {
                keyed.add(request);
                blocksByKey.put(request.key(), new Block(counter, block.first(), block.last(), true));
            }
        }
        if (value != attempt.getValue()) {
            repository.setValue(counter, value);
        }
        if (!keyed.isEmpty()) {
            repository.saveKeys(counter, keyed.stream().map(Request::key).toArray(String[]::new),
                    keyed.stream().map(Request::count).toArray(Integer[]::new),
                    keyed.stream().map(request -> ((Block) results.get(request)).first()).toArray(Long[]::new));
        }
        return new Outcome(results, value, value - before, null, null);
    }

    /**
     * Why the statement left the counter as it was: it ran on a server other than the one
     * {@code expected}, or the counter held less than {@code mark}, the highest number
     * this instance had handed out; else (null) the block would pass bigint's maximum.
     */
    private Outcome refusal(Attempt attempt, String expected, long mark) {
        if (expected != null && !expected.equals(attempt.getServer())) {
            return Outcome.refused(serverChanged(), attempt.getServer());
        }
        if (attempt.getHeld() != null && attempt.getHeld() < mark) {
            meters.regressions().increment();
            log.error(
                    "Counter '{}': the database holds {}, but this instance had already handed out numbers up to {}: "
                            + "it lost commits (a standby promoted without them?). Refusing the batch and fencing",
                    counter, attempt.getHeld(), mark);
            return Outcome.refused(new CounterUnavailableException(
                    "The database lost numbers already handed out; the counter is fenced before more are", null),
                    attempt.getServer());
        }
        return null;
    }

    private static CounterUnavailableException serverChanged() {
        return new CounterUnavailableException(
                "The database server changed; the counter is fenced before more numbers are handed out", null);
    }

    /**
     * Moves the counter past everything this instance and, within the margin, any other
     * has handed out, then remembers the server. Synchronized so that concurrent requests
     * fence once.
     */
    private synchronized void fence(String on) {
        long mark = highWaterMark.get();
        try {
            Stored fenced = repository.fence(counter, mark, properties.fenceMargin(), lockTimeout())
                .orElseThrow(() -> new CounterExhaustedException(counter, properties.fenceMargin()));
            server.set(fenced.getServer());
            meters.fences().increment();
            log.warn(
                    "Fenced counter '{}' on database server {}: moved to {}, past this instance's high-water mark {} by at least {}",
                    counter, fenced.getServer(), fenced.getValue(), mark, properties.fenceMargin());
        }
        catch (RuntimeException ex) {
            // The fence stays owed: the next batch finds the same mismatch and fences
            // again
            log.warn("Counter '{}': fencing on database server {} failed: {}", counter, on, ex.toString());
        }
    }

    /** A statement waits for the row lock no longer than its requests wait for it. */
    private String lockTimeout() {
        return Long.toString(properties.timeout().toMillis());
    }

    /** The highest number this instance has handed out, 0 before the first. */
    double highWaterMark() {
        return highWaterMark.get();
    }

    double waiting() {
        lock.lock();
        try {
            return waiting.size();
        }
        finally {
            lock.unlock();
        }
    }

    private record Request(int count, String key, Observation parent, CompletableFuture<Block> result) {

        void leave(Map<String, Request> keysInFlight) {
            if (key != null) {
                keysInFlight.remove(key, this);
            }
        }
    }

    /**
     * What a batch's transaction decided: per request a {@link Block} or the exception to
     * answer with, and the stored value after it; or one failure for the whole batch,
     * refused on a server that must be fenced first.
     */
    private record Outcome(Map<Request, Object> results, long value, long reserved, RuntimeException failure,
            String refusedOn) {

        static Outcome failed(RuntimeException failure) {
            return new Outcome(Map.of(), 0, 0, failure, null);
        }

        static Outcome refused(RuntimeException failure, String server) {
            return new Outcome(Map.of(), 0, 0, failure, server);
        }
    }

}
