package dev.counterservice.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import tools.jackson.databind.json.JsonMapper;

/**
 * The Kubernetes API as far as the chart's {@code lookup} needs it. helm-java renders
 * templates like {@code helm install --dry-run=server}, so a lookup calls an API server:
 * without this one it would call whatever the kubeconfig names, or localhost:8080. Maven
 * points {@code KUBECONFIG} at a file that this class writes with its loopback address.
 * It serves Secrets that a test puts here and answers 404 for anything else. fabric8's
 * mock server cannot take its place: Helm needs discovery it does not serve, and stores
 * its release as protobuf, which it cannot read (docs/kubernetes.md).
 */
final class FakeKubernetesApi {

    private static final Pattern SECRET = Pattern.compile("/api/v1/namespaces/([^/]+)/secrets/([^/]+)");

    private static final Map<String, Map<String, String>> secrets = new ConcurrentHashMap<>();

    private static HttpServer server;

    private FakeKubernetesApi() {
    }

    /**
     * Starts the server once per JVM and writes the kubeconfig that Maven handed to this
     * JVM as KUBECONFIG.
     */
    static synchronized void start() {
        if (server != null) {
            return;
        }
        String kubeconfig = System.getenv("KUBECONFIG");
        if (kubeconfig == null || !kubeconfig.contains("fake-kubernetes")) {
            throw new IllegalStateException("KUBECONFIG must point at target/fake-kubernetes/kubeconfig (set by the "
                    + "surefire and failsafe configuration in pom.xml), so helm's lookup never reaches a real cluster");
        }
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", FakeKubernetesApi::handle);
            server.start();
            Path file = Path.of(kubeconfig);
            Files.createDirectories(file.getParent());
            Files.writeString(file, """
                    apiVersion: v1
                    kind: Config
                    clusters:
                      - name: fake
                        cluster:
                          server: http://127.0.0.1:%d
                    contexts:
                      - name: fake
                        context:
                          cluster: fake
                          user: fake
                          namespace: default
                    current-context: fake
                    users:
                      - name: fake
                        user: {}
                    """.formatted(server.getAddress().getPort()));
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Makes a Secret exist, with its data already base64-encoded as in the API. */
    static void putSecret(String namespace, String name, Map<String, String> data) {
        secrets.put(namespace + "/" + name, Map.copyOf(data));
    }

    static void removeSecret(String namespace, String name) {
        secrets.remove(namespace + "/" + name);
    }

    private static void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        Matcher secret = SECRET.matcher(path);
        Object body;
        int status = 200;
        if (path.equals("/api/v1")) {
            body = Map.of("kind", "APIResourceList", "apiVersion", "v1", "groupVersion", "v1", "resources",
                    List.of(Map.of("name", "secrets", "singularName", "secret", "namespaced", true, "kind", "Secret",
                            "verbs", List.of("get", "list"))));
        }
        else if (secret.matches() && secrets.containsKey(secret.group(1) + "/" + secret.group(2))) {
            body = Map.of("apiVersion", "v1", "kind", "Secret", "type", "Opaque", "metadata",
                    Map.of("name", secret.group(2), "namespace", secret.group(1)), "data",
                    secrets.get(secret.group(1) + "/" + secret.group(2)));
        }
        else {
            status = 404;
            body = Map.of("kind", "Status", "apiVersion", "v1", "status", "Failure", "reason", "NotFound", "code", 404,
                    "message", path + " not found");
        }
        byte[] bytes = JsonMapper.shared().writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

}
