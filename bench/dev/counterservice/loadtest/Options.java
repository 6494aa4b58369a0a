package dev.counterservice.loadtest;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Command-line options, validated. {@code settings} are those the counters of {@code --counters} are created with:
 * period, time zone, format and audit as {@code PUT /counters/NAME} takes them, left to the service to judge.
 */
record Options(List<URI> urls, int clients, int durationSeconds, long maxRequests, int count, String counter,
        int counters, int timeoutSeconds, Path report, long maxRecords, long maxErrors, int ioThreads,
        boolean idempotencyKeys, int retryGraceSeconds, boolean json, Settings settings) {

    private static final Pattern COUNTER_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    /** {@code --period}, {@code --time-zone}, {@code --format} and {@code --audit}, each null (false) if not given. */
    record Settings(String period, String timeZone, String format, boolean audit) {

        static final Settings NONE = new Settings(null, null, null, false);

        /** The body of {@code PUT /counters/NAME}: the settings given, and no others. */
        String body() {
            List<String> fields = new ArrayList<>();
            if (period != null) {
                fields.add("\"period\":" + Json.quote(period));
            }
            if (timeZone != null) {
                fields.add("\"timeZone\":" + Json.quote(timeZone));
            }
            if (format != null) {
                fields.add("\"format\":" + Json.quote(format));
            }
            if (audit) {
                fields.add("\"audit\":true");
            }
            return fields.isEmpty() ? "" : "{" + String.join(",", fields) + "}";
        }

        /** Whether every answer names a period. */
        boolean periodic() {
            return period != null && !period.equals("none");
        }
    }

    /** @return the options, or {@code null} when help was asked for */
    static Options parse(String[] args) {
        List<URI> urls = new ArrayList<>();
        int clients = 64;
        int duration = 30;
        long requests = Long.MAX_VALUE;
        int count = 1;
        String counter = "default";
        int counters = 0;
        int timeout = 5;
        Path report = null;
        long maxRecords = 4_000_000;
        long maxErrors = Long.MAX_VALUE;
        // One event loop costs about what wrk costs per request; leave the other cores to the service under test
        int ioThreads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        boolean idempotencyKeys = false;
        int retryGrace = 30;
        boolean json = false;
        String period = null;
        String timeZone = null;
        String format = null;
        boolean audit = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                return null;
            }
            if (arg.equals("--idempotency-keys") || arg.equals("--json") || arg.equals("--audit")) {
                idempotencyKeys |= arg.equals("--idempotency-keys");
                json |= arg.equals("--json");
                audit |= arg.equals("--audit");
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value for " + arg);
            }
            String value = args[++i];
            switch (arg) {
                case "--url" -> urls.add(url(value));
                case "--clients" -> clients = (int) number(arg, value, 1, 10_000);
                case "--duration" -> duration = (int) number(arg, value, 1, 86_400);
                case "--requests" -> requests = number(arg, value, 1, Long.MAX_VALUE);
                case "--count" -> count = (int) number(arg, value, 1, 1_000_000);
                case "--counter" -> {
                    if (!COUNTER_NAME.matcher(value).matches()) {
                        throw new IllegalArgumentException("--counter must match " + COUNTER_NAME);
                    }
                    counter = value;
                }
                case "--counters" -> counters = (int) number(arg, value, 1, 100_000);
                case "--timeout" -> timeout = (int) number(arg, value, 1, 3_600);
                case "--report" -> report = Path.of(value);
                case "--max-records" -> maxRecords = number(arg, value, 1, Integer.MAX_VALUE - 16);
                case "--max-errors" -> maxErrors = number(arg, value, 0, Long.MAX_VALUE);
                case "--io-threads" -> ioThreads = (int) number(arg, value, 1, 256);
                case "--retry-grace" -> retryGrace = (int) number(arg, value, 0, 3_600);
                case "--period" -> period = value;
                case "--time-zone" -> timeZone = value;
                case "--format" -> format = value;
                default -> throw new IllegalArgumentException("unknown option " + arg);
            }
        }
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("give at least one --url");
        }
        if (counters > 0 && !COUNTER_NAME.matcher(counter + "-" + (counters - 1)).matches()) {
            throw new IllegalArgumentException("--counter " + counter + " is too long a prefix for --counters "
                    + counters + ": names are at most 63 characters");
        }
        Settings settings = new Settings(period, timeZone, format, audit);
        if (!settings.equals(Settings.NONE) && counters == 0) {
            throw new IllegalArgumentException("--period, --time-zone, --format and --audit are settings of the "
                    + "counters the tester creates: give --counters");
        }
        // A period counter's plain text does not name the period, and a formatted one's is not numbers
        json |= settings.periodic() || format != null;
        return new Options(List.copyOf(urls), clients, duration, requests, count, counter, counters, timeout,
                report, maxRecords, maxErrors, Math.min(ioThreads, clients), idempotencyKeys, retryGrace, json,
                settings);
    }

    /** How many counters the clients draw from: {@code --counters}, else the one {@code --counter}. */
    int counterCount() {
        return Math.max(1, counters);
    }

    /** The name of counter {@code i}: {@code --counter} alone, or with {@code --counters} NAME-i. */
    String counterName(int i) {
        return counters == 0 ? counter : counter + "-" + i;
    }

    private static URI url(String value) {
        URI uri;
        try {
            uri = URI.create(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("not a URL: " + value);
        }
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getRawQuery() != null) {
            throw new IllegalArgumentException("--url takes a base URL like http://127.0.0.1:8080, got " + value);
        }
        return uri;
    }

    private static long number(String option, String value, long min, long max) {
        try {
            long n = Long.parseLong(value);
            if (n >= min && n <= max) {
                return n;
            }
        }
        catch (NumberFormatException ex) {
            // reported below
        }
        throw new IllegalArgumentException(option + " must be a whole number from " + min + " to " + max);
    }

    /** The request path of a counter under a base URL. */
    String path(URI base, String name) {
        String prefix = base.getRawPath() == null ? "" : base.getRawPath();
        String next = name.equals("default") ? "/next" : "/counters/" + name + "/next";
        return prefix + next + (count > 1 ? "?count=" + count : "");
    }
}
