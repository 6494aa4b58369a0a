package dev.counterservice.counter;

import java.util.List;
import java.util.Optional;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionOperations;
import org.springframework.web.ErrorResponseException;

import dev.counterservice.counter.CounterRepository.Advance;

/**
 * Creates counters and moves them forward, for the API's admin endpoints. Both wait for
 * the database at most {@code counter.timeout}, as every request does.
 * <p>
 * A creation is one transaction that first takes a lock every creation takes
 * ({@link CounterRepository#lockCreations}), on any instance: it then sees every counter
 * created before it, so that the same name created at once through two instances is
 * created once, and {@code counter.max-counters} holds exactly.
 * <p>
 * There is no delete: a counter created again under the same name would start again and
 * hand out numbers it had handed out before.
 */
@Service
class CounterAdmin {

    private final CounterRepository counters;

    private final TransactionOperations transactions;

    private final CounterService service;

    private final int maxCounters;

    private final String lockTimeout;

    CounterAdmin(CounterRepository counters, TransactionOperations transactions, CounterService service,
            CounterProperties properties) {
        this.counters = counters;
        this.transactions = transactions;
        this.service = service;
        this.maxCounters = properties.maxCounters();
        this.lockTimeout = Long.toString(properties.timeout().toMillis());
    }

    /**
     * Creates the counter with {@code settings}, or finds it created with the same ones.
     * @return the counter, and whether this call created it
     * @throws ErrorResponseException 409 if it exists with other settings, or if there
     * are {@code counter.max-counters} counters already
     */
    Created create(String name, CounterSettings settings) {
        Created created = service.call(() -> transactions.execute(status -> {
            if (!counters.knowsTimeZone(settings.timeZone())) {
                throw new InvalidRequestException("'timeZone' is not known to the database (pg_timezone_names)");
            }
            counters.boundLockWaits(lockTimeout);
            counters.lockCreations();
            Optional<CounterRow> existing = counters.findById(name);
            if (existing.isPresent()) {
                return compared(name, existing.get(), settings);
            }
            if (counters.count() >= maxCounters) {
                throw conflict("There are " + maxCounters + " counters, the most there may be (counter.max-counters="
                        + maxCounters + ")");
            }
            boolean isNew = counters.create(name, settings) == 1;
            // Else created meanwhile by a starting instance's configuration, which takes
            // no lock
            return isNew ? new Created(counters.findById(name).orElseThrow(), true)
                    : compared(name, counters.findById(name).orElseThrow(), settings);
        }));
        service.exists(created.counter());
        return created;
    }

    /** An existing counter, if it has the settings wanted. */
    private static Created compared(String name, CounterRow existing, CounterSettings settings) {
        List<String> differences = existing.settings().differences(settings);
        if (!differences.isEmpty()) {
            throw conflict("Counter '" + name + "' exists with other settings: " + String.join(", ", differences)
                    + ". Settings never change once a counter exists");
        }
        return new Created(existing, false);
    }

    /**
     * Moves the counter forward to {@code to}: no number up to {@code to} is handed out
     * after this returns.
     * @return the counter at {@code to}
     * @throws ErrorResponseException 409 if it holds {@code to} or more, or if it is
     * audited; it is left as it is
     */
    CounterRow advance(String name, long to) {
        CounterSettings settings = service.settings(name);
        if (settings.audit()) {
            throw conflict("Counter '" + name + "' is audited: every number it skipped would be unexplained in its "
                    + "ledger, so it does not advance");
        }
        Advance advance = service.call(() -> counters.advance(name, to, lockTimeout))
            .orElseThrow(() -> new UnknownCounterException(name));
        if (advance.getValue() == null) {
            throw conflict("Counter '" + name + "' is at " + advance.getHeld() + ": it moves forward only, to a "
                    + "number above that");
        }
        return new CounterRow(name, advance.getValue(), advance.getPeriod(), settings);
    }

    private static ErrorResponseException conflict(String detail) {
        return new ErrorResponseException(HttpStatus.CONFLICT,
                ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, detail), null);
    }

    /** A counter, and whether the call that returned it created it. */
    record Created(CounterRow counter, boolean isNew) {
    }

}
