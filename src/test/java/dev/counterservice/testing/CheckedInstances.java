package dev.counterservice.testing;

import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Instances of the service, each in a JVM of its own, on one database and one counter,
 * with every answer that carries numbers recorded in one {@link IssuedNumbers}: those of
 * load clients and of single requests alike, to be checked together. One per test; the
 * instances may outlive it.
 */
public final class CheckedInstances {

    private static final Duration SERVING_AGAIN = Duration.ofSeconds(30);

    private final TestDatabase database;

    private final String counter;

    private final List<AppProcess> instances;

    private final IssuedNumbers issued = new IssuedNumbers();

    public CheckedInstances(TestDatabase database, String counter, List<AppProcess> instances) {
        this.database = database;
        this.counter = counter;
        this.instances = List.copyOf(instances);
    }

    /** Every block acknowledged so far, by any instance. */
    public IssuedNumbers issued() {
        return issued;
    }

    /** The path that takes numbers from the counter. */
    public String next() {
        return "/counters/" + counter + "/next";
    }

    public List<String> urls() {
        return instances.stream().map(AppProcess::baseUrl).toList();
    }

    /**
     * {@code clients} load clients over every instance, asking for one number each time.
     */
    public LoadClients load(int clients) {
        return LoadClients.start(clients, urls(), next());
    }

    /** Records the numbers the load was acknowledged, after it has stopped. */
    public void collect(LoadClients load) {
        load.numbers()
            .issues()
            .forEach(issue -> issued.record(issue.client(), issue.sentNanos(), issue.receivedNanos(), issue.first(),
                    issue.last()));
    }

    /** One request for {@code count} numbers; they are recorded if it got them. */
    public boolean request(AppProcess instance, int count) {
        long sent = System.nanoTime();
        try {
            HttpResponse<String> response = instance.send("GET", next() + "?count=" + count);
            if (response.statusCode() != 200) {
                return false;
            }
            List<String> numbers = response.body().lines().toList();
            issued.record(-1, sent, System.nanoTime(), Long.parseLong(numbers.getFirst()),
                    Long.parseLong(numbers.getLast()));
            return true;
        }
        catch (UncheckedIOException ex) {
            return false;
        }
    }

    /**
     * Waits until the instance answers a number again by itself, and returns how long
     * after {@code since} ({@link System#nanoTime()}) that was.
     */
    public Duration awaitServing(AppProcess instance, long since) {
        while (!request(instance, 1)) {
            assertThat(Duration.ofNanos(System.nanoTime() - since)).as("serving again").isLessThan(SERVING_AGAIN);
            AppProcess.sleep(Duration.ofMillis(50));
        }
        return Duration.ofNanos(System.nanoTime() - since);
    }

    /** Two seconds of 32 clients over every instance; their numbers join the others. */
    public void runLoad() {
        try (LoadClients load = load(32)) {
            load.runFor(Duration.ofSeconds(2));
            load.close();
            collect(load);
        }
    }

    /**
     * After recovery, 8 fresh clients over every instance for 2 s see no error at all,
     * and every number acknowledged so far satisfies guarantees 1 to 3.
     */
    public void assertCleanRun() {
        try (LoadClients load = load(8)) {
            load.runFor(Duration.ofSeconds(2));
            load.close();
            collect(load);
            assertThat(load.failures()).isEmpty();
            assertThat(load.numbers().count()).isPositive();
        }
        assertThat(issued.guaranteeViolations(stored())).isEmpty();
    }

    /** The counter's stored value. */
    public long stored() {
        return database.queryForLong("SELECT value FROM counter WHERE name = '" + counter + "'");
    }

}
