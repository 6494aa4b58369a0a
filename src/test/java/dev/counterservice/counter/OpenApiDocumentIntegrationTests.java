package dev.counterservice.counter;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.counterservice.testing.AppInstance;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/openapi.yaml is what the running service serves at {@code /v3/api-docs.yaml}: it
 * is generated, never edited. After a change to the API, run this class with
 * {@code -Dopenapi.write=true} to rewrite it, and review the diff.
 */
class OpenApiDocumentIntegrationTests {

    static final Path FILE = Path.of("docs/openapi.yaml");

    private static final AppInstance instance = AppInstance.shared();

    @Test
    void theJsonDocumentIsOpenApi31AndDescribesEveryOperation() {
        HttpResponse<String> served = instance.send("GET", "/v3/api-docs");
        assertThat(served.headers().firstValue("Content-Type"))
            .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        JsonNode api = JsonMapper.shared().readTree(served.body());

        assertThat(api.path("openapi").asString()).startsWith("3.1.");
        api.path("paths")
            .properties()
            .forEach(path -> path.getValue()
                .properties()
                .forEach(operation -> assertThat(operation.getValue().path("summary").isString())
                    .as("%s %s is described in CounterApiDocumentation", operation.getKey(), path.getKey())
                    .isTrue()));
        assertThat(api.path("paths").propertyNames()).containsExactlyInAnyOrder("/", "/next", "/counters",
                "/counters/{name}", "/counters/{name}/next");
    }

    @Test
    void docsOpenapiYamlIsWhatTheServiceServes() throws IOException {
        HttpResponse<String> served = instance.send("GET", "/v3/api-docs.yaml");
        assertThat(served.statusCode()).isEqualTo(200);
        if (Boolean.getBoolean("openapi.write")) {
            Files.writeString(FILE, served.body());
        }
        assertThat(Files.readString(FILE))
            .as("%s is out of date: run ./mvnw test -Dtest=%s -Dopenapi.write=true", FILE, getClass().getSimpleName())
            .isEqualTo(served.body());
    }

}
