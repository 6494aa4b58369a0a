package dev.counterservice.deploy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The value sets the chart is rendered and linted with: the defaults, and each file in
 * chart/ci (the folder chart-testing reads, so the same sets can be installed on a real
 * cluster).
 */
enum ValueSet {

    DEFAULTS(null, Map.of()), EXTERNAL_DATABASE("external-database-values.yaml", Map.of("counter-db-app", "pgpass")),
    EXISTING_SECRET("existing-secret-values.yaml", Map.of("counter-db-credentials", "postgres-password")),
    ALL_FEATURES("all-features-values.yaml", Map.of()), POSTGRESQL_17("postgresql-17-values.yaml", Map.of()),
    PLAIN_MANIFESTS("plain-manifests-values.yaml", Map.of("counter-service-postgresql", "password")),
    CLOUDNATIVEPG("cloudnativepg-values.yaml", Map.of());

    private final String file;

    private final Map<String, String> existingSecretKeys;

    ValueSet(String file, Map<String, String> existingSecretKeys) {
        this.file = file;
        this.existingSecretKeys = existingSecretKeys;
    }

    Optional<Path> file() {
        return Optional.ofNullable(file).map(name -> Chart.DIR.resolve("ci").resolve(name));
    }

    /**
     * Secrets the user creates before installing (name to password key): the chart refers
     * to them without rendering them.
     */
    Map<String, String> existingSecretKeys() {
        return existingSecretKeys;
    }

}
