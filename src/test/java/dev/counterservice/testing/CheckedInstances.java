package dev.counterservice.testing;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Instances of the service, each in a JVM of its own, on one database and one counter,
 * driven and checked as the failover suites do it: every answer that carries numbers is
 * recorded in one {@link IssuedNumbers}, those of load clients and of single requests
 * alike, to be checked together, and every other answer must be the promised 503. One per
 * test; the instances may outlive it.
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

    /**
     * One request for {@code count} numbers; they are recorded if it got them. The only
     * other answer allowed is the promised 503 (problem, Retry-After).
     */
    public boolean request(AppProcess instance, int count) {
        long sent = System.nanoTime();
        HttpResponse<String> response = instance.send("GET", next() + "?count=" + count);
        if (response.statusCode() != 200) {
            assertThat(LoadClients.kind(response)).as(response.body()).isEqualTo("503");
            return false;
        }
        List<String> numbers = response.body().lines().toList();
        assertThat(numbers).as("the numbers of one request").hasSize(count);
        issued.record(-1, sent, System.nanoTime(), Long.parseLong(numbers.getFirst()),
                Long.parseLong(numbers.getLast()));
        return true;
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

    /**
     * Two seconds of 32 clients over every instance; their numbers join the others, and
     * every failure was a promised 503.
     */
    public void runLoad() {
        try (LoadClients load = load(32)) {
            load.runFor(Duration.ofSeconds(2));
            load.close();
            collect(load);
            assertOnlyPromised503s(load);
        }
    }

    /**
     * Every failure of {@code load} was the answer the service promises while in doubt: a
     * 503 problem with Retry-After (no other status, no dropped connection, no timeout).
     */
    public static void assertOnlyPromised503s(LoadClients load) {
        assertThat(load.failures().keySet()).as("kinds of failure").isSubsetOf("503");
    }

    /** Every number acknowledged so far keeps guarantees 1 to 3. */
    public void assertGuarantees() {
        assertThat(issued.guaranteeViolations(stored())).isEmpty();
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
        assertGuarantees();
    }

    /** What each instance has counted and logged about fences so far. */
    public List<Fences> fences() {
        return instances.stream().map(instance -> Fences.of(instance, counter)).toList();
    }

    /**
     * Each instance noticed one new primary since {@code before}, what {@link #fences()}
     * returned then, and fenced once ({@link Fences#assertFencedOnceSince(Fences)}).
     */
    public void assertFencedOnceSince(List<Fences> before) {
        List<Fences> after = fences();
        for (int instance = 0; instance < after.size(); instance++) {
            after.get(instance).assertFencedOnceSince(before.get(instance));
        }
    }

    /** The counter's stored value. */
    public long stored() {
        return database.queryForLong("SELECT value FROM counter WHERE name = '" + counter + "'");
    }

}
