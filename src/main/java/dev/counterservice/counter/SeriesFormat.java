package dev.counterservice.counter;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text form of a counter's numbers, from a template: literal text with
 * {@code {value}}, {@code {value:0N}} (zero-padded to N digits, 1 ≤ N ≤ 19) and
 * {@code {period}} (only for a counter with a period); {@code {{} and {@code }}} are
 * literal braces. {@code INV-{period}-{value:06}} gives {@code INV-2026-000017}.
 */
final class SeriesFormat {

    static final int MAX_LENGTH = 100;

    private static final Pattern PADDED = Pattern.compile("value:0([1-9]|1[0-9])");

    private final String template;

    /**
     * Literal text (String), the value's width (Integer, 0 unpadded) or the period
     * (PERIOD).
     */
    private final List<Object> parts;

    private static final Object PERIOD = new Object();

    private SeriesFormat(String template, List<Object> parts) {
        this.template = template;
        this.parts = parts;
    }

    /**
     * @param withPeriod whether the counter has a period, so that {@code {period}} may be
     * used
     * @throws InvalidRequestException naming the template's fault
     */
    static SeriesFormat parse(String template, boolean withPeriod) {
        if (template.isEmpty() || template.length() > MAX_LENGTH) {
            throw fault("must have 1 to " + MAX_LENGTH + " characters");
        }
        List<Object> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        boolean hasValue = false;
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            if (c == '}') {
                if (!template.startsWith("}}", i)) {
                    throw fault("has a '}' at " + (i + 1) + " that closes nothing (write }} for a brace)");
                }
                literal.append('}');
                i += 2;
            }
            else if (c != '{') {
                if (Character.isISOControl(c)) {
                    throw fault("has a control character at " + (i + 1));
                }
                literal.append(c);
                i++;
            }
            else if (template.startsWith("{{", i)) {
                literal.append('{');
                i += 2;
            }
            else {
                int close = template.indexOf('}', i);
                if (close < 0) {
                    throw fault("has a '{' at " + (i + 1) + " that is never closed (write {{ for a brace)");
                }
                String field = template.substring(i + 1, close);
                Matcher padded = PADDED.matcher(field);
                Object part;
                if (field.equals("value")) {
                    part = 0;
                    hasValue = true;
                }
                else if (padded.matches()) {
                    part = Integer.parseInt(padded.group(1));
                    hasValue = true;
                }
                else if (field.equals("period") && withPeriod) {
                    part = PERIOD;
                }
                else if (field.equals("period")) {
                    throw fault("uses {period}, but the counter has no period");
                }
                else {
                    throw fault("has an unknown field at " + (i + 1)
                            + ": the fields are {value}, {value:0N} (1 ≤ N ≤ 19) and {period}");
                }
                if (!literal.isEmpty()) {
                    parts.add(literal.toString());
                    literal.setLength(0);
                }
                parts.add(part);
                i = close + 1;
            }
        }
        if (!literal.isEmpty()) {
            parts.add(literal.toString());
        }
        if (!hasValue) {
            throw fault("has no {value}");
        }
        return new SeriesFormat(template, List.copyOf(parts));
    }

    private static InvalidRequestException fault(String fault) {
        return new InvalidRequestException("'format' " + fault);
    }

    /** The text form of {@code value} of {@code period}. */
    String format(String period, long value) {
        StringBuilder text = new StringBuilder();
        for (Object part : parts) {
            if (part == PERIOD) {
                text.append(period);
            }
            else if (part instanceof Integer width) {
                String digits = Long.toString(value);
                text.repeat('0', Math.max(0, width - digits.length())).append(digits);
            }
            else {
                text.append((String) part);
            }
        }
        return text.toString();
    }

    String template() {
        return template;
    }

}
