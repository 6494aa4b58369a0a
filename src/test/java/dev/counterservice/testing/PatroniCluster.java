package dev.counterservice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.awaitility.core.ConditionFactory;
import org.awaitility.core.ConditionTimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.awaitility.Awaitility.await;

/**
 * PostgreSQL made highly available the way most deployments outside Kubernetes do it, and
 * Zalando's operator inside it: nodes managed by Patroni, which keeps its leader lock in
 * etcd, promotes a standby when the leader fails and runs planned switchovers. Everything
 * runs on this machine from Debian's {@code patroni} and {@code etcd-server} packages and
 * the PostgreSQL server binaries, on loopback and free ports, as the
 * {@link PostgresUser}, in a temporary directory removed when the JVM exits.
 *
 * <p>
 * Applications reach the cluster through the driver's multi-host URL with
 * {@code targetServerType=primary} ({@link #createDatabase(String)}), on each node's own
 * port. The nodes replicate through a {@link TcpProxy} in front of each (its Patroni
 * {@code connect_address}), so that a test can hold back what the standbys receive, as a
 * slow network would.
 *
 * <p>
 * Patroni's timing is set for tests: it checks every second ({@code loop_wait}), a leader
 * lock lapses after 10 s ({@code ttl}), and a leader whose PostgreSQL crashed fails over
 * at once instead of restarting it in place ({@code primary_start_timeout: 0}).
 */
public final class PatroniCluster implements AutoCloseable {

    /**
     * A node's Patroni configuration: name, REST API port (twice), etcd, PostgreSQL port,
     * the port other nodes reach it on, data directory, server binaries, password file
     * and socket directory.
     */
    private static final String CONFIGURATION = """
            scope: counter
            name: %s
            log: {level: INFO}
            restapi: {listen: '127.0.0.1:%d', connect_address: '127.0.0.1:%d'}
            etcd3: {hosts: '%s'}
            bootstrap:
              dcs:
                ttl: 10
                loop_wait: 1
                retry_timeout: 3
                primary_start_timeout: 0
                synchronous_mode: true
                postgresql: {parameters: {max_connections: 200}}
              initdb: [{encoding: UTF8}, no-sync]
              pg_hba:
                - local all all trust
                - host all all 127.0.0.1/32 trust
                - host replication all 127.0.0.1/32 trust
            postgresql:
              listen: '127.0.0.1:%d'
              connect_address: '127.0.0.1:%d'
              data_dir: '%s'
              bin_dir: '%s'
              pgpass: '%s'
              use_pg_rewind: true
              remove_data_directory_on_rewind_failure: true
              remove_data_directory_on_diverged_timelines: true
              authentication:
                superuser: {username: postgres}
                replication: {username: postgres}
                rewind: {username: postgres}
              parameters: {unix_socket_directories: '%s'}
            """;

    private static final Duration HEALTHY = Duration.ofSeconds(90);

    private static final ConditionFactory WAIT = await().pollInterval(Duration.ofMillis(100)).ignoreExceptions();

    private final Path directory;

    private final Etcd etcd;

    private final List<Node> nodes = new ArrayList<>();

    private PatroniCluster(Path directory, Etcd etcd) {
        this.directory = directory;
        this.etcd = etcd;
    }

