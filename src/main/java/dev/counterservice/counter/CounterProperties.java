package dev.counterservice.counter;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.convert.DurationUnit;
import org.springframework.validation.annotation.Validated;

/**
 * Settings under {@code counter.*}. A bad value stops start-up with the property's name
 * and the rule it broke.
 *
 * @param names counters created at start-up if missing, with the default settings
 * @param counters counters created at start-up if missing, each with its settings
 * @param maxCounters the most counters there may be: creating one more through the API is
 * refused (the configured ones are created at start-up regardless)
 * @param admin who may create and advance counters through the API
 * @param maxCount the largest block one request may reserve with {@code ?count=N}
 * @param timeout how long a request may wait for the database before it is answered 503
 * @param coalescing how concurrent requests share one durable step
 * @param fenceMargin how far past this instance's high-water mark a counter is moved on a
 * new database server: it must exceed what any instance handed out above both that
 * server's value and this one's mark, which with an asynchronous standby is the numbers
 * handed out during the replication lag (docs/scaling.md)
 * @param idempotency how long a retry with the same {@code Idempotency-Key} gets the same
 * block
 * @param requireSynchronousReplication keep readiness DOWN on a primary that has standbys
 * but commits without waiting for one, where a failover could lose acknowledged numbers
 */
@ConfigurationProperties("counter")
@Validated
public record CounterProperties(
        @DefaultValue("default") @NotNull List<@Pattern(regexp = CounterName.PATTERN,
                message = "must be " + CounterName.RULE) String> names,
        @DefaultValue @NotNull List<@Valid @NotNull Configured> counters,
        @DefaultValue("10000") @Min(1) @Max(1_000_000) int maxCounters, @DefaultValue @Valid Admin admin,
        @DefaultValue("1000") @Min(1) @Max(1_000_000) int maxCount,
        @DefaultValue("3s") @DurationUnit(ChronoUnit.SECONDS) @NotNull Duration timeout,
        @DefaultValue @Valid Coalescing coalescing,
        @DefaultValue("10000000") @Min(1) @Max(1_000_000_000_000L) long fenceMargin,
        @DefaultValue @Valid Idempotency idempotency, @DefaultValue("false") boolean requireSynchronousReplication) {

    public CounterProperties {
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("counter.timeout must be positive, got " + timeout);
        }
        names = List.copyOf(names);
        counters = List.copyOf(counters);
        configured(names, counters);
    }

    /** The counters created at start-up, each once, with its settings. */
    Map<String, CounterSettings> configured() {
        return configured(names, counters);
    }

    private static Map<String, CounterSettings> configured(List<String> names, List<Configured> counters) {
        Map<String, CounterSettings> configured = new LinkedHashMap<>();
        names.forEach(name -> add(configured, name, CounterSettings.DEFAULT));
        counters.forEach(counter -> add(configured, counter.name(), new CounterSettings(counter.start())));
        return Collections.unmodifiableMap(configured);
    }

    private static void add(Map<String, CounterSettings> configured, String name, CounterSettings settings) {
        if (configured.putIfAbsent(name, settings) != null) {
            throw new IllegalArgumentException(
                    "The counter '" + name + "' is configured twice (counter.names and counter.counters)");
        }
    }

    /**
     * A counter created at start-up with its settings.
     *
     * @param name its name
     * @param start the value it starts at: its first number is {@code start + 1}
     */
    public record Configured(
            @NotNull @Pattern(regexp = CounterName.PATTERN, message = "must be " + CounterName.RULE) String name,
            @DefaultValue("0") @Min(0) long start) {
    }

    /**
     * @param enabled with authorization off, let anyone who reaches the API create and
     * advance counters (false: they are refused with 403). For private networks only;
     * with authorization on, the scope {@code counter:admin} decides
     */
    public record Admin(@DefaultValue("false") boolean enabled) {
    }

    /**
     * @param enabled serve concurrent requests of a counter with one UPDATE per batch
     * (false: one UPDATE per request)
     * @param maxBatch the most requests one batch serves, so that one batch cannot grow
     * without bound
     * @param concurrentBatches the most batches in flight at once in an instance, each
     * serving any number of counters: the threads and connections batches hold
     */
    public record Coalescing(@DefaultValue("true") boolean enabled,
            @DefaultValue("1000") @Min(1) @Max(100_000) int maxBatch,
            @DefaultValue("2") @Min(1) @Max(64) int concurrentBatches) {
    }

    /**
     * @param retention how long a key is kept; a retry after that gets a new block.
     * Purged once a minute.
     */
    public record Idempotency(@DefaultValue("24h") @NotNull Duration retention) {

        public Idempotency {
            if (retention != null && (retention.isNegative() || retention.isZero())) {
                throw new IllegalArgumentException("counter.idempotency.retention must be positive, got " + retention);
            }
        }
    }
}
