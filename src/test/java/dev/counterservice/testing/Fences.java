package dev.counterservice.testing;

import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an instance has counted and logged so far about new database servers (fences) and
 * lost commits (regressions) on one counter.
 */
public record Fences(String instance, double fences, double regressions, long fencedLines, long lostCommitLines) {

    public static Fences of(AppProcess instance, String counter) {
        String metrics = instance.management("/actuator/prometheus").body();
        String output = instance.output();
        Pattern lostCommits = Pattern
            .compile("(?m)^.*ERROR.*(lost commits.*" + counter + "|" + counter + ".*lost commits).*$");
        return new Fences(instance.baseUrl(), metric(metrics, "counter_fences_total", counter).orElse(0),
                metric(metrics, "counter_regressions_total", counter).orElse(0),
                output.lines().filter(line -> line.contains("Fenced")).count(),
                lostCommits.matcher(output).results().count());
    }

    /**
     * The instance noticed one new primary since {@code before}: it fenced the counter
     * once (a WARN line with "Fenced", counted per counter), however many requests found
     * the new primary at once, and each block it found at or below its high-water mark
     * was refused with an ERROR naming the lost commits and the counter, and counted.
     */
    public void assertFencedOnceSince(Fences before) {
        System.out.printf("[failover] %s: fences %s, regressions %s; log lines: Fenced %d, lost commits %d%n", instance,
                fences - before.fences, regressions - before.regressions, fencedLines - before.fencedLines,
                lostCommitLines - before.lostCommitLines);
        assertThat(fences).as("counter_fences_total").isEqualTo(before.fences + 1);
        assertThat(fencedLines).as("lines logging 'Fenced'").isEqualTo(before.fencedLines + 1);
        if (regressions > before.regressions) {
            assertThat(lostCommitLines).as("ERROR lines with 'lost commits' and the counter")
                .isGreaterThan(before.lostCommitLines);
        }
    }

    /**
     * The sum of a metric's samples in Prometheus text, for one counter's label if
     * {@code counter} is given.
     */
    public static OptionalDouble metric(String prometheusText, String name, String counter) {
        Matcher samples = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? (\\S+)$").matcher(prometheusText);
        OptionalDouble sum = OptionalDouble.empty();
        while (samples.find()) {
            String labels = samples.group(1) == null ? "" : samples.group(1);
            if (counter == null || labels.contains("counter=\"" + counter + "\"")) {
                sum = OptionalDouble.of(sum.orElse(0) + Double.parseDouble(samples.group(2)));
            }
        }
        return sum;
    }

}