    /**
     * Starts etcd and {@code size} Patroni nodes in synchronous mode, and waits until one
     * leads and the others stream from it, one of them synchronously.
     */
    public static PatroniCluster start(int size) {
        Path bin = LocalPostgres.findBin();
        if (bin == null || !Files.isExecutable(bin.resolve("pg_rewind"))
                || !Files.isExecutable(bin.resolve("pg_basebackup"))) {
            throw new IllegalStateException(
                    "Patroni needs PostgreSQL's server binaries with pg_basebackup and pg_rewind "
                            + "(Debian: apt-get install -y postgresql), found none at " + bin);
        }
        Path directory = PostgresUser.temporaryDirectory("counter-patroni-");
        Etcd etcd;
        try {
            etcd = Etcd.start(PostgresUser.directory(directory.resolve("etcd")));
        }
        catch (RuntimeException ex) {
            PostgresUser.delete(directory);
            throw ex;
        }
        PatroniCluster cluster = new PatroniCluster(directory, etcd);
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::close));
        for (int number = 1; number <= size; number++) {
            cluster.nodes.add(Node.start("node" + number, PostgresUser.directory(directory.resolve("node" + number)),
                    cluster.etcd.endpoint()));
        }
        cluster.awaitHealthy(true);
        return cluster;
    }

    /**
     * Creates a database owned by a new login role of the same name, and returns how an
     * application reaches it: every node in one URL, the driver choosing the primary.
     */
    public TestDatabase createDatabase(String name) {
        TestDatabase admin = superuser(leader(), "postgres");
        admin.execute("CREATE ROLE \"%s\" LOGIN PASSWORD '%s'".formatted(name, name));
        admin.execute("CREATE DATABASE \"%s\" OWNER \"%s\"".formatted(name, name));
        String hosts = nodes.stream().map(node -> "127.0.0.1:" + node.port()).collect(Collectors.joining(","));
        return new TestDatabase("jdbc:postgresql://%s/%s?targetServerType=primary".formatted(hosts, name), name, name,
                "Patroni cluster " + directory);
    }

    /** {@code database} on the node named {@code node}, as the superuser. */
    public TestDatabase superuser(String node, String database) {
        return node(node).superuser(database);
    }

    /** The name of the node that holds the leader lock and runs, per Patroni. */
    public String leader() {
        return members().stream()
            .filter(member -> role(member).equals("leader") && member.path("state").asString().equals("running"))
            .map(member -> member.path("name").asString())
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("No running leader: " + members()));
    }

    /**
     * The name of a node that is not the leader: the synchronous standby if there is one.
     */
    public String standby() {
        return members().stream()
            .filter(member -> !role(member).equals("leader"))
            .min(Comparator.comparing(member -> !role(member).equals("sync_standby")))
            .map(member -> member.path("name").asString())
            .orElseThrow(() -> new IllegalStateException("No standby: " + members()));
    }

    /**
     * By name, every node but {@code leader}: the answer to {@code query} (one number) in
     * {@code database}, once it has replayed all the WAL it received. With the leader
     * dead, or replication held back, that is what the node would start from if promoted.
     */
    public Map<String, Long> onStandbys(String leader, String database, String query) {
        Map<String, Long> answers = new TreeMap<>();
        nodes.stream().filter(node -> !node.name().equals(leader)).forEach(node -> {
            TestDatabase standby = node.superuser(database);
            WAIT.alias(node.name() + " replayed what it received")
                .atMost(Duration.ofSeconds(10))
                .until(() -> standby
                    .queryForLong("SELECT (pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn())::int") == 1);
            answers.put(node.name(), standby.queryForLong(query));
        });
        return answers;
    }

    /**
     * Waits until a node other than {@code former} leads and accepts writes, and returns
     * its name.
     */
    public String awaitNewLeader(String former, Duration limit) {
        return WAIT.alias("a leader other than " + former + " accepting writes").atMost(limit).until(() -> {
            String leader = leader();
            return !leader.equals(former) && acceptsWrites(leader) ? leader : null;
        }, leader -> leader != null);
    }

    private boolean acceptsWrites(String node) {
        return superuser(node, "postgres").queryForLong("SELECT (NOT pg_is_in_recovery())::int") == 1;
    }

    /** Whether some node accepts writes: the leader's PostgreSQL, out of recovery. */
    public boolean hasPrimary() {
        return nodes.stream().anyMatch(node -> {
            try {
                return acceptsWrites(node.name());
            }
            catch (IllegalStateException ex) {
                return false; // down, or starting
            }
        });
    }

    /**
     * Turns Patroni's {@code synchronous_mode} on or off (dynamic configuration, through
     * the REST API) and waits until the cluster is healthy in that mode.
     */
    public void synchronousMode(boolean synchronous) {
        configure("{\"synchronous_mode\": %s}".formatted(synchronous));
        awaitHealthy(synchronous);
    }

    /**
     * Sets {@code maximum_lag_on_failover}: how far behind the leader's last reported
     * position Patroni still promotes a standby (1 MB by default).
     */
    public void maximumLagOnFailover(long bytes) {
        configure("{\"maximum_lag_on_failover\": %d}".formatted(bytes));
    }

    private void configure(String json) {
        HttpResponse<String> response = Http.send("PATCH", anyApi("/config"), json);
        if (response.statusCode() != 200) {
            throw new IllegalStateException(
                    "PATCH /config " + json + ": " + response.statusCode() + " " + response.body());
        }
    }

    /**
     * Waits until one node leads and every other streams from it, one synchronously if
     * {@code synchronous}, none otherwise.
     */
    public void awaitHealthy(boolean synchronous) {
        try {
            WAIT.atMost(HEALTHY).until(() -> {
                TestDatabase leader = superuser(leader(), "postgres");
                return leader.queryForLong(
                        "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == nodes.size() - 1
                        && leader.queryForLong(
                                "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") == (synchronous
                                        ? 1 : 0)
                        && members().stream().allMatch(member -> member.path("state").asString().equals("running"));
            });
        }
        catch (ConditionTimeoutException ex) {
            throw new IllegalStateException(
                    "Not one leader and %d standbys streaming, %s, within %s:%n%s".formatted(nodes.size() - 1,
                            synchronous ? "one synchronously" : "none synchronously", HEALTHY, describe()),
                    ex);
        }
    }

    /**
     * Patroni's view of the cluster and the end of each node's log, to say what went
     * wrong.
     */
    private String describe() {
        StringBuilder description = new StringBuilder();
        try {
            description.append(Http.send("GET", anyApi("/cluster")).body()).append('\n');
        }
        catch (RuntimeException ex) {
            description.append("no cluster view: ").append(ex).append('\n');
        }
        for (Node node : nodes) {
            List<String> log = node.patroni().log().lines().toList();
            description.append("--- ")
                .append(node.name())
                .append(", the end of its log:\n")
                .append(String.join("\n", log.subList(Math.max(0, log.size() - 30), log.size())))
                .append('\n');
        }
        return description.toString();
    }

    /**
     * Crashes the leader's PostgreSQL ({@link Postmaster#kill(Path)}); Patroni on that
     * node stays up and sees PostgreSQL gone. Returns the leader's name once every
     * process of it has exited.
     */
    public String killLeaderPostmaster() {
        String leader = leader();
        Postmaster.kill(node(leader).dataDirectory());
        return leader;
    }

    /**
     * A planned switchover to {@code candidate} with Patroni's own tool, as an operator
     * runs it; returns once {@code patronictl} reports it done.
     */
    public void switchover(String candidate) {
        Commands.run(List.of("patronictl", "-c", node(candidate).configuration().toString(), "switchover", "--leader",
                leader(), "--candidate", candidate, "--force"), Duration.ofSeconds(60));
    }

    /** Stops etcd: Patroni can no longer renew the leader lock. */
    public void stopEtcd() {
        etcd.stop();
    }

    /** Starts etcd again on its data. */
    public void startEtcd() {
        etcd.startAgain();
    }

    /**
     * Holds every byte between the leader and its standbys from now on: the leader goes
     * on committing (asynchronous mode) but no standby receives it.
     */
    public void holdReplication() {
        node(leader()).proxy().stall();
    }

    /**
     * Drops whatever replication {@link #holdReplication()} held back, as a network that
     * lost it would, and lets replication flow again.
     */
    public void dropHeldReplication() {
        nodes.forEach(node -> {
            node.proxy().cutConnections();
            node.proxy().resume();
        });
    }

    private List<JsonNode> members() {
        List<JsonNode> members = new ArrayList<>();
        JsonMapper.shared().readTree(Http.send("GET", anyApi("/cluster")).body()).path("members").forEach(members::add);
        return members;
    }

    private static String role(JsonNode member) {
        return member.path("role").asString();
    }

    /** The REST API of the first node whose Patroni answers. */
    private String anyApi(String path) {
        for (Node node : nodes) {
            try {
                Http.send("GET", node.api("/liveness"));
                return node.api(path);
            }
            catch (UncheckedIOException ex) {
                // not answering: try the next
            }
        }
        throw new IllegalStateException("No Patroni REST API answers");
    }

    private Node node(String name) {
        return nodes.stream()
            .filter(node -> node.name().equals(name))
            .findFirst()
            .orElseThrow(() -> new IllegalArgumentException("No node " + name));
    }

    /**
     * Stops everything and removes the files: Patroni first (SIGKILL, so that it starts
     * nothing again), then each PostgreSQL (immediate shutdown), the proxies and etcd.
     * Also run when the JVM exits.
     */
    @Override
    public synchronized void close() {
        nodes.forEach(node -> node.patroni().kill());
        nodes.forEach(node -> {
            if (Postmaster.running(node.dataDirectory()).isPresent()) {
                Commands.tryRun(
                        PostgresUser.command(List.of(LocalPostgres.findBin().resolve("pg_ctl").toString(), "-D",
                                node.dataDirectory().toString(), "-m", "immediate", "-w", "-t", "30", "stop")),
                        Duration.ofSeconds(60));
            }
            node.proxy().close();
        });
        nodes.clear();
        etcd.close();
        PostgresUser.delete(directory);
    }

    /**
     * One node: its PostgreSQL port, the proxy in front of it that the other nodes
     * replicate through, Patroni's REST API port, its directory and Patroni itself.
     */
    private record Node(String name, int port, TcpProxy proxy, int apiPort, Path directory, BackgroundProgram patroni) {

        static Node start(String name, Path directory, String etcd) {
            int port = Ports.free();
            int apiPort = Ports.free();
            TcpProxy proxy = TcpProxy.to("127.0.0.1", port);
            Path configuration = directory.resolve("patroni.yml");
            try {
                Files.writeString(configuration,
                        CONFIGURATION.formatted(name, apiPort, apiPort, etcd, port, proxy.port(),
                                directory.resolve("data"), LocalPostgres.findBin(), directory.resolve("pgpass"),
                                directory));
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            return new Node(name, port, proxy, apiPort, directory, BackgroundProgram
                .start(List.of("patroni", configuration.toString()), directory.resolve("patroni.log")));
        }

        String api(String path) {
            return "http://127.0.0.1:" + apiPort + path;
        }

        Path configuration() {
            return directory.resolve("patroni.yml");
        }

        Path dataDirectory() {
            return directory.resolve("data");
        }

        TestDatabase superuser(String database) {
            return new TestDatabase("jdbc:postgresql://127.0.0.1:%d/%s".formatted(port, database), "postgres", "",
                    "Patroni node " + name);
        }

    }

}
