package dev.counterservice.counter;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a counter is created with, and compared on when it is created again: a repeated
 * {@code PUT} with the same settings is answered with the counter, one with others is
 * refused and told which differ. Settings never change once the counter exists.
 *
 * @param start the value the counter starts at: its first number is {@code start + 1} (of
 * the period current at creation, for a counter with a period)
 * @param period how often the counter starts again at 1
 * @param timeZone the IANA time zone whose calendar decides the period
 * @param format the template of the numbers' text form, or null for none
 * ({@link SeriesFormat})
 * @param audit whether every block is recorded in the ledger, and the counter serves only
 * while commits wait for a synchronous standby (or there is none)
 * @param fenceMargin how far a fence moves the counter, or null for
 * {@code counter.fence-margin}; 0 when audited unless given
 */
record CounterSettings(long start, Period period, String timeZone, String format, boolean audit, Long fenceMargin) {

    static final String UTC = "UTC";

    static final CounterSettings DEFAULT = new CounterSettings(0, Period.NONE, UTC, null, false, null);

    CounterSettings {
        Objects.requireNonNull(period);
        Objects.requireNonNull(timeZone);
        if (audit && fenceMargin == null) {
            fenceMargin = 0L;
        }
    }

    CounterSettings(long start) {
        this(start, Period.NONE, UTC, null, false, null);
    }

    /**
     * Settings as a request or the configuration gives them (null: the default).
     * @throws InvalidRequestException naming the first fault: an unknown time zone, a
     * time zone without a period, a faulty template
     */
    static CounterSettings of(long start, String period, String timeZone, String format, boolean audit,
            Long fenceMargin) {
        Period kind = (period == null) ? Period.NONE : Period.of(period);
        if (timeZone != null && kind == Period.NONE) {
            throw new InvalidRequestException("'timeZone' is only for a counter with a period");
        }
        String zone = (timeZone == null) ? UTC : timeZone;
        if (!ZoneId.getAvailableZoneIds().contains(zone)) {
            throw new InvalidRequestException("'timeZone' must be an IANA time zone name, such as Europe/Paris");
        }
        if (format != null) {
            SeriesFormat.parse(format, kind != Period.NONE);
        }
        return new CounterSettings(start, kind, zone, format, audit, fenceMargin);
    }

    /** The compiled template, or null for a counter without a format. */
    SeriesFormat compiledFormat() {
        return (format == null) ? null : SeriesFormat.parse(format, period != Period.NONE);
    }

    /** The margin of a fence, {@code configured} unless the counter has its own. */
    long fenceMargin(long configured) {
        return (fenceMargin == null) ? configured : fenceMargin;
    }

    /** The settings in which {@code wanted} differs from these, described. */
    List<String> differences(CounterSettings wanted) {
        List<String> differences = new ArrayList<>();
        differ(differences, "start", start, wanted.start);
        differ(differences, "period", period.id(), wanted.period.id());
        differ(differences, "timeZone", timeZone, wanted.timeZone);
        differ(differences, "format", format, wanted.format);
        differ(differences, "audit", audit, wanted.audit);
        differ(differences, "fenceMargin", fenceMargin, wanted.fenceMargin);
        return differences;
    }

    private static void differ(List<String> differences, String setting, Object is, Object wanted) {
        if (!Objects.equals(is, wanted)) {
            differences.add(setting + " is " + describe(is) + ", not " + describe(wanted));
        }
    }

    private static String describe(Object setting) {
        return (setting == null) ? "the default"
                : (setting instanceof String text) ? "'" + text + "'" : setting.toString();
    }

}
