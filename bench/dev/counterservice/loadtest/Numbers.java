package dev.counterservice.loadtest;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code /next}: as text/plain one number per line, consecutive, as many as were asked for; as JSON a
 * value, or a block's first, last and count, with the period and the formatted text where the counter has them.
 */
public final class Numbers {

    private Numbers() {
    }

    /**
     * Reads the block in {@code body} into {@code range} (first, last).
     *
     * @return {@code null} if the body is exactly {@code count} consecutive numbers, else what is wrong
     */
    public static String parse(byte[] body, int offset, int length, int count, long[] range) {
        int lines = 0;
        long previous = -1;
        int i = offset;
        int end = offset + length;
        while (i < end) {
            long value = 0;
            int start = i;
            for (; i < end && body[i] >= '0' && body[i] <= '9'; i++) {
                int digit = body[i] - '0';
                if (value > (Long.MAX_VALUE - digit) / 10) {
                    return "a number larger than a signed 64-bit integer";
                }
                value = value * 10 + digit;
            }
            if (i == start) {
                return "line " + (lines + 1) + " is not a number";
            }
            if (i < end && body[i] == '\r') {
                i++;
            }
            if (i < end && body[i++] != '\n') {
                return "line " + (lines + 1) + " is not a number";
            }
            if (lines > 0 && value != previous + 1) {
                return "line " + (lines + 1) + " is " + value + " where " + (previous + 1) + " should follow";
            }
            if (lines == 0) {
                range[0] = value;
            }
            previous = value;
            lines++;
        }
        if (lines != count) {
            return lines + " numbers where " + count + " were asked for";
        }
        range[1] = previous;
        return null;
    }

    /**
     * Reads the JSON block in {@code body} into {@code range} (first, last, period as a {@link Period} key, or
     * {@link Period#NONE} if the answer names none). Each formatted text must hold its number's digits.
     *
     * @param periodic whether the counter has periods, so that every answer must name one
     * @return {@code null} if the body is the block asked for, else what is wrong
     */
    static String parseJson(byte[] body, int offset, int length, int count, boolean periodic, long[] range) {
        Map<String, Object> answer;
        try {
            answer = Json.object(new String(body, offset, length, StandardCharsets.UTF_8));
        }
        catch (IllegalArgumentException ex) {
            return ex.getMessage();
        }
        boolean single = answer.containsKey("value");
        Object first = answer.get(single ? "value" : "first");
        Object last = answer.get(single ? "value" : "last");
        Object counted = single ? Long.valueOf(1) : answer.get("count");
        if (!(first instanceof Long) || !(last instanceof Long) || !(counted instanceof Long)) {
            return "no whole numbers \"value\", or \"first\", \"last\" and \"count\"";
        }
        range[0] = (Long) first;
        range[1] = (Long) last;
        if ((Long) counted != count || range[1] - range[0] + 1 != count) {
            return range[0] + ".." + range[1] + " (count " + counted + ") where " + count + " were asked for";
        }
        Object period = answer.get("period");
        range[2] = period instanceof String text ? Period.key(text) : period == null ? Period.NONE : -1;
        if (range[2] == -1 || periodic && range[2] == Period.NONE) {
            return period == null ? "no period" : "period " + period + " is not yyyy, yyyy-mm or yyyy-mm-dd";
        }
        return formatted(answer.get("formatted"), single, range[0], count);
    }

    /** The formatted text (absent, or one per number) must hold each number's digits. */
    private static String formatted(Object formatted, boolean single, long first, int count) {
        if (formatted == null) {
            return null;
        }
        List<?> texts = single ? List.of(formatted) : formatted instanceof List<?> list ? list : List.of();
        if (texts.size() != count) {
            return "\"formatted\" is not " + count + " text(s)";
        }
        for (int k = 0; k < count; k++) {
            if (!(texts.get(k) instanceof String text) || !text.contains(Long.toString(first + k))) {
                return "formatted " + texts.get(k) + " does not hold its number " + (first + k);
            }
        }
        return null;
    }

    static String excerpt(byte[] body, int offset, int length) {
        String text = new String(body, offset, Math.min(length, 80), StandardCharsets.UTF_8).replace("\n", "\\n");
        return "\"" + text + (length > 80 ? "..." : "") + "\"";
    }
}
