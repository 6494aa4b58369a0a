package dev.counterservice.counter;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;

import org.springframework.stereotype.Component;

/**
 * The timer of the {@code counter.commit} observation says what it measures: an
 * observation's meters carry no description of their own, so Prometheus would show an
 * empty HELP line for {@code counter_commit_seconds}.
 */
@Component
class CommitTimerDescription implements MeterFilter {

    private static final String DESCRIPTION = "Time from a batch's first statement to its commit (or failure), per batch";

    @Override
    public Meter.Id map(Meter.Id id) {
        if (!id.getName().equals("counter.commit") || id.getDescription() != null) {
            return id;
        }
        return new Meter.Id(id.getName(), Tags.of(id.getTags()), id.getBaseUnit(), DESCRIPTION, id.getType());
    }

}
