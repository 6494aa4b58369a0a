package dev.counterservice.counter;

import java.util.regex.Pattern;

/**
 * Parses a whole-number query parameter strictly, such as {@code ?count=N}: one plain
 * positive integer no larger than its maximum.
 */
final class CountParameter {

    private static final Pattern DIGITS = Pattern.compile("[1-9][0-9]{0,8}");

    private CountParameter() {
    }

    /**
     * @param values every value the request gave for {@code count}, or {@code null} if it
     * gave none
     * @return the number of values to reserve, 1 when the parameter is absent
     */
    static int parse(String[] values, int maxCount) {
        return parse("count", values, maxCount, 1);
    }

    /**
     * @param values every value the request gave for {@code parameter}, or {@code null}
     * if it gave none
     * @return its value, {@code absent} when it is absent
     */
    static int parse(String parameter, String[] values, int max, int absent) {
        if (values == null) {
            return absent;
        }
        if (values.length != 1) {
            throw new InvalidRequestException("Give '" + parameter + "' at most once");
        }
        String value = values[0];
        if (!DIGITS.matcher(value).matches() || Integer.parseInt(value) > max) {
            throw new InvalidRequestException("'" + parameter + "' must be a whole number from 1 to " + max);
        }
        return Integer.parseInt(value);
    }

}
