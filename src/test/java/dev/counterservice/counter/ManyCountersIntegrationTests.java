package dev.counterservice.counter;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.zaxxer.hikari.HikariDataSource;
import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.AppProcess;
import dev.counterservice.testing.LoadTesterRun;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A thousand counters at once, through the shared coalescing pair on the shared
 * PostgreSQL: the project's load tester ({@code bench/LoadTest.java --counters 1000})
 * spreads 64 clients over them and checks every counter's numbers apart, while the test
 * samples what the instances hold: a few batch threads and connections, not one per
 * counter; and the metrics name only the configured counters and
 * {@value CounterMeters#OTHER}.
 */
class ManyCountersIntegrationTests {

    private static final int SECONDS = 5;

    private static final Pattern COUNTER_LABEL = Pattern.compile("(?m)^counter_\\w+\\{[^}]*counter=\"([^\"]*)\"");

    private final List<AppInstance> pair = AppInstance.sharedPair(true);

    @Test
    void aThousandCountersUnderLoadPassTheCheckerEachWithAFewThreadsAndConnections() throws Exception {
        // Other instances of this JVM (cached test contexts) keep idle batch threads
        int before = batchThreads();
        AtomicInteger mostThreads = new AtomicInteger(before);
        AtomicInteger mostConnections = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread sampler = Thread.ofVirtual().start(() -> {
            while (running.get()) {
                mostThreads.accumulateAndGet(batchThreads(), Math::max);
                for (AppInstance instance : pair) {
                    mostConnections.accumulateAndGet(instance.context()
                        .getBean(HikariDataSource.class)
                        .getHikariPoolMXBean()
                        .getActiveConnections(), Math::max);
                }
                AppProcess.sleep(Duration.ofMillis(20));
            }
        });

        LoadTesterRun run = LoadTesterRun.fromSource(Duration.ofSeconds(SECONDS + 180),
                List.of("--url", pair.getFirst().baseUrl(), "--url", pair.getLast().baseUrl(), "--clients", "64",
                        "--duration", Integer.toString(SECONDS), "--counter", "many", "--counters", "1000"));
        running.set(false);
        sampler.join();

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.resultLine()).contains(" errors=0 ", " violations=0 ", " counters=1000 counters_failed=0 ",
                "verdict=PASS");
        assertThat(run.field("ok")).as("more requests than counters").isGreaterThan(1000);
        // Each instance: counter.coalescing.concurrent-batches (2) batch threads, and
        // their connections beside one lookup's
        assertThat(mostThreads.get() - before).as("batch threads the run added to the %d there were", before)
            .isLessThanOrEqualTo(4);
        assertThat(mostThreads.get()).as("batch threads").isPositive();
        assertThat(mostConnections.get()).as("active connections of one instance").isPositive().isLessThanOrEqualTo(3);
        assertThat(labelledCounters(pair.getFirst())).as("counter tags exported")
            .containsExactlyInAnyOrder("default", "orders", "huge", "contended", "soak", CounterMeters.OTHER);
    }

    /**
     * The platform threads of this JVM that send batches: the shared instances' and any
     * other running one's.
     */
    private static int batchThreads() {
        return (int) Thread.getAllStackTraces()
            .keySet()
            .stream()
            .filter(thread -> thread.getName().startsWith("coalescer-"))
            .count();
    }

    /** Every value of the label counter on the instance's counter_* series. */
    private static Set<String> labelledCounters(AppInstance instance) {
        Set<String> counters = new TreeSet<>();
        Matcher label = COUNTER_LABEL.matcher(instance.management("/actuator/prometheus").body());
        while (label.find()) {
            counters.add(label.group(1));
        }
        return counters;
    }

}
