package dev.counterservice.counter;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import dev.counterservice.counter.CounterRepository.Replication;

/**
 * Readiness of the database, answered within {@code counter.timeout} (Boot's own
 * {@code db} indicator waits as long as the socket does, so a stalled database would hang
 * the probe instead of reporting DOWN). Each check also reads whether commits wait for a
 * standby, logs it when it changes (at start-up, and after a failover within one probe
 * period) and exports it as {@code counter_database_synchronous} and
 * {@code counter_database_standbys}. With
 * {@code counter.require-synchronous-replication}, a primary that has standbys but does
 * not wait for one is DOWN: a failover to such a standby can lose acknowledged numbers.
 */
@Component("database")
class DatabaseHealthIndicator implements HealthIndicator {

    private static final Logger log = LoggerFactory.getLogger(DatabaseHealthIndicator.class);

    private final CounterRepository repository;

    private final Duration timeout;

    private final boolean requireSynchronous;

    private final AtomicReference<ReplicationMode> last = new AtomicReference<>();

    DatabaseHealthIndicator(CounterRepository repository, CounterProperties properties, MeterRegistry meters) {
        this.repository = repository;
        this.timeout = properties.timeout();
        this.requireSynchronous = properties.requireSynchronousReplication();
        Gauge
            .builder("counter.database.synchronous", last,
                    mode -> mode.get() == null ? Double.NaN : mode.get().synchronous() ? 1 : 0)
            .description("1 when commits wait for a standby, 0 when they do not")
            .register(meters);
        Gauge
            .builder("counter.database.standbys", last, mode -> mode.get() == null ? Double.NaN : mode.get().standbys())
            .description("Standbys streaming from the primary")
            .register(meters);
    }

    /** Off the start-up thread, so that readiness is not held up by the query. */
    @EventListener(ApplicationReadyEvent.class)
    void reportAtStartUp() {
        Thread.ofVirtual().name("replication-report").start(this::health);
    }

    @Override
    public Health health() {
        CompletableFuture<Replication> check = CompletableFuture.supplyAsync(repository::replication,
                Thread.ofVirtual()::start);
        try {
            ReplicationMode mode = ReplicationMode.of(check.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
            if (!mode.equals(last.getAndSet(mode))) {
                log.info("Database replication: {}", mode);
            }
            Health.Builder health = requireSynchronous && mode.standbys() > 0 && !mode.synchronous() ? Health.down()
                .withDetail("reason",
                        "standbys present but commits do not wait for one (counter.require-synchronous-replication)")
                    : Health.up();
            return health.withDetail("synchronous", mode.synchronous()).withDetail("standbys", mode.standbys()).build();
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

    /**
     * Commits wait for a standby when standbys are named and {@code synchronous_commit}
     * is not off or local. What it cannot see: a managed database that replicates below
     * PostgreSQL (storage-level) shows no standbys.
     */
    record ReplicationMode(boolean synchronous, long standbys, String synchronousCommit,
            String synchronousStandbyNames) {

        static ReplicationMode of(Replication replication) {
            boolean waits = !replication.getSynchronousStandbyNames().isBlank()
                    && !replication.getSynchronousCommit().equals("off")
                    && !replication.getSynchronousCommit().equals("local");
            return new ReplicationMode(waits, replication.getStandbys(), replication.getSynchronousCommit(),
                    replication.getSynchronousStandbyNames());
        }

        @Override
        public String toString() {
            return (synchronous ? "commits wait for a standby" : "commits do not wait for a standby") + " (" + standbys
                    + " streaming; synchronous_commit=" + synchronousCommit + ", synchronous_standby_names='"
                    + synchronousStandbyNames + "')";
        }
    }

}
