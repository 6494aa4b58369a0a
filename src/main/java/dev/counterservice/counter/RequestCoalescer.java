package dev.counterservice.counter;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * The queue in front of every counter's {@link CounterAllocator}: the requests waiting
 * when a batch leaves are sent together, as one durable step ({@link BatchStatements}),
 * and each gets its own consecutive sub-range of its counter. There is no timer: a batch
 * leaves as soon as a place for it is free, so at low load a request costs one statement
 * and under load batches grow by themselves.
 * <p>
 * Many counters, bounded resources: one batch serves the waiting requests of every
 * counter that has no batch in flight, up to {@code max-batch} requests, in one
 * statement; at most {@code concurrent-batches} batches are in flight in the instance,
 * each on one of as many threads and holding one connection at a time. So a thousand busy
 * counters cost what one does, a few threads and connections, and 64 clients each on a
 * counter of its own share statements as 64 clients of one counter do, where a statement
 * per counter would be a statement per request (docs/benchmarks.md). At most one batch of
 * a counter is in flight, so that its requests pile up into the next one. With coalescing
 * off, every request is a batch of its own, sent at once.
 * <p>
 * Why this keeps real-time order: every member of a batch was sent before the batch's
 * commit, and every member's response is written after it, so members are concurrent and
 * may be ordered in any way; a request sent after any response of its counter arrived
 * joins a later batch, whose statement locks the counter's row after the earlier commit
 * and so returns larger numbers.
 */
final class RequestCoalescer {

    private final Function<Map<CounterAllocator, List<Demand>>, Map<CounterAllocator, Outcome>> statements;

    private final Coalescing settings;

    private final Executor batches;

    private final ObservationRegistry observations;

    private final ReentrantLock lock = new ReentrantLock();

    /**
     * Counters with requests waiting and no batch in flight, in the order they got them.
     */
    private final Queue<CounterQueue> ready = new ArrayDeque<>();

    private int batchesInFlight;

    RequestCoalescer(Function<Map<CounterAllocator, List<Demand>>, Map<CounterAllocator, Outcome>> statements,
            Coalescing settings, Executor batches, ObservationRegistry observations) {
        this.statements = statements;
        this.settings = settings;
        this.batches = batches;
        this.observations = observations;
    }

    /** The queue of one counter, whose requests its allocator serves. */
    CounterQueue queue(CounterAllocator allocator) {
        return new CounterQueue(allocator);
    }

    /** Sends batches one after another until no counter has requests waiting. */
    private void sendBatches() {
        List<Request> batch = List.of();
        while (!(batch = nextBatch(batch)).isEmpty()) {
            send(batch);
        }
    }

    /**
     * Ends the batch {@code sent}: its counters may send again, and those with requests
     * waiting are ready. Then takes the next batch: the waiting requests of the ready
     * counters, in the order they became ready, up to {@code max-batch}; empty when none
     * is left, and this thread's turn ends.
     */
    private List<Request> nextBatch(List<Request> sent) {
        lock.lock();
        try {
            for (Request request : sent) {
                request.queue().sent();
            }
            List<Request> batch = new ArrayList<>();
            CounterQueue queue;
            while (batch.size() < settings.maxBatch() && (queue = ready.poll()) != null) {
                queue.take(batch);
            }
            if (batch.isEmpty()) {
                batchesInFlight--;
            }
            else {
                startIfReady();
            }
            return batch;
        }
        finally {
            lock.unlock();
        }
    }

    /** Under the lock: another batch starts if a counter is ready and there is room. */
    private void startIfReady() {
        if (!ready.isEmpty() && batchesInFlight < settings.concurrentBatches()) {
            batchesInFlight++;
            batches.execute(this::sendBatches);
        }
    }

    /**
     * Sends one batch, its commit observed as {@code counter.commit} once per counter tag
     * it serves, and answers its requests.
     */
    private void send(List<Request> batch) {
        Map<CounterQueue, List<Request>> byCounter = new LinkedHashMap<>();
        Map<String, List<Request>> byTag = new LinkedHashMap<>();
        for (Request request : batch) {
            byCounter.computeIfAbsent(request.queue(), queue -> new ArrayList<>()).add(request);
            byTag.computeIfAbsent(request.queue().allocator.meters().tag(), tag -> new ArrayList<>()).add(request);
        }
        Map<String, Observation> commits = new LinkedHashMap<>();
        byTag.forEach((tag, requests) -> commits.put(tag, commit(tag, requests)));
        Map<CounterAllocator, List<Demand>> demands = new LinkedHashMap<>();
        byCounter.forEach(
                (queue, requests) -> demands.put(queue.allocator, requests.stream().map(Request::demand).toList()));
        Map<CounterAllocator, Outcome> outcomes = outcomes(demands, commits.values().iterator().next());
        byCounter.forEach((queue, requests) -> {
            if (outcomes.get(queue.allocator) instanceof Outcome.Failed(RuntimeException cause)) {
                commits.get(queue.allocator.meters().tag()).error(cause);
            }
        });
        commits.values().forEach(Observation::stop);
        byCounter.forEach((queue, requests) -> answer(queue, requests, outcomes.get(queue.allocator)));
    }

