package dev.counterservice.counter;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;

import dev.counterservice.counter.CounterAllocator.Demand;
import dev.counterservice.counter.CounterAllocator.Outcome;
import dev.counterservice.counter.CounterAllocator.Result;
import dev.counterservice.counter.CounterProperties.Coalescing;

/**
 * The queue in front of one counter's {@link CounterAllocator}: the requests waiting when
 * a batch leaves are sent together, as one durable step, and each gets its own
 * consecutive sub-range. There is no timer: a batch leaves as soon as the previous one
 * has committed, so at low load a request costs one statement and under load batches grow
 * by themselves. At most one batch of a counter is in flight; the batches run on the
 * {@code Executor} given, so a counter with no requests holds no thread. With coalescing
 * off, every request is a batch of its own, sent at once.
 *
 * <p>
 * Why this keeps real-time order: every member of a batch was sent before the batch's
 * commit, and every member's response is written after it, so members are concurrent and
 * may be ordered in any way; a request sent after any response arrived joins a later
 * batch, whose statement runs after the earlier commit and so returns larger numbers.
 */
final class RequestCoalescer {

    private final String counter;

    private final Function<List<Demand>, Outcome> allocator;

    private final Coalescing settings;

    private final Executor batches;

    private final ObservationRegistry observations;

    private final ReentrantLock lock = new ReentrantLock();

    private final Queue<Request> waiting = new ArrayDeque<>();

    private boolean batchInFlight;

    /**
     * Keys of this instance's requests not yet answered, so that a second request with
     * the same key gets a 409.
     */
    private final Map<String, Request> keysInFlight = new ConcurrentHashMap<>();

    RequestCoalescer(String counter, Function<List<Demand>, Outcome> allocator, Coalescing settings, Executor batches,
            ObservationRegistry observations) {
        this.counter = counter;
        this.allocator = allocator;
        this.settings = settings;
        this.batches = batches;
        this.observations = observations;
    }

    /**
     * Joins the next batch; completes after that batch has committed. Cancel it to leave
     * a batch not yet sent.
     * @param key the request's {@code Idempotency-Key}, or null
     */
    CompletableFuture<Block> submit(int count, String key) {
        // The caller's observation (its HTTP request), so that the commit's span joins
        // the caller's trace
        Request request = new Request(new Demand(count, key), observations.getCurrentObservation(),
                new CompletableFuture<>());
        if (key != null && keysInFlight.putIfAbsent(key, request) != null) {
            return CompletableFuture.failedFuture(IdempotencyKeyConflictException.inFlight());
        }
        if (!settings.enabled()) {
            batches.execute(() -> send(List.of(request)));
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
            batches.execute(this::sendBatches);
        }
        return request.result();
    }

    /** Sends batches one after another until no request is waiting. */
    private void sendBatches() {
        List<Request> batch;
        while (!(batch = nextBatch()).isEmpty()) {
            send(batch);
        }
    }

    private List<Request> nextBatch() {
        lock.lock();
        try {
            List<Request> batch = new ArrayList<>();
            while (batch.size() < settings.maxBatch() && !waiting.isEmpty()) {
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

    /** Sends one batch, observed as {@code counter.commit}, and answers its requests. */
    private void send(List<Request> batch) {
        Observation observation = Observation.createNotStarted("counter.commit", observations)
            .parentObservation(batch.getFirst().parent())
            .lowCardinalityKeyValue("counter", counter)
            .highCardinalityKeyValue("counter.batch.size", Integer.toString(batch.size()))
            .start();
        Outcome outcome;
        try (Observation.Scope scope = observation.openScope()) {
            outcome = allocator.apply(batch.stream().map(Request::demand).toList());
        }
        catch (RuntimeException ex) {
            outcome = new Outcome.Failed(ex);
        }
        if (outcome instanceof Outcome.Failed(RuntimeException cause)) {
            observation.error(cause);
        }
        observation.stop();
        if (outcome instanceof Outcome.Exhausted && batch.size() > 1) {
            // The batch as a whole would pass bigint's maximum: each request tries alone,
            // so those that fit succeed
            batch.forEach(request -> send(List.of(request)));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            Request request = batch.get(i);
            request.leave(keysInFlight);
            switch (outcome) {
                case Outcome.Committed(List<Result> results) -> request.answer(counter, results.get(i));
                case Outcome.Refused refused -> request.result().completeExceptionally(refused.problem());
                case Outcome.Exhausted exhausted -> request.result()
                    .completeExceptionally(new CounterExhaustedException(counter, request.demand().count()));
                case Outcome.Failed(RuntimeException cause) -> request.result().completeExceptionally(cause);
            }
        }
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

    private record Request(Demand demand, Observation parent, CompletableFuture<Block> result) {

        void answer(String counter, Result answer) {
            switch (answer) {
                case Result.Served(Block block) -> result.complete(block);
                case Result.KeyReused(long count) ->
                    result.completeExceptionally(IdempotencyKeyConflictException.reused(counter, count));
            }
        }

        void leave(Map<String, Request> keysInFlight) {
            if (demand.key() != null) {
                keysInFlight.remove(demand.key(), this);
            }
        }
    }

}
