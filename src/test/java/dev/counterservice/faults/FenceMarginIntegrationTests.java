package dev.counterservice.faults;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.AppProcess;
import dev.counterservice.testing.IssuedNumbers;
import dev.counterservice.testing.ReplicatedPostgres;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The case {@code counter.fence-margin} exists for, at its edge: after a failover to an
 * asynchronous standby, the numbers lost with the old primary were handed out by another
 * instance, all above the high-water mark of the instance that reaches the new primary
 * first. That instance fences from the larger of its mark and the new primary's value, so
 * the margin must cover exactly those numbers (docs/scaling.md): with a margin equal to
 * them, none is handed out twice. Run with coalescing on only: both modes fence through
 * the same statement, and each request here is alone in its batch.
 */
class FenceMarginIntegrationTests {

    private static final String COUNTER = "margin";

    private static final String NEXT = "/counters/" + COUNTER + "/next";

    /** The numbers the second instance hands out that the standby never receives. */
    private static final int LOST = 2 * 5;

    private static final long MARGIN = LOST;

    private final IssuedNumbers issued = new IssuedNumbers();

    @Test
    void aMarginEqualToTheNumbersLostAboveTheFencingInstancesMarkHandsOutNoNumberTwice() {
        try (ReplicatedPostgres pair = ReplicatedPostgres.start(false)) {
            TestDatabase database = pair.createDatabase(COUNTER);
            Map<String, String> properties = Map.of("counter.names", COUNTER, "counter.fence-margin",
                    Long.toString(MARGIN));
            try (AppInstance first = AppInstance.start(database, properties);
                    AppInstance second = AppInstance.start(database, properties)) {
                // Both instances know the primary; the first's mark is below all that
                // follows
                take(first, 3);
                take(second, 3);
                long replicated = pair.awaitStandbyReceivedAll();
                pair.stopStandbyImmediately();
                take(second, LOST / 2);
                take(second, LOST / 2);
                long lastAcknowledged = issued.max();

                pair.killPrimary();
                pair.startStandby();
                pair.awaitStandbyReplayed(replicated);
                pair.promoteStandby();
                long promoted = System.nanoTime();
                long promotedValue = pair.primary(COUNTER).queryForLong(valueQuery());
                assertThat(lastAcknowledged - promotedValue).as("numbers lost with the old primary, all the second's")
                    .isEqualTo(LOST);

                // The first instance meets the new primary first: it answers 503 until it
                // has fenced, then serves
                for (int request = 0; request < 5; request++) {
                    take(first, 1);
                }
                take(second, 1);
                System.out.printf(
                        "[fence margin %d] numbers %d..%d lost with the old primary; after the failover the"
                                + " lowest number handed out was %d%n",
                        MARGIN, promotedValue + 1, lastAcknowledged,
                        issued.issues()
                            .stream()
                            .filter(issue -> issue.sentNanos() > promoted)
                            .mapToLong(IssuedNumbers.Issue::first)
                            .min()
                            .orElseThrow());

                assertThat(issued.duplicates()).as("numbers handed out twice").isEmpty();
                assertThat(issued.guaranteeViolations(pair.primary(COUNTER).queryForLong(valueQuery()))).isEmpty();
            }
        }
    }

    /**
     * Asks for {@code count} numbers until they come; meanwhile (while the instance finds
     * the new primary and fences) only a 503 is allowed, for at most ten seconds.
     */
    private void take(AppInstance instance, int count) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            long sent = System.nanoTime();
            HttpResponse<String> response = instance.send("GET", NEXT + "?count=" + count);
            if (response.statusCode() == 200) {
                List<Long> numbers = response.body().lines().map(Long::parseLong).toList();
                assertThat(numbers).hasSize(count);
                issued.record(-1, sent, System.nanoTime(), numbers.getFirst(), numbers.getLast());
                return;
            }
            assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
            assertThat(System.nanoTime()).as("serving again within 10 s").isLessThan(deadline);
            AppProcess.sleep(Duration.ofMillis(50));
        }
    }

    private static String valueQuery() {
        return "SELECT value FROM counter WHERE name = '" + COUNTER + "'";
    }

}
