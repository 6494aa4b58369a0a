package dev.counterservice.loadtest;

import java.util.Locale;

/**
 * A period of the service's answers (yearly {@code 2026}, monthly {@code 2026-12}, daily {@code 2026-12-07}) as a
 * number that sorts as the fixed-width text does: YYYYMMDD, with 00 for the parts a coarser period lacks
 * ({@code 2026} is 20260000, {@code 2026-12} is 20261200). {@link #NONE}, a counter without periods, sorts first.
 */
final class Period {

    static final long NONE = 0;

    private Period() {
    }

    /** @return the number of {@code text}, or -1 if it is no period */
    static long key(String text) {
        int length = text.length();
        if (length != 4 && length != 7 && length != 10) {
            return -1;
        }
        long year = digits(text, 0, 4);
        long month = length > 4 && text.charAt(4) == '-' ? digits(text, 5, 7) : length > 4 ? -1 : 0;
        long day = length > 7 && text.charAt(7) == '-' ? digits(text, 8, 10) : length > 7 ? -1 : 0;
        boolean valid = year >= 0 && (length == 4 || month >= 1 && month <= 12) && (length < 10 || day >= 1 && day <= 31);
        return valid ? year * 10_000 + month * 100 + day : -1;
    }

    /** The text of a number {@link #key} gave; empty for {@link #NONE}. */
    static String text(long key) {
        if (key == NONE) {
            return "";
        }
        long month = key / 100 % 100;
        long day = key % 100;
        String year = String.format(Locale.ROOT, "%04d", key / 10_000);
        return month == 0 ? year : day == 0 ? String.format(Locale.ROOT, "%s-%02d", year, month)
                : String.format(Locale.ROOT, "%s-%02d-%02d", year, month, day);
    }

    private static long digits(String text, int from, int to) {
        long value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + c - '0';
        }
        return value;
    }
}
