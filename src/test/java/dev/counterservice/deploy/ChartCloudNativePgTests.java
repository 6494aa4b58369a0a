package dev.counterservice.deploy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import static dev.counterservice.deploy.Manifests.container;
import static dev.counterservice.deploy.Manifests.envEntry;
import static dev.counterservice.deploy.Manifests.literalEnv;
import static dev.counterservice.deploy.Manifests.podSpec;
import static dev.counterservice.deploy.Manifests.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * cloudnativepg.enabled (chart/ci/cloudnativepg-values.yaml): a CloudNativePG Cluster
 * with a synchronous standby replaces the bundled PostgreSQL. What the operator then does
 * with it (the Services, the Secret, failover) only a cluster running the operator shows;
 * these tests check what the chart hands it and how the app is pointed at it.
 */
class ChartCloudNativePgTests {

    private final Manifests manifests = Chart.render(ValueSet.CLOUDNATIVEPG);

    @Test
    void theClusterHasThreeInstancesEveryCommitWaitsForOneStandbyAndFailoverNeedsAQuorum() {
        JsonNode cluster = manifests.only("Cluster");
        assertThat(cluster.path("apiVersion").asString()).isEqualTo("postgresql.cnpg.io/v1");
        assertThat(Manifests.name(cluster)).isEqualTo("counter-service-db");
        assertThat(cluster.at("/spec/instances").asInt()).isEqualTo(3);
        JsonNode synchronous = cluster.at("/spec/postgresql/synchronous");
        assertThat(synchronous.path("method").asString()).isEqualTo("any");
        assertThat(synchronous.path("number").asInt()).isEqualTo(1);
        assertThat(synchronous.path("dataDurability").asString()).as("commits wait rather than go on unreplicated")
            .isEqualTo("required");
        assertThat(synchronous.path("failoverQuorum").asBoolean()).as("no promotion of a standby that may lack commits")
            .isTrue();
        assertThat(cluster.at("/spec/imageName").asString()).isEqualTo("ghcr.io/cloudnative-pg/postgresql:18.1");
        assertThat(cluster.at("/spec/storage/size").asString()).isEqualTo("20Gi");
        assertThat(cluster.at("/spec/storage/storageClass").asString()).isEqualTo("fast-ssd");
        assertThat(cluster.at("/spec/resources/limits/memory").asString()).isEqualTo("1Gi");
        assertThat(strings(cluster.at("/metadata/annotations"))).as("its claims outlive an uninstall")
            .containsEntry("helm.sh/resource-policy", "keep");
    }

    @Test
    void theAppConnectsToTheReadWriteServiceAsTheDatabaseOwnerWithTheOperatorsCredentials() {
        JsonNode cluster = manifests.only("Cluster");
        JsonNode initdb = cluster.at("/spec/bootstrap/initdb");
        String name = Manifests.name(cluster);
        Map<String, String> config = manifests.configMapData("counter-service");
        assertThat(config.get("SPRING_DATASOURCE_URL"))
            .isEqualTo("jdbc:postgresql://" + name + "-rw:5432/" + initdb.path("database").asString())
            .isEqualTo("jdbc:postgresql://counter-service-db-rw:5432/counters");
        assertThat(config).as("the role comes from the operator's Secret")
            .doesNotContainKey("SPRING_DATASOURCE_USERNAME");
        JsonNode app = container(manifests.workload("app"), "app");
        for (String key : List.of("username", "password")) {
            JsonNode ref = envEntry(app, "SPRING_DATASOURCE_" + key.toUpperCase()).at("/valueFrom/secretKeyRef");
            assertThat(ref.path("name").asString()).isEqualTo(name + "-app");
            assertThat(ref.path("key").asString()).isEqualTo(key);
        }
        assertThat(initdb.path("owner").asString()).isEqualTo("counter_app");
        JsonNode wait = container(manifests.workload("app"), "wait-for-postgresql");
        assertThat(literalEnv(wait)).containsEntry("PGHOST", name + "-rw").containsEntry("PGUSER", "counter_app");
    }

    @Test
    void theBundledPostgresqlIsNotRenderedNorItsNetworkPolicy() {
        for (String kind : List.of("StatefulSet", "Secret", "NetworkPolicy")) {
            assertThat(manifests.ofKind(kind)).as(kind).isEmpty();
        }
        assertThat(manifests.ofKind("Service")).extracting(Manifests::name).containsExactly("counter-service");
        assertThat(strings(manifests.only("Cluster").at("/metadata/labels"))).containsEntry(Manifests.COMPONENT,
                "postgresql");
        assertThat(podSpec(manifests.workload("app")).path("initContainers").size()).isEqualTo(1);
    }

    @Test
    void theAppRequiresSynchronousReplicationUnlessTheValueSaysOtherwise() {
        assertThat(manifests.configMapData("counter-service")).containsEntry("COUNTER_REQUIRE_SYNCHRONOUS_REPLICATION",
                "true");
        assertThat(Chart.render(ValueSet.CLOUDNATIVEPG, Map.of("counter.requireSynchronousReplication", false))
            .configMapData("counter-service")).containsEntry("COUNTER_REQUIRE_SYNCHRONOUS_REPLICATION", "false");
        assertThat(Chart.render(ValueSet.DEFAULTS).configMapData("counter-service"))
            .as("not required without a Cluster")
            .containsEntry("COUNTER_REQUIRE_SYNCHRONOUS_REPLICATION", "false");
        assertThat(Chart.render(ValueSet.DEFAULTS, Map.of("counter.requireSynchronousReplication", true))
            .configMapData("counter-service")).containsEntry("COUNTER_REQUIRE_SYNCHRONOUS_REPLICATION", "true");
    }

    @Test
    void moreSynchronousStandbysThanStandbysIsRefused() {
        assertThatIllegalStateException()
            .isThrownBy(() -> Chart.template(ValueSet.CLOUDNATIVEPG,
                    Map.of("cloudnativepg.instances", 2, "cloudnativepg.synchronous.number", 2)))
            .withMessageContaining("cloudnativepg.synchronous.number must be below cloudnativepg.instances");
        assertThatIllegalStateException()
            .isThrownBy(() -> Chart.template(ValueSet.CLOUDNATIVEPG, Map.of("cloudnativepg.instances", 1)))
            .withMessageContaining("values don't meet the specifications of the schema")
            .withMessageContaining("cloudnativepg");
    }

    @Test
    void notesTellHowToWatchTheCluster() {
        assertThat(Chart.notes(ValueSet.CLOUDNATIVEPG))
            .contains("kubectl --namespace default get cluster counter-service-db")
            .contains("counter-service-db-rw")
            .doesNotContain("data-counter-service-postgresql-0");
    }

    @Test
    void longReleaseNamesKeepTheClusterNameWithinTheOperatorsLimit() {
        JsonNode cluster = Chart.render(ValueSet.CLOUDNATIVEPG, Map.of("fullnameOverride", "x".repeat(70)))
            .only("Cluster");
        assertThat(Manifests.name(cluster)).hasSizeLessThanOrEqualTo(50).endsWith("-db");
    }

}
