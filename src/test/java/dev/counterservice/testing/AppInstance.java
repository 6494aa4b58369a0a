package dev.counterservice.testing;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.counterservice.CounterServiceApplication;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * One running instance of the service on random loopback ports, as a separate replica
 * would be: its own application context, connection pool and web server, sharing only the
 * database with other instances.
 */
public final class AppInstance implements AutoCloseable {

    /**
     * Every counter the tests on {@link #sharedPair(boolean) shared instances} use; each
     * test class keeps to counters of its own, so tests see only their own numbers move.
     */
    private static final String SHARED_COUNTERS = "default,orders,huge,contended,soak";

    private static final Map<Boolean, List<AppInstance>> shared = new HashMap<>();

    private final ConfigurableApplicationContext context;

    private AppInstance(ConfigurableApplicationContext context) {
        this.context = context;
    }

    /**
     * Starts an instance on {@code database}; {@code properties} override
     * application.properties, and {@code configurations} add beans (such as an in-memory
     * span exporter).
     */
    public static AppInstance start(TestDatabase database, Map<String, String> properties, Class<?>... configurations) {
        return new AppInstance(new SpringApplicationBuilder(CounterServiceApplication.class).sources(configurations)
            .run(arguments(database, properties, 0, 0).toArray(String[]::new)));
    }

    /**
     * Two instances on {@link TestDatabase#shared()} with coalescing on or off, and
     * creating and advancing counters on (counter.admin.enabled), started on first use
     * and closed by Spring's shutdown hook when the JVM exits: each start costs seconds,
     * so tests that only send requests and read answers, metrics or the database share
     * them instead of starting their own. A test that changes an instance (its settings,
     * its database connection, its life) starts its own.
     */
    public static synchronized List<AppInstance> sharedPair(boolean coalescing) {
        return shared.computeIfAbsent(coalescing, mode -> {
            Map<String, String> properties = Map.of("counter.names", SHARED_COUNTERS, "counter.coalescing.enabled",
                    mode.toString(), "counter.admin.enabled", "true");
            return List.of(start(TestDatabase.shared(), properties), start(TestDatabase.shared(), properties));
        });
    }

    /** The first of the coalescing {@link #sharedPair(boolean) shared instances}. */
    public static AppInstance shared() {
        return sharedPair(true).getFirst();
    }

    /**
     * Command-line arguments for an instance on loopback ports (0: any free port) and
     * {@code database}.
     */
    static List<String> arguments(TestDatabase database, Map<String, String> properties, int port, int managementPort) {
        List<String> args = new ArrayList<>(List.of("--server.port=" + port, "--server.address=127.0.0.1",
                "--management.server.port=" + managementPort, "--management.server.address=127.0.0.1",
                "--spring.datasource.url=" + database.jdbcUrl(), "--spring.datasource.username=" + database.username(),
                "--spring.datasource.password=" + database.password()));
        properties.forEach((key, value) -> args.add("--" + key + "=" + value));
        return args;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    public String managementUrl() {
        return "http://127.0.0.1:" + context.getEnvironment().getProperty("local.management.port");
    }

    /**
     * Sends one request to this instance's API and waits for the whole response, at most
     * 30 seconds.
     */
    public HttpResponse<String> send(String method, String path) {
        return Http.send(method, baseUrl() + path);
    }

    /** Sends one request with a JSON body to this instance's API. */
    public HttpResponse<String> sendJson(String method, String path, String json) {
        return Http.send(method, baseUrl() + path, "application/json", json);
    }

    /** Sends a GET to this instance's management (actuator) port. */
    public HttpResponse<String> management(String path) {
        return Http.send("GET", managementUrl() + path);
    }

    public ConfigurableApplicationContext context() {
        return context;
    }

    @Override
    public void close() {
        context.close();
    }

}
