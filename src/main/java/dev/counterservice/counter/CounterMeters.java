package dev.counterservice.counter;

import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What an operator watches per counter tag, registered once so the hot path only records:
 * numbers handed out ({@code counter_numbers_issued_total}), requests served per batch
 * ({@code counter_batch_size}), requests waiting for a batch
 * ({@code counter_requests_waiting}), the highest number handed out
 * ({@code counter_high_water_mark}), fences after a change of database server
 * ({@code counter_fences_total}) and blocks refused because the database had lost commits
 * ({@code counter_regressions_total}). The commit's own timing is the
 * {@code counter.commit} observation.
 * <p>
 * A counter of the configuration has a tag of its own; the counters created at run time
 * share one, {@value #OTHER} (no counter name starts with '_'), so that ten thousand of
 * them add one series per metric, not ten thousand.
 */
final class CounterMeters {

    static final String OTHER = "_other";

    private final String tag;

    private final Counter issued;

    private final DistributionSummary batchSize;

    private final Counter fences;

    private final Counter regressions;

    private final AtomicLong waiting = new AtomicLong();

    private final AtomicLong highWaterMark = new AtomicLong();

    private CounterMeters(String tag, MeterRegistry registry) {
        this.tag = tag;
        this.issued = Counter.builder("counter.numbers.issued")
            .description("Numbers committed and handed out")
            .tag("counter", tag)
            .register(registry);
        this.batchSize = DistributionSummary.builder("counter.batch.size")
            .description("Requests of one counter served by one batch")
            .tag("counter", tag)
            .publishPercentileHistogram()
            .register(registry);
        this.fences = Counter.builder("counter.fences")
            .description("Times the counter was moved past a new database server's value")
            .tag("counter", tag)
            .register(registry);
        this.regressions = Counter.builder("counter.regressions")
            .description("Blocks refused because the database returned numbers this instance had handed out")
            .tag("counter", tag)
            .register(registry);
        Gauge.builder("counter.requests.waiting", waiting, AtomicLong::get)
            .description("Requests waiting for the next batch")
            .tag("counter", tag)
            .register(registry);
        Gauge.builder("counter.high.water.mark", highWaterMark, AtomicLong::get)
            .description("The highest number this instance has handed out")
            .tag("counter", tag)
            .register(registry);
    }

    static CounterMeters register(String tag, MeterRegistry registry) {
        return new CounterMeters(tag, registry);
    }

    String tag() {
        return tag;
    }

    /**
     * A batch served {@code requests} of one counter, {@code numbers} of them new, up to
     * {@code last}.
     */
    void served(int requests, long numbers, long last) {
        batchSize.record(requests);
        issued.increment(numbers);
        highWaterMark.accumulateAndGet(last, Math::max);
    }

    void fenced() {
        fences.increment();
    }

    void regressed() {
        regressions.increment();
    }

    void waiting(long change) {
        waiting.addAndGet(change);
    }

}
