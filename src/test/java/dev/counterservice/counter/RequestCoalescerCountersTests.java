package dev.counterservice.counter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import dev.counterservice.counter.CounterAllocator.Demand;
import dev.counterservice.counter.CounterAllocator.Outcome;
import dev.counterservice.counter.CounterProperties.Coalescing;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The queue with several counters at once, with threads and no database
 * ({@link HeldStatements}): the waiting requests of every ready counter share one batch,
 * a counter with a batch in flight waits for it, and no more batches are in flight than
 * {@code concurrent-batches}.
 */
class RequestCoalescerCountersTests {

    private static final java.time.Duration WAIT = HeldStatements.WAIT;

    @AutoClose
    private final HeldStatements allocator = new HeldStatements();

    @Test
    void requestsOfSeveralCountersWaitingTogetherShareOneBatchAndEachCounterGetsItsOwnBlocks() throws Exception {
        RequestCoalescer coalescer = shared(1000, 1);
        RequestCoalescer.CounterQueue a = coalescer.queue(allocator.allocator("a", CounterMeters.OTHER));
        RequestCoalescer.CounterQueue b = coalescer.queue(allocator.allocator("b", CounterMeters.OTHER));
        CompletableFuture<Block> first = a.submit(1, null);
        allocator.awaitBatches(1);
        List<CompletableFuture<Block>> waiting = List.of(b.submit(2, null), a.submit(1, null), b.submit(1, "k"));

        allocator.release();

        assertThat(first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("a", 1, 1));
        assertThat(waiting.get(0).get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("b", 1, 2));
        assertThat(waiting.get(1).get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("a", 2, 2));
        assertThat(waiting.get(2).get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("b", 3, 3));
        // The counters in the order they got requests, each with its demands in order
        assertThat(allocator.counters).containsExactly(List.of("a"), List.of("b", "a"));
        assertThat(allocator.batches.get(1)).containsExactly(new Demand(2, null), new Demand(1, "k"),
                new Demand(1, null));
    }

    @Test
    void aCounterWithABatchInFlightWaitsForItWhileAnotherCounterIsSentBeside() throws Exception {
        RequestCoalescer coalescer = shared(1000, 2);
        RequestCoalescer.CounterQueue a = coalescer.queue(allocator.allocator("a", CounterMeters.OTHER));
        RequestCoalescer.CounterQueue b = coalescer.queue(allocator.allocator("b", CounterMeters.OTHER));
        CompletableFuture<Block> first = a.submit(1, null);
        allocator.awaitBatches(1);

        CompletableFuture<Block> second = a.submit(1, null);
        CompletableFuture<Block> beside = b.submit(1, null);
        allocator.awaitBatches(2);
        Thread.sleep(50);

        assertThat(allocator.counters).containsExactly(List.of("a"), List.of("b"));
        allocator.release();
        for (CompletableFuture<Block> request : List.of(first, second, beside)) {
            request.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        assertThat(allocator.counters).containsExactly(List.of("a"), List.of("b"), List.of("a"));
    }

    @Test
    void aThousandCountersAreServedByAtMostTheConcurrentBatchesAndFewStatements() throws Exception {
        RequestCoalescer coalescer = shared(1000, 2);
        List<RequestCoalescer.CounterQueue> queues = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            queues.add(coalescer.queue(allocator.allocator("c" + i, CounterMeters.OTHER)));
        }
        List<CompletableFuture<Block>> requests = new ArrayList<>();
        for (RequestCoalescer.CounterQueue queue : queues) {
            requests.add(queue.submit(1, null));
        }
        allocator.release();

        for (int i = 0; i < requests.size(); i++) {
            assertThat(requests.get(i).get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("c" + i, 1, 1));
        }
        assertThat(allocator.mostInFlight).hasValueLessThanOrEqualTo(2);
        // Held until released, the first two batches took a request each; the rest
        // waited together
        assertThat(allocator.batches).hasSizeLessThanOrEqualTo(4);
    }

