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
 * because Spring Data runs query methods read-only by default; those of a batch
 * ({@link CounterAllocator}) run without a transaction of their own
 * ({@code Propagation.SUPPORTS}): PostgreSQL commits each before it answers, in one round
 * trip.
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

    /** The server a statement runs on, as a first CTE named {@code here}. */
    String HERE = "WITH here AS (SELECT " + SERVER + " AS server)";

    /**
     * Where it is safe to move the counter by {@code :count}: on the {@code :server}
     * expected (any, if empty), from a value not below {@code :mark}, without passing
     * bigint's maximum; and it takes the row lock within {@link #LOCK_TIMEOUT}.
     */
    String SAFE = "name = :name AND value <= 9223372036854775807 - :count AND value >= :mark"
            + " AND (:server = '' OR :server = (SELECT server FROM here)) AND " + LOCK_TIMEOUT;

    /** What {@link Attempt} reads, once a CTE {@code moved} returned the new value. */
    String ATTEMPT = " SELECT (SELECT value FROM moved) AS value,"
            + " (SELECT value FROM counter WHERE name = :name) AS held, server";

    /**
     * The blocks stored for any of {@code :keys}: one primary key lookup per key in any
     * plan, also in the generic plan PostgreSQL caches for a prepared statement (a lookup
     * written {@code key = ANY(:keys)} got one that filtered every key of the counter row
     * by row once the table had grown: 32 ms against 0.04 ms at 40,000 keys,
     * docs/benchmarks.md). One statement text whatever the number of keys.
     */
    String STORED = " FROM unnest(CAST(:keys AS text[])) AS wanted(key), LATERAL (SELECT key, count, first"
            + " FROM idempotency_key WHERE counter = :name AND key = wanted.key LIMIT 1) AS stored";

    /**
     * Adds {@code count} to the counter, taking its row lock, but only where that is safe
     * ({@link #SAFE}). PostgreSQL commits the statement before it answers: every batch,
     * from every instance, thus runs after the one before it has committed, and sees all
     * that one wrote.
     * @return the new value, the last number of the reserved block (null if the counter
     * did not move), the value it held when the statement began (null if it does not
     * exist), and the server the statement ran on
     */
    @Transactional(propagation = Propagation.SUPPORTS)
    @Query(nativeQuery = true, value = HERE + ", moved AS (UPDATE counter SET value = value + :count WHERE " + SAFE
            + " RETURNING value)" + ATTEMPT + " FROM here")
    Attempt add(@Param("name") String name, @Param("count") long count, @Param("mark") long mark,
            @Param("server") String server, @Param("lockTimeout") String lockTimeout);

    /**
     * {@link #add}, and in the same statement stores the blocks of {@code keys}: key i's
     * block is {@code counts[i]} numbers from {@code starts[i]} past the value the
     * counter held (1: the first number the add reserved). It moves nothing if any of the
     * keys is stored already ({@link KeyedAttempt#getKnown}); and a key stored by another
     * statement while this one waited for the row lock violates the primary key: the
     * statement fails whole, and nothing moves.
     */
    @Transactional(propagation = Propagation.SUPPORTS)
    @Query(nativeQuery = true,
            value = HERE + ", known AS (SELECT EXISTS (SELECT" + STORED + ") AS found),"
                    + " moved AS (UPDATE counter SET value = value + :count WHERE NOT (SELECT found FROM known) AND "
                    + SAFE + " RETURNING value), stored AS (INSERT INTO idempotency_key (counter, key, count, first)"
                    + " SELECT :name, key, count, (SELECT value FROM moved) - :count + start"
                    + " FROM unnest(CAST(:keys AS text[]), CAST(:counts AS integer[]), CAST(:starts AS bigint[]))"
                    + " AS batch(key, count, start) WHERE EXISTS (SELECT FROM moved))" + ATTEMPT
                    + ", (SELECT found FROM known) AS known FROM here")
    KeyedAttempt addWithKeys(@Param("name") String name, @Param("count") long count, @Param("mark") long mark,
            @Param("server") String server, @Param("lockTimeout") String lockTimeout, @Param("keys") String[] keys,
            @Param("counts") Integer[] counts, @Param("starts") Long[] starts);

    /** The blocks already stored for some of {@code keys}. */
    @Transactional(propagation = Propagation.SUPPORTS)
    @Query(nativeQuery = true, value = "SELECT stored.key, stored.count, stored.first" + STORED)
    List<StoredKey> findKeys(@Param("name") String counter, @Param("keys") String[] keys);

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

    /** What {@link #addWithKeys} did. */
    interface KeyedAttempt extends Attempt {

        /** Whether any of the keys was stored already, so that nothing moved. */
        boolean getKnown();

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
