package dev.counterservice.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The counter's stored value, {@code GET /counters/NAME} as text (consumes nothing), read before and after a keyed
 * run for the gapless check. Once per run, so the JDK's HTTP client is cheap enough.
 */
final class CounterValue {

    private CounterValue() {
    }

    /** @return the value, from the first URL that answers it, or {@code null} if none did */
    static Long read(Options options) throws InterruptedException {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            for (URI url : options.urls()) {
                HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/counters/" + options.counter()))
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
}
