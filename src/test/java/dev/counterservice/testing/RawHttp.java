package dev.counterservice.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, byte for byte as given: for requests a client library
 * would refuse to build or would quietly repair (dot segments, raw non-ASCII, oversized
 * or missing headers, TRACE, made-up methods). One request per connection: send
 * {@code Connection: close}, or a request the server closes the connection for.
 */
public final class RawHttp {

    private RawHttp() {
    }

    /**
     * Sends exactly these bytes, which need not be a valid request, and reads until the
     * server closes.
     */
    public static Response send(String baseUrl, byte[] request) {
        return send(baseUrl, request, Duration.ofSeconds(30));
    }

    /**
     * As {@link #send(String, byte[])}, failing if connecting or any read takes longer
     * than {@code timeout}.
     */
    public static Response send(String baseUrl, byte[] request, Duration timeout) {
        URI base = URI.create(baseUrl);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            return Response.parse(socket.getInputStream().readAllBytes());
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * A parsed response; header names are lower case, the body is de-chunked and decoded
     * as UTF-8.
     */
    public record Response(int status, Map<String, String> headers, String body) {

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        static Response parse(byte[] raw) {
            String text = new String(raw, StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            if (!text.startsWith("HTTP/1.1 ") || end < 0) {
                throw new IllegalStateException("Not an HTTP/1.1 response: " + text);
            }
            String[] lines = text.substring(0, end).split("\r\n");
            int status = Integer.parseInt(lines[0].substring(9, 12));
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.merge(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim(), (first, second) -> first + ", " + second);
            }
            byte[] body = Arrays.copyOfRange(raw, end + 4, raw.length);
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                body = dechunk(body);
            }
            return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
        }

        private static byte[] dechunk(byte[] chunked) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            int position = 0;
            while (true) {
                int lineEnd = indexOfCrlf(chunked, position);
                int size = Integer.parseInt(
                        new String(chunked, position, lineEnd - position, StandardCharsets.ISO_8859_1).trim(), 16);
                if (size == 0) {
                    return body.toByteArray();
                }
                body.write(chunked, lineEnd + 2, size);
                position = lineEnd + 2 + size + 2;
            }
        }

        private static int indexOfCrlf(byte[] bytes, int from) {
            for (int i = from; i < bytes.length - 1; i++) {
                if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
                    return i;
                }
            }
            throw new IllegalStateException("Truncated chunked body");
        }
    }

}
