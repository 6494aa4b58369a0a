package dev.counterservice.counter;

import java.util.regex.Pattern;

/**
 * The names a counter may have: the same pattern the database's CHECK constraint
 * enforces.
 */
final class CounterName {

    static final String PATTERN = "[a-z0-9][a-z0-9_-]{0,62}";

    static final String DEFAULT = "default";

    private static final Pattern VALID = Pattern.compile(PATTERN);

    private CounterName() {
    }

    static boolean isValid(String name) {
        return name != null && VALID.matcher(name).matches();
    }

    /** Rejects a malformed name before it reaches a query or a log line. */
    static String require(String name) {
        if (!isValid(name)) {
            throw new InvalidRequestException(
                    "Counter names are 1 to 63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit");
        }
        return name;
    }

}
