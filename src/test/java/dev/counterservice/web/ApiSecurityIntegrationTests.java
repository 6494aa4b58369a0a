package dev.counterservice.web;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.RawHttp;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Authorization on: the service verifies tokens against a public key
 * (spring.security.oauth2.resourceserver.jwt. public-key-location), and the test signs
 * them with the private key of a pair it generates, as an identity provider would; the
 * forged tokens are also tried against an issuer's discovery document and JWK set, served
 * by the test on loopback. Every refusal is an RFC 9457 problem with the API's headers,
 * and moves no counter.
 */
class ApiSecurityIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final String COUNTERS = "default,orders,invoices";

    private static final TestIssuer ISSUER = TestIssuer.generate();

    @AutoClose
    private static AppInstance instance = AppInstance.start(TestDatabase.shared(),
            Map.of("counter.names", COUNTERS, TestIssuer.PUBLIC_KEY_LOCATION, ISSUER.publicKeyLocation()));

    private final TestDatabase database = TestDatabase.shared();

    @Test
    void withoutATokenEveryApiRequestIs401WithWwwAuthenticateBearer() {
        for (String request : new String[] { "GET /next", "POST /next", "HEAD /next", "GET /counters/orders/next",
                "POST /counters/orders/next", "GET /counters/orders", "GET /counters", "GET /counters/nowhere",
                "GET /elsewhere" }) {
            RawHttp.Response response = assertRefused(request, null, 401);
            assertThat(response.header("WWW-Authenticate")).as(request).startsWith("Bearer ");
        }
    }

    @Test
    void aBadTokenIs401() {
        String otherKeys = TestIssuer.generate().token("counter:default:next", Instant.now().plusSeconds(60));
        for (String token : new String[] { "not-a-jwt",
                ISSUER.token("counter:default:next", Instant.now().minusSeconds(120)), otherKeys,
                otherKeys.substring(0, otherKeys.lastIndexOf('.')) + ".", token("counter:default:next") + "x" }) {
            RawHttp.Response response = assertRefused("GET /next", token, 401);
            assertThat(response.header("WWW-Authenticate")).startsWith("Bearer error=\"invalid_token\"");
        }
        RawHttp.Response basic = assertRefused(request("GET /next", null, "Authorization: Basic dXNlcjpwYXNz"), 401);
        assertThat(basic.header("WWW-Authenticate")).startsWith("Bearer ");
        // Only the Authorization header counts: a token in the query string would end up
        // in access logs
        assertRefused("GET /next?access_token=" + token("counter:default:next"), null, 401);
    }

    /**
     * Whichever way the service gets the issuer's key, a token that is unsigned, signed
     * with the public key as an HMAC secret, edited after signing, without an expiry or
     * not valid yet is refused, and takes nothing; a proper token from the same issuer is
     * served.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { "public-key-location", "issuer-uri", "jwk-set-uri" })
    void forgedUnsignedNeverExpiringAndNotYetValidTokensAre401AndTakeNothing(String keySource) {
        if (keySource.equals("public-key-location")) {
            assertForgedTokensRefused(instance, ISSUER, false);
            return;
        }
        try (TestIssuer served = TestIssuer.serveOnLoopback();
                AppInstance app = AppInstance.start(TestDatabase.shared(),
                        Map.of("counter.names", COUNTERS, "spring.security.oauth2.resourceserver.jwt." + keySource,
                                keySource.equals("issuer-uri") ? served.issuerUri() : served.jwkSetUri()))) {
            assertForgedTokensRefused(app, served, keySource.equals("issuer-uri"));
        }
    }

    private void assertForgedTokensRefused(AppInstance target, TestIssuer issuer, boolean issuerChecked) {
        Instant later = Instant.now().plus(Duration.ofMinutes(5));
        String next = "counter:default:next";
        Map<String, String> forged = new LinkedHashMap<>();
        forged.put("alg none", new PlainJWT(issuer.claims(next, later).build()).serialize());
        forged.put("HS256 keyed with the RSA public key", hs256(issuer.claims(next, later).build(), issuer));
        String[] readOnly = issuer.token("counter:default:read", later).split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(readOnly[1]), StandardCharsets.UTF_8)
            .replace("counter:default:read", "counter:default:read " + next);
        forged.put("a scope added to the payload, the signature kept", readOnly[0] + "."
                + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "."
                + readOnly[2]);
        forged.put("no exp", issuer.sign(issuer.claims(next, later).expirationTime(null).build()));
        forged.put("nbf ten minutes ahead", issuer
            .sign(issuer.claims(next, later).notBeforeTime(Date.from(Instant.now().plusSeconds(600))).build()));
        if (issuerChecked) {
            forged.put("another issuer", issuer.sign(issuer.claims(next, later).issuer("http://elsewhere").build()));
        }
        List<String> accepted = new ArrayList<>();
        forged.forEach((attack, token) -> {
            try {
                RawHttp.Response response = assertRefused(target, attack, request("GET /next", token, null), 401);
                assertThat(response.header("WWW-Authenticate")).as(attack).startsWith("Bearer error=\"invalid_token\"");
            }
            catch (AssertionError ex) {
                accepted.add(ex.getMessage());
            }
        });
        assertThat(accepted).as("forged tokens not refused as they should be").isEmpty();
        assertThat(RawHttp.send(target.baseUrl(), request("GET /next", issuer.token(next, later), null)).status())
            .as("the same issuer's proper token")
            .isEqualTo(200);
    }

    /**
     * The "algorithm confusion" forgery: HS256 with the issuer's public key, which anyone
     * has, as the shared secret.
     */
    private static String hs256(JWTClaimsSet claims, TestIssuer issuer) {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(new MACSigner(issuer.publicKeyPem().getBytes(StandardCharsets.US_ASCII)));
        }
        catch (JOSEException ex) {
            throw new IllegalStateException(ex);
        }
        return jwt.serialize();
    }

    /**
     * Scopes in {@code scp}, as a list or a space-separated string, count as in
     * {@code scope}.
     */
    @Test
    void theScpClaimGrantsScopesAsTheScopeClaimDoes() {
        Instant later = Instant.now().plus(Duration.ofMinutes(5));
        for (Object scp : List.of(List.of("counter:orders:next"), "counter:orders:read counter:orders:next")) {
            String token = ISSUER.sign(ISSUER.claims(null, later).claim("scp", scp).build());
            long before = stored("orders");

            assertThat(send("POST /counters/orders/next", token).body()).as(scp.toString())
                .isEqualTo((before + 1) + "\n");
            assertRefused("GET /next", token, 403);
        }
    }

    @Test
    void theNextScopeTakesNumbersFromItsCounterOnly() {
        String orders = token("counter:orders:next");
        long before = stored("orders");

        assertThat(send("POST /counters/orders/next", orders).body()).isEqualTo((before + 1) + "\n");
        assertThat(send("GET /counters/orders/next?count=2", orders).body())
            .isEqualTo((before + 2) + "\n" + (before + 3) + "\n");
        assertThat(send("HEAD /counters/orders/next", orders).status()).isEqualTo(200);

        for (String other : new String[] { "GET /next", "POST /counters/invoices/next", "GET /counters/orders",
                "GET /counters/invoices" }) {
            RawHttp.Response response = assertRefused(other, orders, 403);
            assertThat(response.header("WWW-Authenticate")).as(other).startsWith("Bearer error=\"insufficient_scope\"");
        }
        assertThat(send("GET /next", token("counter:default:next")).status()).isEqualTo(200);
    }

    /**
     * However a path spells a counter, a token's scope for one counter never takes
     * numbers from another.
     */
    @Test
    void anEncodedPathCannotBorrowAnotherCountersScope() {
        String orders = token("counter:orders:next");
        long invoices = stored("invoices");
        long defaults = stored("default");
        for (String path : new String[] { "/counters/%69nvoices/next", "/counters/invoices;orders/next",
                "/counters/orders/../invoices/next", "/counters/./invoices/next", "/counters//invoices/next",
                "/counters/invoices/next/", "/next;/counters/orders/next" }) {
            RawHttp.Response response = RawHttp.send(instance.baseUrl(), request("POST " + path, orders, null));
            assertThat(response.status()).as(path).isIn(400, 403, 404);
        }
        assertThat(stored("invoices")).isEqualTo(invoices);
        assertThat(stored("default")).isEqualTo(defaults);
    }

    @Test
    void theReadScopeReadsItsCounterAndTakesNothing() {
        String readOrders = token("counter:orders:read");
        long before = stored("orders");

        assertThat(send("GET /counters/orders", readOrders).body()).isEqualTo(before + "\n");
        assertRefused("GET /counters/orders/next", readOrders, 403);
        assertRefused("GET /counters/default", readOrders, 403);
    }

    @Test
    void theListShowsOnlyTheReadableCounters() {
        String token = token("counter:orders:read counter:invoices:next counter:default:read");

        assertThat(listed(token, "Accept: application/json").stream()
            .flatMap(page -> JSON.readTree(page).findValuesAsString("counter").stream()))
            .containsExactlyInAnyOrder("default", "orders");
        assertThat(listed(token).stream().flatMap(String::lines)).extracting(line -> line.split(" ")[0])
            .containsExactlyInAnyOrder("default", "orders");
        assertThat(listed(token("counter:invoices:next"))).allSatisfy(page -> assertThat(page).isEmpty());
    }

    @Test
    void theAdminScopeCreatesAndAdvancesAnyCounterAndNoOtherScopeDoes() {
        String name = "secured-" + Long.toString(System.nanoTime(), 36);
        for (String scope : new String[] { "counter:" + name + ":next", "counter:" + name + ":read",
                "counter:" + name + ":admin", "counter:default:next" }) {
            assertRefused(json("PUT /counters/" + name, token(scope), "{}"), 403);
            assertRefused(json("POST /counters/default/advance", token(scope), "{\"to\": 1000000000}"), 403);
        }
        assertThat(database.queryForLong("SELECT count(*) FROM counter WHERE name = '%s'".formatted(name))).isZero();

        String admin = token("counter:admin");
        assertThat(RawHttp.send(instance.baseUrl(), json("PUT /counters/" + name, admin, "{\"start\": 5}")).status())
            .isEqualTo(201);
        assertThat(RawHttp.send(instance.baseUrl(), json("POST /counters/" + name + "/advance", admin, "{\"to\": 9}"))
            .status()).isEqualTo(200);
        assertThat(stored(name)).isEqualTo(9);
        assertRefused("GET /counters/" + name + "/next", admin, 403);
    }

    /** Every page of GET /counters, following the Link of each to the next. */
    private List<String> listed(String token, String... headers) {
        List<String> pages = new ArrayList<>();
        String path = "/counters";
        while (path != null) {
            RawHttp.Response page = send("GET " + path, token, headers);
            pages.add(page.body());
            String link = page.header("Link");
            path = (link == null) ? null : link.substring(1, link.indexOf('>'));
        }
        return pages;
    }

    /** A request with a JSON body. */
    private static byte[] json(String requestLine, String token, String body) {
        byte[] head = request(requestLine, token, "Content-Type: application/json\r\nContent-Length: " + body.length());
        return ByteBuffer.allocate(head.length + body.length())
            .put(head)
            .put(body.getBytes(StandardCharsets.US_ASCII))
            .array();
    }

    @Test
    void thePageTheApiDocumentsTheResourceMetadataAndTheManagementPortNeedNoToken() {
        assertThat(send("GET /", null).status()).isEqualTo(200);
        assertThat(send("GET /v3/api-docs", null).status()).isEqualTo(200);
        RawHttp.Response metadata = send("GET /.well-known/oauth-protected-resource", null);
        assertThat(JSON.readTree(metadata.body()).path("bearer_methods_supported").toString())
            .isEqualTo("[\"header\"]");
        assertThat(JSON.readTree(metadata.body()).path("tls_client_certificate_bound_access_tokens").asBoolean())
            .isFalse();
        assertThat(instance.management("/actuator/health/readiness").statusCode()).isEqualTo(200);
        assertThat(instance.management("/actuator/health/liveness").statusCode()).isEqualTo(200);
        assertThat(instance.management("/actuator/prometheus").statusCode()).isEqualTo(200);
    }

    @Test
    void theApisOtherRulesStillHoldBehindAToken() {
        String token = token("counter:orders:next");
        // With its body: a request short of its Content-Length is answered only after
        // Tomcat gave up waiting for the rest (connection-timeout, 10 s)
        byte[] post = request("POST /counters/orders/next", token,
                "Content-Type: application/json\r\nContent-Length: 11");
        assertRefused(ByteBuffer.allocate(post.length + 11)
            .put(post)
            .put("{\"count\":1}".getBytes(StandardCharsets.US_ASCII))
            .array(), 415);
        assertRefused("GET /counters/orders/next?count=0", token, 400);
        assertRefused("PUT /counters/orders/next", token, 405);
    }

    private RawHttp.Response assertRefused(String requestLine, String token, int status) {
        return assertRefused(request(requestLine, token, null), status);
    }

    private RawHttp.Response assertRefused(byte[] request, int status) {
        return assertRefused(instance, new String(request, StandardCharsets.UTF_8).lines().findFirst().orElseThrow(),
                request, status);
    }

    private RawHttp.Response assertRefused(AppInstance target, String description, byte[] request, int status) {
        Map<String, Long> before = Map.of("default", stored("default"), "orders", stored("orders"), "invoices",
                stored("invoices"));

        RawHttp.Response response = RawHttp.send(target.baseUrl(), request);

        assertThat(response.status()).as(description).isEqualTo(status);
        assertThat(response.header("Cache-Control")).as(description).isEqualTo("no-store");
        assertThat(response.header("X-Content-Type-Options")).as(description).isEqualTo("nosniff");
        assertThat(response.header("X-Frame-Options")).as(description + ": none of Spring Security's default headers")
            .isNull();
        if (!description.startsWith("HEAD")) {
            assertThat(response.header("Content-Type")).as(description).isEqualTo("application/problem+json");
            assertThat(JSON.readTree(response.body()).path("status").asInt()).as(description).isEqualTo(status);
        }
        assertThat(Map.of("default", stored("default"), "orders", stored("orders"), "invoices", stored("invoices")))
            .as(description + ": no counter moved")
            .isEqualTo(before);
        return response;
    }

    private RawHttp.Response send(String requestLine, String token, String... headers) {
        RawHttp.Response response = RawHttp.send(instance.baseUrl(),
                request(requestLine, token, String.join("\r\n", headers)));
        assertThat(response.status()).as(requestLine).isEqualTo(200);
        return response;
    }

    private static byte[] request(String requestLine, String token, String headers) {
        String authorization = token == null ? "" : "\r\nAuthorization: Bearer " + token;
        String more = headers == null || headers.isEmpty() ? "" : "\r\n" + headers;
        return (requestLine + " HTTP/1.1\r\nHost: localhost" + authorization + more + "\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8);
    }

    private long stored(String counter) {
        return database.queryForLong("SELECT value FROM counter WHERE name = '%s'".formatted(counter));
    }

    private static String token(String scope) {
        return ISSUER.token(scope, Instant.now().plus(Duration.ofMinutes(5)));
    }

}
