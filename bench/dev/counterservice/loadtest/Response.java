package dev.counterservice.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * One HTTP/1.1 response read from the start of a buffer: the status, and the headers that frame the body
 * (Content-Length, chunked transfer coding, Connection: close).
 */
final class Response {

    int status;
    boolean close;
    /** Whether the response carries {@code Idempotent-Replayed: true}. */
    boolean replayed;
    byte[] body;
    int bodyOffset;
    int bodyLength;
    private byte[] chunks = new byte[4 << 10];

    /**
     * @param eof whether the server closed the connection after these bytes
     * @return whether {@code in[0..length)} holds a whole response; its fields are then set
     */
    boolean parse(byte[] in, int length, boolean eof) throws IOException {
        int headersEnd = indexOf(in, 0, length, "\r\n\r\n");
        if (headersEnd < 0) {
            return false;
        }
        int line = indexOf(in, 0, headersEnd + 2, "\r\n");
        if (line < 12 || !startsWith(in, 0, "HTTP/1.") || in[8] != ' ') {
            throw new IOException("malformed status line");
        }
        status = (int) number(in, 9, 12, 10);
        close = in[7] == '0';
        long contentLength = -1;
        boolean chunked = false;
        replayed = false;
        for (int at = line + 2; at < headersEnd + 2; ) {
            int end = indexOf(in, at, headersEnd + 2, "\r\n");
            int colon = indexOf(in, at, end, ":");
            if (colon > 0) {
                if (startsWith(in, at, "content-length:")) {
                    contentLength = number(in, colon + 1, end, 10);
                }
                else if (startsWith(in, at, "transfer-encoding:")) {
                    chunked = value(in, colon, end).contains("chunked");
                }
                else if (startsWith(in, at, "connection:")) {
                    close = value(in, colon, end).contains("close");
                }
                else if (startsWith(in, at, "idempotent-replayed:")) {
                    replayed = value(in, colon, end).strip().equals("true");
                }
            }
            at = end + 2;
        }
        int start = headersEnd + 4;
        body = in;
        bodyOffset = start;
        if (status == 204 || status == 304) {
            bodyLength = 0;
            return true;
        }
        if (chunked) {
            return dechunk(in, start, length);
        }
        if (contentLength >= 0) {
            bodyLength = (int) contentLength;
            return length - start >= contentLength;
        }
        // Neither length nor chunks: the body ends with the connection
        close = true;
        bodyLength = length - start;
        return eof;
    }

    /** Joins the chunks that start at {@code at} into {@link #chunks}; false while the last one is missing. */
    private boolean dechunk(byte[] in, int at, int length) throws IOException {
        int joined = 0;
        while (true) {
            int end = indexOf(in, at, length, "\r\n");
            if (end < 0) {
                return false;
            }
            int semicolon = indexOf(in, at, end, ";");
            long size = number(in, at, semicolon < 0 ? end : semicolon, 16);
            at = end + 2;
            if (size == 0) {
                // Optional trailers, then an empty line
                if (length - at >= 2 && in[at] == '\r' && in[at + 1] == '\n') {
                    break;
                }
                if (indexOf(in, at, length, "\r\n\r\n") < 0) {
                    return false;
                }
                break;
            }
            if (length - at < size + 2) {
                return false;
            }
            if (joined + size > chunks.length) {
                chunks = Arrays.copyOf(chunks, (int) Math.max(joined + size, chunks.length * 2L));
            }
            System.arraycopy(in, at, chunks, joined, (int) size);
            joined += (int) size;
            at += (int) size + 2;
        }
        body = chunks;
        bodyOffset = 0;
        bodyLength = joined;
        return true;
    }

    private static String value(byte[] in, int colon, int end) {
        return new String(in, colon + 1, end - colon - 1, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
    }

    private static int indexOf(byte[] in, int from, int to, String text) {
        outer:
        for (int i = from; i + text.length() <= to; i++) {
            for (int j = 0; j < text.length(); j++) {
                if (in[i + j] != text.charAt(j)) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Case-insensitive for ASCII letters; {@code prefix} is given in lower case or as sent. */
    private static boolean startsWith(byte[] in, int at, String prefix) {
        if (at + prefix.length() > in.length) {
            return false;
        }
        for (int j = 0; j < prefix.length(); j++) {
            char c = prefix.charAt(j);
            if (in[at + j] != c && Character.toLowerCase(in[at + j]) != c) {
                return false;
            }
        }
        return true;
    }

    /** A number in {@code in[from..to)}, blanks around it allowed. */
    private static long number(byte[] in, int from, int to, int radix) throws IOException {
        long value = 0;
        int digits = 0;
        for (int i = from; i < to; i++) {
            if (in[i] == ' ' || in[i] == '\t') {
                if (digits > 0) {
                    to = i;
                }
                continue;
            }
            int d = Character.digit(in[i], radix);
            if (d < 0 || digits == 15) {
                throw new IOException("malformed number in the response's framing");
            }
            value = value * radix + d;
            digits++;
        }
        if (digits == 0) {
            throw new IOException("malformed number in the response's framing");
        }
        return value;
    }
}
