package dev.counterservice.loadtest;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * One client: one keep-alive connection at a time, one request in flight. It sends a request, reads the whole
 * response, records it, and sends the next, reconnecting when the server closes the connection (as Tomcat
 * does every 100 requests). Only its event loop touches it.
 * <p>
 * With {@code --idempotency-keys} it is the client that exactly-once numbering needs: every request carries a
 * fresh {@code Idempotency-Key}, and after a 503, a 409, a timeout or a dropped connection the same request is sent
 * again with the same key on the next URL, until a 2xx or the hard time limit (the key is then unanswered, a
 * violation). A key's row spans from its first send to its final answer. Every {@link #REPLAY_EVERY}th answered
 * key is sent once more, to the next URL, and the replay must be the same body marked
 * {@code Idempotent-Replayed: true}.
 * <p>
 * With {@code --json} it asks for JSON and records each answer's period with its block.
 * <p>
 * With {@code --counters N}, client c's r-th request (not counting retries, which keep their counter) goes to
 * counter (c + r x clients) mod N: with as many counters as clients, each client has a counter of its own; with
 * more, the clients sweep them all.
 */
final class Client {

    private static final int MAX_RESPONSE = 64 << 20;

    static final int REPLAY_EVERY = 10;

    final int id;
    private final Run run;
    private final boolean keyed;
    private int urlIndex;
    private URI url;
    private InetSocketAddress address;
    private ByteBuffer request;
    private final long timeout;
    /** The counter of the request being sent, an index into the run's counters, and how many were started. */
    private int counter;
    private long started;
    // With keys: the key being sent until answered (null between keys), when it was first sent, and whether it is
    // a replay of an answered key, whose first body it must repeat
    private String pendingKey;
    private long keySent;
    private String replayOf;
    private long keys;
    private long answered;
    private String toReplay;
    private String toReplayBody;
    private final Response response = new Response();
    /** The answer being read: first, last and period. */
    private final long[] range = new long[3];
    private SocketChannel channel;
    private SelectionKey key;
    private byte[] input = new byte[16 << 10];
    private ByteBuffer inputBuffer = ByteBuffer.wrap(input);
    private boolean inFlight;
    private long start;
    private long expires;
    private long retryAt = -1;
    boolean done;
    // One row per successful response, in the order the client sent the requests
    long[] sent = new long[1024];
    long[] received = new long[1024];
    long[] period = new long[1024];
    long[] first = new long[1024];
    long[] last = new long[1024];
    int[] counterOf = new int[1024];
    int size;

    /** Client {@code id}, starting on URL {@code id} mod the number of URLs. */
    Client(Run run, int id) {
        this.run = run;
        this.id = id;
        this.keyed = run.options.idempotencyKeys();
        this.timeout = run.options.timeoutSeconds() * 1_000_000_000L;
        this.counter = id % run.options.counterCount();
        useUrl(id % run.options.urls().size());
    }

    private void useUrl(int index) {
        urlIndex = index;
        url = run.options.urls().get(index);
        address = new InetSocketAddress(url.getHost(), url.getPort() < 0 ? 80 : url.getPort());
        request = request(null);
    }

