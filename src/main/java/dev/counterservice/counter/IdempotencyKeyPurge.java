package dev.counterservice.counter;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Deletes keys older than {@code counter.idempotency.retention} once a minute, a thousand
 * rows per statement, so that no purge holds many row locks or one long transaction.
 * Every instance purges; they just find less to do.
 */
@Component
class IdempotencyKeyPurge {

    static final int BATCH = 1000;

    private static final Logger log = LoggerFactory.getLogger(IdempotencyKeyPurge.class);

    private final CounterRepository repository;

    private final Duration retention;

    IdempotencyKeyPurge(CounterRepository repository, CounterProperties properties) {
        this.repository = repository;
        this.retention = properties.idempotency().retention();
    }

    @Scheduled(fixedDelay = 60_000, initialDelay = 60_000)
    void purgeExpired() {
        try {
            int deleted;
            long total = 0;
            do {
                deleted = repository.purgeKeys(retention.toSeconds(), BATCH);
                total += deleted;
            }
            while (deleted == BATCH);
            if (total > 0) {
                log.info("Purged {} idempotency keys older than {}", total, retention);
            }
        }
        catch (RuntimeException ex) {
            // The database is away: the next run catches up
            log.warn("Purging idempotency keys failed: {}", ex.toString());
        }
    }

}
