package dev.counterservice.testing;

import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/**
 * A primary streaming to one hot standby ({@code pg_basebackup -R}), both
 * {@link LocalPostgres} clusters on this machine, with what a failover does to them: the
 * standby stopped or stopped abruptly, the primary SIGKILLed, the standby promoted.
 * Applications reach it as they would reach a replicated database in production, through
 * the driver's multi-host URL with {@code targetServerType=primary}, so they find the
 * promoted standby by themselves.
 */
public final class ReplicatedPostgres implements AutoCloseable {

    /**
     * The standby's {@code application_name}, which {@code synchronous_standby_names}
     * names.
     */
    static final String STANDBY_NAME = "standby";

    private static final ConditionFactory WAIT = Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50));

    private final List<LocalPostgres> servers;

    private LocalPostgres primary;

    private LocalPostgres standby;

    private ReplicatedPostgres(LocalPostgres primary, LocalPostgres standby) {
        this.primary = primary;
        this.standby = standby;
        this.servers = List.of(primary, standby);
    }

    /**
     * Starts a primary and a standby; commits wait for the standby when
     * {@code synchronous}.
     */
    public static ReplicatedPostgres start(boolean synchronous) {
        LocalPostgres primary = LocalPostgres.start();
        ReplicatedPostgres pair = new ReplicatedPostgres(primary, primary.startStandby(STANDBY_NAME));
        pair.commitSynchronously(synchronous);
        return pair;
    }

    /**
     * Creates a database (on the primary; it replicates) and returns how an application
     * reaches it: both servers in one URL, the driver picking the one that accepts
     * writes.
     */
    public TestDatabase createDatabase(String name) {
        TestDatabase direct = primary.createDatabase(name);
        String url = "jdbc:postgresql://127.0.0.1:%d,127.0.0.1:%d/%s?targetServerType=primary"
            .formatted(servers.get(0).port(), servers.get(1).port(), name);
        return new TestDatabase(url, direct.username(), direct.password(), "replicated local clusters");
    }

    /**
     * Makes commits wait for the standby ({@code synchronous_standby_names} naming it,
     * {@code synchronous_commit=on}) or not, and waits until the primary reports that
     * mode for it.
     */
    public void commitSynchronously(boolean synchronous) {
        TestDatabase admin = primary.asSuperuser("postgres");
        admin.execute("ALTER SYSTEM SET synchronous_commit = on");
        admin.execute("ALTER SYSTEM SET synchronous_standby_names = '%s'".formatted(synchronous ? STANDBY_NAME : ""));
        admin.execute("SELECT pg_reload_conf()");
        String state = synchronous ? "sync" : "async";
        WAIT.alias("the standby is " + state)
            .until(() -> admin.queryForLong("""
                    SELECT count(*) FROM pg_stat_replication
                    WHERE application_name = '%s' AND state = 'streaming' AND sync_state = '%s'"""
                .formatted(STANDBY_NAME, state)) == 1);
    }

    /** The primary's superuser view of {@code database}, e.g. to read what it stores. */
    public TestDatabase primary(String database) {
        return primary.asSuperuser(database);
    }

    /**
     * The standby's superuser view of {@code database}: read-only while it is a standby.
     */
    public TestDatabase standby(String database) {
        return standby.asSuperuser(database);
    }

    /**
     * Waits until the standby has received (and written) all WAL the primary has written
     * so far, and returns that position, for {@link #awaitStandbyReplayed(long)} after a
     * restart.
     */
    public long awaitStandbyReceivedAll() {
        long written = primary("postgres").queryForLong("SELECT pg_current_wal_lsn() - '0/0'");
        WAIT.alias("the standby received WAL up to " + written)
            .until(() -> standby("postgres")
                .queryForLong("SELECT coalesce(pg_last_wal_receive_lsn() - '0/0', 0)") >= written);
        return written;
    }

    /**
     * Waits until the standby has applied WAL up to {@code position}, so that reading it
     * shows those commits.
     */
    public void awaitStandbyReplayed(long position) {
        WAIT.alias("the standby replayed WAL up to " + position)
            .until(() -> standby("postgres")
                .queryForLong("SELECT coalesce(pg_last_wal_replay_lsn() - '0/0', 0)") >= position);
    }

    public void stopStandby() {
        standby.stopServer();
    }

    public void stopStandbyImmediately() {
        standby.stopServerImmediately();
    }

    /**
     * Starts the standby again; it replays what it has and streams from the primary if
     * there is one.
     */
    public void startStandby() {
        standby.startServer();
    }

    /**
     * SIGKILL to every process of the primary at once: what it wrote stays on its disk,
     * but nobody will read it again.
     */
    public void killPrimary() {
        primary.kill();
    }

    /**
     * Promotes the standby ({@code pg_ctl promote}) and waits until it accepts writes; it
     * is then the primary, with no standby. Its commits stop waiting for a standby first
     * (its copy of the settings may name one), as an operator does when the synchronous
     * standby is the one promoted.
     */
    public void promoteStandby() {
        TestDatabase promoted = standby("postgres");
        promoted.execute("ALTER SYSTEM SET synchronous_standby_names = ''");
        promoted.execute("SELECT pg_reload_conf()");
        standby.promote();
        WAIT.alias("the promoted standby left recovery")
            .until(() -> promoted.queryForLong("SELECT pg_is_in_recovery()::int") == 0);
        primary = standby;
        standby = null;
    }

    /**
     * After a failover, makes the server that is not the primary a fresh standby of it,
     * on its old port, so the URL from {@link #createDatabase(String)} stays valid and
     * commits run asynchronously until told otherwise.
     */
    public void rejoinFormerPrimary() {
        LocalPostgres former = servers.get(servers.get(0) == primary ? 1 : 0);
        former.restartAsStandbyOf(primary, STANDBY_NAME);
        standby = former;
        commitSynchronously(false);
    }

    /**
     * Whether there is a standby, that is whether no failover happened since the pair
     * started or rejoined.
     */
    public boolean hasStandby() {
        return standby != null;
    }

    /** Stops both servers and removes their files. */
    @Override
    public void close() {
        servers.forEach(LocalPostgres::close);
    }

}
