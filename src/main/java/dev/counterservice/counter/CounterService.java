package dev.counterservice.counter;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;

import org.springframework.dao.DataAccessException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.TransactionException;

/**
 * Hands out blocks of numbers from the configured counters, through a
 * {@link RequestCoalescer} and a {@link CounterAllocator} per counter, and reads them
 * back. Every wait for the database is bounded by {@code counter.timeout}: past it, or on
 * any database error, the caller gets {@link CounterUnavailableException} and never a
 * number, because a block exists only once the statement that reserved it has committed.
 */
@Service
class CounterService implements AutoCloseable {

    private final CounterRepository counters;

    private final Set<String> names;

    private final Duration timeout;

    private final Map<String, RequestCoalescer> coalescers;

    // Batches run on platform threads: the batches are the serial path every request
    // waits on, and a virtual thread would queue behind all runnable request threads
    // each time the database answers (docs/benchmarks.md). Idle threads are reused, so a
    // quiet counter starts none per request. With coalescing off, every request is a
    // batch of its own, on a virtual thread.
    private final ExecutorService batches;

    // Reads run off the request thread so that the wait for them can be cut at the
    // timeout
    private final ExecutorService database = Executors.newVirtualThreadPerTaskExecutor();

    CounterService(CounterRepository counters, CounterProperties properties, MeterRegistry meters,
            ObservationRegistry observations) {
        this.counters = counters;
        this.names = Set.copyOf(properties.names());
        this.timeout = properties.timeout();
        this.batches = properties.coalescing().enabled()
                ? Executors.newCachedThreadPool(Thread.ofPlatform().daemon().name("coalescer-", 0).factory())
                : Executors.newVirtualThreadPerTaskExecutor();
        this.coalescers = names.stream().collect(Collectors.toUnmodifiableMap(Function.identity(), name -> {
            CounterAllocator allocator = new CounterAllocator(name, counters, properties,
                    CounterMeters.register(name, meters));
            RequestCoalescer coalescer = new RequestCoalescer(name, allocator::allocate, properties.coalescing(),
                    batches, observations);
            Gauge.builder("counter.requests.waiting", coalescer, RequestCoalescer::waiting)
                .description("Requests waiting for the next batch")
                .tag("counter", name)
                .register(meters);
            Gauge.builder("counter.high.water.mark", allocator, CounterAllocator::highWaterMark)
                .description("The highest number this instance has handed out")
                .tag("counter", name)
                .register(meters);
            return coalescer;
        }));
    }

    /**
     * @param key the request's {@code Idempotency-Key}, or null: a key already answered
     * gets its block again
     */
    Block next(String name, int count, String key) {
        requireKnown(name);
        return await(coalescers.get(name).submit(count, key), timeout);
    }

    /** The last number handed out, without consuming one. */
    CounterRow current(String name) {
        requireKnown(name);
        return await(async(() -> counters.findById(name)), timeout)
            .orElseThrow(() -> new UnknownCounterException(name));
    }

    List<CounterRow> all() {
        return await(async(() -> counters.findByNameInOrderByName(names)), timeout);
    }

    /**
     * Fails for an unconfigured name before anything touches the database (a malformed
     * one never gets here: {@link RequestedCounter}).
     */
    void requireKnown(String name) {
        if (!names.contains(name)) {
            throw new UnknownCounterException(name);
        }
    }

    private <T> CompletableFuture<T> async(Supplier<T> call) {
        return CompletableFuture.supplyAsync(call, database);
    }

    /**
     * Waits for {@code result} at most {@code timeout}; past it, on interruption or on a
     * database error, fails with {@link CounterUnavailableException} (503).
     */
    static <T> T await(CompletableFuture<T> result, Duration timeout) {
        try {
            return result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (TimeoutException ex) {
            // A coalesced request not yet sent leaves its batch; one already sent becomes
            // a gap, never a number
            result.cancel(false);
            throw new CounterUnavailableException("The database did not answer within " + timeout.toMillis() + " ms",
                    ex);
        }
        catch (InterruptedException ex) {
            result.cancel(false);
            Thread.currentThread().interrupt();
            throw new CounterUnavailableException("Interrupted while waiting for the database", ex);
        }
        catch (ExecutionException ex) {
            throw unwrap(ex.getCause());
        }
    }

    /** What a failed wait answers: its own problem, or 503 for a database error. */
    static RuntimeException unwrap(Throwable cause) {
        if (cause instanceof DataAccessException || cause instanceof TransactionException) {
            return new CounterUnavailableException(DatabaseFailure.describe(cause), cause);
        }
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        return new IllegalStateException(cause);
    }

    @Override
    public void close() {
        batches.close();
        database.close();
    }

}
