package dev.counterservice.counter;

import java.util.List;
import java.util.Map;

import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Creates the configured counters ({@code counter.names}, {@code counter.counters}) once
 * Flyway has migrated the schema, and before the web server opens its port (a lifecycle
 * phase before the server's): no request can find a configured counter missing. A
 * configured counter that exists with other settings stops the start-up, since settings
 * never change once a counter exists. It also tells the service which database server it
 * starts on.
 */
@Component
class CounterInitializer implements SmartLifecycle {

    private final CounterRepository counters;

    private final CounterService service;

    private final CounterProperties properties;

    private volatile boolean running;

    CounterInitializer(CounterRepository counters, CounterService service, CounterProperties properties) {
        this.counters = counters;
        this.service = service;
        this.properties = properties;
    }

    @Override
    public void start() {
        service.startedOn(counters.server());
        for (Map.Entry<String, CounterSettings> counter : properties.configured().entrySet()) {
            String name = counter.getKey();
            counters.create(name, counter.getValue().start());
            List<String> differences = counters.findById(name)
                .orElseThrow(() -> new IllegalStateException("The counter '" + name + "' was not created"))
                .settings()
                .differences(counter.getValue());
            if (!differences.isEmpty()) {
                throw new IllegalStateException("The configured counter '" + name
                        + "' exists with other settings, which never change: " + String.join(", ", differences));
            }
            service.exists(name);
        }
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
