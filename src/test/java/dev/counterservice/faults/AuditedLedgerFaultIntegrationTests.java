package dev.counterservice.faults;

import java.time.Year;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.counterservice.testing.AppProcess;
import dev.counterservice.testing.LocalPostgres;
import dev.counterservice.testing.RetryingClients;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The audit ledger through faults: two instances serve an audited yearly counter to
 * clients that give every request an {@code Idempotency-Key} and retry it on the other
 * instance until it is answered ({@link RetryingClients}), through a PostgreSQL SIGKILL
 * and restart, and through an instance SIGKILLed and restarted. Afterwards, for the
 * period:
 * <ol>
 * <li>the exactly-once promise held for the clients (one block per key, no number twice,
 * real-time order, the keys' blocks cover the counter's new numbers without a gap);</li>
 * <li>every number of the period, 1 up to the counter's value, is in exactly one issued
 * or fenced row: the rows do not overlap and leave no gap, and the check says
 * complete;</li>
 * <li>the issued rows of the run are exactly the answered keys' blocks, key for key: no
 * block was recorded that was not handed out to the client whose key it carries (a block
 * committed while its answer was lost, to the SIGKILL or a timeout, was handed out to
 * that key's retry), and no block handed out is missing.</li>
 * </ol>
 */
class AuditedLedgerFaultIntegrationTests {

    private static final String NEXT = "/counters/invoice/next";

    private static final String PERIOD = Year.now(ZoneOffset.UTC).toString();

    private static LocalPostgres server;

    private static TestDatabase database;

    private static AppProcess first;

    private static AppProcess second;

    @BeforeAll
    static void start() {
        server = LocalPostgres.start();
        database = server.createDatabase("ledger");
        Map<String, String> properties = Map.of("counter.counters[0].name", "invoice", "counter.counters[0].period",
                "yearly", "counter.counters[0].audit", "true", "counter.timeout", "1s",
                "spring.datasource.hikari.connection-timeout", "1000");
        first = AppProcess.start(database, properties);
        second = AppProcess.start(database, properties);
        first.awaitReady(RetriedFaults.START);
        second.awaitReady(RetriedFaults.START);
    }

    @AfterAll
    static void stop() {
        first.close();
        second.close();
        server.close();
    }

    @Test
    void postgresKilledAndRestarted() {
        long before = stored();
        RetriedFaults.postgresKilledAndRestarted(server, List.of(first.baseUrl(), second.baseUrl()), NEXT,
                clients -> assertLedgerExplainsEveryNumber(clients, before));
    }

    @Test
    void anInstanceKilledWithSigkillAndRestarted() {
        long before = stored();
        first = RetriedFaults.instanceKilledAndRestarted(first, second, NEXT,
                clients -> assertLedgerExplainsEveryNumber(clients, before));
    }

    private static void assertLedgerExplainsEveryNumber(RetryingClients clients, long before) {
        long stored = stored();
        assertThat(clients.answers()).isNotEmpty();
        assertThat(clients.violations(before, stored)).isEmpty();

        String period = "counter = 'invoice' AND period = '%s'".formatted(PERIOD);
        assertThat(database.queryForLong(
                "SELECT COALESCE(sum(last - first + 1), 0) FROM ledger WHERE " + period + " AND kind <> 'voided'"))
            .as("numbers in issued or fenced rows")
            .isEqualTo(stored);
        assertThat(database.queryForLong("SELECT count(*) FROM (SELECT first, last, lag(last) OVER (ORDER BY first)"
                + " AS before FROM ledger WHERE " + period + " AND kind <> 'voided') rows"
                + " WHERE first <> COALESCE(before, 0) + 1"))
            .as("rows that overlap the one before or leave a gap")
            .isZero();
        assertThat(database.queryForLong("SELECT COALESCE(max(last), 0) FROM ledger WHERE " + period))
            .isEqualTo(stored);

        Map<String, String> answered = clients.answers()
            .stream()
            .collect(Collectors.toMap(RetryingClients.Answer::key, answer -> answer.first() + ".." + answer.last()));
        Map<String, String> recorded = new HashMap<>();
        for (String row : database.queryForStrings("SELECT idempotency_key || ' ' || first || '..' || last FROM ledger"
                + " WHERE " + period + " AND kind = 'issued' AND first > " + before)) {
            String[] keyAndBlock = row.split(" ");
            assertThat(recorded.put(keyAndBlock[0], keyAndBlock[1])).as("key %s recorded twice", keyAndBlock[0])
                .isNull();
        }
        assertThat(recorded).isEqualTo(answered);
    }

    private static long stored() {
        return database.queryForLong("SELECT value FROM counter WHERE name = 'invoice'");
    }

}
