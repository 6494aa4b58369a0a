package dev.counterservice.counter;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What an operator watches per counter, registered once so the hot path only records:
 * numbers handed out ({@code counter_numbers_issued_total}), requests served per UPDATE
 * ({@code counter_batch_size}), fences after a change of database server
 * ({@code counter_fences_total}) and blocks refused because the database had lost commits
 * ({@code counter_regressions_total}). The commit's own timing is the
 * {@code counter.commit} observation.
 */
record CounterMeters(Counter issued, DistributionSummary batchSize, Counter fences, Counter regressions) {

    static CounterMeters register(String counter, MeterRegistry registry) {
        return new CounterMeters(
                Counter.builder("counter.numbers.issued")
                    .description("Numbers committed and handed out")
                    .tag("counter", counter)
                    .register(registry),
                DistributionSummary.builder("counter.batch.size")
                    .description("Requests served by one UPDATE")
                    .tag("counter", counter)
                    .publishPercentileHistogram()
                    .register(registry),
                Counter.builder("counter.fences")
                    .description("Times the counter was moved past a new database server's value")
                    .tag("counter", counter)
                    .register(registry),
                Counter.builder("counter.regressions")
                    .description("Blocks refused because the database returned numbers this instance had handed out")
                    .tag("counter", counter)
                    .register(registry));
    }

    void served(int requests, long numbers) {
        batchSize.record(requests);
        issued.increment(numbers);
    }
}
