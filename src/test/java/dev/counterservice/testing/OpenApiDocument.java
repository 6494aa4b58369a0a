package dev.counterservice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.io.ClassPathResource;

/** The OpenAPI document the service serves, web/openapi.yaml, as the tests read it. */
public final class OpenApiDocument {

    private static final String YAML = read();

    private static final JsonNode TREE = JsonMapper.shared().valueToTree(new Yaml().load(YAML));

    private OpenApiDocument() {
    }

    /** The file as written. */
    public static String yaml() {
        return YAML;
    }

    /** The document as a JSON tree, YAML's anchors resolved. */
    public static JsonNode tree() {
        return TREE;
    }

    /** Every operation, as "METHOD path" ("GET /counters/{name}"). */
    public static Set<String> operations() {
        Set<String> operations = new TreeSet<>();
        TREE.path("paths")
            .properties()
            .forEach(path -> path.getValue()
                .propertyNames()
                .forEach(method -> operations.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey())));
        return operations;
    }

    /** The operation of a method on a path, a missing node if the document has none. */
    public static JsonNode operation(String method, String path) {
        return TREE.path("paths").path(path).path(method.toLowerCase(Locale.ROOT));
    }

    private static String read() {
        try {
            return new ClassPathResource("web/openapi.yaml").getContentAsString(StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

}
