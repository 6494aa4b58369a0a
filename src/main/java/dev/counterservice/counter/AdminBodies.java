package dev.counterservice.counter;

import java.io.IOException;
import java.io.InputStream;
import java.util.Set;

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

    private static final JsonMapper STRICT = JsonMapper.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();

    private final int maxBytes;

    AdminBodies(@Value("${server.tomcat.max-http-form-post-size}") DataSize maxBytes) {
        this.maxBytes = (int) maxBytes.toBytes();
    }

    /**
     * The settings of a counter to create: {@code {"start": N}}, or the defaults without
     * a body.
     */
    CounterSettings settings(InputStream body) {
        JsonNode object = read(body, Set.of(START));
        return (object == null || !object.has(START)) ? CounterSettings.DEFAULT
                : new CounterSettings(number(object, START, 0));
    }

    /** Where to move a counter: {@code {"to": N}}. */
    long target(InputStream body) {
        JsonNode object = read(body, Set.of(TO));
        if (object == null || !object.has(TO)) {
            throw new InvalidRequestException("The body must be {\"to\": N}: the number to move the counter to");
        }
        return number(object, TO, 1);
    }

    /**
     * @param fields the fields the object may have
     * @return the object, or null for an empty body
     */
    private JsonNode read(InputStream body, Set<String> fields) {
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

    private static long number(JsonNode object, String field, long least) {
        JsonNode value = object.get(field);
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < least) {
            throw new InvalidRequestException(
                    "'" + field + "' must be a whole number from " + least + " to " + Long.MAX_VALUE);
        }
        return value.longValue();
    }

}
