package dev.counterservice.counter;

import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import dev.counterservice.counter.CounterAllocator.Demand;
import dev.counterservice.counter.CounterAllocator.Outcome;

import static dev.counterservice.counter.CounterAllocatorTests.demands;
import static dev.counterservice.counter.CounterAllocatorTests.served;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Batches that serve several counters in one statement, against real PostgreSQL (the
 * shared test database, through the shared instance's repository): each counter moves by
 * its own total and keeps its own guards, and the rows are locked in the order of the
 * names. Each test on counters of its own, with a fence margin of {@value #MARGIN}.
 * {@link CounterAllocatorTests} runs one counter's guards.
 */
class BatchStatementsTests {

    private static final long MARGIN = 5;

    private final TestDatabase database = TestDatabase.shared();

    private final CounterRepository repository = AppInstance.shared().context().getBean(CounterRepository.class);

    private final CounterProperties properties = new Binder(
            new MapConfigurationPropertySource(Map.of("counter.fence-margin", Long.toString(MARGIN))))
        .bindOrCreate("counter", CounterProperties.class);

    private final BatchStatements statements = new BatchStatements(repository, properties);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private final CounterMeters meters = CounterMeters.register(CounterMeters.OTHER, registry);

    /** A prefix of this test's counters: names sort as the letters after it. */
    private final String prefix = "batch-" + UUID.randomUUID().toString().replace("-", "") + "-";

    @Test
    void eachCounterOfABatchMovesByItsOwnTotalAndItsDemandsGetTheirBlocksInOrder() {
        CounterAllocator x = allocator("x");
        CounterAllocator y = allocator("y");
        CounterAllocator z = allocator("z");

        Map<CounterAllocator, Outcome> outcomes = statements
            .allocate(batch(z, demands(1, null, 2, null), x, demands(3, null), y, demands(1, null)));

        assertThat(served(outcomes.get(x))).containsExactly(block(x, 1, 3));
        assertThat(served(outcomes.get(y))).containsExactly(block(y, 1, 1));
        assertThat(served(outcomes.get(z))).containsExactly(block(z, 1, 1), block(z, 2, 3));
        assertThat(List.of(stored(x), stored(y), stored(z))).containsExactly(3L, 1L, 3L);
        assertThat(registry.get("counter.numbers.issued").counter().count()).isEqualTo(7);
        assertThat(registry.get("counter.batch.size").summary().count()).isEqualTo(3);
        assertThat(registry.get("counter.high.water.mark").gauge().value()).isEqualTo(3);
    }

    @Test
    void keysArePerCounterAndARetryOfEachGetsItsBlockInASharedBatch() {
        CounterAllocator x = allocator("x");
        CounterAllocator y = allocator("y");
        statements.allocate(batch(x, demands(2, "k"), y, demands(1, "k")));

        Map<CounterAllocator, Outcome> retried = statements
            .allocate(batch(x, demands(2, "k", 1, "new"), y, demands(1, "k", 1, null)));

        assertThat(served(retried.get(x))).containsExactly(replayed(x, 1, 2), block(x, 3, 3));
        assertThat(served(retried.get(y))).containsExactly(replayed(y, 1, 1), block(y, 2, 2));
        assertThat(database
            .queryForLong("SELECT count(*) FROM idempotency_key WHERE counter LIKE '%s%%'".formatted(prefix)))
            .isEqualTo(3);
    }

    @Test
    void aKeyThatAnotherBatchStoredForOneCounterWhileThisOneWaitedIsReplayedAndNoCounterMovesTwice() throws Exception {
        CounterAllocator x = allocator("x");
        CounterAllocator y = allocator("y");
        CompletableFuture<Map<CounterAllocator, Outcome>> batch;
        try (Connection other = DriverManager.getConnection(database.jdbcUrl(), database.username(),
                database.password())) {
            // Another instance's batch serves y's key and still holds y's row lock
            other.setAutoCommit(false);
            other.createStatement()
                .execute("UPDATE counter SET value = value + 2 WHERE name = '%s'".formatted(y.counter()));
            other.createStatement()
                .execute("INSERT INTO idempotency_key (counter, key, count, first) VALUES ('%s', 'k', 2, 1)"
                    .formatted(y.counter()));
            batch = CompletableFuture.supplyAsync(
                    () -> statements.allocate(batch(x, demands(1, "k"), y, demands(2, "k", 1, null))),
                    Thread::startVirtualThread);
            database.awaitLockWaits(1, Duration.ofSeconds(10));
            other.commit();
        }

        // Its statement found no key, then waited for y's row: storing y's key failed the
        // statement whole, x's move with it, and the batch ran again
        Map<CounterAllocator, Outcome> outcomes = batch.get(10, TimeUnit.SECONDS);
        assertThat(served(outcomes.get(x))).containsExactly(block(x, 1, 1));
        assertThat(served(outcomes.get(y))).containsExactly(replayed(y, 1, 2), block(y, 3, 3));
        assertThat(List.of(stored(x), stored(y))).containsExactly(1L, 3L);
        assertThat(database
            .queryForLong("SELECT count(*) FROM idempotency_key WHERE counter LIKE '%s%%'".formatted(prefix)))
            .isEqualTo(2);
    }

    @Test
    void aCounterRefusedForLostCommitsIsFencedWhileTheOthersOfItsBatchMove() {
        CounterAllocator x = allocator("x");
        CounterAllocator y = allocator("y");
        statements.allocate(batch(x, demands(10, null), y, demands(10, null)));
        database.execute("UPDATE counter SET value = 2 WHERE name = '%s'".formatted(x.counter()));

        Map<CounterAllocator, Outcome> outcomes = statements.allocate(batch(x, demands(1, "k"), y, demands(1, "k")));

        assertThat(outcomes.get(x)).isInstanceOf(Outcome.Refused.class);
        assertThat(served(outcomes.get(y))).containsExactly(block(y, 11, 11));
        assertThat(stored(x)).isEqualTo(10 + MARGIN);
        assertThat(database
            .queryForLong("SELECT count(*) FROM idempotency_key WHERE counter = '%s'".formatted(x.counter())))
            .as("a refused counter stores no key")
            .isZero();
    }

    @Test
    void anExhaustedCounterAndAMissingOneMoveNothingWhileTheOthersOfTheirBatchMove() {
        CounterAllocator x = allocator("x");
        CounterAllocator full = allocator("full");
        CounterAllocator missing = new CounterAllocator(prefix + "missing", repository, properties, meters, null);
        database
            .execute("UPDATE counter SET value = %d WHERE name = '%s'".formatted(Long.MAX_VALUE - 1, full.counter()));

        Map<CounterAllocator, Outcome> outcomes = statements
            .allocate(batch(full, demands(2, null), missing, demands(1, null), x, demands(1, null)));

        assertThat(outcomes.get(full)).isInstanceOf(Outcome.Exhausted.class);
        assertThat(outcomes.get(missing)).isInstanceOfSatisfying(Outcome.Failed.class,
                failed -> assertThat(failed.cause()).isInstanceOf(UnknownCounterException.class));
        assertThat(served(outcomes.get(x))).containsExactly(block(x, 1, 1));
        assertThat(stored(full)).isEqualTo(Long.MAX_VALUE - 1);
    }

    @Test
    void aBatchLocksItsCountersInTheOrderOfTheirNamesSoATransactionLockingThemSoToo() throws Exception {
        CounterAllocator a = allocator("a");
        CounterAllocator b = allocator("b");
        CompletableFuture<Map<CounterAllocator, Outcome>> batch;
        try (Connection other = DriverManager.getConnection(database.jdbcUrl(), database.username(),
                database.password())) {
            // Another instance's batch holds "a" and will want "b" next, as a batch
            // locking in name order does
            other.setAutoCommit(false);
            other.createStatement()
                .execute("UPDATE counter SET value = value + 1 WHERE name = '%s'".formatted(a.counter()));
            // This batch, given "b" first, must wait for "a" first and hold nothing
            batch = CompletableFuture.supplyAsync(
                    () -> statements.allocate(batch(b, demands(1, null), a, demands(1, null))),
                    Thread::startVirtualThread);
            database.awaitLockWaits(1, Duration.ofSeconds(10));
            other.createStatement()
                .execute("UPDATE counter SET value = value + 1 WHERE name = '%s'".formatted(b.counter()));
            other.commit();
        }

        Map<CounterAllocator, Outcome> outcomes = batch.get(10, TimeUnit.SECONDS);
        assertThat(served(outcomes.get(a))).containsExactly(block(a, 2, 2));
        assertThat(served(outcomes.get(b))).containsExactly(block(b, 2, 2));
    }

    private CounterAllocator allocator(String name) {
        repository.create(prefix + name, 0);
        return new CounterAllocator(prefix + name, repository, properties, meters, repository.server());
    }

    private static Map<CounterAllocator, List<Demand>> batch(Object... countersAndDemands) {
        Map<CounterAllocator, List<Demand>> batch = new LinkedHashMap<>();
        for (int i = 0; i < countersAndDemands.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<Demand> demands = (List<Demand>) countersAndDemands[i + 1];
            batch.put((CounterAllocator) countersAndDemands[i], demands);
        }
        return batch;
    }

    private static Block block(CounterAllocator counter, long first, long last) {
        return new Block(counter.counter(), first, last);
    }

    private static Block replayed(CounterAllocator counter, long first, long last) {
        return new Block(counter.counter(), first, last, true);
    }

    private long stored(CounterAllocator counter) {
        return database.queryForLong("SELECT value FROM counter WHERE name = '%s'".formatted(counter.counter()));
    }

}
