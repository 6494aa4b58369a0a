package dev.counterservice.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bounded soak in CI: the project's own load tester ({@code bench/LoadTest.java}, what users run against their
 * deployment) drives 64 clients over two instances for 30 seconds and checks every number it was handed. Longer
 * runs: see docs/benchmarks.md.
 */
class SoakIntegrationTests {

    private static final int SECONDS = 30;

    @Test
    void sixtyFourClientsOverTwoInstancesForThirtySecondsPassTheLoadTestersChecks() throws Exception {
        Map<String, String> properties = Map.of("counter.names", "soak");
        try (AppInstance first = AppInstance.start(TestDatabase.shared(), properties);
                AppInstance second = AppInstance.start(TestDatabase.shared(), properties)) {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "bench/LoadTest.java",
                    "--url", first.baseUrl(), "--url", second.baseUrl(), "--counter", "soak",
                    "--clients", "64", "--duration", Integer.toString(SECONDS), "--max-errors", "0"));
            Path output = Files.createTempFile("soak-", ".log");
            Process loadTest = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            boolean finished = loadTest.waitFor(SECONDS + 120, TimeUnit.SECONDS);
            String report = read(output);
            System.out.println(report);

            assertThat(finished).as("the load tester stopped by itself").isTrue();
            assertThat(loadTest.exitValue()).as(report).isZero();
            assertThat(report).containsPattern("RESULT requests=\\d+ ok=[1-9]\\d* errors=0 .*violations=0 .*verdict=PASS");
        }
    }

    private static String read(Path output) throws IOException {
        try {
            return Files.readString(output);
        }
        finally {
            Files.deleteIfExists(output);
        }
    }
}
