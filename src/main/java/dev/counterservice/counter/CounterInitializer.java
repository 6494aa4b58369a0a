package dev.counterservice.counter;

import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * Creates the configured counters once Flyway has migrated the schema. Requests can never
 * create counters, so anonymous traffic cannot grow the table.
 */
@Component
class CounterInitializer implements ApplicationRunner {

    private final CounterRepository counters;

    private final CounterProperties properties;

    CounterInitializer(CounterRepository counters, CounterProperties properties) {
        this.counters = counters;
        this.properties = properties;
    }

    @Override
    public void run(ApplicationArguments args) {
        properties.names().forEach(counters::createIfMissing);
    }

}
