package dev.counterservice.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import dev.counterservice.testing.LoadTesterRun;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves the load tester's checks of a counter with periods: a fake daily counter moves
 * to the next day every {@value DailyCounter#PER_DAY} numbers, so that a one-second run
 * crosses many periods, and is either correct or wrong by going back a period, handing a
 * period's first number out twice, or formatting a text that is not its number.
 */
class LoadTestPeriodTests extends LoadTesterHarness {

    @Test
    void passesAKeyedCounterWithPeriodsAcrossPeriodChangesCreatingItWithTheSettingsGiven() throws Exception {
        DailyCounter counter = startDaily(DailyCounter.Fault.NONE);

        LoadTesterRun run = run("--counter", "series", "--counters", "1", "--period", "daily", "--time-zone",
                "Europe/Paris", "--format", "T-{period}-{value:04}", "--audit", "--idempotency-keys", "--count", "2");

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.resultLine()).contains(" violations=0 ", " malformed=0 ", " unanswered=0 ", " gaps=0 ",
                "gapless_checked=true", "verdict=PASS");
        assertThat(run.field("periods")).isGreaterThan(2);
        assertThat(run.field("replays")).isPositive();
        assertThat(counter.settings.get()).isEqualTo(
                "{\"period\":\"daily\",\"timeZone\":\"Europe/Paris\",\"format\":\"T-{period}-{value:04}\",\"audit\":true}");
    }

    @Test
    void reportsAPairThatGoesBackToTheEarlierPeriod() throws Exception {
        LoadTesterRun run = runDaily(DailyCounter.Fault.BACKWARDS);

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("duplicates")).isZero();
        assertThat(run.field("client_order") + run.field("realtime")).isPositive();
        assertThat(run.output()).containsPattern("got \\d+ in \\d{4}-\\d\\d-\\d\\d.* got \\d+ in \\d{4}-\\d\\d-\\d\\d");
    }

    @Test
    void reportsAPairHandedOutTwiceWhereAPeriodStarts() throws Exception {
        LoadTesterRun run = runDaily(DailyCounter.Fault.FIRST_TWICE);

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("duplicates")).as(run.output()).isPositive();
        assertThat(run.output()).containsPattern("duplicate: number 1 handed out twice: .* got 1 in \\d{4}-");
    }

    @Test
    void reportsAFormattedTextThatIsNotItsNumberAndAnAnswerWithoutAPeriod() throws Exception {
        LoadTesterRun run = runDaily(DailyCounter.Fault.WRONG_TEXT);

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.field("malformed")).isPositive();
        assertThat(run.output()).containsPattern("formatted T-\\S+ does not hold its number \\d+")
            .contains("with no period: ");
    }

    /**
     * A fake daily counter {@code series-0} that answers JSON as the service does, with
     * the formatted text of {@code T-{period}-{value:04}}: PUT keeps the settings sent,
     * GET gives the value and period, {@code /next} takes the next number (replaying a
     * key's answer), starting the next day at 1 after {@value #PER_DAY} numbers.
     */
    static final class DailyCounter {

        static final int PER_DAY = 100;

        enum Fault {

            NONE,
            /** Every 50th answer is a new number of the day before. */
            BACKWARDS,
            /** Each day's number 1 is handed out twice. */
            FIRST_TWICE,
            /**
             * Every 50th answer's text holds another number, every 70th names no period.
             */
            WRONG_TEXT

        }

        final AtomicReference<String> settings = new AtomicReference<>();

        final Map<String, String> bodies = new ConcurrentHashMap<>();

        private final Fault fault;

        private LocalDate day = LocalDate.of(2026, 12, 7);

        private long value;

        private long answers;

        private long late = PER_DAY;

        private LocalDate repeated;

        DailyCounter(Fault fault) {
            this.fault = fault;
        }

        synchronized String take(int count) {
            answers++;
            if (fault == Fault.BACKWARDS && answers % 50 == 0) {
                late += count;
                return answer(day.minusDays(1).toString(), late - count + 1, late, 0);
            }
            if (value + count > PER_DAY) {
                day = day.plusDays(1);
                value = 0;
            }
            long first = value + 1;
            value += count;
            long last = value;
            if (fault == Fault.FIRST_TWICE && first == 1 && !day.equals(repeated)) {
                repeated = day;
                value = 0;
            }
            String period = fault == Fault.WRONG_TEXT && answers % 70 == 0 ? null : day.toString();
            return answer(period, first, last, fault == Fault.WRONG_TEXT && answers % 50 == 0 ? 1 : 0);
        }

        synchronized String stored() {
            return "{\"counter\":\"series-0\",\"value\":" + value + ",\"start\":0,\"period\":\"daily\","
                    + "\"currentPeriod\":\"" + day + "\"}";
        }

        /** The JSON of a block, its formatted texts off by {@code skew}. */
        private static String answer(String period, long first, long last, long skew) {
            List<String> texts = new ArrayList<>();
            for (long number = first; number <= last; number++) {
                texts.add(String.format("\"T-%s-%04d\"", period, number + skew));
            }
            String named = period == null ? "" : ",\"period\":\"" + period + "\"";
            return first == last
                    ? "{\"counter\":\"series-0\"" + named + ",\"value\":" + first + ",\"formatted\":" + texts.getFirst()
                            + "}"
                    : "{\"counter\":\"series-0\"" + named + ",\"first\":" + first + ",\"last\":" + last + ",\"count\":"
                            + (last - first + 1) + ",\"formatted\":[" + String.join(",", texts) + "]}";
        }

    }

    /** A run against a faulty daily counter, without keys. */
    private LoadTesterRun runDaily(DailyCounter.Fault fault) throws IOException {
        startDaily(fault);
        return run("--counter", "series", "--counters", "1", "--period", "daily");
    }

    private DailyCounter startDaily(DailyCounter.Fault fault) throws IOException {
        DailyCounter counter = new DailyCounter(fault);
        start(exchange -> reply(exchange, 404, "{}", false));
        serve("/counters/series-0", exchange -> {
            if (exchange.getRequestMethod().equals("PUT")) {
                counter.settings.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                reply(exchange, 201, counter.stored(), false);
            }
            else if (exchange.getRequestURI().getPath().endsWith("/next")) {
                String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
                boolean stored = key != null && counter.bodies.containsKey(key);
                String body = key == null ? counter.take(count(exchange))
                        : counter.bodies.computeIfAbsent(key, k -> counter.take(count(exchange)));
                replyToKey(exchange, body, stored);
            }
            else {
                reply(exchange, 200, counter.stored(), false);
            }
        });
        return counter;
    }

}
