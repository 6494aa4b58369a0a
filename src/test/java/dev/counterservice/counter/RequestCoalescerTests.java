package dev.counterservice.counter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.dao.DataAccessResourceFailureException;

import dev.counterservice.counter.CounterAllocator.Demand;
import dev.counterservice.counter.CounterAllocator.Outcome;
import dev.counterservice.counter.CounterAllocator.Result;
import dev.counterservice.counter.CounterProperties.Coalescing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The queue alone, with threads and no database: statements the test holds stand in for
 * {@link BatchStatements} (which {@link CounterAllocatorTests} runs against PostgreSQL),
 * handing out consecutive blocks of each counter from memory. Most tests use one counter,
 * "c"; those named for several counters use more.
 */
class RequestCoalescerTests {

    /**
     * How long a test waits for an answer that is due at once: short, so that a request
     * left unanswered fails the test before pitest's timeout would stop it.
     */
    private static final Duration WAIT = Duration.ofSeconds(2);

    private final ExecutorService batches = Executors.newCachedThreadPool();

    private final HeldAllocator allocator = new HeldAllocator();

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private final Map<String, CounterMeters> meters = new ConcurrentHashMap<>();

    @AfterEach
    void stopThreads() {
        allocator.release();
        batches.close();
    }

    @Test
    void aLoneRequestIsABatchOfItsOwn() throws Exception {
        allocator.release();

        assertThat(coalescer(true, 1000).submit(3, null).get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
            .isEqualTo(new Block("c", 1, 3));
        assertThat(allocator.batches).containsExactly(List.of(new Demand(3, null)));
    }

    @Test
    void requestsArrivingDuringABatchShareTheNextAndGetTheirResultsInOrder() throws Exception {
        RequestCoalescer.CounterQueue coalescer = coalescer(true, 1000);
        CompletableFuture<Block> first = coalescer.submit(1, null);
        allocator.awaitBatches(1);
        List<CompletableFuture<Block>> waiting = new ArrayList<>();
        for (int count : new int[] { 1, 2, 3 }) {
            waiting.add(coalescer.submit(count, (count == 2) ? "k" : null));
        }
        assertThat(registry.get("counter.requests.waiting").tag("counter", "c").gauge().value()).isEqualTo(3);
        assertThat(waiting).noneMatch(CompletableFuture::isDone);

        allocator.release();

        assertThat(first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("c", 1, 1));
        assertThat(waiting.get(0).get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("c", 2, 2));
        assertThat(waiting.get(1).get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("c", 3, 4));
        assertThat(waiting.get(2).get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("c", 5, 7));
        assertThat(allocator.batches).containsExactly(List.of(new Demand(1, null)),
                List.of(new Demand(1, null), new Demand(2, "k"), new Demand(3, null)));
        assertThat(registry.get("counter.requests.waiting").tag("counter", "c").gauge().value()).isZero();
    }

    @Test
    void aBatchServesAtMostMaxBatchRequests() throws Exception {
        RequestCoalescer.CounterQueue coalescer = coalescer(true, 2);
        CompletableFuture<Block> first = coalescer.submit(1, null);
        allocator.awaitBatches(1);
        List<CompletableFuture<Block>> waiting = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            waiting.add(coalescer.submit(1, null));
        }
        allocator.release();
        first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        for (CompletableFuture<Block> request : waiting) {
            request.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }

        assertThat(allocator.batches).extracting(List::size).containsExactly(1, 2, 2, 1);
    }

    @Test
    void onlyOneBatchOfACounterIsInFlightAtATime() throws Exception {
        RequestCoalescer.CounterQueue coalescer = coalescer(true, 1000);
        CompletableFuture<Block> first = coalescer.submit(1, null);
        allocator.awaitBatches(1);
        List<CompletableFuture<Block>> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiting.add(coalescer.submit(1, null));
            Thread.sleep(20);
        }

        assertThat(allocator.batches).hasSize(1);
        allocator.release();
        first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        for (CompletableFuture<Block> request : waiting) {
            request.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        assertThat(allocator.batches).hasSize(2);
    }

    @Test
    void withCoalescingOffEveryRequestIsABatchOfItsOwnSentAtOnce() throws Exception {
        RequestCoalescer.CounterQueue coalescer = coalescer(false, 1000);
        List<CompletableFuture<Block>> requests = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            requests.add(coalescer.submit(2, null));
        }
        // All three are with the allocator at once: none waits for another
        allocator.awaitBatches(3);
        allocator.release();

