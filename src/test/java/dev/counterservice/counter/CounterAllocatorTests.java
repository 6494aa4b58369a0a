package dev.counterservice.counter;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.dao.DataAccessResourceFailureException;

import dev.counterservice.counter.CounterAllocator.Demand;
import dev.counterservice.counter.CounterAllocator.Outcome;
import dev.counterservice.counter.CounterAllocator.Result;
import dev.counterservice.counter.CounterRepository.Stored;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A batch's statements, refusals and fences against real PostgreSQL (the shared test
 * database, through the shared instance's repository), each test on a counter of its own
 * with a fence margin of {@value #MARGIN}. Two cases a single real server cannot produce
 * use a stand-in, each saying so: a change of database server (a promoted standby: the
 * statements still run on the real database, only the server they report changes), and a
 * commit whose outcome the client never learns.
 */
class CounterAllocatorTests {

    private static final long MARGIN = 5;

    private static final long MAX = Long.MAX_VALUE;

    private final TestDatabase database = TestDatabase.shared();

    private final CounterRepository repository = AppInstance.shared().context().getBean(CounterRepository.class);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private final String counter = "allocator-" + UUID.randomUUID().toString().replace("-", "");

    private final CounterMeters meters = CounterMeters.register(counter, registry);

    {
        repository.create(counter, new CounterSettings(0));
    }

    @Test
    void aBatchIsOneMoveOfItsTotalAndEachDemandGetsItsBlockInOrder() {
        Single allocator = single(repository);

        assertThat(served(allocator.allocate(demands(1, null, 2, null, 3, null)))).containsExactly(block(1, 1),
                block(2, 3), block(4, 6));
        assertThat(stored()).isEqualTo(6);
        assertThat(allocator.highWaterMark()).isEqualTo(6);
        assertThat(registry.get("counter.batch.size").summary().max()).isEqualTo(3);
        assertThat(registry.get("counter.numbers.issued").counter().count()).isEqualTo(6);
    }

    @Test
    void keyedDemandsStoreTheirBlocksAndARetryGetsTheSameBlockAndTakesNoNumber() {
        Single allocator = single(repository);
        assertThat(served(allocator.allocate(demands(2, "a", 1, null)))).containsExactly(block(1, 2), block(3, 3));

        assertThat(served(allocator.allocate(demands(2, "a", 3, "b")))).containsExactly(replayed(1, 2), block(4, 6));

        assertThat(stored()).isEqualTo(6);
        assertThat(database
            .queryForLong("SELECT sum(first * count) FROM idempotency_key WHERE counter = '%s'".formatted(counter)))
            .isEqualTo(1 * 2 + 4 * 3);
        assertThat(registry.get("counter.numbers.issued").counter().count()).isEqualTo(6);
    }

    @Test
    void aKeyUsedForAnotherCountIsRefusedForThatDemandAndTakesNothing() {
        Single allocator = single(repository);
        allocator.allocate(demands(2, "k"));

        Outcome outcome = allocator.allocate(demands(3, "k", 1, null));

        assertThat(outcome).isInstanceOfSatisfying(Outcome.Committed.class, committed -> assertThat(committed.results())
            .containsExactly(new Result.KeyReused(2), new Result.Served(block(3, 3))));
        assertThat(stored()).isEqualTo(3);
    }

    @Test
    void aRetryOfAKeyWhoseBlockEndsAtBigintsMaximumGetsItsBlock() {
        database.execute("UPDATE counter SET value = %d WHERE name = '%s'".formatted(MAX - 3, counter));
        Single allocator = single(repository);
        assertThat(served(allocator.allocate(demands(3, "edge")))).containsExactly(block(MAX - 2, MAX));

        assertThat(served(allocator.allocate(demands(3, "edge")))).containsExactly(replayed(MAX - 2, MAX));
        // Beside a demand that no longer fits, the retry does not fit either: the queue
        // then sends each alone
        assertThat(allocator.allocate(demands(3, "edge", 1, null))).isInstanceOf(Outcome.Exhausted.class);
        assertThat(served(allocator.allocate(demands(3, "edge")))).containsExactly(replayed(MAX - 2, MAX));
        assertThat(stored()).isEqualTo(MAX);
    }

    @Test
    void aRetryOfAKeyBesideNewDemandsThatFitGetsItsBlockAndTheNewOnesTheLastNumbers() {
        database.execute("UPDATE counter SET value = %d WHERE name = '%s'".formatted(MAX - 5, counter));
        Single allocator = single(repository);
        allocator.allocate(demands(3, "near"));

        assertThat(served(allocator.allocate(demands(3, "near", 2, "new")))).containsExactly(replayed(MAX - 4, MAX - 2),
                block(MAX - 1, MAX));
        assertThat(stored()).isEqualTo(MAX);
    }

    @Test
    void aBatchThatWouldPassBigintsMaximumIsExhaustedAndMovesNothing() {
        database.execute("UPDATE counter SET value = %d WHERE name = '%s'".formatted(MAX - 2, counter));
        Single allocator = single(repository);

        assertThat(allocator.allocate(demands(3, null))).isInstanceOf(Outcome.Exhausted.class);
        assertThat(allocator.allocate(demands(3, "k"))).isInstanceOf(Outcome.Exhausted.class);
        assertThat(stored()).isEqualTo(MAX - 2);
        assertThat(served(allocator.allocate(demands(2, null)))).containsExactly(block(MAX - 1, MAX));
        assertThat(registry.get("counter.fences").counter().count()).isZero();
    }

    @Test
    void aStoredValueBelowTheHighWaterMarkIsRefusedCountedAndTheCounterFencedPastTheMark() {
        Single allocator = single(repository);
        allocator.allocate(demands(100, null));
        // Lost commits without a change of server, as a restored volume snapshot gives:
        // far more than the margin
        setStored(2);

        Outcome refused = allocator.allocate(demands(1, null));

        assertThat(refused).isInstanceOfSatisfying(Outcome.Refused.class,
                refusal -> assertThat(refusal.problem().getBody().getDetail())
                    .startsWith("The database lost numbers already handed out"));
        assertThat(registry.get("counter.regressions").counter().count()).isEqualTo(1);
        assertThat(registry.get("counter.fences").counter().count()).isEqualTo(1);
        assertThat(stored()).isEqualTo(100 + MARGIN);
        assertThat(served(allocator.allocate(demands(1, "k")))).containsExactly(block(101 + MARGIN, 101 + MARGIN));
    }

    @Test
    void aStoredValueAtTheHighWaterMarkIsServedAndOneBelowIsNot() {
        Single allocator = single(repository);
        allocator.allocate(demands(5, null));
        setStored(5);
        assertThat(served(allocator.allocate(demands(1, null)))).containsExactly(block(6, 6));

        setStored(5);

        assertThat(allocator.allocate(demands(1, null))).isInstanceOf(Outcome.Refused.class);
        assertThat(stored()).isEqualTo(6 + MARGIN);
        assertThat(registry.get("counter.regressions").counter().count()).isEqualTo(1);
    }

    @Test
    void aFenceThatWouldPassBigintsMaximumMovesNothingAndTheBatchesStayRefused() {
        setStored(MAX - 10);
        Single allocator = single(repository);
        allocator.allocate(demands(8, null));
        setStored(MAX - 20);

        for (int attempt = 0; attempt < 2; attempt++) {
            assertThat(allocator.allocate(demands(1, null))).isInstanceOf(Outcome.Refused.class);
        }

        assertThat(stored()).isEqualTo(MAX - 20);
        assertThat(registry.get("counter.fences").counter().count()).isZero();
        assertThat(registry.get("counter.regressions").counter().count()).isEqualTo(2);
        // The statement's own guard: no row, where the sum would raise an error
        assertThat(repository.fence(counter, "", MAX - 2, MARGIN, "1000")).isEmpty();
        assertThat(repository.fence(counter, "", MAX - MARGIN, MARGIN, "1000")).map(Stored::getValue).hasValue(MAX);
    }

    @Test
    void aKeyThatAnotherBatchStoredWhileThisOneWaitedIsReplayedNotStoredTwice() throws Exception {
        Single allocator = single(repository);
        CompletableFuture<Outcome> retry;
        try (Connection other = DriverManager.getConnection(database.jdbcUrl(), database.username(),
                database.password())) {
            // Another instance's batch serves the key and still holds the row lock
            other.setAutoCommit(false);
            other.createStatement()
                .execute("UPDATE counter SET value = value + 2 WHERE name = '%s'".formatted(counter));
            other.createStatement()
                .execute("INSERT INTO idempotency_key (counter, key, count, first) VALUES ('%s', 'k', 2, 1)"
                    .formatted(counter));
            retry = CompletableFuture.supplyAsync(() -> allocator.allocate(demands(2, "k")),
                    Thread::startVirtualThread);
            database.awaitLockWaits(1, Duration.ofSeconds(10));
            other.commit();
        }

        // It read its keys before the holder committed, then waited for the row: storing
        // the key again failed, and it read them again
        assertThat(served(retry.get(10, TimeUnit.SECONDS))).containsExactly(replayed(1, 2));
        assertThat(stored()).isEqualTo(2);
        assertThat(
                database.queryForLong("SELECT count(*) FROM idempotency_key WHERE counter = '%s'".formatted(counter)))
            .isOne();
    }

    @Test
    void theKeyedBatchsWaitForTheRowLockIsBoundedByTheTimeout() throws Exception {
        Single allocator = single(repository, properties(Map.of("counter.timeout", "300ms")), counter);
        try (Connection other = DriverManager.getConnection(database.jdbcUrl(), database.username(),
                database.password())) {
            other.setAutoCommit(false);
            other.createStatement()
                .execute("SELECT value FROM counter WHERE name = '%s' FOR UPDATE".formatted(counter));

            assertThat(allocator.allocate(demands(1, "k"))).isInstanceOf(Outcome.Failed.class);
            // PostgreSQL gave up the wait while the row is still held
            database.awaitLockWaits(0, Duration.ofSeconds(5));
            other.rollback();
        }
        assertThat(served(allocator.allocate(demands(1, "k")))).containsExactly(block(1, 1));
    }

    @Test
    void aCounterThatDoesNotExistFailsTheBatch() {
        Single allocator = single(repository, properties(Map.of()), "allocator-missing");

        for (List<Demand> batch : List.of(demands(1, null), demands(1, "k"))) {
            assertThat(allocator.allocate(batch)).isInstanceOfSatisfying(Outcome.Failed.class,
                    failed -> assertThat(failed.cause()).isInstanceOf(UnknownCounterException.class));
        }
    }

    @Test
    void onANewServerTheBatchIsRefusedAndTheCounterFencedPastTheHighWaterMarkBeforeServingAgain() {
        // Stand-in: a promoted standby, which a single real server cannot become
        PromotedStandby standby = new PromotedStandby(repository);
        Single allocator = single(standby.repository());
        assertThat(served(allocator.allocate(demands(10, null)))).containsExactly(block(1, 10));

        // The standby had received only the first 2 numbers: it lost more than the margin
        standby.promote();
        setStored(2);

        assertThat(allocator.allocate(demands(1, "k"))).isInstanceOfSatisfying(Outcome.Refused.class,
                refused -> assertThat(refused.problem().getBody().getDetail())
                    .startsWith("The database server changed"));
        assertThat(
                database.queryForLong("SELECT count(*) FROM idempotency_key WHERE counter = '%s'".formatted(counter)))
            .as("a refused batch stores no key")
            .isZero();
        assertThat(stored()).isEqualTo(10 + MARGIN);
        assertThat(served(allocator.allocate(demands(1, "k")))).containsExactly(block(11 + MARGIN, 11 + MARGIN));
        assertThat(registry.get("counter.fences").counter().count()).isEqualTo(1);
        assertThat(registry.get("counter.regressions").counter().count()).isZero();
    }

    @Test
    void aCounterFirstServedAfterAFailoverIsFencedThoughThisInstanceNeverServedIt() {
        // Stand-in: a promoted standby. The instance started on the old primary, where
        // another instance handed out numbers of this counter up to 7, which the
        // standby may have lost
        PromotedStandby standby = new PromotedStandby(repository);
        String startServer = repository.server();
        setStored(7);
        standby.promote();
        CounterProperties properties = properties(Map.of());
        Single allocator = new Single(new CounterAllocator(counter, CounterSettings.DEFAULT, standby.repository(),
                properties, meters, startServer), new BatchStatements(standby.repository(), properties));

        assertThat(allocator.allocate(demands(1, null))).isInstanceOf(Outcome.Refused.class);
        assertThat(stored()).isEqualTo(7 + MARGIN);
        assertThat(served(allocator.allocate(demands(1, null)))).containsExactly(block(8 + MARGIN, 8 + MARGIN));
    }

    @Test
    void theFirstServerSeenIsAdoptedNotFenced() {
        Single allocator = single(repository);

        allocator.allocate(demands(1, null));
        allocator.allocate(demands(1, "k"));

        assertThat(stored()).isEqualTo(2);
        assertThat(registry.get("counter.fences").counter().count()).isZero();
    }

    @Test
    void ofTwoFirstBatchesServedOnDifferentServersOnlyOneIsCommitted() throws Exception {
        // Stand-in: two first batches (coalescing off) whose statements both ran before
        // either adopted a server, one on the old primary and one on a promoted standby
        PromotedStandby standby = new PromotedStandby(repository);
        standby.beforeAdd = allAt(new CyclicBarrier(2));
        standby.promoteAfterFirstAdd = true;
        Single allocator = single(standby.repository());

        List<Outcome> outcomes;
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Outcome> first = threads.submit(() -> allocator.allocate(demands(1, null)));
            Future<Outcome> second = threads.submit(() -> allocator.allocate(demands(1, null)));
            outcomes = List.of(first.get(10, TimeUnit.SECONDS), second.get(10, TimeUnit.SECONDS));
        }
        assertThat(outcomes).filteredOn(Outcome.Committed.class::isInstance).hasSize(1);
        assertThat(outcomes).filteredOn(Outcome.Refused.class::isInstance).hasSize(1);
        assertThat(registry.get("counter.fences").counter().count()).isEqualTo(1);
    }

    @Test
    void concurrentBatchesThatFindTheSameNewServerFenceItOnce() throws Exception {
        // Stand-in: a promoted standby, and batches of their own (coalescing off) whose
        // statements all ran on it before any of them could fence
        PromotedStandby standby = new PromotedStandby(repository);
        Single allocator = single(standby.repository());
        assertThat(served(allocator.allocate(demands(10, null)))).containsExactly(block(1, 10));
        standby.promote();
        int batches = 8;
        standby.beforeAdd = allAt(new CyclicBarrier(batches));

        List<Future<Outcome>> outcomes;
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            outcomes = java.util.stream.IntStream.range(0, batches)
                .mapToObj(batch -> threads.submit(() -> allocator.allocate(demands(1, null))))
                .toList();
        }
        for (Future<Outcome> outcome : outcomes) {
            assertThat(outcome.get()).isInstanceOf(Outcome.Refused.class);
        }

        assertThat(registry.get("counter.fences").counter().count()).isEqualTo(1);
        assertThat(stored()).as("moved past the mark by one margin").isEqualTo(10 + MARGIN);
        standby.beforeAdd = () -> {
        };
        assertThat(served(allocator.allocate(demands(1, null)))).containsExactly(block(11 + MARGIN, 11 + MARGIN));
    }

    @Test
    void aKeyedBatchWhoseCommitOutcomeWasLostIsFailedAndItsRetryGetsTheBlockLeavingNoGap() {
        // Stand-in: the statement commits, but the client is told it failed, as a
        // connection lost right after PostgreSQL committed it
        CounterRepository lostReply = (CounterRepository) Proxy.newProxyInstance(
                CounterRepository.class.getClassLoader(), new Class<?>[] { CounterRepository.class },
                (proxy, method, args) -> {
                    Object result = PromotedStandby.call(repository, method, args);
                    if (method.getName().equals("addWithKeys")) {
                        throw new DataAccessResourceFailureException("connection lost after the commit");
                    }
                    return result;
                });
        Single lost = single(lostReply);
        assertThat(lost.allocate(demands(3, "k"))).isInstanceOf(Outcome.Failed.class);
        assertThat(lost.highWaterMark()).isZero();
        assertThat(registry.get("counter.numbers.issued").counter().count()).isZero();

        Single allocator = single(repository);
        assertThat(served(allocator.allocate(demands(3, "k")))).containsExactly(replayed(1, 3));
        assertThat(served(allocator.allocate(demands(1, "other")))).containsExactly(block(4, 4));
    }

    private Single single(CounterRepository repository) {
        return single(repository, properties(Map.of()), counter);
    }

    private Single single(CounterRepository repository, CounterProperties properties, String name) {
        return new Single(new CounterAllocator(name, CounterSettings.DEFAULT, repository, properties, meters, null),
                new BatchStatements(repository, properties));
    }

    /** Waits until all the barrier's parties are at it, for at most 10 seconds. */
    private static Runnable allAt(CyclicBarrier barrier) {
        return () -> {
            try {
                barrier.await(10, TimeUnit.SECONDS);
            }
            catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        };
    }

    /** One counter's allocator, and statements that serve it in batches of its own. */
    private record Single(CounterAllocator allocator, BatchStatements statements) {

        Outcome allocate(List<Demand> demands) {
            return statements.allocate(Map.of(allocator, demands)).get(allocator);
        }

        long highWaterMark() {
            return allocator.highWaterMark().value();
        }

    }

    private static CounterProperties properties(Map<String, String> settings) {
        Map<String, String> all = new java.util.HashMap<>(Map.of("counter.fence-margin", Long.toString(MARGIN)));
        all.putAll(settings);
        return new Binder(new MapConfigurationPropertySource(all)).bindOrCreate("counter", CounterProperties.class);
    }

    /** Demands from pairs of count and key. */
    static List<Demand> demands(Object... countsAndKeys) {
        return java.util.stream.IntStream.range(0, countsAndKeys.length / 2)
            .mapToObj(i -> new Demand((Integer) countsAndKeys[2 * i], (String) countsAndKeys[2 * i + 1], null))
            .toList();
    }

    /** The blocks of a committed outcome. */
    static List<Block> served(Outcome outcome) {
        assertThat(outcome).isInstanceOf(Outcome.Committed.class);
        return ((Outcome.Committed) outcome).results()
            .stream()
            .map(result -> ((Result.Served) result).block())
            .toList();
    }

    private Block block(long first, long last) {
        return new Block(counter, "", first, last, false);
    }

    private Block replayed(long first, long last) {
        return new Block(counter, "", first, last, true);
    }

    private long stored() {
        return database.queryForLong("SELECT value FROM counter WHERE name = '%s'".formatted(counter));
    }

    private void setStored(long value) {
        database.execute("UPDATE counter SET value = %d WHERE name = '%s'".formatted(value, counter));
    }

}
