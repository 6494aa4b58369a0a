package dev.counterservice.system;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.ObjectProvider;

import static org.assertj.core.api.Assertions.assertThat;

class ExemplarSpanContextTests {

    /**
     * The start-up deadlock, played with two threads: a GC notification thread asks for
     * the current span while the main thread holds the bean factory (its tracer lookup
     * waits until main is done), and main, still holding it, records a metric. Main must
     * get its answer; with a lock around the lookup (Boot's own span context) it waits
     * for the notification thread, which waits for main.
     */
    @Test
    void aThreadWaitingForTheBeanFactoryDoesNotBlockTheThreadThatHoldsIt() throws Exception {
        Thread main = Thread.currentThread();
        CountDownLatch mainDone = new CountDownLatch(1);
        CountDownLatch notificationWaiting = new CountDownLatch(1);
        ObjectProvider<Tracer> beanFactory = new ObjectProvider<>() {
            @Override
            public Tracer getObject() {
                if (Thread.currentThread() != main) {
                    notificationWaiting.countDown();
                    await(mainDone);
                }
                return Tracer.NOOP;
            }
        };
        ExemplarSpanContext spans = new ExemplarSpanContext(beanFactory);
        CompletableFuture<Boolean> notification = CompletableFuture.supplyAsync(spans::isCurrentSpanSampled);
        assertThat(notificationWaiting.await(5, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Boolean> mainsMetric = CompletableFuture.completedFuture(spans.isCurrentSpanSampled());
        mainDone.countDown();

        assertThat(mainsMetric).isCompletedWithValue(false);
        assertThat(notification.get(5, TimeUnit.SECONDS)).isFalse();
    }

    @Test
    void theNoOpTracersSpansAreNeverSampled() {
        assertThat(new ExemplarSpanContext(provider(Tracer.NOOP)).isCurrentSpanSampled()).isFalse();
    }

    private static ObjectProvider<Tracer> provider(Tracer tracer) {
        return new ObjectProvider<>() {
            @Override
            public Tracer getObject() {
                return tracer;
            }
        };
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

}
