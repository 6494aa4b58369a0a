package dev.counterservice.counter;

import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Limit;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.Repository;
import org.springframework.data.repository.query.Param;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The one way to the database. Statements that write are marked {@code @Transactional}
 * because Spring Data runs query methods read-only by default; those of a batch
 * ({@link BatchStatements}) run without a transaction of their own
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
     * The key of the advisory lock that serializes creations ({@link #lockCreations}), an
     * arbitrary constant of this service.
     */
    String CREATION_LOCK = "7306195236101362";

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
     * Whether the database confirms that a commit cannot be lost by a failover, as an
     * audited counter needs: no standby streams from it, or commits wait for a
     * synchronous one ({@code synchronous_standby_names} set and
     * {@code synchronous_commit} neither off nor local). Every role sees how many WAL
     * senders there are, without {@code pg_monitor}.
     */
    String REPLICATED = "((SELECT count(*) FROM pg_stat_get_wal_senders()) = 0"
            + " OR (current_setting('synchronous_standby_names') <> ''"
            + " AND current_setting('synchronous_commit') NOT IN ('off', 'local')))";

    /**
     * The period of a locked counter {@code l} now, by the database's clock read under
     * the row lock, and never before the period its row holds: the greater of the two, in
     * the "C" collation, in which the fixed-width keys of {@link Period} sort as time
     * does. Empty for a counter without a period.
     */
    String PERIOD_NOW = "GREATEST(l.current_period, COALESCE(to_char(clock_timestamp() AT TIME ZONE l.time_zone,"
            + " CASE l.period WHEN 'yearly' THEN 'YYYY' WHEN 'monthly' THEN 'YYYY-MM' WHEN 'daily' THEN 'YYYY-MM-DD'"
            + " END), '') COLLATE \"C\")";

    /**
     * The counters {@code :names} that exist, locked one after another in the order of
     * their names: PostgreSQL locks the rows of a {@code FOR NO KEY UPDATE} after sorting
     * them, and the value it returns is the one under the lock. A name never changes, so
     * the order is the same for every instance.
     */
    String LOCKED = "SELECT name, value, current_period, period, time_zone, audit FROM counter"
            + " WHERE name = ANY(CAST(:names AS text[])) AND " + LOCK_TIMEOUT + " ORDER BY name FOR NO KEY UPDATE";

    /**
     * The first CTEs of a batch's statement: the server it runs on and whether it
     * confirms its commits ({@code here}), each counter's demand ({@code demand}: its
     * total, mark and the server expected), the counters that exist, locked
     * ({@code locked}, {@link #LOCKED}), and where each moves from ({@code step}: its
     * period now, and the value it holds in it, 0 in a new period).
     */
    String BATCH = "WITH here AS (SELECT " + SERVER + " AS server), replication AS (SELECT " + REPLICATED
            + " AS confirmed)," + " demand AS (SELECT * FROM unnest(CAST(:names AS text[]), CAST(:totals AS bigint[]),"
            + " CAST(:marks AS bigint[]), CAST(:markPeriods AS text[]), CAST(:servers AS text[]))"
            + " AS d(name, total, mark, mark_period, expected))," + " locked AS MATERIALIZED (" + LOCKED + "),"
            + " step AS (SELECT l.*, n.period AS new_period,"
            + " CASE WHEN n.period > l.current_period THEN 0 ELSE l.value END AS base"
            + " FROM locked l, LATERAL (SELECT " + PERIOD_NOW + " AS period) n)";

    /**
     * Adds each counter's total ({@code c} aliased, {@code s} its step, {@code d} its
     * demand) where that is safe: on the server expected for it (any, if it is empty),
     * from a stored (period, value) not below its mark, without passing bigint's maximum,
     * and for an audited counter only while the server confirms its commits
     * ({@link #REPLICATED}); each guard judged on the row under the lock.
     */
    String MOVE = "UPDATE counter c SET value = s.base + d.total, current_period = s.new_period"
            + " FROM step s JOIN demand d USING (name)"
            + " WHERE c.name = s.name AND s.base <= 9223372036854775807 - d.total"
            + " AND (s.current_period, s.value) >= (d.mark_period COLLATE \"C\", d.mark)"
            + " AND (d.expected = '' OR d.expected = (SELECT server FROM here))"
            + " AND (NOT s.audit OR (SELECT confirmed FROM replication))";

    /** What {@link #MOVE} returns of each counter it moved. */
    String MOVED = " RETURNING c.name, c.value, c.current_period AS period";

    /**
     * Records the blocks {@code :blockCounters[i]} etc. of audited counters in the
     * ledger, in the statement that reserves them: block i of counter
     * {@code blockCounters[i]} has {@code blockCounts[i]} numbers from
     * {@code blockStarts[i]} past the value that counter held, with its key and the
     * token's subject (either may be null); only the blocks of the counters that moved.
     */
    String RECORDED = " recorded AS (INSERT INTO ledger (counter, period, first, last, kind, idempotency_key, subject)"
            + " SELECT b.counter, m.period, m.value - d.total + b.start, m.value - d.total + b.start + b.count - 1,"
            + " 'issued', b.key, b.subject FROM unnest(CAST(:blockCounters AS text[]), CAST(:blockStarts AS bigint[]),"
            + " CAST(:blockCounts AS integer[]), CAST(:blockKeys AS text[]), CAST(:blockSubjects AS text[]))"
            + " AS b(counter, start, count, key, subject) JOIN moved m ON m.name = b.counter"
            + " JOIN demand d ON d.name = b.counter)";

    /**
     * What {@link Attempt} reads per counter, once a CTE {@code moved} returned the new
     * values.
     */
    String ATTEMPT = " SELECT d.name, m.value, m.period, l.value AS held, l.current_period AS \"heldPeriod\","
            + " (SELECT server FROM here) AS server,"
            + " CASE WHEN l.audit THEN (SELECT confirmed FROM replication) ELSE true END AS replicated";

    /** The rows {@link #ATTEMPT} reads from: one per counter of the batch. */
    String PER_COUNTER = " FROM demand d LEFT JOIN locked l USING (name) LEFT JOIN moved m USING (name)";

    /**
     * The blocks stored for any of the pairs {@code :keyCounters[i], :keys[i]}: one
     * primary key lookup per pair in any plan, also in the generic plan PostgreSQL caches
     * for a prepared statement (a lookup written {@code key = ANY(:keys)} got one that
     * filtered every key of the counter row by row once the table had grown: 32 ms
     * against 0.04 ms at 40,000 keys, docs/benchmarks.md). One statement text whatever
     * the number of keys.
     */
    String STORED = " FROM unnest(CAST(:keyCounters AS text[]), CAST(:keys AS text[])) AS wanted(counter, key),"
            + " LATERAL (SELECT counter, key, count, first, period FROM idempotency_key"
            + " WHERE counter = wanted.counter AND key = wanted.key LIMIT 1) AS stored";

    /**
     * Adds each counter's {@code total} to it, taking the row locks in the order of the
     * names (every statement that locks several counters does, so that instances cannot
     * deadlock), but only for the counters where that is safe ({@link #MOVE}). PostgreSQL
     * commits the statement before it answers: every batch, from every instance, thus
     * runs after the one before it on the same counter has committed, and sees all that
     * one wrote. The wait for the locks is bounded by {@code lockTimeout} milliseconds
     * ({@link #LOCK_TIMEOUT}).
     * @return per counter: the new value, the last number of its reserved block (null if
     * it did not move), the value it held under the lock (null if it does not exist), and
     * the server the statement ran on
     */
    @Transactional(propagation = Propagation.SUPPORTS)
    @Query(nativeQuery = true, value = BATCH + ", moved AS (" + MOVE + MOVED + ")," + RECORDED + ATTEMPT + PER_COUNTER)
    List<Attempt> add(@Param("names") String[] names, @Param("totals") Long[] totals, @Param("marks") Long[] marks,
            @Param("markPeriods") String[] markPeriods, @Param("servers") String[] servers,
            @Param("lockTimeout") String lockTimeout, @Param("blockCounters") String[] blockCounters,
            @Param("blockStarts") Long[] blockStarts, @Param("blockCounts") Integer[] blockCounts,
            @Param("blockKeys") String[] blockKeys, @Param("blockSubjects") String[] blockSubjects);

    /**
     * {@link #add}, and in the same statement stores the blocks of the keys: key i of
     * counter {@code keyCounters[i]} gets {@code counts[i]} numbers from
     * {@code starts[i]} past the value that counter held (1: the first number its add
     * reserved); only the keys of the counters that moved are stored. Nothing moves if
     * any of the keys is stored already ({@link KeyedAttempt#getKnown}); and a key stored
     * by another statement while this one waited for a row lock violates the primary key:
     * the statement fails whole, and nothing moves.
     */
    @Transactional(propagation = Propagation.SUPPORTS)
    @Query(nativeQuery = true,
            value = BATCH + ", known AS (SELECT EXISTS (SELECT" + STORED + ") AS found)," + " moved AS (" + MOVE
                    + " AND NOT (SELECT found FROM known)" + MOVED + ")," + RECORDED + ","
                    + " stored AS (INSERT INTO idempotency_key (counter, key, count, first, period)"
                    + " SELECT b.counter, b.key, b.count, m.value - d.total + b.start, m.period"
                    + " FROM unnest(CAST(:keyCounters AS text[]), CAST(:keys AS text[]), CAST(:counts AS integer[]),"
                    + " CAST(:starts AS bigint[])) AS b(counter, key, count, start)"
                    + " JOIN moved m ON m.name = b.counter JOIN demand d ON d.name = b.counter)" + ATTEMPT
                    + ", (SELECT found FROM known) AS known" + PER_COUNTER)
    List<KeyedAttempt> addWithKeys(@Param("names") String[] names, @Param("totals") Long[] totals,
            @Param("marks") Long[] marks, @Param("markPeriods") String[] markPeriods,
            @Param("servers") String[] servers, @Param("lockTimeout") String lockTimeout,
            @Param("blockCounters") String[] blockCounters, @Param("blockStarts") Long[] blockStarts,
            @Param("blockCounts") Integer[] blockCounts, @Param("blockKeys") String[] blockKeys,
            @Param("blockSubjects") String[] blockSubjects, @Param("keyCounters") String[] keyCounters,
            @Param("keys") String[] keys, @Param("counts") Integer[] counts, @Param("starts") Long[] starts);

    /**
     * The blocks already stored for some of the pairs {@code keyCounters[i], keys[i]}.
     */
    @Transactional(propagation = Propagation.SUPPORTS)
    @Query(nativeQuery = true,
            value = "SELECT stored.counter, stored.key, stored.count, stored.first, stored.period" + STORED)
    List<StoredKey> findKeys(@Param("keyCounters") String[] counters, @Param("keys") String[] keys);

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
     * Moves the counter past the (period, value) {@code markPeriod, mark} and past its
     * stored value by its own fence margin, or {@code margin} if it has none, so that
     * nothing handed out before a failover can be handed out again: see
     * {@link CounterAllocator#allocate}. An audited counter records the range it skips in
     * the ledger as {@code fenced}, in the same statement.
     * @return the new value, empty if the counter would pass bigint's maximum
     */
    @Transactional
    @Query(nativeQuery = true, value = "WITH locked AS MATERIALIZED (SELECT name, value, current_period, audit,"
            + " COALESCE(fence_margin, :margin) AS margin FROM counter WHERE name = :name AND " + LOCK_TIMEOUT
            + " FOR NO KEY UPDATE),"
            + " target AS (SELECT name, audit, margin, GREATEST(current_period, m.period) AS period,"
            + " CASE WHEN m.period > current_period THEN :mark WHEN m.period = current_period"
            + " THEN GREATEST(value, :mark) ELSE value END AS base"
            + " FROM locked, (SELECT CAST(:markPeriod AS text) COLLATE \"C\" AS period) m),"
            + " fenced AS (UPDATE counter c SET value = t.base + t.margin, current_period = t.period FROM target t"
            + " WHERE c.name = t.name AND t.base <= 9223372036854775807 - t.margin RETURNING c.value),"
            + " recorded AS (INSERT INTO ledger (counter, period, first, last, kind)"
            + " SELECT t.name, t.period, t.base + 1, t.base + t.margin, 'fenced' FROM target t"
            + " WHERE t.audit AND t.margin > 0 AND EXISTS (SELECT 1 FROM fenced))" + " SELECT value, " + SERVER
            + " AS server FROM fenced")
    Optional<Stored> fence(@Param("name") String name, @Param("markPeriod") String markPeriod, @Param("mark") long mark,
            @Param("margin") long margin, @Param("lockTimeout") String lockTimeout);

    /**
     * Creates the counter with its settings unless it exists: its value starts at
     * {@code start}. An audited counter's ledger gets, in the same statement, a
     * {@code skipped} row for the numbers 1 to {@code start} of its current period, which
     * it never hands out. Safe for several instances at once.
     * @return 1 if it was created, 0 if it existed
     */
    default int create(String name, CounterSettings settings) {
        return insert(name, settings.start(), settings.period().id(), settings.timeZone(), settings.format(),
                settings.audit(), settings.fenceMargin());
    }

    /** {@link #create}, the settings one by one. */
    @Transactional
    @Query(nativeQuery = true,
            value = "WITH created AS (INSERT INTO counter (name, value, start, period, time_zone, format, audit,"
                    + " fence_margin, current_period) SELECT :name, :start, :start, :period, :timeZone, :format, :audit,"
                    + " :fenceMargin, " + PERIOD_NOW + " FROM (SELECT '' COLLATE \"C\" AS current_period,"
                    + " CAST(:period AS text) AS period, CAST(:timeZone AS text) AS time_zone) l"
                    + " ON CONFLICT (name) DO NOTHING RETURNING name, start, current_period, audit),"
                    + " skipped AS (INSERT INTO ledger (counter, period, first, last, kind)"
                    + " SELECT name, current_period, 1, start, 'skipped' FROM created WHERE audit AND start > 0)"
                    + " SELECT CAST(count(*) AS integer) FROM created")
    int insert(@Param("name") String name, @Param("start") long start, @Param("period") String period,
            @Param("timeZone") String timeZone, @Param("format") String format, @Param("audit") boolean audit,
            @Param("fenceMargin") Long fenceMargin);

    /** Whether PostgreSQL knows the time zone {@code name}. */
    @Query(nativeQuery = true, value = "SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = :name)")
    boolean knowsTimeZone(@Param("name") String name);

    /**
     * Bounds the transaction's waits for locks to {@code lockTimeout} milliseconds, for
     * the statements that follow it.
     */
    @Transactional
    @Query(nativeQuery = true, value = "SELECT " + LOCK_TIMEOUT)
    boolean boundLockWaits(@Param("lockTimeout") String lockTimeout);

    /**
     * Takes the lock that every creation through the API holds until its transaction
     * ends, on any instance: the count of counters it reads next includes every counter
     * created before, so that the cap holds exactly.
     */
    @Transactional
    @Query(nativeQuery = true, value = "SELECT 1 FROM pg_advisory_xact_lock(" + CREATION_LOCK + ")")
    int lockCreations();

    /**
     * Moves the counter forward to {@code to}, and only forward: it stays where it is if
     * it holds {@code to} or more. The wait for the row lock is bounded as {@link #add}'s
     * is. A counter with a period moves within its period now ({@link #PERIOD_NOW}).
     * @return the new value (null if it did not move), the value under the lock (0 in a
     * new period) and the period; no row if the counter does not exist
     */
    @Transactional
    @Query(nativeQuery = true,
            value = "WITH locked AS MATERIALIZED (SELECT value, current_period, period, time_zone FROM counter"
                    + " WHERE name = :name AND " + LOCK_TIMEOUT + " FOR NO KEY UPDATE),"
                    + " step AS (SELECT CASE WHEN n.period > l.current_period THEN 0 ELSE l.value END AS held,"
                    + " n.period FROM locked l, LATERAL (SELECT " + PERIOD_NOW + " AS period) n),"
                    + " moved AS (UPDATE counter SET value = :to, current_period = (SELECT period FROM step)"
                    + " WHERE name = :name AND (SELECT held FROM step) < :to RETURNING value)"
                    + " SELECT (SELECT value FROM moved) AS value, held, period FROM step")
    Optional<Advance> advance(@Param("name") String name, @Param("to") long to,
            @Param("lockTimeout") String lockTimeout);

    Optional<CounterRow> findById(String name);

    /**
     * The counters among {@code names} that exist, in one statement for any number of
     * names.
     */
    @Query(nativeQuery = true, value = "SELECT * FROM counter WHERE name = ANY(CAST(:names AS text[]))")
    List<CounterRow> findExisting(@Param("names") String[] names);

    /** A page of the counters, by name. */
    List<CounterRow> findByNameGreaterThanOrderByName(String after, Limit limit);

    long count();

    /** The database server this connection reaches ({@link #SERVER}). */
    @Query(nativeQuery = true, value = "SELECT " + SERVER)
    String server();

    /**
     * The replication settings of the server this connection reaches, for readiness; also
     * its ping.
     */
    @Query(nativeQuery = true, value = """
            SELECT current_setting('synchronous_commit') AS "synchronousCommit",
                   current_setting('synchronous_standby_names') AS "synchronousStandbyNames",
                   (SELECT count(*) FROM pg_stat_replication) AS standbys""")
    Replication replication();

    /** What {@link #add} did to one counter. */
    interface Attempt {

        String getName();

        Long getValue();

        /** The period of the new value; null if it did not move. */
        String getPeriod();

        Long getHeld();

        /** The period of the value held under the lock. */
        String getHeldPeriod();

        String getServer();

        /**
         * Whether the server confirmed that its commits survive a failover
         * ({@link #REPLICATED}).
         */
        boolean getReplicated();

    }

    /** What {@link #addWithKeys} did to one counter. */
    interface KeyedAttempt extends Attempt {

        /**
         * Whether any key of the batch was stored already, so that no counter moved.
         */
        boolean getKnown();

    }

    /** A counter's value and the server that wrote it. */
    interface Stored {

        long getValue();

        String getServer();

    }

    /** The block reserved for an {@code Idempotency-Key} of a counter. */
    interface StoredKey {

        String getCounter();

        String getKey();

        int getCount();

        long getFirst();

        String getPeriod();

    }

    /** What {@link #advance} did. */
    interface Advance {

        Long getValue();

        long getHeld();

        String getPeriod();

    }

    interface Replication {

        String getSynchronousCommit();

        String getSynchronousStandbyNames();

        long getStandbys();

    }

}
