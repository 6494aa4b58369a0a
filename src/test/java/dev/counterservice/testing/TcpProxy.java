package dev.counterservice.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 between the service and PostgreSQL, to fail the network on
 * purpose: refuse new connections, cut the open ones (and tell whether a cut fell inside
 * a commit), cut a connection just as PostgreSQL answers a commit that moves a counter
 * (so the commit is done and the service never learns it), or stall every byte in flight
 * until resumed. While refusing, or while PostgreSQL is down, an accepted connection is
 * reset at once, as a refused connection would be, never left hanging.
 */
public final class TcpProxy implements AutoCloseable {

    private static final byte[] COMMIT = "COMMIT".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] BEGIN = "BEGIN".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] MOVE_A_COUNTER = "UPDATE counter".getBytes(StandardCharsets.US_ASCII);

    /**
     * PostgreSQL's ReadyForQuery message, the end of every reply, saying the session is
     * outside a transaction: its next statement, unless a BEGIN, commits before it is
     * answered.
     */
    private static final byte[] READY_OUTSIDE_A_TRANSACTION = { 'Z', 0, 0, 0, 5, 'I' };

    private final ServerSocket server;

    private final String targetHost;

    private final int targetPort;

    private final Set<Link> links = ConcurrentHashMap.newKeySet();

    private final Object stallLock = new Object();

    private volatile boolean stalled;

    private volatile boolean refusing;

    private final AtomicInteger commitRepliesToLose = new AtomicInteger();

    /**
     * One proxied connection; {@code commitUnanswered} while a statement of the service
     * that commits (a COMMIT, or any statement outside a transaction) has had no reply
     * yet, {@code moveUnanswered} while that statement is a COMMIT or moves a counter.
     */
    private static final class Link {

        final Socket client;

        final Socket upstream;

        volatile boolean commitUnanswered;

        volatile boolean moveUnanswered;

        volatile boolean outsideATransaction;

        Link(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void close() {
            closeQuietly(client);
            closeQuietly(upstream);
        }

    }

    private TcpProxy(String targetHost, int targetPort) throws IOException {
        this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        Thread.ofPlatform().daemon().name("proxy-accept").start(this::acceptLoop);
    }

    public static TcpProxy to(String host, int port) {
        try {
            return new TcpProxy(host, port);
        }
        catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** New connections are reset at once, as if the database host were gone. */
    public void refuseConnections(boolean refuse) {
        this.refusing = refuse;
    }

    /**
     * Closes every open connection in both directions, wherever its conversation stands.
     * @return how many of them had sent a statement that commits and was not answered
     * yet: cuts inside a commit, whose outcome the service cannot know
     */
    public int cutConnections() {
        int insideCommit = 0;
        for (Link link : links) {
            insideCommit += link.commitUnanswered ? 1 : 0;
            link.close();
            links.remove(link);
        }
        return insideCommit;
    }

    /**
     * Instead of passing it on, cuts the connection that carries each of the next
     * {@code count} replies to a COMMIT or to an UPDATE of a counter outside a
     * transaction: PostgreSQL has decided the commit, and the service never learns how.
     */
    public void loseCommitReplies(int count) {
        commitRepliesToLose.set(count);
    }

    /**
     * How many of the replies {@link #loseCommitReplies(int)} asked for are still to
     * come.
     */
    public int commitRepliesToLose() {
        return commitRepliesToLose.get();
    }

    /**
     * Holds every byte, in both directions, until {@link #resume()}: a database that
     * stopped answering.
     */
    public void stall() {
        stalled = true;
    }

    public void resume() {
        synchronized (stallLock) {
            stalled = false;
            stallLock.notifyAll();
        }
    }

    @Override
    public void close() {
        resume();
        closeQuietly(server);
        cutConnections();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            }
            catch (IOException ex) {
                continue; // the server socket was closed
            }
            Socket upstream = refusing ? null : connectUpstream();
            if (upstream == null) {
                reset(client);
                continue;
            }
            Link link = new Link(client, upstream);
            links.add(link);
            Thread.ofPlatform().daemon().start(() -> pump(link, client, upstream));
            Thread.ofPlatform().daemon().start(() -> pump(link, upstream, client));
        }
    }

    /** A connection to PostgreSQL, or null when it refuses (it is down). */
    private Socket connectUpstream() {
        try {
            return new Socket(targetHost, targetPort);
        }
        catch (IOException ex) {
            return null;
        }
    }

    /**
     * Closes with an RST, so the client sees "connection reset" at once rather than
     * waiting for data.
     */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        }
        catch (IOException ex) {
            // closed below all the same
        }
        closeQuietly(socket);
    }

    private void pump(Link link, Socket from, Socket to) {
        boolean fromService = from == link.client;
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                awaitNotStalled();
                // The first reply after a statement answers it (the driver waits for it
                // before sending more)
                if (fromService) {
                    boolean commits = contains(buffer, read, COMMIT)
                            || link.outsideATransaction && !contains(buffer, read, BEGIN);
                    link.commitUnanswered |= commits;
                    link.moveUnanswered |= commits
                            && (contains(buffer, read, COMMIT) || contains(buffer, read, MOVE_A_COUNTER));
                }
                else if (link.moveUnanswered && commitRepliesToLose.getAndUpdate(left -> Math.max(0, left - 1)) > 0) {
                    break;
                }
                out.write(buffer, 0, read);
                out.flush();
                if (!fromService) {
                    link.commitUnanswered = false;
                    link.moveUnanswered = false;
                    link.outsideATransaction = read >= READY_OUTSIDE_A_TRANSACTION.length
                            && Arrays.equals(buffer, read - READY_OUTSIDE_A_TRANSACTION.length, read,
                                    READY_OUTSIDE_A_TRANSACTION, 0, READY_OUTSIDE_A_TRANSACTION.length);
                }
            }
        }
        catch (IOException | InterruptedException ex) {
            // one side went away: close both, as a real network cut would
        }
        finally {
            link.close();
            links.remove(link);
        }
    }

    private static boolean contains(byte[] buffer, int length, byte[] text) {
        for (int i = 0; i + text.length <= length; i++) {
            if (Arrays.equals(buffer, i, i + text.length, text, 0, text.length)) {
                return true;
            }
        }
        return false;
    }

    private void awaitNotStalled() throws InterruptedException {
        synchronized (stallLock) {
            while (stalled) {
                stallLock.wait();
            }
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        }
        catch (Exception ex) {
            // already closed
        }
    }

}
