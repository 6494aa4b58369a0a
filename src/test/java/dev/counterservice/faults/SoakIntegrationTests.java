package dev.counterservice.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
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
 * number it was handed, across both modes; then the stored value is read. Two shared
 * cores serving 64 clients may now and then answer a request after the tester's 5 s
 * timeout, or with a 503: such errors are allowed up to 1 % of requests, and accounted
 * for: the counter moved by the numbers acknowledged plus at most one per failed request,
 * and by exactly the numbers acknowledged when none failed. Longer runs: see
 * docs/benchmarks.md.
 */
class SoakIntegrationTests {

    private static final int SECONDS = 30;

    private static final Pattern ERRORS = Pattern
        .compile("(?m)^Errors +(none|((HTTP 503|SocketTimeoutException): \\d+(, )?)+)$");

    private final TestDatabase database = TestDatabase.shared();

    @Test
    void sixtyFourClientsOverFourInstancesInBothModesForThirtySecondsPassTheLoadTestersChecks() {
        List<AppInstance> instances = Stream.of(true, false).flatMap(c -> AppInstance.sharedPair(c).stream()).toList();
        long start = stored();
        LoadTesterRun run = runLoadTester(instances);
        long stored = stored();

        assertThat(run.output()).contains("verdict=PASS").contains(" violations=0 ");
        assertThat(run.output()).as("errors only of the kinds a loaded machine explains").containsPattern(ERRORS);
        long errors = run.field("errors");
        assertThat(errors).as("errors, at most 1 percent of requests").isLessThanOrEqualTo(run.field("requests") / 100);
        assertThat(run.field("highest")).as("every acknowledged number stored").isLessThanOrEqualTo(stored);
        assertThat(stored - start - run.field("numbers")).as("numbers consumed but not acknowledged")
            .isBetween(0L, errors);
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
