package dev.counterservice.counter;

import java.util.regex.Pattern;

/**
 * Parses {@code ?count=N} strictly: one plain positive integer no larger than the
 * configured maximum.
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
        if (values == null) {
            return 1;
        }
        if (values.length != 1) {
            throw new InvalidRequestException("Give 'count' at most once");
        }
        String value = values[0];
        if (!DIGITS.matcher(value).matches() || Integer.parseInt(value) > maxCount) {
            throw new InvalidRequestException("'count' must be a whole number from 1 to " + maxCount);
        }
        return Integer.parseInt(value);
    }

}
