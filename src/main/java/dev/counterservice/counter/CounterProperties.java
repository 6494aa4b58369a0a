package dev.counterservice.counter;

import java.time.Duration;
import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.convert.DurationUnit;
import org.springframework.validation.annotation.Validated;

import java.time.temporal.ChronoUnit;

/**
 * Settings under {@code counter.*}. A bad value stops start-up with the property's name
 * and the rule it broke.
 *
 * @param names the counters this service hands out numbers from, created at start-up if
 * missing
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
        @DefaultValue("default") @NotEmpty List<@Pattern(regexp = CounterName.PATTERN,
                message = "must be " + CounterName.RULE) String> names,
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
    }

    /**
     * @param enabled serve concurrent requests of a counter with one UPDATE per batch
     * (false: one UPDATE per request)
     * @param maxBatch the most requests one batch serves, so that one batch cannot grow
     * without bound
     */
    public record Coalescing(@DefaultValue("true") boolean enabled,
            @DefaultValue("1000") @Min(1) @Max(100_000) int maxBatch) {
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
