package dev.counterservice.counter;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * A counter's row: its name and the last number handed out. Only
 * {@link CounterRepository}'s statements move it.
 */
@Entity
@Table(name = "counter")
class CounterRow {

    @Id
    private String name;

    private long value;

    protected CounterRow() {
    }

    CounterRow(String name, long value) {
        this.name = name;
        this.value = value;
    }

    String getName() {
        return name;
    }

    long getValue() {
        return value;
    }

}
