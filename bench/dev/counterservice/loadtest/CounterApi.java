package dev.counterservice.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The service's counters API, which the tester calls outside the measured run with the JDK's HTTP client: creating
 * the counters of {@code --counters} ({@code PUT /counters/NAME}, which leaves an existing one as it is), and a
 * counter's stored value ({@code GET /counters/NAME} as text, which consumes nothing), read before and after a keyed
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
                HttpRequest request = HttpRequest.newBuilder(URI.create(options.urls().getFirst() + "/counters/" + name))
                        .PUT(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(options.timeoutSeconds()))
                        .build();
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
    static long[] read(Options options) throws InterruptedException {
        long[] values = new long[options.counterCount()];
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            for (int i = 0; i < values.length; i++) {
                Long value = read(http, options, options.counterName(i));
                if (value == null) {
                    return null;
                }
                values[i] = value;
            }
        }
        return values;
    }

    private static Long read(HttpClient http, Options options, String name) throws InterruptedException {
        for (URI url : options.urls()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/counters/" + name))
                    .header("Accept", "text/plain").timeout(Duration.ofSeconds(options.timeoutSeconds())).build();
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return Long.parseLong(response.body().strip());
                }
            }
            catch (IOException | NumberFormatException ex) {
                // try the next URL
            }
        }
        return null;
    }
}
