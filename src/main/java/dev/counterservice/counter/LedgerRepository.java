package dev.counterservice.counter;

import java.util.List;
import java.util.Optional;

import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.Repository;
import org.springframework.data.repository.query.Param;
import org.springframework.transaction.annotation.Transactional;

/**
 * The ledger of audited counters, as auditors read it and as voids add to it. Issued and
 * fenced rows are written by {@link CounterRepository}'s statements that move the
 * counter; nothing deletes or changes a row.
 */
interface LedgerRepository extends Repository<CounterRow, String> {

    /** A row as the API shows it: its time in ISO 8601, UTC. */
    String ENTRY = " kind, first, last, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at,"
            + " idempotency_key AS \"idempotencyKey\", subject, reason";

    /**
     * The rows of a period from the first past {@code after}, by first number, then kind.
     */
    @Query(nativeQuery = true, value = "SELECT" + ENTRY + " FROM ledger WHERE counter = :counter AND period = :period"
            + " AND first > :after ORDER BY first, kind LIMIT :limit")
    List<Entry> page(@Param("counter") String counter, @Param("period") String period, @Param("after") long after,
            @Param("limit") int limit);

    /**
     * Voids {@code value} of {@code period}, if a block issued holds it and it is not
     * voided yet (the primary key keeps it once).
     * @return the new row; empty if the number was never issued or is voided already
     */
    @Transactional
    @Query(nativeQuery = true, value = "INSERT INTO ledger (counter, period, first, last, kind, subject, reason)"
            + " SELECT :counter, :period, :value, :value, 'voided', :subject, :reason WHERE EXISTS (SELECT 1 FROM"
            + " (SELECT last FROM ledger WHERE counter = :counter AND period = :period AND kind = 'issued'"
            + " AND first <= :value ORDER BY first DESC LIMIT 1) issued WHERE issued.last >= :value)"
            + " ON CONFLICT DO NOTHING RETURNING" + ENTRY)
    Optional<Entry> voidNumber(@Param("counter") String counter, @Param("period") String period,
            @Param("value") long value, @Param("subject") String subject, @Param("reason") String reason);

    @Query(nativeQuery = true, value = "SELECT EXISTS (SELECT 1 FROM ledger WHERE counter = :counter"
            + " AND period = :period AND first = :value AND kind = 'voided')")
    boolean isVoided(@Param("counter") String counter, @Param("period") String period, @Param("value") long value);

    /** How many numbers of each kind a period has, and the highest not voided. */
    @Query(nativeQuery = true,
            value = "SELECT COALESCE(max(last) FILTER (WHERE kind <> 'voided'), 0) AS last,"
                    + " COALESCE(sum(last - first + 1) FILTER (WHERE kind = 'issued'), 0) AS issued,"
                    + " COALESCE(sum(last - first + 1) FILTER (WHERE kind = 'voided'), 0) AS voided,"
                    + " COALESCE(sum(last - first + 1) FILTER (WHERE kind = 'fenced'), 0) AS fenced,"
                    + " COALESCE(sum(last - first + 1) FILTER (WHERE kind = 'skipped'), 0) AS skipped"
                    + " FROM ledger WHERE counter = :counter AND period = :period")
    Totals totals(@Param("counter") String counter, @Param("period") String period);

    /**
     * The first {@code limit} ranges of a period below its highest issued or fenced
     * number that no issued or fenced row covers: each row's first number, against the
     * highest last number of the rows before it.
     */
    @Query(nativeQuery = true, value = "SELECT after + 1 AS first, first - 1 AS last FROM (SELECT first,"
            + " COALESCE(max(last) OVER (ORDER BY first ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS after"
            + " FROM ledger WHERE counter = :counter AND period = :period AND kind <> 'voided') covered"
            + " WHERE after + 1 < first ORDER BY first LIMIT :limit")
    List<Range> unexplained(@Param("counter") String counter, @Param("period") String period,
            @Param("limit") int limit);

    interface Entry {

        String getKind();

        long getFirst();

        long getLast();

        String getAt();

        String getIdempotencyKey();

        String getSubject();

        String getReason();

    }

    interface Totals {

        long getLast();

        long getIssued();

        long getVoided();

        long getFenced();

        long getSkipped();

    }

    interface Range {

        long getFirst();

        long getLast();

    }

}
