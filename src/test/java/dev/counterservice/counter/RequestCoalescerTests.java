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
import org.junit.jupiter.api.AutoClose;
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
 * The queue alone, with threads and no database, for one counter, "c": statements the
 * test holds ({@link HeldStatements}) stand in for {@link BatchStatements} (which
 * {@link CounterAllocatorTests} runs against PostgreSQL), handing out consecutive blocks
 * from memory. Several counters at once: {@link RequestCoalescerCountersTests}.
 */
class RequestCoalescerTests {

    private static final Duration WAIT = HeldStatements.WAIT;

    @AutoClose
    private final HeldStatements allocator = new HeldStatements();

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
        assertThat(allocator.registry.get("counter.requests.waiting").tag("counter", "c").gauge().value()).isEqualTo(3);
        assertThat(waiting).noneMatch(CompletableFuture::isDone);

        allocator.release();

        assertThat(first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("c", 1, 1));
        assertThat(waiting.get(0).get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("c", 2, 2));
        assertThat(waiting.get(1).get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("c", 3, 4));
        assertThat(waiting.get(2).get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new Block("c", 5, 7));
        assertThat(allocator.batches).containsExactly(List.of(new Demand(1, null)),
                List.of(new Demand(1, null), new Demand(2, "k"), new Demand(3, null)));
        assertThat(allocator.registry.get("counter.requests.waiting").tag("counter", "c").gauge().value()).isZero();
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
        allocator.threads.shutdown();
        assertThat(allocator.threads.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void eachBatchIsObservedAsACommitInTheTraceOfTheRequestThatStartedItWithItsFailure() throws Exception {
        List<Observation.Context> observed = Collections.synchronizedList(new ArrayList<>());
        ObservationRegistry observations = HeldStatements.recording(observed);
        RequestCoalescer.CounterQueue coalescer = shared(true, 1000, observations).queue(allocator.allocator("c", "c"));
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
            assertThat(commit.getHighCardinalityKeyValue("counter.batch.size").getValue()).isEqualTo("1");
        });
        assertThat(observed.get(0).getParentObservation()).isSameAs(request);
        assertThat(observed.get(0).getError()).isSameAs(lost);
        assertThat(observed.get(1).getError()).isNull();
        request.stop();
    }

    /** The queue of the counter "c", in a coalescer of its own. */
    private RequestCoalescer.CounterQueue coalescer(boolean enabled, int maxBatch) {
        return shared(enabled, maxBatch, ObservationRegistry.NOOP).queue(allocator.allocator("c", "c"));
    }

    private RequestCoalescer shared(boolean enabled, int maxBatch, ObservationRegistry observations) {
        return new RequestCoalescer(allocator, new Coalescing(enabled, maxBatch, 2), allocator.threads, observations);
    }

}
