package dev.counterservice.counter;

import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Parses the {@code Idempotency-Key} request header
 * (draft-ietf-httpapi-idempotency-key-header): 1 to 255 visible ASCII characters, bare or
 * in the draft's quoted form ({@code "abc"} names the same key as {@code abc}). Quotes
 * and backslashes are not part of a key, so the two forms never need unescaping.
 */
final class IdempotencyKey {

    static final String HEADER = "Idempotency-Key";

    static final String PATTERN = "[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,255}";

    private static final Pattern KEY = Pattern.compile(PATTERN);

    private IdempotencyKey() {
    }

    /**
     * @param values every {@code Idempotency-Key} header field of the request
     * @return the key, or null when the request has none
     */
    static String parse(Enumeration<String> values) {
        List<String> all = values == null ? List.of() : Collections.list(values);
        if (all.isEmpty()) {
            return null;
        }
        if (all.size() != 1) {
            throw new InvalidRequestException("Give 'Idempotency-Key' at most once");
        }
        String value = all.getFirst();
        String key = value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
                ? value.substring(1, value.length() - 1) : value;
        if (!KEY.matcher(key).matches()) {
            throw new InvalidRequestException("'Idempotency-Key' must be 1 to 255 visible ASCII characters, "
                    + "without quotes or backslashes, optionally in double quotes");
        }
        return key;
    }

}
