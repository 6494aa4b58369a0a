package dev.counterservice.counter;

import java.util.UUID;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

import dev.counterservice.testing.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The migration that brings {@code skipped} ledger rows also writes one for every audited
 * counter created with a start before it, in the period of its creation in its time zone.
 */
class LedgerSkippedMigrationIntegrationTests {

    @Test
    void anAuditedCounterCreatedBeforeItGetsItsSkippedRow() {
        // A schema of its own in the shared database, migrated from nothing
        TestDatabase database = TestDatabase.shared();
        String schema = "migration_" + UUID.randomUUID().toString().substring(0, 8);
        try {
            migrate(database, schema, "4");
            // Half an hour before 2026 in UTC is 2026 in Paris
            database.execute(
                    "INSERT INTO " + schema + ".counter (name, value, start, period, time_zone, audit, current_period,"
                            + " created_at) VALUES ('yearly', 1002, 1000, 'yearly', 'Europe/Paris', true, '2026',"
                            + " '2025-12-31T23:30:00Z'), ('plain', 7, 5, 'none', 'UTC', true, '', now()),"
                            + " ('unaudited', 7, 5, 'none', 'UTC', false, '', now()),"
                            + " ('from-zero', 7, 0, 'none', 'UTC', true, '', now())");

            migrate(database, schema, "latest");

            assertThat(database.queryForStrings("SELECT concat_ws(' ', counter, period, first, last, kind) FROM "
                    + schema + ".ledger" + " ORDER BY counter"))
                .containsExactly("plain  1 5 skipped", "yearly 2026 1 1000 skipped");
        }
        finally {
            database.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    private static void migrate(TestDatabase database, String schema, String target) {
        Flyway.configure()
            .dataSource(database.jdbcUrl(), database.username(), database.password())
            .schemas(schema)
            .target(target)
            .load()
            .migrate();
    }

}
