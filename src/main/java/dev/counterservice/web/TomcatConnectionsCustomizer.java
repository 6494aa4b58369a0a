package dev.counterservice.web;

import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.stereotype.Component;

/**
 * Shrinks the buffers Tomcat allocates for every connection, so that thousands of slow or
 * half-open connections fit in the heap (see server.tomcat.max-connections and
 * docs/security.md). Tomcat gives each connection a read and a write buffer, and each
 * connection with a request under way a trailer buffer, 8 KB apiece by default; the API's
 * requests and responses are a few hundred bytes, and anything larger is read or written
 * straight through. Spring Boot has no properties for these, hence the customizer.
 */
@Component
class TomcatConnectionsCustomizer implements WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory> {

    static final String BUFFER_BYTES = "1024";

    @Override
    public void customize(ConfigurableTomcatWebServerFactory factory) {
        factory.addConnectorCustomizers(connector -> {
            connector.setProperty("socket.appReadBufSize", BUFFER_BYTES);
            connector.setProperty("socket.appWriteBufSize", BUFFER_BYTES);
            connector.setProperty("maxTrailerSize", BUFFER_BYTES);
            // "Expect: 100-continue" is answered when the service reads the body, not
            // before: a body refused unread
            // (RequestBodies' 413 and 415) is then never sent at all
            connector.setProperty("continueResponseTiming", "onRead");
        });
    }

}
