package dev.counterservice.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * The service's counters API, which the tester calls outside the measured run with the JDK's HTTP client: creating
 * the counters of {@code --counters} ({@code PUT /counters/NAME} with the settings given, which leaves an existing
 * one with the same settings as it is), and a counter's stored value ({@code GET /counters/NAME}, which consumes
 * nothing: as text, or as JSON with the period it is in, {@code currentPeriod}), read before and after a keyed
 * run for the gapless check.
 */
final class CounterApi {

    private CounterApi() {
    }

    /**
     * Creates the run's counters where they are missing, through the first URL.
     *
     * @throws IllegalStateException if the service refuses one, saying why
     */
    static void create(Options options) throws InterruptedException {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            for (int i = 0; i < options.counterCount(); i++) {
                String name = options.counterName(i);
                String settings = options.settings().body();
                HttpRequest request = HttpRequest.newBuilder(URI.create(options.urls().getFirst() + "/counters/" + name))
                        .header("Content-Type", "application/json")
                        .PUT(settings.isEmpty() ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(settings))
                        .timeout(Duration.ofSeconds(options.timeoutSeconds())).build();
                HttpResponse<String> response;
                try {
                    response = http.send(request, HttpResponse.BodyHandlers.ofString());
                }
                catch (IOException ex) {
                    throw new IllegalStateException("could not create counter " + name + ": " + ex);
                }
                if (response.statusCode() != 200 && response.statusCode() != 201) {
                    throw new IllegalStateException("could not create counter " + name + ": HTTP "
                            + response.statusCode() + " " + response.body().strip()
                            + (response.statusCode() == 403 ? " (the service needs counter.admin.enabled=true)" : ""));
                }
            }
        }
    }

    /**
     * @return the value of each of the run's counters, from the first URL that answers it, or {@code null} if one
     * could not be read
     */
    static Checker.Stored[] read(Options options) throws InterruptedException {
        Checker.Stored[] values = new Checker.Stored[options.counterCount()];
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            for (int i = 0; i < values.length; i++) {
                Checker.Stored value = read(http, options, options.counterName(i));
                if (value == null) {
                    return null;
                }
                values[i] = value;
            }
        }
        return values;
    }

    private static Checker.Stored read(HttpClient http, Options options, String name) throws InterruptedException {
        for (URI url : options.urls()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/counters/" + name))
                    .header("Accept", options.json() ? "application/json" : "text/plain")
                    .timeout(Duration.ofSeconds(options.timeoutSeconds())).build();
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return options.json() ? stored(response.body())
                            : new Checker.Stored(Period.NONE, Long.parseLong(response.body().strip()));
                }
            }
            catch (IOException | IllegalArgumentException ex) {
                // try the next URL
            }
        }
        return null;
    }

    /**
     * {@code {"value": N, "currentPeriod": "..."}}: the value in the period the counter is in, which is absent for a
     * counter without periods ({@code period} is the setting, such as {@code daily}).
     */
    private static Checker.Stored stored(String body) {
        Map<String, Object> counter = Json.object(body);
        long period = counter.get("currentPeriod") instanceof String text ? Period.key(text) : Period.NONE;
        if (!(counter.get("value") instanceof Long value) || period == -1) {
            throw new IllegalArgumentException("no value and period in " + body);
        }
        return new Checker.Stored(period, value);
    }
}
