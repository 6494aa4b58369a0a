package dev.counterservice.counter;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
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

/** Batching and fencing logic against a stand-in database whose statements the test holds, fails and fails over. */
class RequestCoalescerTests {

    private static final long MARGIN = 1000;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final FakeDatabase database = new FakeDatabase();

    @Test
    void aLoneRequestIsOneUpdateOfItsOwnCount() throws Exception {
        database.release();
        RequestCoalescer coalescer = coalescer(Map.of());

        assertThat(coalescer.reserve(3).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 1, 3));
        assertThat(database.updates).containsExactly(3L);
    }

    @Test
    void requestsArrivingDuringACommitShareTheNextUpdateAndGetConsecutiveRanges() throws Exception {
        RequestCoalescer coalescer = coalescer(Map.of());
        CompletableFuture<Block> first = coalescer.reserve(1);
        database.awaitUpdates(1);
        List<CompletableFuture<Block>> waiting = new ArrayList<>();
        for (int count : new int[] {1, 2, 3}) {
            waiting.add(coalescer.reserve(count));
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
        CompletableFuture<Block> first = coalescer.reserve(1);
        database.awaitUpdates(1);
        List<CompletableFuture<Block>> waiting = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            waiting.add(coalescer.reserve(1));
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
        List<CompletableFuture<Block>> requests = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            requests.add(coalescer.reserve(2));
        }
        database.awaitUpdates(3);
        database.release();

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
        CompletableFuture<Block> first = coalescer.reserve(1);
        database.awaitUpdates(1);
        CompletableFuture<Block> second = coalescer.reserve(1);
        CompletableFuture<Block> third = coalescer.reserve(1);

        database.failUpdate(2);
        database.release();

        first.get(5, TimeUnit.SECONDS);
        for (CompletableFuture<Block> failed : List.of(second, third)) {
            assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> failed.get(5, TimeUnit.SECONDS))
                    .withCauseInstanceOf(DataAccessResourceFailureException.class);
        }
        // The coalescer carries on with the next batch
        assertThat(coalescer.reserve(1).get(5, TimeUnit.SECONDS).first()).isGreaterThan(1);
    }

    @Test
    void aRequestCancelledBeforeItsBatchLeftConsumesNothing() throws Exception {
        RequestCoalescer coalescer = coalescer(Map.of());
        CompletableFuture<Block> first = coalescer.reserve(1);
        database.awaitUpdates(1);
        CompletableFuture<Block> abandoned = coalescer.reserve(5);
        CompletableFuture<Block> kept = coalescer.reserve(1);
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
        CompletableFuture<Block> first = coalescer.reserve(1);
        database.awaitUpdates(1);
        CompletableFuture<Block> tooBig = coalescer.reserve(5);
        CompletableFuture<Block> fits = coalescer.reserve(1);
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
        assertThat(coalescer.reserve(10).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 1, 10));

        // A standby that had received only the first 4 numbers is promoted
        database.failOver("standby", 6);

        assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> coalescer.reserve(1).get(5, TimeUnit.SECONDS))
                .withCauseInstanceOf(CounterUnavailableException.class);
        assertThat(database.fences).containsExactly(10L);
        // The refused request's number (5) is a gap; the fence moved past max(stored 5, mark 10) by the margin
        assertThat(coalescer.reserve(1).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 10 + MARGIN + 1, 10 + MARGIN + 1));
        assertThat(registry.get("counter.fences").counter().count()).isEqualTo(1);
        assertThat(registry.get("counter.regressions").counter().count()).isZero();
    }

    @Test
    void theFirstServerSeenIsNotFenced() throws Exception {
        database.release();
        RequestCoalescer coalescer = coalescer(Map.of());

        coalescer.reserve(1).get(5, TimeUnit.SECONDS);
        coalescer.reserve(1).get(5, TimeUnit.SECONDS);

        assertThat(database.fences).isEmpty();
    }

    @Test
    void aBlockAtOrBelowTheHighWaterMarkOnTheSameServerIsARegressionRefusedCountedAndFenced() throws Exception {
        database.release();
        RequestCoalescer coalescer = coalescer(Map.of());
        coalescer.reserve(5).get(5, TimeUnit.SECONDS);

        // Lost commits without a change of server, as a restored volume snapshot would give: 5 is handed out again
        database.failOver("primary", 1);

        assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> coalescer.reserve(1).get(5, TimeUnit.SECONDS))
                .withCauseInstanceOf(CounterUnavailableException.class);
        assertThat(registry.get("counter.regressions").counter().count()).isEqualTo(1);
        assertThat(database.fences).containsExactly(5L);
        assertThat(coalescer.reserve(1).get(5, TimeUnit.SECONDS).first()).isEqualTo(5 + MARGIN + 1);
    }

    @Test
    void aBlockJustAboveTheHighWaterMarkIsServed() throws Exception {
        database.release();
        RequestCoalescer coalescer = coalescer(Map.of());
        coalescer.reserve(5).get(5, TimeUnit.SECONDS);

        // The last commit (number 5) was kept, nothing above it was lost: the next number is 6
        database.failOver("primary", 0);

        assertThat(coalescer.reserve(1).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 6, 6));
        assertThat(registry.get("counter.regressions").counter().count()).isZero();
    }

    @Test
    void withCoalescingOffABlockCommittedEarlierButAnsweredLaterIsNoRegression() throws Exception {
        RequestCoalescer coalescer = coalescer(Map.of("counter.coalescing.enabled", "false"));
        database.release();
        coalescer.reserve(1).get(5, TimeUnit.SECONDS);
        CountDownLatch earlier = database.holdNext();
        CompletableFuture<Block> slow = coalescer.reserve(1);
        database.awaitUpdates(2);

        assertThat(coalescer.reserve(1).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 3, 3));
        earlier.countDown();

        assertThat(slow.get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 2, 2));
        assertThat(registry.get("counter.regressions").counter().count()).isZero();
    }

    @Test
    void withCoalescingOffABlockCommittedOnTheNewServerBeforeItsFenceIsRefused() throws Exception {
        RequestCoalescer coalescer = coalescer(Map.of("counter.coalescing.enabled", "false"));
        database.release();
        coalescer.reserve(3).get(5, TimeUnit.SECONDS);
        // Nothing lost: the early request's number (4) is above the mark, only the fence makes it unsafe to hand out
        database.failOver("standby", 0);
        CountDownLatch beforeFence = database.holdNext();
        CompletableFuture<Block> early = coalescer.reserve(1);
        database.awaitUpdates(2);

        // This request sees the new server, is refused and fences while the early one is still on its way back
        assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> coalescer.reserve(1).get(5, TimeUnit.SECONDS))
                .withCauseInstanceOf(CounterUnavailableException.class);
        beforeFence.countDown();

        assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> early.get(5, TimeUnit.SECONDS))
                .withCauseInstanceOf(CounterUnavailableException.class);
        assertThat(database.fences).containsExactly(3L);
        assertThat(registry.get("counter.regressions").counter().count()).isZero();
        assertThat(coalescer.reserve(1).get(5, TimeUnit.SECONDS).first()).isEqualTo(5 + MARGIN + 1);
    }

    private RequestCoalescer coalescer(Map<String, String> settings) {
        Map<String, String> all = new java.util.HashMap<>(Map.of("counter.fence-margin", Long.toString(MARGIN)));
        all.putAll(settings);
        CounterProperties properties = new Binder(new MapConfigurationPropertySource(all))
                .bindOrCreate("counter", CounterProperties.class);
        return new RequestCoalescer("c", database, properties, CounterMeters.register("c", registry), ObservationRegistry.NOOP);
    }

    record Reserved(long getValue, String getServer) implements CounterRepository.Reservation {
    }

    /**
     * One counter row on a database server that can fail over. Every UPDATE takes its value at once (as the row
     * lock orders them) and then waits until the test releases it; a held statement waits on its own latch.
     */
    private static final class FakeDatabase implements CounterRepository {

        final List<Long> updates = Collections.synchronizedList(new ArrayList<>());
        final List<Long> fences = Collections.synchronizedList(new ArrayList<>());
        long value;
        private String server = "primary";
        private final CountDownLatch released = new CountDownLatch(1);
        private final Map<Integer, CountDownLatch> held = new ConcurrentHashMap<>();
        private volatile int failingUpdate;

        @Override
        public Optional<Reservation> add(String name, long count) {
            Reserved reserved;
            int call;
            synchronized (this) {
                updates.add(count);
                call = updates.size();
                if (value > Long.MAX_VALUE - count) {
                    return Optional.empty();
                }
                value += count;
                reserved = new Reserved(value, server);
            }
            await(held.getOrDefault(call, released));
            if (call == failingUpdate) {
                throw new DataAccessResourceFailureException("connection lost during COMMIT");
            }
            return Optional.of(reserved);
        }

        @Override
        public synchronized Optional<Reservation> fence(String name, long mark, long margin) {
            fences.add(mark);
            value = Math.max(value, mark) + margin;
            return Optional.of(new Reserved(value, server));
        }

        /** Another server takes over, without the last {@code lost} numbers committed on the old one. */
        synchronized void failOver(String newServer, long lost) {
            server = newServer;
            value -= lost;
        }

        void release() {
            released.countDown();
        }

        /** The next UPDATE waits until the returned latch is counted down, even after {@link #release()}. */
        synchronized CountDownLatch holdNext() {
            CountDownLatch latch = new CountDownLatch(1);
            held.put(updates.size() + 1, latch);
            return latch;
        }

        /** The n-th UPDATE (from 1) fails after it was sent, as a connection lost during COMMIT does. */
        void failUpdate(int n) {
            failingUpdate = n;
        }

        void awaitUpdates(int count) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (updates.size() < count && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(updates).hasSizeGreaterThanOrEqualTo(count);
        }

        private static void await(CountDownLatch latch) {
            try {
                latch.await(10, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void createIfMissing(String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<CounterRow> findById(String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<CounterRow> findByNameInOrderByName(Collection<String> names) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Replication replication() {
            throw new UnsupportedOperationException();
        }
    }
}
