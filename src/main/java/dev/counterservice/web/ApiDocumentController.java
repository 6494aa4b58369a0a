package dev.counterservice.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.io.ClassPathResource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The OpenAPI 3.1 document of the API port, written by hand in web/openapi.yaml and
 * served as it is at {@value #YAML_PATH}, and as JSON at {@value #JSON_PATH}: the paths
 * OpenAPI tools look for first. A route missing from it fails
 * MappedRoutesIntegrationTests, a status an operation answers OpenApiDocumentTests.
 */
@RestController
class ApiDocumentController {

    static final String JSON_PATH = "/v3/api-docs";

    static final String YAML_PATH = "/v3/api-docs.yaml";

    /** The type springdoc served it with, which clients of the service have seen. */
    private static final MediaType YAML = new MediaType("application", "vnd.oai.openapi", StandardCharsets.UTF_8);

    private final String yaml;

    private final String json;

    ApiDocumentController(JsonMapper mapper) {
        try {
            this.yaml = new ClassPathResource("web/openapi.yaml").getContentAsString(StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("The OpenAPI document web/openapi.yaml is missing from the classpath", ex);
        }
        // A key written twice by mistake stops the start instead of hiding one of the two
        LoaderOptions strict = new LoaderOptions();
        strict.setAllowDuplicateKeys(false);
        this.json = mapper.writeValueAsString(new Yaml(strict).load(this.yaml));
    }

    @GetMapping(JSON_PATH)
    ResponseEntity<String> json() {
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(json);
    }

    @GetMapping(YAML_PATH)
    ResponseEntity<String> yaml() {
        return ResponseEntity.ok().contentType(YAML).body(yaml);
    }

}
