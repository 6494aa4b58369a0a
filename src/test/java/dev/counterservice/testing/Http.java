package dev.counterservice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Plain HTTP/1.1 calls for tests that talk to real servers, each bounded in time. */
public final class Http {

    private static final HttpClient CLIENT = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();

    private Http() {
    }

    /**
     * Sends one request and waits for the whole response, at most 30 seconds; I/O
     * failures are thrown.
     */
    public static HttpResponse<String> send(String method, String url) {
        return send(method, url, HttpRequest.BodyPublishers.noBody());
    }

    /** The same, with {@code body} as the request's body. */
    public static HttpResponse<String> send(String method, String url, String body) {
        return send(method, url, null, HttpRequest.BodyPublishers.ofString(body));
    }

    /**
     * The same, with {@code body} of the type {@code contentType} as the request's body.
     */
    public static HttpResponse<String> send(String method, String url, String contentType, String body) {
        return send(method, url, contentType, HttpRequest.BodyPublishers.ofString(body));
    }

    private static HttpResponse<String> send(String method, String url, HttpRequest.BodyPublisher body) {
        return send(method, url, null, body);
    }

    private static HttpResponse<String> send(String method, String url, String contentType,
            HttpRequest.BodyPublisher body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .method(method, body);
        if (contentType != null) {
            builder.header("Content-Type", contentType);
        }
        HttpRequest request = builder.build();
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

}
