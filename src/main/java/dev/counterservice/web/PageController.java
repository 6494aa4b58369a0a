package dev.counterservice.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import org.springframework.core.io.ClassPathResource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /}: one self-contained page for people with a browser. It lists the counters
 * and takes numbers through the same API as every other client ({@code GET /counters},
 * {@code POST /counters/{name}/next}). Served as HTML whatever the {@code Accept} header
 * says, like the API's plain-text default; its policy lets it load nothing from anywhere
 * but this service, and be framed by no one.
 */
@RestController
class PageController {

    static final String PATH = "/";

    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            + "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static final MediaType HTML = new MediaType(MediaType.TEXT_HTML, StandardCharsets.UTF_8);

    private final String page;

    PageController() {
        try {
            this.page = new ClassPathResource("web/index.html").getContentAsString(StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("The page web/index.html is missing from the classpath", ex);
        }
    }

    @GetMapping(PATH)
    ResponseEntity<String> page() {
        return ResponseEntity.ok()
            .contentType(HTML)
            .header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            .body(page);
    }

}
