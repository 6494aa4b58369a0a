package dev.counterservice.web;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.assertj.MockMvcTester;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The page's HTTP contract: HTML for everyone, self-contained, never cached, framed by no
 * one.
 */
@WebMvcTest(PageController.class)
class PageControllerTests {

    @Autowired
    private MockMvcTester mvc;

    @Test
    void theRootIsAnHtmlPageThatIsNeverCached() {
        assertThat(mvc.get().uri("/")).hasStatusOk()
            .hasContentType("text/html;charset=UTF-8")
            .hasHeader(HttpHeaders.CACHE_CONTROL, "no-store")
            .hasHeader("X-Content-Type-Options", "nosniff")
            .hasHeader("Content-Security-Policy", PageController.CONTENT_SECURITY_POLICY)
            .bodyText()
            .contains("<title>counter-service</title>")
            .contains("fetch(");
    }

    @Test
    void everyClientGetsThePageWhateverItAccepts() {
        assertThat(mvc.get().uri("/").accept(MediaType.APPLICATION_JSON)).hasStatusOk()
            .hasContentType("text/html;charset=UTF-8");
        assertThat(mvc.get().uri("/").accept(MediaType.TEXT_PLAIN)).hasStatusOk()
            .hasContentType("text/html;charset=UTF-8");
    }

    @Test
    void thePageLoadsNothingFromElsewhere() throws Exception {
        String page = mvc.get().uri("/").exchange().getResponse().getContentAsString(StandardCharsets.UTF_8);

        assertThat(page).doesNotContainPattern("(?i)(src|href)\\s*=\\s*[\"']?(https?:)?//")
            .doesNotContainPattern("(?i)<script[^>]+src")
            .doesNotContainPattern("(?i)<link[^>]+stylesheet")
            .doesNotContainPattern("(?i)@import|url\\(");
        assertThat(PageController.CONTENT_SECURITY_POLICY).startsWith("default-src 'none'")
            .contains("connect-src 'self'")
            .contains("frame-ancestors 'none'");
    }

}
