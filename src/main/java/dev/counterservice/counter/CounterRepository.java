package dev.counterservice.counter;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.Repository;
import org.springframework.data.repository.query.Param;
import org.springframework.transaction.annotation.Transactional;

/**
 * The one way to the {@code counter} table. Statements that move a counter are marked {@code @Transactional}
 * because Spring Data runs query methods read-only by default; each commits before it returns.
 */
interface CounterRepository extends Repository<CounterRow, String> {

    /**
     * The server a statement ran on: its system identifier and current timeline. A promoted standby keeps the
     * identifier and starts a new timeline; a different cluster has another identifier.
     */
    String SERVER = "(SELECT system_identifier FROM pg_control_system()) || '/' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)";

    /**
     * Adds {@code count} to the counter; the new value is the last number of the reserved block. The row lock
     * serialises callers from every instance, and reading the value back in the same statement is what keeps two
     * callers from ever seeing the same number.
     *
     * @return empty if the counter does not exist or would pass bigint's maximum (it is then unchanged)
     */
    @Transactional
    @Query(nativeQuery = true, value = """
            WITH moved AS (
                UPDATE counter SET value = value + :count
                WHERE name = :name AND value <= 9223372036854775807 - :count
                RETURNING value)
            SELECT value, """ + SERVER + " AS server FROM moved")
    Optional<Reservation> add(@Param("name") String name, @Param("count") long count);

    /**
     * Moves the counter past {@code mark} and past its stored value by {@code margin}, so that nothing handed out
     * before a failover can be handed out again: see {@link RequestCoalescer}.
     *
     * @return the new value, empty if the counter would pass bigint's maximum
     */
    @Transactional
    @Query(nativeQuery = true, value = """
            WITH fenced AS (
                UPDATE counter SET value = GREATEST(value, :mark) + :margin
                WHERE name = :name AND GREATEST(value, :mark) <= 9223372036854775807 - :margin
                RETURNING value)
            SELECT value, """ + SERVER + " AS server FROM fenced")
    Optional<Reservation> fence(@Param("name") String name, @Param("mark") long mark, @Param("margin") long margin);

    /** Creates the counter at 0 unless it exists; safe for several instances starting at once. */
    @Transactional
    @Modifying
    @Query(nativeQuery = true, value = "INSERT INTO counter (name, value) VALUES (:name, 0) ON CONFLICT (name) DO NOTHING")
    void createIfMissing(@Param("name") String name);

    Optional<CounterRow> findById(String name);

    List<CounterRow> findByNameInOrderByName(Collection<String> names);

    /** The replication settings of the server this connection reaches, for readiness; also its ping. */
    @Query(nativeQuery = true, value = """
            SELECT current_setting('synchronous_commit') AS "synchronousCommit",
                   current_setting('synchronous_standby_names') AS "synchronousStandbyNames",
                   (SELECT count(*) FROM pg_stat_replication) AS standbys""")
    Replication replication();

    /** What a moving statement returned: the counter's new value and the server that committed it. */
    interface Reservation {

        long getValue();

        String getServer();
    }

    interface Replication {

        String getSynchronousCommit();

        String getSynchronousStandbyNames();

        long getStandbys();
    }
}