    private ByteBuffer request(String idempotencyKey) {
        String host = url.getPort() < 0 ? url.getHost() : url.getHost() + ":" + url.getPort();
        return ByteBuffer.wrap(("GET " + run.options.path(url, run.options.counterName(counter)) + " HTTP/1.1\r\nHost: " + host
                + (idempotencyKey == null ? "" : "\r\nIdempotency-Key: " + idempotencyKey)
                + "\r\nAccept: " + (run.options.json() ? "application/json" : "text/plain")
                + "\r\nUser-Agent: counter-service-loadtest\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1)).asReadOnlyBuffer();
    }

    /**
     * Starts the next request, connecting first if needed, or finishes the client when the run is over. A key not
     * yet answered is sent again whatever the time: only the hard time limit ends its retries.
     */
    void next(Selector selector, long now) {
        retryAt = -1;
        if (pendingKey == null && !run.claim()) {
            close();
            done = true;
            return;
        }
        if (pendingKey == null && toReplay == null) {
            nextCounter();
        }
        if (keyed && pendingKey == null) {
            if (toReplay != null && run.options.urls().size() > 1) {
                // A replay must be the same on any instance: ask another one
                close();
                useUrl((urlIndex + 1) % run.options.urls().size());
            }
            replayOf = toReplay;
            pendingKey = toReplay != null ? toReplay : run.keyPrefix + "-" + id + "-" + keys++;
            keySent = -1;
            toReplay = null;
            request = request(pendingKey);
        }
        inFlight = true;
        expires = now + timeout;
        try {
            if (channel == null) {
                channel = SocketChannel.open();
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                key = channel.register(selector, 0, this);
                if (!channel.connect(address)) {
                    key.interestOps(SelectionKey.OP_CONNECT);
                    return;
                }
            }
            send();
        }
        catch (IOException ex) {
            failed(ex, now);
        }
    }

    void ready(Selector selector, SelectionKey readyKey) {
        if (readyKey != key || !readyKey.isValid()) {
            return;
        }
        try {
            if (readyKey.isConnectable()) {
                channel.finishConnect();
                send();
            }
            else if (readyKey.isWritable()) {
                write();
            }
            else if (readyKey.isReadable()) {
                read(selector);
            }
        }
        catch (IOException ex) {
            failed(ex, System.nanoTime());
        }
    }

    /** Times out a request, retries after an error, or gives up at the hard time limit. */
    void tick(Selector selector, long now) {
        if (done) {
            return;
        }
        if (run.hardStopped) {
            if (inFlight) {
                run.error("aborted at the hard time limit", now);
            }
            if (pendingKey != null) {
                run.unanswered("unanswered: key " + pendingKey + " of client " + id
                        + " got no 2xx by the hard time limit");
            }
            close();
            done = true;
        }
        else if (inFlight && now - expires > 0) {
            failed(new SocketTimeoutException(), now);
        }
        else if (retryAt != -1 && now - retryAt >= 0) {
            next(selector, now);
        }
    }

    private void send() throws IOException {
        length = 0;
        request.rewind();
        start = System.nanoTime();
        if (keyed && keySent == -1) {
            keySent = start;
        }
        write();
    }

    private void write() throws IOException {
        channel.write(request);
        key.interestOps(request.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }

    private int length;

    private void read(Selector selector) throws IOException {
        if (length == input.length) {
            if (input.length >= MAX_RESPONSE) {
                throw new IOException("response larger than " + MAX_RESPONSE + " bytes");
            }
            input = Arrays.copyOf(input, input.length * 2);
            inputBuffer = ByteBuffer.wrap(input);
        }
        inputBuffer.limit(input.length).position(length);
        int n = channel.read(inputBuffer);
        boolean eof = n < 0;
        if (n > 0) {
            length += n;
        }
        if (!response.parse(input, length, eof)) {
            if (eof) {
                throw new EOFException("connection closed by the server");
            }
            return;
        }
        long end = System.nanoTime();
        inFlight = false;
        if (response.close || eof) {
            close();
        }
        handle(end);
        if (retryAt == -1) {
            next(selector, end);
        }
    }

    private void handle(long end) {
        if (response.status < 200 || response.status > 299) {
            run.error("HTTP " + response.status, end);
            if (keyed && (response.status == 503 || response.status == 409)) {
                retryOnNextUrl(end, 10_000_000L);
            }
            else if (keyed) {
                run.unanswered(String.format(Locale.ROOT, "unanswered: key %s of client %d got HTTP %d, not retried",
                        pendingKey, id, response.status));
                pendingKey = null;
            }
            return;
        }
        run.ok.increment();
        if (replayOf != null) {
            run.replays.increment();
            String problem = Checker.replay(replayOf, toReplayBody, body(), response.replayed);
            if (problem != null) {
                run.badReplay(problem);
            }
            pendingKey = null;
            return;
        }
        String problem = run.options.json()
                ? Numbers.parseJson(response.body, response.bodyOffset, response.bodyLength, run.options.count(),
                        run.options.settings().periodic(), range)
                : Numbers.parse(response.body, response.bodyOffset, response.bodyLength, run.options.count(), range);
        if (problem != null) {
            run.malformed(String.format(Locale.ROOT, "client %d (%s) got HTTP %d with %s: %s", id, url,
                    response.status, problem, Numbers.excerpt(response.body, response.bodyOffset,
                            response.bodyLength)));
            pendingKey = null;
            return;
        }
        if (size == sent.length) {
            int capacity = size * 2;
            sent = Arrays.copyOf(sent, capacity);
            received = Arrays.copyOf(received, capacity);
            period = Arrays.copyOf(period, capacity);
            first = Arrays.copyOf(first, capacity);
            last = Arrays.copyOf(last, capacity);
            counterOf = Arrays.copyOf(counterOf, capacity);
        }
        sent[size] = keyed ? keySent : start;
        received[size] = end;
        period[size] = run.options.json() ? range[2] : Period.NONE;
        first[size] = range[0];
        last[size] = range[1];
        counterOf[size] = counter;
        size++;
        if (keyed && ++answered % REPLAY_EVERY == 0) {
            toReplay = pendingKey;
            toReplayBody = body();
        }
        pendingKey = null;
    }

    private String body() {
        return new String(response.body, response.bodyOffset, response.bodyLength, StandardCharsets.ISO_8859_1);
    }

    /** A new request (not a retry, nor a replay) goes to the client's next counter. */
    private void nextCounter() {
        int counters = run.options.counterCount();
        int next = (int) ((id + started++ * run.options.clients()) % counters);
        if (next != counter) {
            counter = next;
            request = request(null);
        }
    }

    /** Counts the error, drops the connection and tries again shortly (later if it could not connect). */
    private void failed(IOException ex, long now) {
        inFlight = false;
        close();
        run.error(ex.getClass().getSimpleName(), now);
        long delay = ex instanceof ConnectException ? 100_000_000L : 10_000_000L;
        if (keyed) {
            retryOnNextUrl(now, delay);
        }
        else {
            retryAt = now + delay;
        }
    }

    /** With keys: the same key again, on the next URL (another instance, when there are several). */
    private void retryOnNextUrl(long now, long delay) {
        close();
        useUrl((urlIndex + 1) % run.options.urls().size());
        request = request(pendingKey);
        retryAt = now + delay;
    }

    void close() {
        if (channel != null) {
            try {
                channel.close();
            }
            catch (IOException ex) {
                // nothing to do
            }
            channel = null;
            key = null;
        }
    }
}
