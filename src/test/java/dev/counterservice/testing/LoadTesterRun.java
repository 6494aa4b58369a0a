package dev.counterservice.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One run of the project's load tester ({@code bench/LoadTest.java}) in a process of its
 * own: how it exited, what it printed, and its {@code RESULT} line.
 */
public record LoadTesterRun(int exit, String output) {

    /** The JDK's {@code java}, which runs the tester from its source file as users do. */
    public static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private static final Pattern RESULT = Pattern.compile("(?m)^RESULT (.*)$");

    /**
     * {@code java bench/LoadTest.java} with these arguments, the way users and the
     * benchmark run it, to its end.
     */
    public static LoadTesterRun fromSource(Duration limit, List<String> arguments) {
        List<String> command = new ArrayList<>(List.of(JAVA, "bench/LoadTest.java"));
        command.addAll(arguments);
        return run(command, limit);
    }

    /**
     * Runs {@code command}, which starts the tester, to its end; fails, with what it
     * printed, if it runs past {@code limit}.
     */
    public static LoadTesterRun run(List<String> command, Duration limit) {
        Commands.Result result = Commands.tryRun(command, limit);
        return new LoadTesterRun(result.exitCode(), result.output());
    }

    /**
     * The RESULT line, e.g. {@code RESULT requests=1200 ... verdict=PASS}, with a space
     * after its last field, so that {@code contains(" errors=0 ")} checks a whole field.
     */
    public String resultLine() {
        return resultMatch().group() + " ";
    }

    /** The fields of the RESULT line by name, in its order. */
    public Map<String, String> result() {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String field : resultMatch().group(1).split(" ")) {
            fields.put(field.substring(0, field.indexOf('=')), field.substring(field.indexOf('=') + 1));
        }
        return fields;
    }

    private Matcher resultMatch() {
        Matcher matcher = RESULT.matcher(output);
        assertThat(matcher.find()).as("a RESULT line in:%n%s", output).isTrue();
        return matcher;
    }

    /** A numeric field of the RESULT line. */
    public long field(String name) {
        String value = result().get(name);
        assertThat(value).as(name + " in the RESULT line of " + output).isNotNull();
        return Long.parseLong(value);
    }

}
