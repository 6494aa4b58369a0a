package dev.counterservice;

import dev.counterservice.testing.TestDatabaseConfiguration;

import org.springframework.boot.SpringApplication;

/**
 * Runs the service with a test database found by
 * {@link dev.counterservice.testing.TestDatabase}, so that
 * {@code ./mvnw spring-boot:test-run} works on a fresh machine with nothing set up.
 */
public class TestCounterServiceApplication {

    public static void main(String[] args) {
        SpringApplication.from(CounterServiceApplication::main).with(TestDatabaseConfiguration.class).run(args);
    }

}
