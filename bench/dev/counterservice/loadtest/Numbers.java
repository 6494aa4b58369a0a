package dev.counterservice.loadtest;

import java.nio.charset.StandardCharsets;

/** The text/plain body of {@code /next}: one number per line, consecutive, as many as were asked for. */
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

    static String excerpt(byte[] body, int offset, int length) {
        String text = new String(body, offset, Math.min(length, 80), StandardCharsets.UTF_8).replace("\n", "\\n");
        return "\"" + text + (length > 80 ? "..." : "") + "\"";
    }
}
