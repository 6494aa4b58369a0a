package dev.counterservice.web;

import java.net.http.HttpResponse;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.OpenApiDocument;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAPI document as the service serves it: web/openapi.yaml as written, and the
 * same document as JSON. That every route is an operation of it is checked by
 * MappedRoutesIntegrationTests, that every status an operation answers is listed under it
 * by OpenApiDocumentTests.
 */
class OpenApiDocumentIntegrationTests {

    private static final AppInstance instance = AppInstance.shared();

    @Test
    void theYamlIsServedAsWritten() {
        HttpResponse<String> served = instance.send("GET", ApiDocumentController.YAML_PATH);

        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.headers().firstValue("Content-Type")).hasValue("application/vnd.oai.openapi;charset=UTF-8");
        assertThat(served.body()).isEqualTo(OpenApiDocument.yaml());
    }

    @Test
    void theJsonIsTheSameOpenApi31Document() {
        HttpResponse<String> served = instance.send("GET", ApiDocumentController.JSON_PATH);

        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode api = JsonMapper.shared().readTree(served.body());
        assertThat(api).isEqualTo(OpenApiDocument.tree());
        assertThat(api.path("openapi").asString()).startsWith("3.1.");
    }

    @Test
    void everyOperationIsNamedAndSummarized() {
        for (String operation : OpenApiDocument.operations()) {
            String[] methodAndPath = operation.split(" ");
            JsonNode described = OpenApiDocument.operation(methodAndPath[0], methodAndPath[1]);
            assertThat(described.path("operationId").isString()).as("operationId of %s", operation).isTrue();
            assertThat(described.path("summary").isString()).as("summary of %s", operation).isTrue();
        }
    }

}
