package dev.counterservice.counter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.dao.DataAccessResourceFailureException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Batching and fencing logic against a stand-in database whose statements the test holds,
 * fails and fails over.
 */
class RequestCoalescerTests {

    private static final long MARGIN = 1000;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private final FakeCounterDatabase database = new FakeCounterDatabase();

    @Test
    void aLoneRequestIsOneUpdateOfItsOwnCount() throws Exception {
        database.release();
        RequestCoalescer coalescer = coalescer(Map.of());

        assertThat(coalescer.reserve(3, null).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 1, 3));
        assertThat(database.updates).containsExactly(3L);
    }

    @Test
    void requestsArrivingDuringACommitShareTheNextUpdateAndGetConsecutiveRanges() throws Exception {
        RequestCoalescer coalescer = coalescer(Map.of());
        CompletableFuture<Block> first = coalescer.reserve(1, null);
        database.awaitUpdates(1);
        List<CompletableFuture<Block>> waiting = new ArrayList<>();
        for (int count : new int[] { 1, 2, 3 }) {
            waiting.add(coalescer.reserve(count, null));
        }
        assertThat(coalescer.waiting()).isEqualTo(3);
        assertThat(waiting).noneMatch(CompletableFuture::isDone);

        database.release();

        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 1, 1));
        assertThat(waiting.get(0).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 2, 2));
        assertThat(waiting.get(1).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 3, 4));
        assertThat(waiting.get(2).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 5, 7));
        assertThat(database.updates).containsExactly(1L, 6L);
        assertThat(registry.get("counter.batch.size").summary().max()).isEqualTo(3);
        assertThat(registry.get("counter.numbers.issued").counter().count()).isEqualTo(7);
    }

    @Test
    void aBatchServesAtMostMaxBatchRequests() throws Exception {
        RequestCoalescer coalescer = coalescer(Map.of("counter.coalescing.max-batch", "2"));
        CompletableFuture<Block> first = coalescer.reserve(1, null);
        database.awaitUpdates(1);
        List<CompletableFuture<Block>> waiting = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            waiting.add(coalescer.reserve(1, null));
        }
        database.release();
        first.get(5, TimeUnit.SECONDS);
        for (CompletableFuture<Block> request : waiting) {
            request.get(5, TimeUnit.SECONDS);
        }

        assertThat(database.updates).containsExactly(1L, 2L, 2L, 1L);
    }

    @Test
    void withCoalescingOffEveryRequestIsAnUpdateOfItsOwn() throws Exception {
        RequestCoalescer coalescer = coalescer(Map.of("counter.coalescing.enabled", "false"));
        database.release();
        List<CompletableFuture<Block>> requests = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            requests.add(coalescer.reserve(2, null));
        }

        List<Long> firsts = new ArrayList<>();
        for (CompletableFuture<Block> request : requests) {
            firsts.add(request.get(5, TimeUnit.SECONDS).first());
        }
        assertThat(firsts).containsExactlyInAnyOrder(1L, 3L, 5L);
        assertThat(database.updates).containsExactly(2L, 2L, 2L);
        assertThat(registry.get("counter.batch.size").summary().max()).isEqualTo(1);
    }

    @Test
    void aFailedCommitFailsTheWholeBatchAndHandsOutNothing() throws Exception {
        RequestCoalescer coalescer = coalescer(Map.of());
        CompletableFuture<Block> first = coalescer.reserve(1, null);
        database.awaitUpdates(1);
        CompletableFuture<Block> second = coalescer.reserve(1, null);
        CompletableFuture<Block> third = coalescer.reserve(1, null);

        database.failCommit(2);
        database.release();

        first.get(5, TimeUnit.SECONDS);
        for (CompletableFuture<Block> failed : List.of(second, third)) {
            assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> failed.get(5, TimeUnit.SECONDS))
                .withCauseInstanceOf(DataAccessResourceFailureException.class);
        }
        // The coalescer carries on with the next batch
        assertThat(coalescer.reserve(1, null).get(5, TimeUnit.SECONDS).first()).isGreaterThan(1);
    }

    @Test
    void aRequestCancelledBeforeItsBatchLeftConsumesNothing() throws Exception {
        RequestCoalescer coalescer = coalescer(Map.of());
        CompletableFuture<Block> first = coalescer.reserve(1, null);
        database.awaitUpdates(1);
        CompletableFuture<Block> abandoned = coalescer.reserve(5, null);
        CompletableFuture<Block> kept = coalescer.reserve(1, null);
        abandoned.cancel(false);

        database.release();

        first.get(5, TimeUnit.SECONDS);
        assertThat(kept.get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 2, 2));
        assertThat(database.updates).containsExactly(1L, 1L);
    }

    @Test
    void whenTheBatchWouldOverflowEachRequestTriesAloneSoThoseThatFitSucceed() throws Exception {
        database.value = Long.MAX_VALUE - 2;
        RequestCoalescer coalescer = coalescer(Map.of());
        CompletableFuture<Block> first = coalescer.reserve(1, null);
        database.awaitUpdates(1);
        CompletableFuture<Block> tooBig = coalescer.reserve(5, null);
        CompletableFuture<Block> fits = coalescer.reserve(1, null);
        database.release();

        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", Long.MAX_VALUE - 1, Long.MAX_VALUE - 1));
        assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> tooBig.get(5, TimeUnit.SECONDS))
            .withCauseInstanceOf(CounterExhaustedException.class);
        assertThat(fits.get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", Long.MAX_VALUE, Long.MAX_VALUE));
        assertThat(database.updates).containsExactly(1L, 6L, 5L, 1L);
    }

    @Test
    void onANewServerTheBatchIsRefusedAndTheCounterFencedPastTheHighWaterMarkBeforeServingAgain() throws Exception {
        database.release();
        RequestCoalescer coalescer = coalescer(Map.of());
        assertThat(coalescer.reserve(10, null).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 1, 10));

        // A standby that had received only the first 4 numbers is promoted
        database.failOver("standby", 6);

        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> coalescer.reserve(1, null).get(5, TimeUnit.SECONDS))
            .withCauseInstanceOf(CounterUnavailableException.class)
            .satisfies(ex -> assertThat(((CounterUnavailableException) ex.getCause()).getBody().getDetail())
                .startsWith("The database server changed"));
        assertThat(database.fences).containsExactly(10L);
        // The refused batch was rolled back; the fence moved past max(stored 4, mark 10)
        // by the margin
        assertThat(coalescer.reserve(1, null).get(5, TimeUnit.SECONDS))
            .isEqualTo(new Block("c", 10 + MARGIN + 1, 10 + MARGIN + 1));
        assertThat(registry.get("counter.fences").counter().count()).isEqualTo(1);
        assertThat(registry.get("counter.regressions").counter().count()).isZero();
    }

    @Test
    void ofTwoFirstRequestsServedOnDifferentServersOnlyOneIsAnswered() throws Exception {
        RequestCoalescer coalescer = coalescer(Map.of("counter.coalescing.enabled", "false"));
        CompletableFuture<Block> first = coalescer.reserve(1, null);
        CompletableFuture<Block> second = coalescer.reserve(1, null);
        database.awaitUpdates(2);
        // Whichever moves first does so on the primary; the other, with no server known
        // yet, on a standby promoted without that commit: both would hand out 1
        database.afterMove = () -> {
            database.afterMove = () -> {
            };
            database.failOver("standby", 1);
        };
        database.release();

        List<CompletableFuture<Block>> both = List.of(first, second);
        for (CompletableFuture<Block> request : both) {
            request.handle((block, failure) -> null).get(5, TimeUnit.SECONDS);
        }
        assertThat(both).filteredOn(request -> !request.isCompletedExceptionally())
            .singleElement()
            .satisfies(answered -> assertThat(answered.get()).isEqualTo(new Block("c", 1, 1)));
        assertThat(database.fences).hasSize(1);
    }

    @Test
    void theFirstServerSeenIsNotFenced() throws Exception {
        database.release();
        RequestCoalescer coalescer = coalescer(Map.of());

        coalescer.reserve(1, null).get(5, TimeUnit.SECONDS);
        coalescer.reserve(1, null).get(5, TimeUnit.SECONDS);

        assertThat(database.fences).isEmpty();
    }

    @Test
    void aBlockAtOrBelowTheHighWaterMarkOnTheSameServerIsARegressionRefusedCountedAndFenced() throws Exception {
        database.release();
        RequestCoalescer coalescer = coalescer(Map.of());
        coalescer.reserve(5, null).get(5, TimeUnit.SECONDS);

        // Lost commits without a change of server, as a restored volume snapshot would
        // give: 5 is handed out again
        database.failOver("primary", 1);

        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> coalescer.reserve(1, null).get(5, TimeUnit.SECONDS))
            .withCauseInstanceOf(CounterUnavailableException.class)
            .satisfies(ex -> assertThat(((CounterUnavailableException) ex.getCause()).getBody().getDetail())
                .startsWith("The database lost numbers already handed out"));
        assertThat(registry.get("counter.regressions").counter().count()).isEqualTo(1);
        assertThat(database.fences).containsExactly(5L);
        assertThat(coalescer.reserve(1, null).get(5, TimeUnit.SECONDS).first()).isEqualTo(5 + MARGIN + 1);
    }

    @Test
    void aBlockJustAboveTheHighWaterMarkIsServed() throws Exception {
        database.release();
        RequestCoalescer coalescer = coalescer(Map.of());
        coalescer.reserve(5, null).get(5, TimeUnit.SECONDS);

        // The last commit (number 5) was kept, nothing above it was lost: the next number
        // is 6
        database.failOver("primary", 0);

        assertThat(coalescer.reserve(1, null).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 6, 6));
        assertThat(registry.get("counter.regressions").counter().count()).isZero();
    }

    @Test
    void aRetryWithTheSameKeyGetsTheSameBlockAndConsumesNothing() throws Exception {
        database.release();
        RequestCoalescer coalescer = coalescer(Map.of());

        Block first = coalescer.reserve(2, "k").get(5, TimeUnit.SECONDS);
        Block retried = coalescer.reserve(2, "k").get(5, TimeUnit.SECONDS);

        assertThat(first).isEqualTo(new Block("c", 1, 2, false));
        assertThat(retried).isEqualTo(new Block("c", 1, 2, true));
        // The retry's UPDATE took 2 with the row lock and gave them back once it found
        // the key
        assertThat(database.updates).containsExactly(2L, 2L);
        assertThat(database.value).isEqualTo(2);
        assertThat(coalescer.reserve(1, null).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 3, 3));
    }

    @Test
    void aKeyUsedForAnotherCountIsRefusedAndConsumesNothing() throws Exception {
        database.release();
        RequestCoalescer coalescer = coalescer(Map.of());
        coalescer.reserve(2, "k").get(5, TimeUnit.SECONDS);

        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> coalescer.reserve(3, "k").get(5, TimeUnit.SECONDS))
            .withCauseInstanceOf(IdempotencyKeyConflictException.class)
            .satisfies(ex -> assertThat(((IdempotencyKeyConflictException) ex.getCause()).getStatusCode().value())
                .isEqualTo(422));
        assertThat(database.value).isEqualTo(2);
    }

    @Test
    void aKeyStillInFlightInThisInstanceIsAConflictUntilItIsAnswered() throws Exception {
        RequestCoalescer coalescer = coalescer(Map.of());
        CompletableFuture<Block> first = coalescer.reserve(1, "k");
        database.awaitUpdates(1);

        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> coalescer.reserve(1, "k").get(5, TimeUnit.SECONDS))
            .withCauseInstanceOf(IdempotencyKeyConflictException.class)
            .satisfies(ex -> assertThat(((IdempotencyKeyConflictException) ex.getCause()).getStatusCode().value())
                .isEqualTo(409));
        database.release();

        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 1, 1));
        assertThat(coalescer.reserve(1, "k").get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 1, 1, true));
    }

    @Test
    void aKeyedRequestWhoseCommitOutcomeWasLostGetsItsBlockOnRetryLeavingNoGap() throws Exception {
        database.release();
        RequestCoalescer coalescer = coalescer(Map.of());
        database.failCommit(1);

        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> coalescer.reserve(3, "k").get(5, TimeUnit.SECONDS))
            .withCauseInstanceOf(DataAccessResourceFailureException.class);

        assertThat(coalescer.reserve(3, "k").get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 1, 3, true));
        assertThat(coalescer.reserve(1, "other").get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 4, 4));
    }

    @Test
    void aBatchReplaysKnownKeysAndReservesOneBlockForAllOthers() throws Exception {
        RequestCoalescer coalescer = coalescer(Map.of());
        CompletableFuture<Block> known = coalescer.reserve(2, "known");
        database.awaitUpdates(1);
        CompletableFuture<Block> plain = coalescer.reserve(1, null);
        CompletableFuture<Block> fresh = coalescer.reserve(3, "fresh");
        database.release();
        known.get(5, TimeUnit.SECONDS);

        assertThat(plain.get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 3, 3));
        assertThat(fresh.get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 4, 6));
        // The retry's batch reserves its count with the UPDATE that takes the lock, finds
        // the key and gives it back
        assertThat(coalescer.reserve(2, "known").get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 1, 2, true));
        assertThat(database.updates).containsExactly(2L, 4L, 2L);
        assertThat(database.value).isEqualTo(6);
        assertThat(database.keys).containsOnlyKeys("known", "fresh");
    }

    @Test
    void aRefusedBatchStoresNoKey() throws Exception {
        database.release();
        RequestCoalescer coalescer = coalescer(Map.of());
        coalescer.reserve(1, null).get(5, TimeUnit.SECONDS);
        database.failOver("standby", 0);

        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> coalescer.reserve(1, "k").get(5, TimeUnit.SECONDS))
            .withCauseInstanceOf(CounterUnavailableException.class);

        assertThat(database.keys).isEmpty();
        assertThat(coalescer.reserve(1, "k").get(5, TimeUnit.SECONDS))
            .isEqualTo(new Block("c", 1 + MARGIN + 1, 1 + MARGIN + 1));
    }

    @Test
    void onlyOneBatchOfACounterIsInFlightAtATime() throws Exception {
        RequestCoalescer coalescer = coalescer(Map.of());
        CompletableFuture<Block> first = coalescer.reserve(1, null);
        database.awaitUpdates(1);
        List<CompletableFuture<Block>> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiting.add(coalescer.reserve(1, null));
            Thread.sleep(20);
        }

        assertThat(database.updates).hasSize(1);
        database.release();
        first.get(5, TimeUnit.SECONDS);
        for (CompletableFuture<Block> request : waiting) {
            request.get(5, TimeUnit.SECONDS);
        }
        assertThat(database.updates).hasSize(2);
    }

    @Test
    void aKeyedRequestCancelledBeforeItsBatchLeftFreesItsKey() throws Exception {
        RequestCoalescer coalescer = coalescer(Map.of());
        CompletableFuture<Block> first = coalescer.reserve(1, null);
        database.awaitUpdates(1);
        coalescer.reserve(1, "k").cancel(false);
        CompletableFuture<Block> other = coalescer.reserve(1, null);
        database.release();
        first.get(5, TimeUnit.SECONDS);
        other.get(5, TimeUnit.SECONDS);

        assertThat(coalescer.reserve(1, "k").get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 3, 3));
    }

    @Test
    void theHighWaterMarkIsTheLastNumberHandedOut() throws Exception {
        database.release();
        RequestCoalescer coalescer = coalescer(Map.of());
        assertThat(coalescer.highWaterMark()).isZero();

        coalescer.reserve(3, null).get(5, TimeUnit.SECONDS);

        assertThat(coalescer.highWaterMark()).isEqualTo(3);
    }

    @Test
    void aCounterThatCannotBeFencedBelowBigintsMaximumKeepsRefusing() throws Exception {
        database.release();
        RequestCoalescer coalescer = coalescer(Map.of());
        coalescer.reserve(1, null).get(5, TimeUnit.SECONDS);
        database.failOver("standby", 0);
        database.value = Long.MAX_VALUE - 10;

        for (int attempt = 0; attempt < 2; attempt++) {
            assertThatExceptionOfType(ExecutionException.class)
                .isThrownBy(() -> coalescer.reserve(1, null).get(5, TimeUnit.SECONDS))
                .withCauseInstanceOf(CounterUnavailableException.class);
        }
        assertThat(database.fences).hasSize(2);
        assertThat(database.value).isEqualTo(Long.MAX_VALUE - 10);
    }

    private RequestCoalescer coalescer(Map<String, String> settings) {
        Map<String, String> all = new java.util.HashMap<>(Map.of("counter.fence-margin", Long.toString(MARGIN)));
        all.putAll(settings);
        CounterProperties properties = new Binder(new MapConfigurationPropertySource(all)).bindOrCreate("counter",
                CounterProperties.class);
        return new RequestCoalescer("c", database, database, properties, CounterMeters.register("c", registry),
                ObservationRegistry.NOOP);
    }

}
