package dev.counterservice.counter;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A counter row as read for display. Writes never go through JPA: see {@link CounterStore}. */
@Entity
@Table(name = "counter")
class Counter {

    @Id
    private String name;

    private long value;

    protected Counter() {
    }

    Counter(String name, long value) {
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
