package dev.counterservice.counter;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * A counter's row: its name, the last number handed out, and its settings. Only
 * {@link CounterRepository}'s statements move it.
 */
@Entity
@Table(name = "counter")
class CounterRow {

    @Id
    private String name;

    private long value;

    private long start;

    protected CounterRow() {
    }

    CounterRow(String name, long value, long start) {
        this.name = name;
        this.value = value;
        this.start = start;
    }

    String getName() {
        return name;
    }

    long getValue() {
        return value;
    }

    CounterSettings settings() {
        return new CounterSettings(start);
    }

}
