package dev.counterservice.counter;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Serves all concurrent requests of one counter in this instance with one durable step per batch: the requests
 * waiting when a batch leaves share one {@code UPDATE ... SET value = value + <their total>}, and once it has
 * committed each gets its own consecutive sub-range. There is no timer: a batch leaves as soon as the previous
 * one has committed, so at low load a request costs one UPDATE and under load batches grow by themselves.
 *
 * <p>Why this keeps every guarantee: every member of a batch was sent before the batch's commit, and every member's
 * response is written after it, so members are concurrent and may be ordered in any way; a request sent after any
 * response arrived joins a later batch, whose UPDATE runs after the earlier commit and so returns larger numbers.
 * Batches from other instances are ordered by the row lock. If the commit fails or its outcome is unknown, the
 * whole batch fails and none of its numbers is ever handed out.
 */
final class RequestCoalescer {

    private final String counter;
    private final CounterStore store;
    private final int maxBatch;
    private final CounterMeters meters;

    private final ReentrantLock lock = new ReentrantLock();
    private final Queue<Request> waiting = new ArrayDeque<>();
    private boolean batchInFlight;

    RequestCoalescer(String counter, CounterStore store, int maxBatch, CounterMeters meters) {
        this.counter = counter;
        this.store = store;
        this.maxBatch = maxBatch;
        this.meters = meters;
    }

    /** Joins the next batch; completes after that batch has committed. Cancel it to leave a batch not yet sent. */
    CompletableFuture<Block> reserve(int count) {
        Request request = new Request(count, new CompletableFuture<>());
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
            while (batch.size() < maxBatch && !waiting.isEmpty()) {
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
        Optional<Long> last;
        try {
            last = meters.commit(() -> store.add(counter, total), batch.size(), total);
        }
        catch (RuntimeException ex) {
            batch.forEach(request -> request.result().completeExceptionally(ex));
            return;
        }
        if (last.isEmpty()) {
            // The batch as a whole would pass bigint's maximum: let each request try alone, so those that fit succeed
            batch.forEach(this::commitAlone);
            return;
        }
        long next = last.get() - total + 1;
        for (Request request : batch) {
            Block block = new Block(counter, next, next + request.count() - 1);
            next += request.count();
            request.result().complete(block);
        }
    }

    private void commitAlone(Request request) {
        try {
            request.result().complete(reserveAlone(counter, request.count(), store, meters));
        }
        catch (RuntimeException ex) {
            request.result().completeExceptionally(ex);
        }
    }

    /** One request, one UPDATE: the per-request mode, and the fallback for a batch that would overflow. */
    static Block reserveAlone(String counter, long count, CounterStore store, CounterMeters meters) {
        return meters.commit(() -> store.add(counter, count), 1, count)
                .map(last -> Block.endingAt(counter, last, count))
                .orElseThrow(() -> new CounterExhaustedException(counter, count));
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
}
