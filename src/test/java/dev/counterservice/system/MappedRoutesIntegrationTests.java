package dev.counterservice.system;

import java.net.http.HttpResponse;
import java.util.Set;
import java.util.TreeSet;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.OpenApiDocument;
import org.junit.jupiter.api.Test;

import org.springframework.http.HttpHeaders;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.context.AbstractSecurityWebApplicationInitializer;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.function.support.RouterFunctionMapping;
import org.springframework.web.servlet.handler.AbstractUrlHandlerMapping;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.RequestMappingInfoHandlerMapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Every route the API port answers, read from the running application's handler mappings:
 * a new endpoint, a static resource handler or a welcome page fails this test until it is
 * added here on purpose. (The management port is covered by
 * {@link ActuatorIntegrationTests}.)
 */
class MappedRoutesIntegrationTests {

    /**
     * "METHOD path"; "*" for a mapping that takes every method. GET mappings answer HEAD
     * too, unless mapped apart.
     */
    private static final Set<String> EXPECTED = Set.of("GET /", "GET /next", "POST /next", "HEAD /next",
            "GET /counters/{name}/next", "POST /counters/{name}/next", "HEAD /counters/{name}/next",
            "GET /counters/{name}", "PUT /counters/{name}", "POST /counters/{name}/advance", "GET /counters",
            // The OpenAPI document, which describes every route above
            // (web.ApiDocumentController)
            "GET /v3/api-docs", "GET /v3/api-docs.yaml",
            // The container's error page, not an endpoint (it answers 404 when requested)
            "* /error");

    private static final AppInstance instance = AppInstance.shared();

    @Test
    void onlyTheExpectedRoutesAreMapped() {
        Set<String> routes = new TreeSet<>();
        instance.context().getBeansOfType(HandlerMapping.class).forEach((name, mapping) -> {
            switch (mapping) {
                case RequestMappingInfoHandlerMapping methods ->
                    methods.getHandlerMethods().keySet().forEach(info -> routes.addAll(describe(info)));
                // Static resources, webjars, a welcome page or bean-name URLs would all
                // show up here
                case AbstractUrlHandlerMapping urls -> {
                    urls.getHandlerMap().keySet().forEach(path -> routes.add("* " + path + " (" + name + ")"));
                    urls.getPathPatternHandlerMap()
                        .keySet()
                        .forEach(path -> routes.add("* " + path + " (" + name + ")"));
                    if (urls.getRootHandler() != null) {
                        routes.add("* / (root handler of " + name + ")");
                    }
                }
                case RouterFunctionMapping functions -> assertThat(functions.getRouterFunction()).as(name).isNull();
                default -> fail("Handler mapping %s (%s) is new to this test: list its routes", name,
                        mapping.getClass().getName());
            }
        });

        assertThat(routes).containsExactlyInAnyOrderElementsOf(EXPECTED);
    }

    @Test
    void theOpenApiDocumentDescribesEveryRouteButItsOwnAndTheErrorPage() {
        Set<String> described = new TreeSet<>(EXPECTED);
        described.removeAll(Set.of("GET /v3/api-docs", "GET /v3/api-docs.yaml", "* /error"));

        assertThat(OpenApiDocument.operations()).containsExactlyInAnyOrderElementsOf(described);
    }

    @Test
    void everyRouteAnswersWithNoStoreAndNosniff() {
        for (String route : EXPECTED) {
            String[] methodAndPath = route.split(" ");
            String method = methodAndPath[0].equals("*") ? "GET" : methodAndPath[0];
            HttpResponse<String> response = instance.send(method, methodAndPath[1].replace("{name}", "default"));

            assertThat(response.headers().firstValue(HttpHeaders.CACHE_CONTROL)).as(route).hasValue("no-store");
            assertThat(response.headers().firstValue("X-Content-Type-Options")).as(route).hasValue("nosniff");
        }
    }

    /**
     * Spring Security is on the class path for ApiSecurity, but without a JWT issuer or
     * key it is in no request's path.
     */
    @Test
    void withoutAJwtIssuerOrKeySpringSecurityFiltersNothing() {
        assertThat(instance.context().getBeansOfType(SecurityFilterChain.class)).isEmpty();
        assertThat(instance.context().containsBean(AbstractSecurityWebApplicationInitializer.DEFAULT_FILTER_NAME))
            .isFalse();
        HttpResponse<String> post = instance.send("POST", "/next");
        assertThat(post.statusCode()).as("no CSRF token, no credentials").isEqualTo(200);
        assertThat(post.headers().map().keySet()).doesNotContain("x-frame-options", "www-authenticate", "pragma",
                "expires");
    }

    private static Set<String> describe(RequestMappingInfo info) {
        Set<RequestMethod> methods = info.getMethodsCondition().getMethods();
        Set<String> routes = new TreeSet<>();
        for (String path : info.getPatternValues()) {
            if (methods.isEmpty()) {
                routes.add("* " + path);
            }
            methods.forEach(method -> routes.add(method + " " + path));
        }
        return routes;
    }

}
