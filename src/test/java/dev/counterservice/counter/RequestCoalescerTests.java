package dev.counterservice.counter;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.dao.DataAccessResourceFailureException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;

/** Batching logic against a stand-in store whose commits the test holds and releases. */
class RequestCoalescerTests {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final HeldStore store = new HeldStore();

    @Test
    void aLoneRequestIsOneUpdateOfItsOwnCount() throws Exception {
        store.release();
        RequestCoalescer coalescer = coalescer(1000);

        assertThat(coalescer.reserve(3).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 1, 3));
        assertThat(store.updates).containsExactly(3L);
    }

    @Test
    void requestsArrivingDuringACommitShareTheNextUpdateAndGetConsecutiveRanges() throws Exception {
        RequestCoalescer coalescer = coalescer(1000);
        CompletableFuture<Block> first = coalescer.reserve(1);
        store.awaitUpdates(1);
        List<CompletableFuture<Block>> waiting = new ArrayList<>();
        for (int count : new int[] {1, 2, 3}) {
            waiting.add(coalescer.reserve(count));
        }
        assertThat(coalescer.waiting()).isEqualTo(3);
        assertThat(waiting).noneMatch(CompletableFuture::isDone);

        store.release();

        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 1, 1));
        assertThat(waiting.get(0).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 2, 2));
        assertThat(waiting.get(1).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 3, 4));
        assertThat(waiting.get(2).get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 5, 7));
        assertThat(store.updates).containsExactly(1L, 6L);
        assertThat(registry.get("counter.batch.size").summary().max()).isEqualTo(3);
        assertThat(registry.get("counter.numbers.issued").counter().count()).isEqualTo(7);
    }

    @Test
    void aBatchServesAtMostMaxBatchRequests() throws Exception {
        RequestCoalescer coalescer = coalescer(2);
        CompletableFuture<Block> first = coalescer.reserve(1);
        store.awaitUpdates(1);
        List<CompletableFuture<Block>> waiting = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            waiting.add(coalescer.reserve(1));
        }
        store.release();
        first.get(5, TimeUnit.SECONDS);
        for (CompletableFuture<Block> request : waiting) {
            request.get(5, TimeUnit.SECONDS);
        }

        assertThat(store.updates).containsExactly(1L, 2L, 2L, 1L);
    }

    @Test
    void aFailedCommitFailsTheWholeBatchAndHandsOutNothing() throws Exception {
        RequestCoalescer coalescer = coalescer(1000);
        CompletableFuture<Block> first = coalescer.reserve(1);
        store.awaitUpdates(1);
        CompletableFuture<Block> second = coalescer.reserve(1);
        CompletableFuture<Block> third = coalescer.reserve(1);

        store.failUpdate(2);
        store.release();

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
        RequestCoalescer coalescer = coalescer(1000);
        CompletableFuture<Block> first = coalescer.reserve(1);
        store.awaitUpdates(1);
        CompletableFuture<Block> abandoned = coalescer.reserve(5);
        CompletableFuture<Block> kept = coalescer.reserve(1);
        abandoned.cancel(false);

        store.release();

        first.get(5, TimeUnit.SECONDS);
        assertThat(kept.get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", 2, 2));
        assertThat(store.updates).containsExactly(1L, 1L);
    }

    @Test
    void whenTheBatchWouldOverflowEachRequestTriesAloneSoThoseThatFitSucceed() throws Exception {
        CounterStore nearlyFull = mock(CounterStore.class);
        AtomicLong value = new AtomicLong(Long.MAX_VALUE - 2);
        given(nearlyFull.add(eq("c"), anyLong())).willAnswer(call -> {
            long count = call.getArgument(1);
            return value.get() <= Long.MAX_VALUE - count ? Optional.of(value.addAndGet(count)) : Optional.empty();
        });
        CountDownLatch hold = new CountDownLatch(1);
        RequestCoalescer coalescer = new RequestCoalescer("c", new DelegatingStore(nearlyFull, hold), 1000,
                CounterMeters.register("c", registry));
        CompletableFuture<Block> first = coalescer.reserve(1);
        CompletableFuture<Block> tooBig = coalescer.reserve(5);
        CompletableFuture<Block> fits = coalescer.reserve(1);
        hold.countDown();

        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", Long.MAX_VALUE - 1, Long.MAX_VALUE - 1));
        assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> tooBig.get(5, TimeUnit.SECONDS))
                .withCauseInstanceOf(CounterExhaustedException.class);
        assertThat(fits.get(5, TimeUnit.SECONDS)).isEqualTo(new Block("c", Long.MAX_VALUE, Long.MAX_VALUE));
    }

    private RequestCoalescer coalescer(int maxBatch) {
        return new RequestCoalescer("c", store, maxBatch, CounterMeters.register("c", registry));
    }

    /** A store whose every UPDATE waits until the test releases it, recording the count it was asked to add. */
    private static final class HeldStore extends CounterStore {

        final List<Long> updates = java.util.Collections.synchronizedList(new ArrayList<>());
        private final CountDownLatch released = new CountDownLatch(1);
        private final AtomicLong value = new AtomicLong();
        private volatile int failingUpdate;

        HeldStore() {
            super(null);
        }

        @Override
        public Optional<Long> add(String name, long count) {
            updates.add(count);
            boolean fail = updates.size() == failingUpdate;
            try {
                released.await(10, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            if (fail) {
                throw new DataAccessResourceFailureException("connection lost during COMMIT");
            }
            return Optional.of(value.addAndGet(count));
        }

        void release() {
            released.countDown();
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
    }

    /** Holds the first UPDATE until released, so that the requests after it form one batch. */
    private static final class DelegatingStore extends CounterStore {

        private final CounterStore delegate;
        private final CountDownLatch hold;

        DelegatingStore(CounterStore delegate, CountDownLatch hold) {
            super(null);
            this.delegate = delegate;
            this.hold = hold;
        }

        @Override
        public Optional<Long> add(String name, long count) {
            try {
                hold.await(10, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            return delegate.add(name, count);
        }
    }
}
