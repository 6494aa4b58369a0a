package dev.counterservice.counter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import org.awaitility.Awaitility;

import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.transaction.support.SimpleTransactionStatus;
import org.springframework.transaction.support.TransactionCallback;
import org.springframework.transaction.support.TransactionOperations;

/**
 * The database {@link RequestCoalescerTests} runs the coalescer against: one counter row
 * on a database server that can fail over, with transactions: a transaction holds the row
 * lock from begin to end and is undone on rollback. Every UPDATE waits until the test
 * releases the database.
 */
final class FakeCounterDatabase implements CounterRepository, TransactionOperations {

    record Row(long getValue, String getServer) implements CounterRepository.Stored {
    }

    record Moved(Long getValue, Long getHeld, String getServer) implements CounterRepository.Attempt {
    }

    record Key(String getKey, int getCount, long getFirst) implements CounterRepository.StoredKey {
    }

    final List<Long> updates = Collections.synchronizedList(new ArrayList<>());

    final List<Long> fences = Collections.synchronizedList(new ArrayList<>());

    final Map<String, Key> keys = new ConcurrentHashMap<>();

    volatile long value;

    private volatile String server = "primary";

    private final ReentrantLock rowLock = new ReentrantLock();

    private final CountDownLatch released = new CountDownLatch(1);

    private int transactions;

    private volatile int failingCommit;

    /** Runs after each statement that moved the counter. */
    volatile Runnable afterMove = () -> {
    };

    @Override
    public <T> T execute(TransactionCallback<T> action) {
        rowLock.lock();
        try {
            long valueBefore = value;
            Map<String, Key> keysBefore = Map.copyOf(keys);
            int transaction = ++transactions;
            SimpleTransactionStatus status = new SimpleTransactionStatus();
            T result;
            try {
                result = action.doInTransaction(status);
            }
            catch (RuntimeException ex) {
                rollBack(valueBefore, keysBefore);
                throw ex;
            }
            if (status.isRollbackOnly()) {
                rollBack(valueBefore, keysBefore);
            }
            else if (transaction == failingCommit) {
                throw new DataAccessResourceFailureException("connection lost after COMMIT was sent");
            }
            return result;
        }
        finally {
            rowLock.unlock();
        }
    }

    private void rollBack(long valueBefore, Map<String, Key> keysBefore) {
        value = valueBefore;
        keys.clear();
        keys.putAll(keysBefore);
    }

    @Override
    public Attempt add(String name, long count, long mark, String expected, String lockTimeout) {
        updates.add(count);
        await(released);
        // Alone, the statement is a transaction of its own
        return rowLock.isHeldByCurrentThread() ? move(count, mark, expected)
                : execute(status -> move(count, mark, expected));
    }

    private Attempt move(long count, long mark, String expected) {
        long held = value;
        if ((expected.isEmpty() || expected.equals(server)) && held >= mark && held <= Long.MAX_VALUE - count) {
            value += count;
            Moved moved = new Moved(value, held, server);
            afterMove.run();
            return moved;
        }
        return new Moved(null, held, server);
    }

    @Override
    public void setValue(String name, long newValue) {
        value = newValue;
    }

    @Override
    public String planForTheKeysAtHand() {
        return "force_custom_plan";
    }

    @Override
    public List<StoredKey> findKeys(String counter, Collection<String> wanted) {
        return wanted.stream().map(keys::get).filter(key -> key != null).map(StoredKey.class::cast).toList();
    }

    @Override
    public void saveKeys(String counter, String[] names, Integer[] counts, Long[] firsts) {
        for (int i = 0; i < names.length; i++) {
            keys.put(names[i], new Key(names[i], counts[i], firsts[i]));
        }
    }

    @Override
    public Optional<Stored> fence(String name, long mark, long margin, String lockTimeout) {
        rowLock.lock();
        try {
            fences.add(mark);
            if (Math.max(value, mark) > Long.MAX_VALUE - margin) {
                return Optional.empty();
            }
            value = Math.max(value, mark) + margin;
            return Optional.of(new Row(value, server));
        }
        finally {
            rowLock.unlock();
        }
    }

    /**
     * Another server takes over, without the last {@code lost} numbers committed on the
     * old one.
     */
    void failOver(String newServer, long lost) {
        rowLock.lock();
        try {
            server = newServer;
            value -= lost;
            keys.values().removeIf(key -> key.getFirst() > value);
        }
        finally {
            rowLock.unlock();
        }
    }

    void release() {
        released.countDown();
    }

    /**
     * The n-th transaction (from 1) commits, but its caller is told it failed, as a
     * connection lost then is.
     */
    void failCommit(int n) {
        failingCommit = n;
    }

    void awaitUpdates(int count) {
        Awaitility.await(count + " updates")
            .atMost(Duration.ofSeconds(5))
            .pollInterval(Duration.ofMillis(5))
            .until(() -> updates.size() >= count);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public int purgeKeys(long seconds, int limit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void createIfMissing(String name) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Optional<CounterRow> findById(String name) {
        throw new UnsupportedOperationException();
    }

    @Override
    public List<CounterRow> findByNameInOrderByName(Collection<String> names) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Replication replication() {
        throw new UnsupportedOperationException();
    }

}
