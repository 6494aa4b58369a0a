package dev.counterservice.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import tools.jackson.databind.json.JsonMapper;

/**
 * A token issuer in miniature, as an identity provider would be: an RSA key pair made for
 * the test, its public key as the PEM file the service is pointed at, and RS256 tokens
 * signed with its private key. {@link #serveOnLoopback()} also serves, on 127.0.0.1, the
 * endpoints an identity provider has: its OpenID discovery document and its JWK set.
 */
final class TestIssuer implements AutoCloseable {

    /**
     * Where the service reads the public key from, as
     * spring.security.oauth2.resourceserver.jwt.public-key-location.
     */
    static final String PUBLIC_KEY_LOCATION = "spring.security.oauth2.resourceserver.jwt.public-key-location";

    private final KeyPair keys;

    /** The {@code iss} of its tokens and its discovery document's address; or null. */
    private final String issuer;

    private final HttpServer server;

    private TestIssuer(KeyPair keys, String issuer, HttpServer server) {
        this.keys = keys;
        this.issuer = issuer;
        this.server = server;
    }

    static TestIssuer generate() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return new TestIssuer(generator.generateKeyPair(), null, null);
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * A new issuer whose tokens carry its address as {@code iss}, serving
     * {@code <issuer>/.well-known/openid-configuration} and the JWK set it names at
     * {@link #jwkSetUri()}, until closed.
     */
    static TestIssuer serveOnLoopback() {
        KeyPair keys = generate().keys;
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            String issuer = "http://127.0.0.1:" + server.getAddress().getPort() + "/issuer";
            String jwks = new JWKSet(new RSAKey.Builder((RSAPublicKey) keys.getPublic()).keyID("test").build())
                .toString();
            String discovery = JsonMapper.shared()
                .writeValueAsString(Map.of("issuer", issuer, "jwks_uri", issuer + "/jwks",
                        "id_token_signing_alg_values_supported", new String[] { "RS256" }));
            server.createContext("/issuer/.well-known/openid-configuration", exchange -> respond(exchange, discovery));
            server.createContext("/issuer/jwks", exchange -> respond(exchange, jwks));
            server.start();
            return new TestIssuer(keys, issuer, server);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static void respond(com.sun.net.httpserver.HttpExchange exchange, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (var out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    String issuerUri() {
        return issuer;
    }

    String jwkSetUri() {
        return issuer + "/jwks";
    }

    /**
     * The claims of a token as this issuer gives them: a subject, space-separated scopes,
     * issued ten minutes ago, an expiry, and its {@code iss} if it has one.
     */
    JWTClaimsSet.Builder claims(String scope, Instant expiresAt) {
        return new JWTClaimsSet.Builder().subject("test-client")
            .issuer(issuer)
            .claim("scope", scope)
            .issueTime(Date.from(Instant.now().minusSeconds(600)))
            .expirationTime(Date.from(expiresAt));
    }

    /** A token with a subject, space-separated scopes and an expiry. */
    String token(String scope, Instant expiresAt) {
        return sign(claims(scope, expiresAt).build());
    }

    /** Any claims, signed RS256 with this issuer's private key. */
    String sign(JWTClaimsSet claims) {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
        try {
            jwt.sign(new RSASSASigner((RSAPrivateKey) keys.getPrivate()));
        }
        catch (JOSEException ex) {
            throw new IllegalStateException(ex);
        }
        return jwt.serialize();
    }

    /** The public key in PEM, as `openssl pkey -pubout` writes it. */
    String publicKeyPem() {
        String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(keys.getPublic().getEncoded());
        return "-----BEGIN PUBLIC KEY-----\n" + base64 + "\n-----END PUBLIC KEY-----\n";
    }

    /**
     * The public key as a PEM file, in the form public-key-location takes.
     */
    String publicKeyLocation() {
        try {
            Path file = Files.createTempFile("counter-service-jwt-", ".pub");
            file.toFile().deleteOnExit();
            Files.writeString(file, publicKeyPem());
            return "file:" + file;
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
    }

}