    @Test
    void maxBatchBoundsTheRequestsOfOneBatchOverAllItsCounters() throws Exception {
        RequestCoalescer coalescer = shared(3, 1);
        RequestCoalescer.CounterQueue a = coalescer.queue(allocator.allocator("a", CounterMeters.OTHER));
        RequestCoalescer.CounterQueue b = coalescer.queue(allocator.allocator("b", CounterMeters.OTHER));
        CompletableFuture<Block> first = a.submit(1, null);
        allocator.awaitBatches(1);
        List<CompletableFuture<Block>> waiting = List.of(b.submit(1, null), b.submit(1, null), a.submit(1, null),
                a.submit(1, null));
        allocator.release();

        first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        for (CompletableFuture<Block> request : waiting) {
            request.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        assertThat(allocator.batches).extracting(List::size).containsExactly(1, 3, 1);
        assertThat(allocator.counters).containsExactly(List.of("a"), List.of("b", "a"), List.of("a"));
    }

    @Test
    void anExhaustedCounterInASharedBatchIsSentAgainAloneAndTheOthersAreAnswered() throws Exception {
        // Two requests of "full" together pass bigint's maximum; each alone fits
        Function<Map<CounterAllocator, List<Demand>>, Map<CounterAllocator, Outcome>> statements = demands -> {
            Map<CounterAllocator, List<Demand>> fit = new LinkedHashMap<>(demands);
            fit.keySet().removeIf(counter -> counter.counter().equals("full") && demands.get(counter).size() > 1);
            Map<CounterAllocator, Outcome> outcomes = new LinkedHashMap<>(allocator.apply(fit));
            demands.keySet().forEach(counter -> outcomes.putIfAbsent(counter, new Outcome.Exhausted()));
            return outcomes;
        };
        allocator.release();
        List<Runnable> started = new ArrayList<>();
        RequestCoalescer coalescer = new RequestCoalescer(statements, new Coalescing(true, 1000, 1), started::add,
                ObservationRegistry.NOOP);
        RequestCoalescer.CounterQueue full = coalescer.queue(allocator.allocator("full", CounterMeters.OTHER));
        RequestCoalescer.CounterQueue other = coalescer.queue(allocator.allocator("other", CounterMeters.OTHER));
        List<CompletableFuture<Block>> requests = List.of(full.submit(1, null), other.submit(1, null),
                full.submit(2, null));
        started.forEach(Runnable::run);

        assertThat(requests.get(0).get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("full", 1, 1));
        assertThat(requests.get(1).get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("other", 1, 1));
        assertThat(requests.get(2).get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("full", 2, 3));
        assertThat(allocator.counters).containsExactly(List.of("other"), List.of("full"), List.of("full"));
    }

    @Test
    void aSharedBatchIsObservedOnceForEachCounterTagItServesAndAFailureOnTheFailedOnesOnly() throws Exception {
        List<Observation.Context> observed = Collections.synchronizedList(new ArrayList<>());
        ObservationRegistry observations = HeldStatements.recording(observed);
        IllegalStateException lost = new IllegalStateException("lost");
        Function<Map<CounterAllocator, List<Demand>>, Map<CounterAllocator, Outcome>> statements = demands -> {
            Map<CounterAllocator, Outcome> outcomes = allocator.apply(demands);
            outcomes.replaceAll(
                    (counter, outcome) -> counter.counter().equals("configured") ? outcome : new Outcome.Failed(lost));
            return outcomes;
        };
        allocator.release();
        List<Runnable> started = new ArrayList<>();
        RequestCoalescer coalescer = new RequestCoalescer(statements, new Coalescing(true, 1000, 1), started::add,
                observations);
        coalescer.queue(allocator.allocator("configured", "configured")).submit(1, null);
        coalescer.queue(allocator.allocator("x", CounterMeters.OTHER)).submit(1, null);
        coalescer.queue(allocator.allocator("y", CounterMeters.OTHER)).submit(1, null);
        started.forEach(Runnable::run);

        assertThat(observed).extracting(commit -> commit.getLowCardinalityKeyValue("counter").getValue())
            .containsExactly("configured", CounterMeters.OTHER);
        assertThat(observed).extracting(commit -> commit.getHighCardinalityKeyValue("counter.batch.size").getValue())
            .containsExactly("1", "2");
        assertThat(observed.get(0).getError()).isNull();
        assertThat(observed.get(1).getError()).isSameAs(lost);
    }

    private RequestCoalescer shared(int maxBatch, int concurrentBatches) {
        return new RequestCoalescer(allocator, new Coalescing(true, maxBatch, concurrentBatches), allocator.threads,
                ObservationRegistry.NOOP);
    }

}
