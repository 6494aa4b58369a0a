package dev.counterservice.counter;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * A counter's row: its name, the last number handed out and the period it belongs to, and
 * its settings. Only {@link CounterRepository}'s statements move it.
 */
@Entity
@Table(name = "counter")
class CounterRow {

    @Id
    private String name;

    private long value;

    private long start;

    private String period;

    @Column(name = "time_zone")
    private String timeZone;

    private String format;

    private boolean audit;

    @Column(name = "fence_margin")
    private Long fenceMargin;

    @Column(name = "current_period")
    private String currentPeriod;

    protected CounterRow() {
    }

    CounterRow(String name, long value, String currentPeriod, CounterSettings settings) {
        this.name = name;
        this.value = value;
        this.currentPeriod = currentPeriod;
        this.start = settings.start();
        this.period = settings.period().id();
        this.timeZone = settings.timeZone();
        this.format = settings.format();
        this.audit = settings.audit();
        this.fenceMargin = settings.fenceMargin();
    }

    String getName() {
        return name;
    }

    long getValue() {
        return value;
    }

    /** The period of the value, empty for a counter without a period. */
    String getCurrentPeriod() {
        return currentPeriod;
    }

    CounterSettings settings() {
        return new CounterSettings(start, Period.of(period), timeZone, format, audit, fenceMargin);
    }

}
