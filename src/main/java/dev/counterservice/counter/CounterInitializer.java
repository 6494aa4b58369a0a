package dev.counterservice.counter;

import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Creates the configured counters once Flyway has migrated the schema, and before the web
 * server opens its port (a lifecycle phase before the server's): no request can find a
 * configured counter missing. Requests can never create counters, so anonymous traffic
 * cannot grow the table.
 */
@Component
class CounterInitializer implements SmartLifecycle {

    private final CounterRepository counters;

    private final CounterProperties properties;

    private volatile boolean running;

    CounterInitializer(CounterRepository counters, CounterProperties properties) {
        this.counters = counters;
        this.properties = properties;
    }

    @Override
    public void start() {
        properties.names().forEach(counters::createIfMissing);
        running = true;
    }

    @Override
    public void stop() {
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return WebServerApplicationContext.START_STOP_LIFECYCLE_PHASE - 1;
    }

}
