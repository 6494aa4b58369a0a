package dev.counterservice.counter;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.springframework.dao.DataAccessException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.TransactionException;

/**
 * Hands out blocks of numbers from the configured counters. Every database call is bounded by
 * {@code counter.timeout}: past it, or on any database error, the caller gets {@link CounterUnavailableException}
 * and never a number, because a number is returned only once its UPDATE has committed.
 */
@Service
class CounterService implements AutoCloseable {

    private final CounterStore store;
    private final CounterRepository counters;
    private final Set<String> names;
    private final Duration timeout;
    // The database work runs off the request thread so that the wait for it can be cut at the timeout
    private final ExecutorService database = Executors.newVirtualThreadPerTaskExecutor();

    CounterService(CounterStore store, CounterRepository counters, CounterProperties properties) {
        this.store = store;
        this.counters = counters;
        this.names = Set.copyOf(properties.names());
        this.timeout = properties.timeout();
    }

    Block next(String name, int count) {
        requireKnown(name);
        return withinTimeout(() -> store.add(name, count))
                .map(last -> Block.endingAt(name, last, count))
                .orElseThrow(() -> new CounterExhaustedException(name, count));
    }

    /** The last number handed out, without consuming one. */
    Counter current(String name) {
        requireKnown(name);
        return withinTimeout(() -> counters.findById(name)).orElseThrow(() -> new UnknownCounterException(name));
    }

    List<Counter> all() {
        return withinTimeout(() -> counters.findByNameInOrderByName(names));
    }

    /** Fails for a malformed or unconfigured name before anything touches the database. */
    void requireKnown(String name) {
        if (!names.contains(CounterName.require(name))) {
            throw new UnknownCounterException(name);
        }
    }

    private <T> T withinTimeout(Callable<T> call) {
        Future<T> result = database.submit(call);
        try {
            return result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (TimeoutException ex) {
            // Interrupting the virtual thread closes its socket, so a stalled connection is not reused
            result.cancel(true);
            throw new CounterUnavailableException("The database did not answer within " + timeout.toMillis() + " ms", ex);
        }
        catch (InterruptedException ex) {
            result.cancel(true);
            Thread.currentThread().interrupt();
            throw new CounterUnavailableException("Interrupted while waiting for the database", ex);
        }
        catch (ExecutionException ex) {
            throw unwrap(ex.getCause());
        }
    }

    private static RuntimeException unwrap(Throwable cause) {
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
