package dev.counterservice.counter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
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

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import dev.counterservice.counter.CounterAllocator.Demand;
import dev.counterservice.counter.CounterAllocator.Outcome;
import dev.counterservice.counter.CounterAllocator.Result;

/**
 * Serves each batch with consecutive blocks of each counter from memory once the test
 * releases it, unless the test gave the next outcomes (or an exception to throw), which
 * then answer every counter of their batch.
 */
final class HeldStatements
        implements Function<Map<CounterAllocator, List<Demand>>, Map<CounterAllocator, Outcome>>, AutoCloseable {

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

    /**
     * How long a test waits for an answer that is due at once: short, so that a request
     * left unanswered fails the test before pitest's timeout would stop it.
     */
    static final Duration WAIT = Duration.ofSeconds(2);

    /** Where the coalescer under test runs its batches. */
    final ExecutorService threads = Executors.newCachedThreadPool();

    /** The meters of the allocators made here, by tag. */
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private final Map<String, CounterMeters> meters = new ConcurrentHashMap<>();

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

    /** Lets every batch go, and stops the threads. */
    @Override
    public void close() {
        release();
        threads.close();
    }

    void awaitBatches(int count) {
        Awaitility.await(count + " batches")
            .atMost(WAIT)
            .pollInterval(Duration.ofMillis(5))
            .until(() -> batches.size() >= count);
    }

    /**
     * An allocator of {@code counter}, its meters tagged {@code tag}: only its name and
     * tag are used.
     */
    CounterAllocator allocator(String counter, String tag) {
        return new CounterAllocator(counter, null,
                new Binder(new MapConfigurationPropertySource(Map.of())).bindOrCreate("counter",
                        CounterProperties.class),
                meters.computeIfAbsent(tag, name -> CounterMeters.register(name, registry)), null);
    }

    /** Observations that add each one stopped to {@code observed}. */
    static ObservationRegistry recording(List<Observation.Context> observed) {
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

}
