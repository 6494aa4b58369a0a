package dev.counterservice.faults;

import java.time.Duration;
import java.util.List;

import dev.counterservice.counter.CounterProperties;
import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.AppProcess;
import dev.counterservice.testing.LoadClients;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Measures what the fence margin must cover: how far one busy instance's high-water mark
 * runs ahead of another's (the numbers one could hand out above the other's mark, and
 * lose in a failover). With 32 clients over two instances, the largest spread seen must
 * leave the default margin ten times the room.
 */
class FenceMarginIntegrationTests {

    private static final AppInstance first = AppInstance.sharedPair(true).getFirst();

    private static final AppInstance second = AppInstance.sharedPair(true).getLast();

    @ParameterizedTest(name = "count={0}")
    @ValueSource(ints = { 1, 1000 })
    void theSpreadBetweenBusyInstancesIsFarBelowTheDefaultMargin(int count) {
        try (LoadClients load = LoadClients.start(32, List.of(first.baseUrl(), second.baseUrl()),
                "/counters/spread/next?count=" + count)) {
            long spread = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < deadline) {
                spread = Math.max(spread, Math.abs(highWaterMark(first) - highWaterMark(second)));
                AppProcess.sleep(Duration.ofMillis(1));
            }
            load.close();
            long margin = first.context().getBean(CounterProperties.class).fenceMargin();
            System.out.printf(
                    "count=%d: largest spread between the instances' high-water marks %d, %d numbers handed out, default margin %d%n",
                    count, spread, load.numbers().count(), margin);

            assertThat(load.numbers().count()).isPositive();
            assertThat(spread * 10).isLessThan(margin);
        }
    }

    private static long highWaterMark(AppInstance instance) {
        return (long) instance.context()
            .getBean(MeterRegistry.class)
            .get("counter.high.water.mark")
            .tag("counter", "spread")
            .gauge()
            .value();
    }

}