    /**
     * The batch's statements, with {@code commit}'s scope open; any failure fails every
     * counter.
     */
    private Map<CounterAllocator, Outcome> outcomes(Map<CounterAllocator, List<Demand>> demands, Observation commit) {
        try (Observation.Scope scope = commit.openScope()) {
            return statements.apply(demands);
        }
        catch (RuntimeException ex) {
            Map<CounterAllocator, Outcome> failed = new LinkedHashMap<>();
            demands.keySet().forEach(allocator -> failed.put(allocator, new Outcome.Failed(ex)));
            return failed;
        }
    }

    /**
     * The commit as the requests of one tag see it: in the trace of the first, with how
     * many they are.
     */
    private Observation commit(String tag, List<Request> requests) {
        return Observation.createNotStarted("counter.commit", observations)
            .parentObservation(requests.getFirst().parent())
            .lowCardinalityKeyValue("counter", tag)
            .highCardinalityKeyValue("counter.batch.size", Integer.toString(requests.size()))
            .start();
    }

    private void answer(CounterQueue queue, List<Request> requests, Outcome outcome) {
        if (outcome instanceof Outcome.Exhausted && requests.size() > 1) {
            // The counter's share as a whole would pass bigint's maximum: each request
            // tries alone, so those that fit succeed
            requests.forEach(request -> send(List.of(request)));
            return;
        }
        String counter = queue.allocator.counter();
        for (int i = 0; i < requests.size(); i++) {
            Request request = requests.get(i);
            queue.leave(request);
            switch (outcome) {
                case Outcome.Committed(List<Result> results) -> request.answer(counter, results.get(i));
                case Outcome.Refused refused -> request.result().completeExceptionally(refused.problem());
                case Outcome.Exhausted exhausted -> request.result()
                    .completeExceptionally(new CounterExhaustedException(counter, request.demand().count()));
                case Outcome.Failed(RuntimeException cause) -> request.result().completeExceptionally(cause);
            }
        }
    }

    /**
     * One counter's requests, waiting for its next batch. Its state is guarded by the
     * coalescer's lock.
     */
    final class CounterQueue {

        private final CounterAllocator allocator;

        private final Queue<Request> waiting = new ArrayDeque<>();

        /** A batch with requests of this counter is in flight. */
        private boolean inFlight;

        /** The counter is in {@code ready}. */
        private boolean isReady;

        /**
         * Keys of this counter's requests not yet answered, so that a second request with
         * the same key gets a 409.
         */
        private final Map<String, Request> keysInFlight = new ConcurrentHashMap<>();

        private CounterQueue(CounterAllocator allocator) {
            this.allocator = allocator;
        }

        CounterAllocator allocator() {
            return allocator;
        }

        /**
         * Joins the next batch; completes after that batch has committed. Cancel it to
         * leave a batch not yet sent.
         * @param key the request's {@code Idempotency-Key}, or null
         */
        CompletableFuture<Block> submit(int count, String key) {
            // The caller's observation (its HTTP request), so that the commit's span
            // joins the caller's trace
            Request request = new Request(this, new Demand(count, key), observations.getCurrentObservation(),
                    new CompletableFuture<>());
            if (key != null && keysInFlight.putIfAbsent(key, request) != null) {
                return CompletableFuture.failedFuture(IdempotencyKeyConflictException.inFlight());
            }
            if (!settings.enabled()) {
                batches.execute(() -> send(List.of(request)));
                return request.result();
            }
            lock.lock();
            try {
                waiting.add(request);
                allocator.meters().waiting(1);
                if (!inFlight && !isReady) {
                    ready.add(this);
                    isReady = true;
                }
                startIfReady();
            }
            finally {
                lock.unlock();
            }
            return request.result();
        }

        /**
         * Under the lock: moves this counter's waiting requests into {@code batch}, up to
         * {@code max-batch} in all. A request whose caller gave up (timed out) before its
         * batch left consumes nothing.
         */
        private void take(List<Request> batch) {
            isReady = false;
            Request request;
            while (batch.size() < settings.maxBatch() && (request = waiting.poll()) != null) {
                allocator.meters().waiting(-1);
                if (request.result().isDone()) {
                    leave(request);
                }
                else {
                    batch.add(request);
                    inFlight = true;
                }
            }
        }

        /**
         * Under the lock: this counter's batch is answered; it is ready again if requests
         * wait.
         */
        private void sent() {
            inFlight = false;
            if (!waiting.isEmpty() && !isReady) {
                ready.add(this);
                isReady = true;
            }
        }

        private void leave(Request request) {
            if (request.demand().key() != null) {
                keysInFlight.remove(request.demand().key(), request);
            }
        }

    }

    private record Request(CounterQueue queue, Demand demand, Observation parent, CompletableFuture<Block> result) {

        void answer(String counter, Result answer) {
            switch (answer) {
                case Result.Served(Block block) -> result.complete(block);
                case Result.KeyReused(long count) ->
                    result.completeExceptionally(IdempotencyKeyConflictException.reused(counter, count));
            }
        }

    }

}
