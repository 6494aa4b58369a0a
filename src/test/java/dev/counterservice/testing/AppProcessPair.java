package dev.counterservice.testing;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Two instances of the service, each in a JVM of its own ({@link AppProcess}), serving
 * one counter from one database: what the failover suites share between their cases.
 */
public final class AppProcessPair implements AutoCloseable {

    private static final Duration START = Duration.ofSeconds(120);

    private final TestDatabase database;

    private final String counter;

    private final AppProcess first;

    private final AppProcess second;

    private AppProcessPair(TestDatabase database, String counter, AppProcess first, AppProcess second) {
        this.database = database;
        this.counter = counter;
        this.first = first;
        this.second = second;
    }

    /**
     * Starts both on {@code database}, serving {@code counter} with {@code properties},
     * and waits until they are ready.
     */
    public static AppProcessPair start(TestDatabase database, String counter, Map<String, String> properties) {
        Map<String, String> serving = new HashMap<>(properties);
        serving.put("counter.names", counter);
        AppProcess first = AppProcess.start(database, serving);
        AppProcess second = AppProcess.start(database, serving);
        first.awaitReady(START);
        second.awaitReady(START);
        return new AppProcessPair(database, counter, first, second);
    }

    public AppProcess first() {
        return first;
    }

    public AppProcess second() {
        return second;
    }

    /** A fresh record of both instances' answers, for one test. */
    public CheckedInstances checked() {
        return new CheckedInstances(database, counter, List.of(first, second));
    }

    @Override
    public void close() {
        first.close();
        second.close();
    }

}
