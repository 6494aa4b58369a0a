package dev.counterservice.testing;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How late this JVM's threads are woken while it runs: a thread asks to sleep 10 ms at a
 * time and records the longest overshoot. On a machine whose cores are busy elsewhere, or
 * during a GC pause, every deadline the service sets is met that much late, so a test
 * that bounds how long an answer may take adds this to its bound.
 */
public final class Lateness implements AutoCloseable {

    private static final Duration TICK = Duration.ofMillis(10);

    private final AtomicLong longestNanos = new AtomicLong();

    private final Thread probe;

    private Lateness() {
        probe = Thread.ofPlatform().daemon().name("lateness-probe").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                long asleep = System.nanoTime();
                try {
                    Thread.sleep(TICK);
                }
                catch (InterruptedException ex) {
                    return;
                }
                longestNanos.accumulateAndGet(System.nanoTime() - asleep - TICK.toNanos(), Math::max);
            }
        });
    }

    public static Lateness measure() {
        return new Lateness();
    }

    /** The longest a wake-up came after its time, so far. */
    public Duration longest() {
        return Duration.ofNanos(longestNanos.get());
    }

    @Override
    public void close() {
        probe.interrupt();
    }

}
