package dev.counterservice.counter;

import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How often a counter starts again at 1: never, or each year, month or day of its time
 * zone. The database computes a number's period ({@link CounterRepository#PERIOD_NOW}); a
 * period's key is fixed-width ({@code 2026}, {@code 2026-12}, {@code 2026-12-07}), so
 * that its text order is time order.
 */
enum Period {

    NONE(""), YEARLY("\\d{4}"), MONTHLY("\\d{4}-(0[1-9]|1[0-2])"),
    DAILY("\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])");

    /** The names the API takes, as the database stores them. */
    static final String NAMES = "none, yearly, monthly, daily";

    private final Pattern key;

    Period(String key) {
        this.key = Pattern.compile(key);
    }

    /** The name the API and the database use. */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether {@code text} is the key of a period of this kind. */
    boolean isKey(String text) {
        return key.matcher(text).matches();
    }

    /**
     * @throws InvalidRequestException for a name that is no period
     */
    static Period of(String id) {
        return Arrays.stream(values())
            .filter(period -> period.id().equals(id))
            .findFirst()
            .orElseThrow(() -> new InvalidRequestException("'period' must be one of " + NAMES));
    }

}