        List<Long> firsts = new ArrayList<>();
        for (CompletableFuture<Block> request : requests) {
            firsts.add(request.get(WAIT.toMillis(), TimeUnit.MILLISECONDS).first());
        }
        assertThat(firsts).containsExactlyInAnyOrder(1L, 3L, 5L);
        assertThat(allocator.batches).containsOnly(List.of(new Demand(2, null)));
    }

    @Test
    void aFailedBatchFailsEveryRequestInItAndTheQueueCarriesOn() throws Exception {
        RequestCoalescer.CounterQueue coalescer = coalescer(true, 1000);
        CompletableFuture<Block> first = coalescer.submit(1, null);
        allocator.awaitBatches(1);
        CompletableFuture<Block> second = coalescer.submit(1, "k");
        CompletableFuture<Block> third = coalescer.submit(1, null);
        DataAccessResourceFailureException lost = new DataAccessResourceFailureException("connection lost");
        allocator.next(new Outcome.Failed(lost));
        allocator.release();

        first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        for (CompletableFuture<Block> failed : List.of(second, third)) {
            assertThatExceptionOfType(ExecutionException.class)
                .isThrownBy(() -> failed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .havingCause()
                .isSameAs(lost);
        }
        // The queue carries on, and the failed request's key is free again
        assertThat(coalescer.submit(1, "k").get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
            .isEqualTo(new Block("c", 2, 2));
    }

    @Test
    void anAllocatorThatThrowsFailsTheBatchAndTheQueueCarriesOn() throws Exception {
        allocator.release();
        IllegalStateException bug = new IllegalStateException("a bug");
        allocator.next(bug);
        RequestCoalescer.CounterQueue coalescer = coalescer(true, 1000);

        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> coalescer.submit(1, null).get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
            .havingCause()
            .isSameAs(bug);
        assertThat(coalescer.submit(1, null).get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
            .isEqualTo(new Block("c", 1, 1));
    }

    @Test
    void aRefusedBatchAnswersEveryRequestWithTheRefusal() throws Exception {
        RequestCoalescer.CounterQueue coalescer = coalescer(true, 1000);
        CompletableFuture<Block> first = coalescer.submit(1, null);
        allocator.awaitBatches(1);
        List<CompletableFuture<Block>> refused = List.of(coalescer.submit(1, null), coalescer.submit(2, "k"));
        CounterUnavailableException problem = new CounterUnavailableException("The database server changed", null);
        allocator.next(new Outcome.Refused("standby", problem));
        allocator.release();

        first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        for (CompletableFuture<Block> request : refused) {
            assertThatExceptionOfType(ExecutionException.class)
                .isThrownBy(() -> request.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .havingCause()
                .isSameAs(problem);
        }
    }

    @Test
    void anExhaustedBatchIsSentAgainOneRequestAtATimeSoThoseThatFitSucceed() throws Exception {
        RequestCoalescer.CounterQueue coalescer = coalescer(true, 1000);
        CompletableFuture<Block> first = coalescer.submit(1, null);
        allocator.awaitBatches(1);
        CompletableFuture<Block> tooBig = coalescer.submit(5, null);
        CompletableFuture<Block> fits = coalescer.submit(1, null);
        allocator.next(new Outcome.Exhausted(), new Outcome.Exhausted());
        allocator.release();

        assertThat(first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("c", 1, 1));
        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> tooBig.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
            .withCauseInstanceOf(CounterExhaustedException.class)
            .satisfies(ex -> assertThat(((CounterExhaustedException) ex.getCause()).getBody().getDetail())
                .contains("fewer than 5 numbers"));
        assertThat(fits.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("c", 2, 2));
        assertThat(allocator.batches).extracting(List::size).containsExactly(1, 2, 1, 1);
    }

    @Test
    void aKeyUsedForAnotherCountIs422ForThatRequestOnly() throws Exception {
        RequestCoalescer.CounterQueue coalescer = coalescer(true, 1000);
        CompletableFuture<Block> first = coalescer.submit(1, null);
        allocator.awaitBatches(1);
        CompletableFuture<Block> reused = coalescer.submit(3, "k");
        CompletableFuture<Block> other = coalescer.submit(1, null);
        allocator
            .next(new Outcome.Committed(List.of(new Result.KeyReused(2), new Result.Served(new Block("c", 2, 2)))));
        allocator.release();
        first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> reused.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
            .withCauseInstanceOf(IdempotencyKeyConflictException.class)
            .satisfies(ex -> {
                IdempotencyKeyConflictException conflict = (IdempotencyKeyConflictException) ex.getCause();
                assertThat(conflict.getStatusCode().value()).isEqualTo(422);
                assertThat(conflict.getBody().getDetail()).contains("count=2 on counter 'c'");
            });
        assertThat(other.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("c", 2, 2));
    }

    @Test
    void aKeyStillInFlightInThisInstanceIsAConflictUntilItIsAnswered() throws Exception {
        RequestCoalescer.CounterQueue coalescer = coalescer(true, 1000);
        CompletableFuture<Block> first = coalescer.submit(1, "k");
        allocator.awaitBatches(1);

        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> coalescer.submit(1, "k").get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
            .withCauseInstanceOf(IdempotencyKeyConflictException.class)
            .satisfies(ex -> assertThat(((IdempotencyKeyConflictException) ex.getCause()).getStatusCode().value())
                .isEqualTo(409));
        assertThat(coalescer.submit(1, "other").isDone()).isFalse();
        allocator.release();

        assertThat(first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("c", 1, 1));
        assertThat(coalescer.submit(1, "k").get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isNotNull();
    }

    @Test
    void aRequestCancelledBeforeItsBatchLeftIsNotSentAndFreesItsKey() throws Exception {
        RequestCoalescer.CounterQueue coalescer = coalescer(true, 1000);
        CompletableFuture<Block> first = coalescer.submit(1, null);
        allocator.awaitBatches(1);
        coalescer.submit(5, "k").cancel(false);
        CompletableFuture<Block> kept = coalescer.submit(1, null);
        allocator.release();

        first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(kept.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("c", 2, 2));
        assertThat(allocator.batches).containsExactly(List.of(new Demand(1, null)), List.of(new Demand(1, null)));
        assertThat(coalescer.submit(1, "k").get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
            .isEqualTo(new Block("c", 3, 3));
    }

    @Test
    void aQuietCounterHoldsNoThread() throws Exception {
        allocator.release();
        RequestCoalescer.CounterQueue coalescer = coalescer(true, 1000);
        coalescer.submit(1, null).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

        // The batch loop has returned its thread to the executor
        batches.shutdown();
        assertThat(batches.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void eachBatchIsObservedAsACommitInTheTraceOfTheRequestThatStartedItWithItsFailure() throws Exception {
        List<Observation.Context> observed = Collections.synchronizedList(new ArrayList<>());
        ObservationRegistry observations = recording(observed);
        RequestCoalescer.CounterQueue coalescer = shared(true, 1000, 2, observations).queue(allocator("c", "c"));
        DataAccessResourceFailureException lost = new DataAccessResourceFailureException("connection lost");
        allocator.next(new Outcome.Failed(lost));
        allocator.release();
        Observation request = Observation.start("http.server.requests", observations);
        CompletableFuture<Block> failed;
        try (Observation.Scope scope = request.openScope()) {
            failed = coalescer.submit(2, null);
        }

        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> failed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        coalescer.submit(1, null).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

        assertThat(observed).hasSize(2).allSatisfy(commit -> {
            assertThat(commit.getName()).isEqualTo("counter.commit");
            assertThat(commit.getLowCardinalityKeyValue("counter").getValue()).isEqualTo("c");
        });
        assertThat(observed.get(0).getParentObservation()).isSameAs(request);
        assertThat(observed.get(0).getError()).isSameAs(lost);
        assertThat(observed.get(1).getError()).isNull();
        request.stop();
    }

    @Test
    void requestsOfSeveralCountersWaitingTogetherShareOneBatchAndEachCounterGetsItsOwnBlocks() throws Exception {
        RequestCoalescer coalescer = shared(true, 1000, 1, ObservationRegistry.NOOP);
        RequestCoalescer.CounterQueue a = coalescer.queue(allocator("a", CounterMeters.OTHER));
        RequestCoalescer.CounterQueue b = coalescer.queue(allocator("b", CounterMeters.OTHER));
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
        RequestCoalescer coalescer = shared(true, 1000, 2, ObservationRegistry.NOOP);
        RequestCoalescer.CounterQueue a = coalescer.queue(allocator("a", CounterMeters.OTHER));
        RequestCoalescer.CounterQueue b = coalescer.queue(allocator("b", CounterMeters.OTHER));
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
        RequestCoalescer coalescer = shared(true, 1000, 2, ObservationRegistry.NOOP);
        List<RequestCoalescer.CounterQueue> queues = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            queues.add(coalescer.queue(allocator("c" + i, CounterMeters.OTHER)));
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
        RequestCoalescer coalescer = shared(true, 3, 1, ObservationRegistry.NOOP);
        RequestCoalescer.CounterQueue a = coalescer.queue(allocator("a", CounterMeters.OTHER));
        RequestCoalescer.CounterQueue b = coalescer.queue(allocator("b", CounterMeters.OTHER));
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
        RequestCoalescer.CounterQueue full = coalescer.queue(allocator("full", CounterMeters.OTHER));
        RequestCoalescer.CounterQueue other = coalescer.queue(allocator("other", CounterMeters.OTHER));
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
        ObservationRegistry observations = recording(observed);
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
        coalescer.queue(allocator("configured", "configured")).submit(1, null);
        coalescer.queue(allocator("x", CounterMeters.OTHER)).submit(1, null);
        coalescer.queue(allocator("y", CounterMeters.OTHER)).submit(1, null);
        started.forEach(Runnable::run);

        assertThat(observed).extracting(commit -> commit.getLowCardinalityKeyValue("counter").getValue())
            .containsExactly("configured", CounterMeters.OTHER);
        assertThat(observed.get(0).getError()).isNull();
        assertThat(observed.get(1).getError()).isSameAs(lost);
    }

    /** Observations that add each one stopped to {@code observed}. */
    private static ObservationRegistry recording(List<Observation.Context> observed) {
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(new ObservationHandler<>() {

            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }

            @Override
            public void onStop(Observation.Context context) {
                observed.add(context);
            }
        });
        return observations;
    }

    /** The queue of the counter "c", in a coalescer of its own. */
    private RequestCoalescer.CounterQueue coalescer(boolean enabled, int maxBatch) {
        return shared(enabled, maxBatch, 2, ObservationRegistry.NOOP).queue(allocator("c", "c"));
    }

    private RequestCoalescer shared(boolean enabled, int maxBatch, int concurrentBatches,
            ObservationRegistry observations) {
        return new RequestCoalescer(allocator, new Coalescing(enabled, maxBatch, concurrentBatches), batches,
                observations);
    }

    /**
     * An allocator of {@code counter}, its meters tagged {@code tag}: only its name and
     * tag are used.
     */
    private CounterAllocator allocator(String counter, String tag) {
        return new CounterAllocator(counter, null,
                new Binder(new MapConfigurationPropertySource(Map.of())).bindOrCreate("counter",
                        CounterProperties.class),
                meters.computeIfAbsent(tag, name -> CounterMeters.register(name, registry)), null);
    }

    /**
     * Serves each batch with consecutive blocks of each counter from memory once the test
     * releases it, unless the test gave the next outcomes (or an exception to throw),
     * which then answer every counter of their batch.
     */
    private static final class HeldAllocator
            implements Function<Map<CounterAllocator, List<Demand>>, Map<CounterAllocator, Outcome>> {

        /** Every batch's demands, counter after counter. */
        final List<List<Demand>> batches = Collections.synchronizedList(new ArrayList<>());

        /** Every batch's counters, in the order it sent them. */
        final List<List<String>> counters = Collections.synchronizedList(new ArrayList<>());

        private final CountDownLatch released = new CountDownLatch(1);

        /** Outcomes (or exceptions) by the number of the batch they answer, from 0. */
        private final Map<Integer, Object> scripted = new ConcurrentHashMap<>();

        private final Map<String, Long> values = new HashMap<>();

        private final AtomicInteger inFlight = new AtomicInteger();

        /** The most batches that were with the allocator at once. */
        final AtomicInteger mostInFlight = new AtomicInteger();

        @Override
        public Map<CounterAllocator, Outcome> apply(Map<CounterAllocator, List<Demand>> demands) {
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                return serve(demands);
            }
            finally {
                inFlight.decrementAndGet();
            }
        }

        private Map<CounterAllocator, Outcome> serve(Map<CounterAllocator, List<Demand>> demands) {
            int number;
            synchronized (batches) {
                number = batches.size();
                batches.add(demands.values().stream().flatMap(List::stream).toList());
                counters.add(demands.keySet().stream().map(CounterAllocator::counter).toList());
            }
            try {
                released.await(10, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            synchronized (this) {
                Object next = scripted.get(number);
                if (next instanceof RuntimeException ex) {
                    throw ex;
                }
                Map<CounterAllocator, Outcome> outcomes = new LinkedHashMap<>();
                demands.forEach((counter, requests) -> outcomes.put(counter,
                        (next != null) ? (Outcome) next : served(counter.counter(), requests)));
                return outcomes;
            }
        }

        private Outcome served(String counter, List<Demand> demands) {
            List<Result> results = new ArrayList<>();
            long value = values.getOrDefault(counter, 0L);
            for (Demand demand : demands) {
                results.add(new Result.Served(new Block(counter, value + 1, value + demand.count())));
                value += demand.count();
            }
            values.put(counter, value);
            return new Outcome.Committed(results);
        }

        /** The outcomes of the next batches to arrive, in order. */
        void next(Object... outcomes) {
            synchronized (batches) {
                for (int i = 0; i < outcomes.length; i++) {
                    scripted.put(batches.size() + i, outcomes[i]);
                }
            }
        }

        void release() {
            released.countDown();
        }

        void awaitBatches(int count) {
            Awaitility.await(count + " batches")
                .atMost(WAIT)
                .pollInterval(Duration.ofMillis(5))
                .until(() -> batches.size() >= count);
        }

    }

}
