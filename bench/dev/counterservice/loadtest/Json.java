package dev.counterservice.loadtest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Just enough JSON for the service's answers: objects, arrays, strings, whole numbers, true, false and null (as
 * {@code Map}, {@code List}, {@code String}, {@code Long}, {@code Boolean} and {@code null}). The tester needs
 * nothing but the JDK, which has no JSON parser.
 */
final class Json {

    private final String text;
    private int at;

    private Json(String text) {
        this.text = text;
    }

    /**
     * @return the object {@code text} holds
     * @throws IllegalArgumentException if it holds anything else, saying where
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(String text) {
        Json json = new Json(text);
        Object value = json.value();
        json.blanks();
        if (!(value instanceof Map) || json.at != text.length()) {
            throw new IllegalArgumentException("not one JSON object");
        }
        return (Map<String, Object>) value;
    }

    private Object value() {
        blanks();
        char c = peek();
        if (c == '{') {
            Map<String, Object> object = new HashMap<>();
            at++;
            if (skip('}')) {
                return object;
            }
            do {
                blanks();
                String name = string();
                blanks();
                expect(':');
                object.put(name, value());
                blanks();
            }
            while (skip(','));
            expect('}');
            return object;
        }
        if (c == '[') {
            List<Object> array = new ArrayList<>();
            at++;
            blanks();
            if (skip(']')) {
                return array;
            }
            do {
                array.add(value());
                blanks();
            }
            while (skip(','));
            expect(']');
            return array;
        }
        if (c == '"') {
            return string();
        }
        for (String word : new String[] { "true", "false", "null" }) {
            if (text.startsWith(word, at)) {
                at += word.length();
                return word.equals("null") ? null : Boolean.valueOf(word);
            }
        }
        int start = at;
        if (c == '-') {
            at++;
        }
        while (at < text.length() && Character.isDigit(text.charAt(at))) {
            at++;
        }
        try {
            return Long.parseLong(text.substring(start, at));
        }
        catch (NumberFormatException ex) {
            throw fault("a value");
        }
    }

    private String string() {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (peek() != '"') {
            char c = text.charAt(at++);
            if (c == '\\') {
                char escaped = peek();
                at++;
                switch (escaped) {
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        if (at + 4 > text.length()) {
                            throw fault("four hex digits");
                        }
                        out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    }
                    default -> out.append(escaped);
                }
            }
            else {
                out.append(c);
            }
        }
        at++;
        return out.toString();
    }

    private void blanks() {
        while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
            at++;
        }
    }

    private char peek() {
        if (at >= text.length()) {
            throw fault("more");
        }
        return text.charAt(at);
    }

    private boolean skip(char c) {
        if (at < text.length() && text.charAt(at) == c) {
            at++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!skip(c)) {
            throw fault("'" + c + "'");
        }
    }

    private IllegalArgumentException fault(String expected) {
        return new IllegalArgumentException("not JSON: " + expected + " expected at character " + at);
    }

    /** {@code text} as a JSON string, quotes included. */
    static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            }
            else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            }
            else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
