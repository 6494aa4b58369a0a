package dev.counterservice.counter;

import java.util.Optional;
import java.util.function.Supplier;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * What an operator watches per counter, registered once so the hot path only records: numbers handed out
 * ({@code counter_numbers_issued_total}), requests served per UPDATE ({@code counter_batch_size}) and the time of
 * each UPDATE with its commit ({@code counter_commit_seconds}).
 */
record CounterMeters(Timer commit, DistributionSummary batchSize, io.micrometer.core.instrument.Counter issued) {

    static CounterMeters register(String counter, MeterRegistry registry) {
        return new CounterMeters(
                Timer.builder("counter.commit").description("Time of one UPDATE ... RETURNING with its commit")
                        .tag("counter", counter).publishPercentileHistogram().register(registry),
                DistributionSummary.builder("counter.batch.size").description("Requests served by one UPDATE")
                        .tag("counter", counter).publishPercentileHistogram().register(registry),
                io.micrometer.core.instrument.Counter.builder("counter.numbers.issued")
                        .description("Numbers committed and handed out").tag("counter", counter).register(registry));
    }

    /** Times one UPDATE with its commit and, if it moved the counter, counts what it served. */
    Optional<Long> commit(Supplier<Optional<Long>> update, int requests, long numbers) {
        Optional<Long> last = commit.record(update);
        if (last.isPresent()) {
            batchSize.record(requests);
            issued.increment(numbers);
        }
        return last;
    }
}
