package dev.counterservice.counter;

import java.util.regex.Pattern;

/**
 * The names a counter may have: the same pattern the database's CHECK constraint
 * enforces.
 */
final class CounterName {

    static final String PATTERN = "[a-z0-9][a-z0-9_-]{0,62}";

    /** {@link #PATTERN} in words, for the errors that refuse a name. */
    static final String RULE = "1 to 63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit";

    static final String DEFAULT = "default";

    private static final Pattern VALID = Pattern.compile(PATTERN);

    private CounterName() {
    }

    static boolean isValid(String name) {
        return name != null && VALID.matcher(name).matches();
    }

    /** The 400 a malformed name gets; it does not repeat the name. */
    static InvalidRequestException malformed() {
        return new InvalidRequestException("Counter names are " + RULE);
    }

}
