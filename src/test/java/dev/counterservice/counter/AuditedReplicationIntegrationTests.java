package dev.counterservice.counter;

import java.net.http.HttpResponse;
import java.util.Map;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.ReplicatedPostgres;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An audited counter serves only while the database confirms that a failover cannot lose
 * its commits: on a primary with a standby, only while commits wait for it; an unaudited
 * counter serves either way. The application's role is an ordinary one (no
 * {@code pg_monitor}): it sees how many standbys stream all the same.
 */
class AuditedReplicationIntegrationTests {

    private static ReplicatedPostgres servers;

    private static AppInstance app;

    private static TestDatabase primary;

    @BeforeAll
    static void start() {
        servers = ReplicatedPostgres.start(false);
        app = AppInstance.start(servers.createDatabase("audited"),
                Map.of("counter.admin.enabled", "true", "counter.names", "plain"));
        primary = servers.primary("audited");
    }

    @AfterAll
    static void stop() {
        app.close();
        servers.close();
    }

    @Test
    void anAuditedCounterIs503WhileCommitsDoNotWaitForTheStandbyAndServesOnceTheyDo() {
        assertThat(app.sendJson("PUT", "/counters/audited", "{\"audit\": true}").statusCode()).isEqualTo(201);

        HttpResponse<String> refused = app.send("GET", "/counters/audited/next");

        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(refused.body()).contains("commits do not wait for a synchronous one");
        assertThat(primary.queryForLong("SELECT value FROM counter WHERE name = 'audited'")).isZero();
        assertThat(primary.queryForLong("SELECT count(*) FROM ledger")).isZero();
        assertThat(app.send("GET", "/counters/plain/next").statusCode()).isEqualTo(200);

        servers.commitSynchronously(true);
        try {
            HttpResponse<String> served = app.send("GET", "/counters/audited/next");

            assertThat(served.statusCode()).isEqualTo(200);
            assertThat(served.body()).isEqualTo("1\n");
            assertThat(primary.queryForLong("SELECT count(*) FROM ledger WHERE counter = 'audited'")).isOne();
        }
        finally {
            servers.commitSynchronously(false);
        }
    }

}
