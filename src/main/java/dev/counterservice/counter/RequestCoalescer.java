package dev.counterservice.counter;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.counterservice.counter.CounterRepository.Reservation;

/**
 * Serves all concurrent requests of one counter in this instance with one durable step per batch: the requests
 * waiting when a batch leaves share one {@code UPDATE ... SET value = value + <their total>}, and once it has
 * committed each gets its own consecutive sub-range. There is no timer: a batch leaves as soon as the previous
 * one has committed, so at low load a request costs one UPDATE and under load batches grow by themselves. With
 * coalescing off, every request is a batch of one, committed on its own thread.
 *
 * <p>Why this keeps every guarantee: every member of a batch was sent before the batch's commit, and every member's
 * response is written after it, so members are concurrent and may be ordered in any way; a request sent after any
 * response arrived joins a later batch, whose UPDATE runs after the earlier commit and so returns larger numbers.
 * Batches from other instances are ordered by the row lock. If the commit fails or its outcome is unknown, the
 * whole batch fails and none of its numbers is ever handed out.
 *
 * <p>Failover: a standby promoted without some of the primary's last commits would hand out their numbers again.
 * So every statement also says which server ran it. On a server other than the last one seen, the batch is refused
 * and the counter fenced: moved past both its stored value and this instance's high-water mark (the highest
 * number it handed out) by {@code counter.fence-margin}, which covers what other instances handed out above this
 * one's mark. And a block that starts at or below the high-water mark as it stood before the UPDATE proves lost
 * commits: it is refused, logged, counted, and the counter fenced. Nothing is handed out below the last fence.
 */
final class RequestCoalescer {

    private static final Logger log = LoggerFactory.getLogger(RequestCoalescer.class);

    private final String counter;
    private final CounterRepository repository;
    private final CounterProperties properties;
    private final CounterMeters meters;
    private final ObservationRegistry observations;

    private final ReentrantLock lock = new ReentrantLock();
    private final Queue<Request> waiting = new ArrayDeque<>();
    private boolean batchInFlight;

    /** The highest number this instance has handed out. */
    private final AtomicLong highWaterMark = new AtomicLong();
    /** The server last seen, and the value this counter was fenced to on it; null before the first commit. */
    private final AtomicReference<Fence> fence = new AtomicReference<>();

    RequestCoalescer(String counter, CounterRepository repository, CounterProperties properties, CounterMeters meters,
            ObservationRegistry observations) {
        this.counter = counter;
        this.repository = repository;
        this.properties = properties;
        this.meters = meters;
        this.observations = observations;
    }

    /** Joins the next batch; completes after that batch has committed. Cancel it to leave a batch not yet sent. */
    CompletableFuture<Block> reserve(int count) {
        Request request = new Request(count, new CompletableFuture<>());
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
            Thread.ofVirtual().name("coalescer-" + counter).start(this::sendBatches);
        }
        return request.result();
    }

    /** Sends batches one after another until no request is waiting; at most one runs per counter. */
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
                // A request whose caller gave up (timed out) before its batch left consumes nothing
                if (!request.result().isDone()) {
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
        long total = batch.stream().mapToLong(Request::count).sum();
        // Read before the UPDATE: everything handed out by then must lie below what it returns
        long mark = highWaterMark.get();
        Optional<Reservation> reserved;
        try {
            reserved = Observation.createNotStarted("counter.commit", observations)
                    .lowCardinalityKeyValue("counter", counter)
                    .highCardinalityKeyValue("counter.batch.size", Integer.toString(batch.size()))
                    .observe(() -> repository.add(counter, total));
        }
        catch (RuntimeException ex) {
            fail(batch, ex);
            return;
        }
        if (reserved.isEmpty()) {
            // The batch as a whole would pass bigint's maximum: let each request try alone, so those that fit succeed
            if (batch.size() == 1) {
                fail(batch, new CounterExhaustedException(counter, total));
            }
            else {
                batch.forEach(request -> commit(List.of(request)));
            }
            return;
        }
        long last = reserved.get().getValue();
        long first = last - total + 1;
        String refusal = refusal(reserved.get().getServer(), first, last, mark);
        if (refusal != null) {
            fail(batch, new CounterUnavailableException(refusal, null));
            return;
        }
        highWaterMark.accumulateAndGet(last, Math::max);
        meters.served(batch.size(), total);
        long next = first;
        for (Request request : batch) {
            request.result().complete(new Block(counter, next, next + request.count() - 1));
            next += request.count();
        }
    }

    /** Why the block {@code first..last} from {@code server} must not be handed out, or null if it may. */
    private String refusal(String server, long first, long last, long mark) {
        Fence seen = fence.get();
        if (seen == null && fence.compareAndSet(null, new Fence(server, 0))) {
            return null;
        }
        seen = fence.get();
        if (!seen.server().equals(server)) {
            fence(server);
            return "The database server changed; the counter was fenced before handing out more numbers";
        }
        if (first <= mark) {
            meters.regressions().increment();
            log.error("Counter '{}': the database returned {}..{}, but this instance had already handed out numbers up to {}: "
                    + "it lost commits (a standby promoted without them?). Refusing the block and fencing", counter, first, last, mark);
            fence(server);
            return "The database returned numbers already handed out; the counter was fenced";
        }
        // A statement that ran on this server before the fence did
        return first <= seen.floor() ? "The counter was fenced while this request was committed" : null;
    }

    /**
     * Moves the counter past everything this instance and, within the margin, any other has handed out, then
     * remembers the server and the new value. Synchronized so that concurrent requests fence once per server.
     */
    private synchronized void fence(String server) {
        Fence seen = fence.get();
        if (seen.server().equals(server) && seen.floor() > highWaterMark.get()) {
            return;
        }
        long mark = highWaterMark.get();
        try {
            Reservation fenced = repository.fence(counter, mark, properties.fenceMargin())
                    .orElseThrow(() -> new CounterExhaustedException(counter, properties.fenceMargin()));
            fence.set(new Fence(fenced.getServer(), fenced.getValue()));
            meters.fences().increment();
            log.warn("Fenced counter '{}' on database server {}: moved to {}, past this instance's high-water mark {} by at least {}",
                    counter, fenced.getServer(), fenced.getValue(), mark, properties.fenceMargin());
        }
        catch (RuntimeException ex) {
            // The fence stays owed: the next statement finds the same mismatch and fences again
            log.warn("Counter '{}': fencing on database server {} failed: {}", counter, server, ex.toString());
        }
    }

    private static void fail(List<Request> batch, RuntimeException ex) {
        batch.forEach(request -> request.result().completeExceptionally(ex));
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

    private record Request(long count, CompletableFuture<Block> result) {
    }

    private record Fence(String server, long floor) {
    }
}
