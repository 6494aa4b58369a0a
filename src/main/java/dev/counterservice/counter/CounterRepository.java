package dev.counterservice.counter;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.Repository;
import org.springframework.data.repository.query.Param;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The one way to the database. Statements that write are marked {@code @Transactional}
 * because Spring Data runs query methods read-only by default; those of a batch with
 * {@code Idempotency-Key}s join the transaction {@link CounterAllocator} opens, and a
 * batch without runs {@link #add} alone.
 */
interface CounterRepository extends Repository<CounterRow, String> {

    /**
     * The server a statement ran on: its system identifier and current timeline. A
     * promoted standby keeps the identifier and starts a new timeline; a different
     * cluster has another identifier.
     */
    String SERVER = "(SELECT system_identifier FROM pg_control_system()) || '/' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)";

    /**
     * A condition that bounds the statement's wait for a row lock held elsewhere: it sets
     * PostgreSQL's {@code lock_timeout} for the transaction before the row is locked, so
     * that a batch queued behind a lock held elsewhere gives up once its requests have
     * been answered 503. In the statement itself, not as a JDBC query timeout, which
     * schedules a task on the driver's shared timer for every statement on the path every
     * request waits on (docs/benchmarks.md), nor as a connection option, which PgBouncer
     * refuses.
     */
    String LOCK_TIMEOUT = "set_config('lock_timeout', :lockTimeout, true) IS NOT NULL";

    /**
     * Adds {@code count} to the counter, taking its row lock, but only where that is
     * safe: on the {@code server} expected (any, if it is empty), on a value not below
     * {@code mark} and without passing bigint's maximum. In a transaction the lock is
     * held until it ends; alone, PostgreSQL commits the statement before it answers.
     * Every batch, from every instance, thus runs after the one before it has committed,
     * and sees all that one wrote. The wait for the lock is bounded by
     * {@code lockTimeout} milliseconds ({@link #LOCK_TIMEOUT}).
     * @return the new value, the last number of the reserved block (null if the counter
     * did not move), the value it held when the statement began (null if it does not
     * exist), and the server the statement ran on
     */
    @Transactional(propagation = Propagation.SUPPORTS)
    @Query(nativeQuery = true, value = "WITH here AS (SELECT " + SERVER + " AS server), moved AS ("
            + " UPDATE counter SET value = value + :count"
            + " WHERE name = :name AND value <= 9223372036854775807 - :count AND value >= :mark"
            + " AND (:server = '' OR :server = (SELECT server FROM here)) AND " + LOCK_TIMEOUT + " RETURNING value)"
            + " SELECT (SELECT value FROM moved) AS value, (SELECT value FROM counter WHERE name = :name) AS held,"
            + " server FROM here")
    Attempt add(@Param("name") String name, @Param("count") long count, @Param("mark") long mark,
            @Param("server") String server, @Param("lockTimeout") String lockTimeout);

    /**
     * Takes the counter's row lock for the rest of the transaction, as {@link #add}
     * would, so that the keys read next include every key committed before it; and plans
     * the transaction's further statements for their parameters: a generic plan of
     * {@link #findKeys}, cached while the table was small, would filter every key of the
     * counter row by row once it has grown (32 ms against 0.04 ms at 40,000 keys,
     * docs/benchmarks.md). The wait for the lock is bounded as {@link #add}'s is.
     * @return the stored value, empty if the counter does not exist (its {@link #add}
     * then says so)
     */
    @Transactional
    @Query(nativeQuery = true, value = "SELECT value FROM counter WHERE name = :name AND " + LOCK_TIMEOUT
            + " AND set_config('plan_cache_mode', 'force_custom_plan', true) IS NOT NULL FOR NO KEY UPDATE")
    Optional<Long> lock(@Param("name") String name, @Param("lockTimeout") String lockTimeout);

    /**
     * The blocks already reserved for some of {@code keys}, read under the lock. One
     * statement text whatever the number of keys, so that it is parsed and prepared once.
     */
    @Transactional
    @Query(nativeQuery = true, value = "SELECT key, count, first FROM idempotency_key"
            + " WHERE counter = :counter AND key = ANY(CAST(:keys AS text[]))")
    List<StoredKey> findKeys(@Param("counter") String counter, @Param("keys") String[] keys);

    /**
     * Records the blocks of a batch's keyed requests, in one statement of the batch's
     * transaction.
     */
    @Transactional
    @Modifying
    @Query(nativeQuery = true,
            value = """
                    INSERT INTO idempotency_key (counter, key, count, first)
                    SELECT :counter, key, count, first FROM unnest(CAST(:keys AS text[]), CAST(:counts AS integer[]), CAST(:firsts AS bigint[]))
                        AS batch(key, count, first)""")
    void saveKeys(@Param("counter") String counter, @Param("keys") String[] keys, @Param("counts") Integer[] counts,
            @Param("firsts") Long[] firsts);

    /**
     * Deletes up to {@code limit} keys older than {@code seconds}; returns how many it
     * deleted.
     */
    @Transactional
    @Modifying
    @Query(nativeQuery = true,
            value = """
                    DELETE FROM idempotency_key WHERE ctid IN (
                        SELECT ctid FROM idempotency_key WHERE created_at < now() - make_interval(secs => :seconds) LIMIT :limit)""")
    int purgeKeys(@Param("seconds") long seconds, @Param("limit") int limit);

    /**
     * Moves the counter past {@code mark} and past its stored value by {@code margin}, so
     * that nothing handed out before a failover can be handed out again: see
     * {@link CounterAllocator#allocate}.
     * @return the new value, empty if the counter would pass bigint's maximum
     */
    @Transactional
    @Query(nativeQuery = true,
            value = "WITH fenced AS (UPDATE counter SET value = GREATEST(value, :mark) + :margin"
                    + " WHERE name = :name AND GREATEST(value, :mark) <= 9223372036854775807 - :margin AND "
                    + LOCK_TIMEOUT + " RETURNING value) SELECT value, " + SERVER + " AS server FROM fenced")
    Optional<Stored> fence(@Param("name") String name, @Param("mark") long mark, @Param("margin") long margin,
            @Param("lockTimeout") String lockTimeout);

    /**
     * Creates the counter at 0 unless it exists; safe for several instances starting at
     * once.
     */
    @Transactional
    @Modifying
    @Query(nativeQuery = true,
            value = "INSERT INTO counter (name, value) VALUES (:name, 0) ON CONFLICT (name) DO NOTHING")
    void createIfMissing(@Param("name") String name);

    Optional<CounterRow> findById(String name);

    List<CounterRow> findByNameInOrderByName(Collection<String> names);

    /**
     * The replication settings of the server this connection reaches, for readiness; also
     * its ping.
     */
    @Query(nativeQuery = true, value = """
            SELECT current_setting('synchronous_commit') AS "synchronousCommit",
                   current_setting('synchronous_standby_names') AS "synchronousStandbyNames",
                   (SELECT count(*) FROM pg_stat_replication) AS standbys""")
    Replication replication();

    /** What {@link #add} did. */
    interface Attempt {

        Long getValue();

        Long getHeld();

        String getServer();

    }

    /** A counter's value and the server that wrote it. */
    interface Stored {

        long getValue();

        String getServer();

    }

    /** The block reserved for an {@code Idempotency-Key}. */
    interface StoredKey {

        String getKey();

        int getCount();

        long getFirst();

    }

    interface Replication {

        String getSynchronousCommit();

        String getSynchronousStandbyNames();

        long getStandbys();

    }

}
