package dev.counterservice.counter;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import org.springframework.web.ErrorResponseException;

/**
 * Reads the JSON bodies of the admin endpoints strictly: one object, only the fields the
 * endpoint knows, each a whole number in range, no field twice and nothing after the
 * object. Anything else is refused with a 400 that names the fault, before anything is
 * created or moved. A body is read up to {@code server.tomcat.max-http-form-post-size} (1
 * KB), the limit of every body the API takes: a larger one is refused with 413.
 */
@Component
class AdminBodies {

    static final String START = "start";

    static final String TO = "to";

    static final String PERIOD = "period";

    static final String TIME_ZONE = "timeZone";

    static final String FORMAT = "format";

    static final String AUDIT = "audit";

    static final String FENCE_MARGIN = "fenceMargin";

    static final String REASON = "reason";

    /** The longest reason a void takes. */
    static final int MAX_REASON = 500;

    private static final JsonMapper STRICT = JsonMapper.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();

    private final int maxBytes;

    AdminBodies(@Value("${server.tomcat.max-http-form-post-size}") DataSize maxBytes) {
        this.maxBytes = (int) maxBytes.toBytes();
    }

    /**
     * The settings of a counter to create ({@code {"start": N, "period": "yearly",
     * "timeZone": "Europe/Paris", "format": "INV-{period}-{value:06}", "audit": true,
     * "fenceMargin": N}}, each optional), or the defaults without a body.
     */
    CounterSettings settings(InputStream body) {
        JsonNode object = read(body, List.of(START, PERIOD, TIME_ZONE, FORMAT, AUDIT, FENCE_MARGIN));
        if (object == null) {
            return CounterSettings.DEFAULT;
        }
        return CounterSettings.of(object.has(START) ? number(object, START, 0) : 0, text(object, PERIOD),
                text(object, TIME_ZONE), text(object, FORMAT), object.has(AUDIT) && bool(object, AUDIT),
                object.has(FENCE_MARGIN) ? number(object, FENCE_MARGIN, 0) : null);
    }

    /**
     * Why a number is voided: {@code {"reason": "..."}}, 1 to {@value #MAX_REASON}
     * characters.
     */
    String reason(InputStream body) {
        JsonNode object = read(body, List.of(REASON));
        String reason = (object == null) ? null : text(object, REASON);
        if (reason == null || reason.isBlank() || reason.length() > MAX_REASON) {
            throw new InvalidRequestException(
                    "The body must be {\"reason\": \"...\"}: why the number is not used, 1 to " + MAX_REASON
                            + " characters");
        }
        return reason;
    }

    /** Where to move a counter: {@code {"to": N}}. */
    long target(InputStream body) {
        JsonNode object = read(body, List.of(TO));
        if (object == null || !object.has(TO)) {
            throw new InvalidRequestException("The body must be {\"to\": N}: the number to move the counter to");
        }
        return number(object, TO, 1);
    }

    /**
     * @param fields the fields the object may have
     * @return the object, or null for an empty body
     */
    private JsonNode read(InputStream body, List<String> fields) {
        byte[] bytes;
        try {
            bytes = body.readNBytes(maxBytes + 1);
        }
        catch (IOException ex) {
            throw new InvalidRequestException("The body could not be read");
        }
        if (bytes.length > maxBytes) {
            throw new ErrorResponseException(HttpStatus.CONTENT_TOO_LARGE, ProblemDetail.forStatusAndDetail(
                    HttpStatus.CONTENT_TOO_LARGE, "The request body is larger than the API takes"), null);
        }
        if (bytes.length == 0) {
            return null;
        }
        JsonNode object;
        try {
            object = STRICT.readTree(bytes);
        }
        catch (JacksonException ex) {
            throw new InvalidRequestException("The body is not JSON, or a field is given twice");
        }
        if (object == null || !object.isObject()) {
            throw new InvalidRequestException("The body must be a JSON object with the fields " + fields);
        }
        for (String field : object.propertyNames()) {
            if (!fields.contains(field)) {
                // Not quoted: an error never repeats the caller's input
                throw new InvalidRequestException("The body has an unknown field; its fields are " + fields);
            }
        }
        return object;
    }

    /** A text field, or null when it is absent. */
    private static String text(JsonNode object, String field) {
        JsonNode value = object.get(field);
        if (value == null) {
            return null;
        }
        if (!value.isString()) {
            throw new InvalidRequestException("'" + field + "' must be a string");
        }
        return value.stringValue();
    }

    private static boolean bool(JsonNode object, String field) {
        JsonNode value = object.get(field);
        if (!value.isBoolean()) {
            throw new InvalidRequestException("'" + field + "' must be true or false");
        }
        return value.booleanValue();
    }

    private static long number(JsonNode object, String field, long least) {
        JsonNode value = object.get(field);
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < least) {
            throw new InvalidRequestException(
                    "'" + field + "' must be a whole number from " + least + " to " + Long.MAX_VALUE);
        }
        return value.longValue();
    }

}
