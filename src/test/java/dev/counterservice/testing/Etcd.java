package dev.counterservice.testing;

import java.nio.file.Path;
import java.util.List;

/**
 * A one-member etcd on loopback, the consensus store {@link PatroniCluster}'s nodes keep
 * their leader lock in. It can be stopped and started again on the same data and ports,
 * as an etcd outage would come and go.
 */
final class Etcd {

    private final Path directory;

    private final int clientPort = Ports.free();

    private final int peerPort = Ports.free();

    private BackgroundProgram program;

    private Etcd(Path directory) {
        this.directory = directory;
    }

    /**
     * Starts etcd with its data in {@code directory}, which the {@link PostgresUser}
     * owns.
     */
    static Etcd start(Path directory) {
        Etcd etcd = new Etcd(directory);
        etcd.startAgain();
        return etcd;
    }

    /** host:port of the client API, for Patroni's {@code etcd3.hosts}. */
    String endpoint() {
        return "127.0.0.1:" + clientPort;
    }

    /** Starts etcd on its data and ports, and waits until it takes connections. */
    void startAgain() {
        String client = "http://" + endpoint();
        String peer = "http://127.0.0.1:" + peerPort;
        program = BackgroundProgram.start(
                List.of("etcd", "--name", "etcd", "--data-dir", directory.resolve("data").toString(),
                        "--listen-client-urls", client, "--advertise-client-urls", client, "--listen-peer-urls", peer,
                        "--initial-advertise-peer-urls", peer, "--initial-cluster", "etcd=" + peer),
                directory.resolve("etcd.log"))
            .awaitListening(clientPort);
    }

    /** SIGTERM: etcd shuts down; its data stays for {@link #startAgain()}. */
    void stop() {
        program.stop();
    }

    /** Stops etcd at once (SIGKILL). */
    void close() {
        program.kill();
    }

}
