package dev.counterservice.counter;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
import org.springframework.transaction.support.TransactionOperations;

/**
 * Hands out blocks of numbers from the configured counters, through a
 * {@link RequestCoalescer} per counter, and reads them back. Every wait for the database
 * is bounded by {@code counter.timeout}: past it, or on any database error, the caller
 * gets {@link CounterUnavailableException} and never a number, because a block exists
 * only once its transaction has committed.
 */
@Service
class CounterService implements AutoCloseable {

    private final CounterRepository counters;

    private final Set<String> names;

    private final Duration timeout;

    private final Map<String, RequestCoalescer> coalescers;

    // Reads run off the request thread so that the wait for them can be cut at the
    // timeout
    private final ExecutorService database = Executors.newVirtualThreadPerTaskExecutor();

    CounterService(CounterRepository counters, TransactionOperations transactions, CounterProperties properties,
            MeterRegistry meters, ObservationRegistry observations) {
        this.counters = counters;
        this.names = Set.copyOf(properties.names());
        this.timeout = properties.timeout();
        this.coalescers = names.stream().collect(Collectors.toUnmodifiableMap(Function.identity(), name -> {
            RequestCoalescer coalescer = new RequestCoalescer(name, counters, transactions, properties,
                    CounterMeters.register(name, meters), observations);
            Gauge.builder("counter.requests.waiting", coalescer, RequestCoalescer::waiting)
                .description("Requests waiting for the next batch")
                .tag("counter", name)
                .register(meters);
            Gauge.builder("counter.high.water.mark", coalescer, RequestCoalescer::highWaterMark)
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
        return await(coalescers.get(name).reserve(count, key));
    }

    /** The last number handed out, without consuming one. */
    CounterRow current(String name) {
        requireKnown(name);
        return await(async(() -> counters.findById(name))).orElseThrow(() -> new UnknownCounterException(name));
    }

    List<CounterRow> all() {
        return await(async(() -> counters.findByNameInOrderByName(names)));
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

    private <T> T await(CompletableFuture<T> result) {
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

    private static RuntimeException unwrap(Throwable cause) {
        if (cause instanceof CompletionException completion && completion.getCause() != null) {
            return unwrap(completion.getCause());
        }
        if (cause instanceof DataAccessException || cause instanceof TransactionException) {
            return new CounterUnavailableException("The database could not confirm the request", cause);
        }
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        return new IllegalStateException(cause);
    }

    @Override
    public void close() {
        database.close();
    }

}
