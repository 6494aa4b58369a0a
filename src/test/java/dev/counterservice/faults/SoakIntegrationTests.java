package dev.counterservice.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.LoadTesterRun;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bounded soak in CI: the project's own load tester ({@code bench/LoadTest.java}, what
 * users run against their deployment) drives 64 clients for 30 seconds over four
 * instances on one counter, two with request coalescing and two without, and checks every
 * number it was handed, across both modes; then the stored value is read. Nothing is
 * broken meanwhile, so no request may fail (no 503, no timeout), and the counter must
 * have moved by exactly the numbers acknowledged. Longer runs: see docs/benchmarks.md.
 */
class SoakIntegrationTests {

    private static final int SECONDS = 30;

    private final TestDatabase database = TestDatabase.shared();

    @Test
    void sixtyFourClientsOverFourInstancesInBothModesForThirtySecondsPassTheLoadTestersChecks() {
        List<AppInstance> instances = Stream.of(true, false).flatMap(c -> AppInstance.sharedPair(c).stream()).toList();
        long start = stored();
        LoadTesterRun run = runLoadTester(instances);
        long stored = stored();

        assertThat(run.output()).contains("verdict=PASS").contains(" violations=0 ");
        assertThat(run.field("errors")).as("failed requests, with nothing broken").isZero();
        assertThat(run.field("highest")).as("every acknowledged number stored").isLessThanOrEqualTo(stored);
        assertThat(stored - start).as("numbers consumed").isEqualTo(run.field("numbers"));
    }

    private static LoadTesterRun runLoadTester(List<AppInstance> instances) {
        // Clients take the URLs in turn: 16 on each instance
        List<String> arguments = new ArrayList<>();
        instances.forEach(instance -> arguments.addAll(List.of("--url", instance.baseUrl())));
        arguments.addAll(List.of("--counter", "soak", "--clients", "64", "--duration", Integer.toString(SECONDS)));
        LoadTesterRun run = LoadTesterRun.fromSource(Duration.ofSeconds(SECONDS + 120), arguments);
        System.out.println(run.output());
        assertThat(run.exit()).as(run.output()).isZero();
        return run;
    }

    private long stored() {
        return database.queryForLong("SELECT value FROM counter WHERE name = 'soak'");
    }

}
