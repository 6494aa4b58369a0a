package dev.counterservice.deploy;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

import org.springframework.boot.convert.DurationStyle;

/**
 * What the app serves, read from its own application.properties: the chart must agree
 * with it.
 *
 * @param serverPort the API's port (server.port)
 * @param managementPort the actuator's port (management.server.port)
 * @param managementPaths the actuator paths the app answers on the management port
 * @param livenessPath the liveness group, for startup and liveness probes
 * @param readinessPath the readiness group (includes the database)
 * @param prometheusPath what a ServiceMonitor scrapes
 * @param graceful whether shutdown lets accepted requests finish
 * (server.shutdown=graceful)
 * @param shutdownPhase how long graceful shutdown may take
 * (spring.lifecycle.timeout-per-shutdown-phase)
 * @param tomcat the web server's limits (server.tomcat.*, without the prefix), which hold
 * off connection floods
 */
record AppContract(int serverPort, int managementPort, Set<String> managementPaths, String livenessPath,
        String readinessPath, String prometheusPath, boolean graceful, Duration shutdownPhase,
        Map<String, String> tomcat) {

    static final Path PROPERTIES = Path.of("src/main/resources/application.properties");

    static AppContract load() {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(PROPERTIES)) {
            properties.load(reader);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        String base = properties.getProperty("management.endpoints.web.base-path", "/actuator");
        Set<String> exposed = Set
            .of(properties.getProperty("management.endpoints.web.exposure.include", "health").split(","));
        Set<String> paths = new LinkedHashSet<>();
        exposed.forEach(endpoint -> paths.add(base + "/" + endpoint.trim()));
        String liveness = null;
        String readiness = null;
        if (exposed.contains("health")
                && Boolean.parseBoolean(properties.getProperty("management.endpoint.health.probes.enabled"))) {
            liveness = base + "/health/liveness";
            readiness = base + "/health/readiness";
            paths.add(liveness);
            paths.add(readiness);
        }
        String prometheus = exposed.contains("prometheus") ? base + "/prometheus" : null;
        Duration shutdown = DurationStyle
            .detectAndParse(properties.getProperty("spring.lifecycle.timeout-per-shutdown-phase", "30s"));
        Map<String, String> tomcat = new TreeMap<>();
        properties.stringPropertyNames()
            .stream()
            .filter(name -> name.startsWith("server.tomcat."))
            .forEach(name -> tomcat.put(name.substring("server.tomcat.".length()), properties.getProperty(name)));
        return new AppContract(Integer.parseInt(properties.getProperty("server.port", "8080")),
                Integer.parseInt(properties.getProperty("management.server.port")), Set.copyOf(paths), liveness,
                readiness, prometheus, "graceful".equals(properties.getProperty("server.shutdown")), shutdown,
                Map.copyOf(tomcat));
    }
}
