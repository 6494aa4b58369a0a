package dev.counterservice.system;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import dev.counterservice.counter.CounterProperties;

/**
 * Readiness of the database, answered within {@code counter.timeout}. Boot's own {@code db} indicator waits as long
 * as the socket does, so a stalled database would hang the probe instead of reporting DOWN.
 */
@Component("database")
class DatabaseHealthIndicator implements HealthIndicator {

    private final JdbcClient jdbc;
    private final Duration timeout;

    DatabaseHealthIndicator(JdbcClient jdbc, CounterProperties properties) {
        this.jdbc = jdbc;
        this.timeout = properties.timeout();
    }

    @Override
    public Health health() {
        CompletableFuture<Integer> ping = CompletableFuture.supplyAsync(
                () -> jdbc.sql("SELECT 1").query(Integer.class).single(), Thread.ofVirtual()::start);
        try {
            ping.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return Health.up().build();
        }
        catch (TimeoutException ex) {
            return Health.down().withDetail("reason", "no answer within " + timeout.toMillis() + " ms").build();
        }
        catch (ExecutionException ex) {
            return Health.down().withDetail("reason", "query failed").build();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return Health.down().build();
        }
    }
}
