package dev.counterservice.counter;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;

import org.springframework.dao.DataAccessException;
import org.springframework.data.domain.Limit;
import org.springframework.stereotype.Service;
import org.springframework.transaction.TransactionException;

/**
 * Hands out blocks of numbers from the counters, through the {@link RequestCoalescer} and
 * a {@link CounterAllocator} per counter, and reads them back. It knows the counters it
 * has served or created; a name it does not know is looked up ({@link CounterLookup})
 * before it is refused, so a counter created through another instance is served here on
 * its next request. Every wait for the database is bounded by {@code counter.timeout}:
 * past it, or on any database error, the caller gets {@link CounterUnavailableException}
 * and never a number, because a block exists only once the statement that reserved it has
 * committed.
 */
@Service
class CounterService implements AutoCloseable {

    private final CounterRepository counters;

    private final CounterProperties properties;

    private final Duration timeout;

    private final RequestCoalescer coalescer;

    /** The counters this instance knows exist, each with its queue. */
    private final Map<String, RequestCoalescer.CounterQueue> known = new ConcurrentHashMap<>();

    /**
     * The meters of each configured counter, and of all others
     * ({@link CounterMeters#OTHER}).
     */
    private final Map<String, CounterMeters> meters = new HashMap<>();

    private final CounterLookup<CounterRow> lookup;

    /**
     * The database server this instance started on, once known
     * ({@link CounterAllocator}).
     */
    private volatile String startServer;

    // Batches run on platform threads, at most counter.coalescing.concurrent-batches at
    // once: the batches are the serial path every request waits on, and a virtual thread
    // would queue behind all runnable request threads each time the database answers
    // (docs/benchmarks.md). With coalescing off, every request is a batch of its own, on
    // a virtual thread.
    private final ExecutorService batches;

    // Reads and lookups run off the request thread so that the wait for them can be cut
    // at the timeout
    private final ExecutorService database = Executors.newVirtualThreadPerTaskExecutor();

    CounterService(CounterRepository counters, CounterProperties properties, MeterRegistry registry,
            ObservationRegistry observations) {
        this.counters = counters;
        this.properties = properties;
        this.timeout = properties.timeout();
        this.batches = properties.coalescing().enabled()
                ? Executors.newFixedThreadPool(properties.coalescing().concurrentBatches(),
                        Thread.ofPlatform().daemon().name("coalescer-", 0).factory())
                : Executors.newVirtualThreadPerTaskExecutor();
        this.coalescer = new RequestCoalescer(new BatchStatements(counters, properties)::allocate,
                properties.coalescing(), batches, observations);
        this.lookup = new CounterLookup<>(names -> counters.findExisting(names)
            .stream()
            .collect(Collectors.toUnmodifiableMap(CounterRow::getName, row -> row)), database);
        for (String name : properties.configured().keySet()) {
            meters.put(name, CounterMeters.register(name, registry));
        }
        meters.put(CounterMeters.OTHER, CounterMeters.register(CounterMeters.OTHER, registry));
    }

    /**
     * @param key the request's {@code Idempotency-Key}, or null: a key already answered
     * gets its block again
     * @param subject the subject of the request's token, or null, for the ledger
     */
    Block next(String name, int count, String key, String subject) {
        return await(queue(name).submit(count, key, subject), timeout);
    }

    /** The settings of a counter; fails for a name that is no counter. */
    CounterSettings settings(String name) {
        return queue(name).allocator().settings();
    }

    /** The text form of a counter's numbers, null for none; as {@link #settings}. */
    SeriesFormat format(String name) {
        return queue(name).allocator().format();
    }

    /** The counter's row, without consuming a number. */
    CounterRow current(String name) {
        queue(name);
        return call(() -> counters.findById(name)).orElseThrow(() -> new UnknownCounterException(name));
    }

    /**
     * The counters by name after {@code after}, at most {@code limit}; one more tells the
     * caller there are more.
     */
    List<CounterRow> page(String after, int limit) {
        return call(() -> counters.findByNameGreaterThanOrderByName(after, Limit.of(limit)));
    }

    /**
     * Fails for a name that is no counter; a known one never touches the database, a
     * malformed one never does.
     */
    void requireKnown(String name) {
        queue(name);
    }

    /** The queue of a counter this instance knows, or of one the database has. */
    private RequestCoalescer.CounterQueue queue(String name) {
        RequestCoalescer.CounterQueue queue = known.get(name);
        if (queue != null) {
            return queue;
        }
        if (!CounterName.isValid(name)) {
            // RequestedCounter refuses it first; here it is kept from the database
            throw CounterName.malformed();
        }
        return exists(await(lookup.exists(name), timeout).orElseThrow(() -> new UnknownCounterException(name)));
    }

    /** Knows from now on that the counter of {@code row} exists, with its settings. */
    RequestCoalescer.CounterQueue exists(CounterRow row) {
        return known.computeIfAbsent(row.getName(),
                counter -> coalescer.queue(new CounterAllocator(counter, row.settings(), counters, properties,
                        meters.getOrDefault(counter, meters.get(CounterMeters.OTHER)), startServer)));
    }

    /** The meters of a counter's tag. */
    CounterMeters meters(String name) {
        return queue(name).allocator().meters();
    }

    /**
     * The database server this instance starts on: every counter it has not served yet
     * expects it, so that one first served after a failover is fenced.
     */
    void startedOn(String server) {
        this.startServer = server;
    }

    /**
     * Runs {@code call} off the request thread and waits for it at most the timeout, as
     * {@link #await} does: the one way the counter's reads and admin statements reach the
     * database.
     */
    <T> T call(Supplier<T> call) {
        return await(CompletableFuture.supplyAsync(call, database), timeout);
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
