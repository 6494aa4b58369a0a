package dev.counterservice.counter;

import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

/** The only code that moves a counter: one row-locked UPDATE per call, committed before it returns. */
@Repository
class CounterStore {

    private final JdbcClient jdbc;

    CounterStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Adds {@code count} to the counter and returns the new value, the last number of the reserved block.
     * The row lock serialises concurrent callers from every instance; reading the value back in the same
     * statement is what keeps two callers from ever seeing the same number.
     *
     * @return empty if the counter does not exist or would pass bigint's maximum (it is then unchanged)
     */
    @Transactional
    public Optional<Long> add(String name, long count) {
        return jdbc.sql("""
                        UPDATE counter SET value = value + :count
                        WHERE name = :name AND value <= 9223372036854775807 - :count
                        RETURNING value""")
                .param("name", name)
                .param("count", count)
                .query(Long.class)
                .optional();
    }

    /** Creates the counter at 0 unless it exists; safe for several instances starting at once. */
    @Transactional
    public void createIfMissing(String name) {
        jdbc.sql("INSERT INTO counter (name, value) VALUES (:name, 0) ON CONFLICT (name) DO NOTHING")
                .param("name", name)
                .update();
    }
}
