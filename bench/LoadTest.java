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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;

/**
 * Load tester for counter-service that checks what it gets back. It drives C concurrent clients for D seconds
 * against one or more base URLs (client i talks to URL i mod U over its own keep-alive connection), then reports
 * throughput, latency and errors, and verifies every number it was handed:
 * <ul>
 * <li>no number twice, counting every number of a {@code count=N} block;</li>
 * <li>per-client order: each client's numbers strictly increase;</li>
 * <li>real-time order: whenever a response was received before another request was sent, the later request's
 * numbers are all greater (checked in O(n log n) by sweeping requests in send order against responses in
 * receive order).</li>
 * </ul>
 * Only the JDK is needed: {@code java bench/LoadTest.java --url http://127.0.0.1:8080 --clients 64 --duration 30}.
 * The last line printed is machine-readable ({@code RESULT requests=... errors=... violations=0 ...}).
 * Exit status: 0 all checks passed, 1 a violation was found, 2 bad arguments, 3 nothing could be checked (no
 * successful response) or more errors than {@code --max-errors}.
 * <p>
 * The HTTP client is a minimal HTTP/1.1 client over non-blocking sockets, a few event-loop threads driving all
 * clients (as wrk does), so that on a small machine the tester takes little CPU from the service it measures.
 * It speaks plain {@code http://} only. Memory is bounded: per response it keeps four longs (send and receive
 * time, first and last number) in primitive arrays, and it stops at {@code --max-records} responses.
 */
public class LoadTest {

    static final int EXIT_PASS = 0;
    static final int EXIT_VIOLATION = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_UNCHECKED = 3;

    private static final String HARD_LIMIT = "hard time limit";

    private static final String USAGE = """
            Usage: java bench/LoadTest.java --url BASE_URL [--url BASE_URL ...] [options]

              --url URL          base URL of one instance, e.g. http://127.0.0.1:8080 (repeat for replicas;
                                 client i uses URL i mod the number of URLs)
              --clients C        concurrent clients, each with its own keep-alive connection (default 64)
              --duration D       seconds to send requests for (default 30); in-flight requests then get
                                 up to --timeout seconds to finish
              --requests R       stop after R requests in all, even before --duration (default: no limit)
              --count N          numbers per request, sent as ?count=N when N > 1 (default 1)
              --counter NAME     counter to draw from (default "default", i.e. GET /next;
                                 others use GET /counters/NAME/next)
              --timeout T        seconds to wait for one response before counting it as an error (default 5)
              --report FILE      write an HTML report with latency and throughput over time
              --max-records M    stop once M responses are recorded, to bound memory (default 4000000,
                                 32 bytes each plus sorting space)
              --max-errors E     exit 3 when more than E requests fail (default: no limit)
              --io-threads T     event-loop threads that drive the clients (default: half the
                                 processors, at least 1)
            """;

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        }
        catch (IllegalArgumentException ex) {
            System.err.println("error: " + ex.getMessage());
            System.err.print(USAGE);
            System.exit(EXIT_USAGE);
            return;
        }
        if (options == null) {
            System.out.print(USAGE);
            return;
        }
        System.exit(new LoadTest(options).run());
    }

    private final Options options;

    LoadTest(Options options) {
        this.options = options;
    }

    int run() throws Exception {
        System.out.printf(Locale.ROOT, "Load test: %d clients for %d s against %s (count=%d, counter %s)%n",
                options.clients, options.durationSeconds, targets(options), options.count, options.counter);
        Run run = new Run(options);
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < options.clients; i++) {
            clients.add(new Client(run, i, options.urls.get(i % options.urls.size())));
        }
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < options.ioThreads; t++) {
            List<Client> mine = new ArrayList<>();
            for (int i = t; i < clients.size(); i += options.ioThreads) {
                mine.add(clients.get(i));
            }
            threads.add(Thread.ofPlatform().daemon().name("event-loop-" + t).start(new EventLoop(run, mine)));
        }
        Thread progress = Thread.ofPlatform().daemon().name("progress").start(() -> printProgress(run));

        // Hard bound: past the send deadline plus the response timeout (and a second of slack), sockets are closed
        long hardStop = run.deadline + (options.timeoutSeconds + 1) * 1_000_000_000L;
        for (Thread thread : threads) {
            long left = hardStop - System.nanoTime();
            if (left > 0) {
                thread.join(Math.max(1, left / 1_000_000));
            }
        }
        if (threads.stream().anyMatch(Thread::isAlive)) {
            run.stop(HARD_LIMIT);
            run.hardStopped = true;
            for (Thread thread : threads) {
                thread.join(2_000);
            }
        }
        long end = System.nanoTime();
        progress.interrupt();
        progress.join(1_000);
        System.out.printf(Locale.ROOT, "Stopped: %s%n", run.stopReason);

        Responses responses = Responses.merge(clients);
        Checker.Verdict verdict = Checker.check(responses, run.origin, 5);
        Summary summary = Summary.of(options, run, responses, verdict, end);
        summary.print(System.out);
        if (options.report != null) {
            Path parent = options.report.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(options.report, HtmlReport.render(options, summary, Series.of(responses, run, end)));
            System.out.println("Report        " + options.report);
        }
        summary.printResultLine(System.out);
        return summary.exitCode;
    }

    static String targets(Options options) {
        return String.join(", ", options.urls().stream().map(URI::toString).toList());
    }

    private void printProgress(Run run) {
        long lastOk = 0;
        long lastErrors = 0;
        long tick = run.origin;
        try {
            while (!Thread.currentThread().isInterrupted()) {
                tick += 1_000_000_000L;
                long sleep = tick - System.nanoTime();
                if (sleep > 0) {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                }
                long ok = run.ok.sum();
                long errors = run.errors.sum();
                System.out.printf(Locale.ROOT, "%5ds %9d req/s %7d errors/s   total %d ok, %d errors%n",
                        (tick - run.origin) / 1_000_000_000L, ok + errors - lastOk - lastErrors, errors - lastErrors,
                        ok, errors);
                lastOk = ok;
                lastErrors = errors;
            }
        }
        catch (InterruptedException ex) {
            // the run is over
        }
    }

    /** Command-line options, validated. */
    record Options(List<URI> urls, int clients, int durationSeconds, long maxRequests, int count, String counter,
            int timeoutSeconds, Path report, long maxRecords, long maxErrors, int ioThreads) {

        private static final Pattern COUNTER_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

        /** @return the options, or {@code null} when help was asked for */
        static Options parse(String[] args) {
            List<URI> urls = new ArrayList<>();
            int clients = 64;
            int duration = 30;
            long requests = Long.MAX_VALUE;
            int count = 1;
            String counter = "default";
            int timeout = 5;
            Path report = null;
            long maxRecords = 4_000_000;
            long maxErrors = Long.MAX_VALUE;
            // One event loop costs about what wrk costs per request; leave the other cores to the service under test
            int ioThreads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (arg.equals("--help") || arg.equals("-h")) {
                    return null;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + arg);
                }
                String value = args[++i];
                switch (arg) {
                    case "--url" -> urls.add(url(value));
                    case "--clients" -> clients = (int) number(arg, value, 1, 10_000);
                    case "--duration" -> duration = (int) number(arg, value, 1, 86_400);
                    case "--requests" -> requests = number(arg, value, 1, Long.MAX_VALUE);
                    case "--count" -> count = (int) number(arg, value, 1, 1_000_000);
                    case "--counter" -> {
                        if (!COUNTER_NAME.matcher(value).matches()) {
                            throw new IllegalArgumentException("--counter must match " + COUNTER_NAME);
                        }
                        counter = value;
                    }
                    case "--timeout" -> timeout = (int) number(arg, value, 1, 3_600);
                    case "--report" -> report = Path.of(value);
                    case "--max-records" -> maxRecords = number(arg, value, 1, Integer.MAX_VALUE - 16);
                    case "--max-errors" -> maxErrors = number(arg, value, 0, Long.MAX_VALUE);
                    case "--io-threads" -> ioThreads = (int) number(arg, value, 1, 256);
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            }
            if (urls.isEmpty()) {
                throw new IllegalArgumentException("give at least one --url");
            }
            return new Options(List.copyOf(urls), clients, duration, requests, count, counter, timeout, report,
                    maxRecords, maxErrors, Math.min(ioThreads, clients));
        }

        private static URI url(String value) {
            URI uri;
            try {
                uri = URI.create(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
            }
            catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("not a URL: " + value);
            }
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getRawQuery() != null) {
                throw new IllegalArgumentException("--url takes a base URL like http://127.0.0.1:8080, got " + value);
            }
            return uri;
        }

        private static long number(String option, String value, long min, long max) {
            try {
                long n = Long.parseLong(value);
                if (n >= min && n <= max) {
                    return n;
                }
            }
            catch (NumberFormatException ex) {
                // reported below
            }
            throw new IllegalArgumentException(option + " must be a whole number from " + min + " to " + max);
        }

        /** The request path under a base URL. */
        String path(URI base) {
            String prefix = base.getRawPath() == null ? "" : base.getRawPath();
            String next = counter.equals("default") ? "/next" : "/counters/" + counter + "/next";
            return prefix + next + (count > 1 ? "?count=" + count : "");
        }
    }

    /** State shared by the clients of one run. */
    static final class Run {

        final Options options;
        final long origin = System.nanoTime();
        final long deadline;
        final LongAdder ok = new LongAdder();
        final LongAdder errors = new LongAdder();
        final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
        /** Errors per second of the run, by the time they were seen. */
        final AtomicLongArray errorsPerSecond;
        /** Bodies of 2xx responses that are not the block that was asked for: counted as violations. */
        final LongAdder malformed = new LongAdder();
        final List<String> malformedExamples = new ArrayList<>();
        private final AtomicLong claimed = new AtomicLong();
        private final long limit;
        volatile boolean stopped;
        /** Set at the hard time limit: the clients drop what is in flight and finish. */
        volatile boolean hardStopped;
        volatile String stopReason = "duration reached";

        Run(Options options) {
            this.options = options;
            this.deadline = origin + options.durationSeconds * 1_000_000_000L;
            this.limit = Math.min(options.maxRequests, options.maxRecords);
            this.errorsPerSecond = new AtomicLongArray(options.durationSeconds + options.timeoutSeconds + 4);
        }

        /** Takes one request from the budget; false once the run is over. */
        boolean claim() {
            if (stopped) {
                return false;
            }
            if (System.nanoTime() >= deadline) {
                return false;
            }
            if (claimed.incrementAndGet() > limit) {
                stop(limit == options.maxRequests ? "--requests " + limit + " sent" : "--max-records " + limit + " reached");
                return false;
            }
            return true;
        }

        void stop(String reason) {
            if (!stopped) {
                synchronized (this) {
                    if (!stopped) {
                        stopReason = reason;
                        stopped = true;
                    }
                }
            }
        }

        void error(String kind, long when) {
            errors.increment();
            errorKinds.computeIfAbsent(kind, k -> new LongAdder()).increment();
            int second = (int) ((when - origin) / 1_000_000_000L);
            if (second >= 0 && second < errorsPerSecond.length()) {
                errorsPerSecond.incrementAndGet(second);
            }
        }

        void malformed(String example) {
            malformed.increment();
            synchronized (malformedExamples) {
                if (malformedExamples.size() < 5) {
                    malformedExamples.add(example);
                }
            }
        }
    }

    /**
     * One event-loop thread drives many clients over non-blocking sockets, as wrk does: a selector wakes it for
     * every connection that is ready, so a few threads serve all clients without a context switch per request.
     */
    static final class EventLoop implements Runnable {

        private final Run run;
        private final List<Client> clients;

        EventLoop(Run run, List<Client> clients) {
            this.run = run;
            this.clients = clients;
        }

        @Override
        public void run() {
            try (Selector selector = Selector.open()) {
                long now = System.nanoTime();
                for (Client client : clients) {
                    client.next(selector, now);
                }
                // Timeouts, retries and the end of the run are looked at every few milliseconds, not per event
                long nextTick = now;
                for (int active = clients.size(); active > 0; ) {
                    selector.select(key -> ((Client) key.attachment()).ready(selector, key), 5);
                    now = System.nanoTime();
                    if (now - nextTick >= 0) {
                        nextTick = now + 2_000_000;
                        active = 0;
                        for (Client client : clients) {
                            client.tick(selector, now);
                            active += client.done ? 0 : 1;
                        }
                    }
                }
            }
            catch (IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
            finally {
                clients.forEach(Client::close);
            }
        }
    }

    /**
     * One client: one keep-alive connection at a time, one request in flight. It sends a request, reads the whole
     * response, records it, and sends the next, reconnecting when the server closes the connection (as Tomcat
     * does every 100 requests). Only its event loop touches it.
     */
    static final class Client {

        private static final int MAX_RESPONSE = 64 << 20;

        final int id;
        private final Run run;
        private final URI url;
        private final InetSocketAddress address;
        private final ByteBuffer request;
        private final long timeout;
        private final Response response = new Response();
        private final long[] range = new long[2];
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
        long[] first = new long[1024];
        long[] last = new long[1024];
        int size;

        Client(Run run, int id, URI url) {
            this.run = run;
            this.id = id;
            this.url = url;
            this.address = new InetSocketAddress(url.getHost(), url.getPort() < 0 ? 80 : url.getPort());
            this.timeout = run.options.timeoutSeconds() * 1_000_000_000L;
            String host = url.getPort() < 0 ? url.getHost() : url.getHost() + ":" + url.getPort();
            this.request = ByteBuffer.wrap(("GET " + run.options.path(url) + " HTTP/1.1\r\nHost: " + host
                    + "\r\nAccept: text/plain\r\nUser-Agent: counter-service-loadtest\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1)).asReadOnlyBuffer();
        }

        /** Starts the next request, connecting first if needed, or finishes the client when the run is over. */
        void next(Selector selector, long now) {
            retryAt = -1;
            if (!run.claim()) {
                close();
                done = true;
                return;
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
            next(selector, end);
        }

        private void handle(long end) {
            if (response.status < 200 || response.status > 299) {
                run.error("HTTP " + response.status, end);
                return;
            }
            run.ok.increment();
            String problem = Numbers.parse(response.body, response.bodyOffset, response.bodyLength,
                    run.options.count(), range);
            if (problem != null) {
                run.malformed(String.format(Locale.ROOT, "client %d (%s) got HTTP %d with %s: %s", id, url,
                        response.status, problem, Numbers.excerpt(response.body, response.bodyOffset,
                                response.bodyLength)));
                return;
            }
            if (size == sent.length) {
                int capacity = size * 2;
                sent = Arrays.copyOf(sent, capacity);
                received = Arrays.copyOf(received, capacity);
                first = Arrays.copyOf(first, capacity);
                last = Arrays.copyOf(last, capacity);
            }
            sent[size] = start;
            received[size] = end;
            first[size] = range[0];
            last[size] = range[1];
            size++;
        }

        /** Counts the error, drops the connection and tries again shortly (later if it could not connect). */
        private void failed(IOException ex, long now) {
            inFlight = false;
            close();
            run.error(ex.getClass().getSimpleName(), now);
            retryAt = now + (ex instanceof ConnectException ? 100_000_000L : 10_000_000L);
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

    /**
     * One HTTP/1.1 response read from the start of a buffer: the status, and the headers that frame the body
     * (Content-Length, chunked transfer coding, Connection: close).
     */
    static final class Response {

        int status;
        boolean close;
        byte[] body;
        int bodyOffset;
        int bodyLength;
        private byte[] chunks = new byte[4 << 10];

        /**
         * @param eof whether the server closed the connection after these bytes
         * @return whether {@code in[0..length)} holds a whole response; its fields are then set
         */
        boolean parse(byte[] in, int length, boolean eof) throws IOException {
            int headersEnd = indexOf(in, 0, length, "\r\n\r\n");
            if (headersEnd < 0) {
                return false;
            }
            int line = indexOf(in, 0, headersEnd + 2, "\r\n");
            if (line < 12 || !startsWith(in, 0, "HTTP/1.") || in[8] != ' ') {
                throw new IOException("malformed status line");
            }
            status = (int) number(in, 9, 12, 10);
            close = in[7] == '0';
            long contentLength = -1;
            boolean chunked = false;
            for (int at = line + 2; at < headersEnd + 2; ) {
                int end = indexOf(in, at, headersEnd + 2, "\r\n");
                int colon = indexOf(in, at, end, ":");
                if (colon > 0) {
                    if (startsWith(in, at, "content-length:")) {
                        contentLength = number(in, colon + 1, end, 10);
                    }
                    else if (startsWith(in, at, "transfer-encoding:")) {
                        chunked = value(in, colon, end).contains("chunked");
                    }
                    else if (startsWith(in, at, "connection:")) {
                        close = value(in, colon, end).contains("close");
                    }
                }
                at = end + 2;
            }
            int start = headersEnd + 4;
            body = in;
            bodyOffset = start;
            if (status == 204 || status == 304) {
                bodyLength = 0;
                return true;
            }
            if (chunked) {
                return dechunk(in, start, length);
            }
            if (contentLength >= 0) {
                bodyLength = (int) contentLength;
                return length - start >= contentLength;
            }
            // Neither length nor chunks: the body ends with the connection
            close = true;
            bodyLength = length - start;
            return eof;
        }

        /** Joins the chunks that start at {@code at} into {@link #chunks}; false while the last one is missing. */
        private boolean dechunk(byte[] in, int at, int length) throws IOException {
            int joined = 0;
            while (true) {
                int end = indexOf(in, at, length, "\r\n");
                if (end < 0) {
                    return false;
                }
                int semicolon = indexOf(in, at, end, ";");
                long size = number(in, at, semicolon < 0 ? end : semicolon, 16);
                at = end + 2;
                if (size == 0) {
                    // Optional trailers, then an empty line
                    if (length - at >= 2 && in[at] == '\r' && in[at + 1] == '\n') {
                        break;
                    }
                    if (indexOf(in, at, length, "\r\n\r\n") < 0) {
                        return false;
                    }
                    break;
                }
                if (length - at < size + 2) {
                    return false;
                }
                if (joined + size > chunks.length) {
                    chunks = Arrays.copyOf(chunks, (int) Math.max(joined + size, chunks.length * 2L));
                }
                System.arraycopy(in, at, chunks, joined, (int) size);
                joined += (int) size;
                at += (int) size + 2;
            }
            body = chunks;
            bodyOffset = 0;
            bodyLength = joined;
            return true;
        }

        private static String value(byte[] in, int colon, int end) {
            return new String(in, colon + 1, end - colon - 1, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        }

        private static int indexOf(byte[] in, int from, int to, String text) {
            outer:
            for (int i = from; i + text.length() <= to; i++) {
                for (int j = 0; j < text.length(); j++) {
                    if (in[i + j] != text.charAt(j)) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }

        /** Case-insensitive for ASCII letters; {@code prefix} is given in lower case or as sent. */
        private static boolean startsWith(byte[] in, int at, String prefix) {
            if (at + prefix.length() > in.length) {
                return false;
            }
            for (int j = 0; j < prefix.length(); j++) {
                char c = prefix.charAt(j);
                if (in[at + j] != c && Character.toLowerCase(in[at + j]) != c) {
                    return false;
                }
            }
            return true;
        }

        /** A number in {@code in[from..to)}, blanks around it allowed. */
        private static long number(byte[] in, int from, int to, int radix) throws IOException {
            long value = 0;
            int digits = 0;
            for (int i = from; i < to; i++) {
                if (in[i] == ' ' || in[i] == '\t') {
                    if (digits > 0) {
                        to = i;
                    }
                    continue;
                }
                int d = Character.digit(in[i], radix);
                if (d < 0 || digits == 15) {
                    throw new IOException("malformed number in the response's framing");
                }
                value = value * radix + d;
                digits++;
            }
            if (digits == 0) {
                throw new IOException("malformed number in the response's framing");
            }
            return value;
        }
    }

    /** The text/plain body of {@code /next}: one number per line, consecutive, as many as were asked for. */
    static final class Numbers {

        private Numbers() {
        }

        /**
         * Reads the block in {@code body} into {@code range} (first, last).
         *
         * @return {@code null} if the body is exactly {@code count} consecutive numbers, else what is wrong
         */
        static String parse(byte[] body, int offset, int length, int count, long[] range) {
            int lines = 0;
            long previous = -1;
            int i = offset;
            int end = offset + length;
            while (i < end) {
                long value = 0;
                int start = i;
                for (; i < end && body[i] >= '0' && body[i] <= '9'; i++) {
                    int digit = body[i] - '0';
                    if (value > (Long.MAX_VALUE - digit) / 10) {
                        return "a number larger than a signed 64-bit integer";
                    }
                    value = value * 10 + digit;
                }
                if (i == start) {
                    return "line " + (lines + 1) + " is not a number";
                }
                if (i < end && body[i] == '\r') {
                    i++;
                }
                if (i < end && body[i++] != '\n') {
                    return "line " + (lines + 1) + " is not a number";
                }
                if (lines > 0 && value != previous + 1) {
                    return "line " + (lines + 1) + " is " + value + " where " + (previous + 1) + " should follow";
                }
                if (lines == 0) {
                    range[0] = value;
                }
                previous = value;
                lines++;
            }
            if (lines != count) {
                return lines + " numbers where " + count + " were asked for";
            }
            range[1] = previous;
            return null;
        }

        static String excerpt(byte[] body, int offset, int length) {
            String text = new String(body, offset, Math.min(length, 80), StandardCharsets.UTF_8).replace("\n", "\\n");
            return "\"" + text + (length > 80 ? "..." : "") + "\"";
        }
    }

    /**
     * Every successful response of a run, client after client, each client's in the order it sent them:
     * response i of client c is at index {@code offsets[c] + i}.
     */
    record Responses(long[] sent, long[] received, long[] first, long[] last, int[] offsets) {

        int size() {
            return sent.length;
        }

        int clientOf(int index) {
            int at = Arrays.binarySearch(offsets, index);
            if (at >= 0) {
                while (at + 1 < offsets.length && offsets[at + 1] == index) {
                    at++;
                }
                return at;
            }
            return -at - 2;
        }

        /** Copies each client's rows and drops the client's own arrays, so the peak is one copy plus one client. */
        static Responses merge(List<Client> clients) {
            int total = clients.stream().mapToInt(c -> c.size).sum();
            long[] sent = new long[total];
            long[] received = new long[total];
            long[] first = new long[total];
            long[] last = new long[total];
            int[] offsets = new int[clients.size() + 1];
            int at = 0;
            for (int c = 0; c < clients.size(); c++) {
                Client client = clients.get(c);
                offsets[c] = at;
                System.arraycopy(client.sent, 0, sent, at, client.size);
                System.arraycopy(client.received, 0, received, at, client.size);
                System.arraycopy(client.first, 0, first, at, client.size);
                System.arraycopy(client.last, 0, last, at, client.size);
                at += client.size;
                client.sent = client.received = client.first = client.last = null;
            }
            offsets[clients.size()] = at;
            return new Responses(sent, received, first, last, offsets);
        }
    }

    /** The correctness checks, over the recorded responses only. */
    static final class Checker {

        record Verdict(long duplicates, long clientOrder, long realTime, List<String> examples) {

            long violations() {
                return duplicates + clientOrder + realTime;
            }
        }

        private Checker() {
        }

        /**
         * @param origin      the time (nanoTime) that messages measure from
         * @param maxExamples how many violations of each kind to describe
         */
        static Verdict check(Responses r, long origin, int maxExamples) {
            List<String> examples = new ArrayList<>();
            long duplicates = duplicates(r, examples, maxExamples);
            long clientOrder = clientOrder(r, examples, maxExamples);
            long realTime = realTimeOrder(r, origin, examples, maxExamples);
            return new Verdict(duplicates, clientOrder, realTime, List.copyOf(examples));
        }

        /** Blocks sorted by first number must not overlap: each starts above the highest number before it. */
        static long duplicates(Responses r, List<String> examples, int maxExamples) {
            int[] byFirst = order(r.first());
            long found = 0;
            int highest = -1;
            for (int i : byFirst) {
                if (highest >= 0 && r.first()[i] <= r.last()[highest] && found++ < maxExamples) {
                    long from = r.first()[i];
                    long to = Math.min(r.last()[i], r.last()[highest]);
                    examples.add(String.format(Locale.ROOT, "duplicate: %s handed out twice: %s got %s, %s got %s",
                            from == to ? "number " + from : "numbers " + from + ".." + to,
                            who(r, highest), block(r, highest), who(r, i), block(r, i)));
                }
                if (highest < 0 || r.last()[i] > r.last()[highest]) {
                    highest = i;
                }
            }
            return found;
        }

        /** Each client's blocks must strictly increase in the order it sent the requests. */
        static long clientOrder(Responses r, List<String> examples, int maxExamples) {
            long found = 0;
            int[] offsets = r.offsets();
            for (int c = 0; c + 1 < offsets.length; c++) {
                for (int i = offsets[c] + 1; i < offsets[c + 1]; i++) {
                    if (r.first()[i] <= r.last()[i - 1] && found++ < maxExamples) {
                        examples.add(String.format(Locale.ROOT,
                                "per-client order: %s got %s after its previous request got %s",
                                who(r, i), block(r, i), block(r, i - 1)));
                    }
                }
            }
            return found;
        }

        /**
         * For every request B, every response A received before B was sent must hold smaller numbers than B's.
         * Requests are swept in send order while responses are taken in receive order, keeping the highest number
         * received so far: O(n log n) for the two sorts, O(n) for the sweep. Times are taken before writing the
         * request and after reading the response, so a reported pair really was ordered in real time.
         */
        static long realTimeOrder(Responses r, long origin, List<String> examples, int maxExamples) {
            int[] bySent = order(r.sent());
            int[] byReceived = order(r.received());
            long found = 0;
            int next = 0;
            int highest = -1;
            for (int b : bySent) {
                while (next < byReceived.length && r.received()[byReceived[next]] < r.sent()[b]) {
                    int a = byReceived[next++];
                    if (highest < 0 || r.last()[a] > r.last()[highest]) {
                        highest = a;
                    }
                }
                if (highest >= 0 && r.first()[b] <= r.last()[highest] && found++ < maxExamples) {
                    examples.add(String.format(Locale.ROOT,
                            "real-time order: %s sent at %s got %s, but %s had already received %s at %s",
                            who(r, b), seconds(r.sent()[b] - origin), block(r, b), who(r, highest),
                            block(r, highest), seconds(r.received()[highest] - origin)));
                }
            }
            return found;
        }

        private static String who(Responses r, int index) {
            int client = r.clientOf(index);
            return "client " + client + " (request " + (index - r.offsets()[client] + 1) + ")";
        }

        private static String block(Responses r, int index) {
            long first = r.first()[index];
            long last = r.last()[index];
            return first == last ? Long.toString(first) : first + ".." + last;
        }

        private static String seconds(long nanos) {
            return String.format(Locale.ROOT, "%.6fs", nanos / 1e9);
        }

        /** The indices 0..n-1 sorted by {@code key}, ties in index order (a stable bottom-up merge sort). */
        static int[] order(long[] key) {
            int n = key.length;
            int[] a = new int[n];
            for (int i = 0; i < n; i++) {
                a[i] = i;
            }
            int[] b = new int[n];
            for (int width = 1; width < n; width *= 2) {
                for (int lo = 0; lo < n; lo += 2 * width) {
                    int mid = Math.min(lo + width, n);
                    int hi = Math.min(lo + 2 * width, n);
                    int i = lo;
                    int j = mid;
                    for (int k = lo; k < hi; k++) {
                        b[k] = j >= hi || (i < mid && key[a[i]] <= key[a[j]]) ? a[i++] : a[j++];
                    }
                }
                int[] swap = a;
                a = b;
                b = swap;
            }
            return a;
        }
    }

    /** Latency in nanoseconds at the given percentile (0-100) of a sorted array, nearest-rank. */
    static long percentile(long[] sorted, int from, int to, double p) {
        if (to <= from) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100 * (to - from));
        return sorted[from + Math.max(0, Math.min(to - from - 1, rank - 1))];
    }

    /** The figures a run ends with, printed and put in the report. */
    record Summary(long requests, long ok, long errors, double seconds, double throughput, long p50, long p90,
            long p99, long max, Map<String, Long> errorKinds, long numbers, long lowest, long highest,
            long malformed, Checker.Verdict verdict, List<String> examples, String stopReason, int exitCode) {

        static Summary of(Options options, Run run, Responses r, Checker.Verdict verdict, long end) {
            long[] latency = new long[r.size()];
            long numbers = 0;
            long lowest = Long.MAX_VALUE;
            long highest = Long.MIN_VALUE;
            for (int i = 0; i < latency.length; i++) {
                latency[i] = r.received()[i] - r.sent()[i];
                numbers += r.last()[i] - r.first()[i] + 1;
                lowest = Math.min(lowest, r.first()[i]);
                highest = Math.max(highest, r.last()[i]);
            }
            Arrays.sort(latency);
            long ok = run.ok.sum();
            long errors = run.errors.sum();
            double seconds = (end - run.origin) / 1e9;
            Map<String, Long> kinds = new TreeMap<>();
            run.errorKinds.forEach((kind, n) -> kinds.put(kind, n.sum()));
            List<String> examples = new ArrayList<>(run.malformedExamples);
            examples.addAll(verdict.examples());
            long malformed = run.malformed.sum();
            int exit = verdict.violations() + malformed > 0 ? EXIT_VIOLATION
                    : r.size() == 0 || errors > options.maxErrors ? EXIT_UNCHECKED : EXIT_PASS;
            return new Summary(ok + errors, ok, errors, seconds, (ok + errors) / seconds,
                    percentile(latency, 0, latency.length, 50), percentile(latency, 0, latency.length, 90),
                    percentile(latency, 0, latency.length, 99), latency.length == 0 ? 0 : latency[latency.length - 1],
                    kinds, numbers, r.size() == 0 ? 0 : lowest, r.size() == 0 ? 0 : highest, malformed, verdict,
                    List.copyOf(examples), run.stopReason, exit);
        }

        long violations() {
            return verdict.violations() + malformed;
        }

        String verdictText() {
            return switch (exitCode) {
                case EXIT_PASS -> "PASS";
                case EXIT_VIOLATION -> "FAIL: " + violations() + " violation(s)";
                default -> ok == 0 || numbers == 0 ? "UNCHECKED: no successful response"
                        : "FAIL: " + errors + " errors, more than --max-errors";
            };
        }

        String errorsText() {
            if (errorKinds.isEmpty()) {
                return "none";
            }
            List<String> parts = new ArrayList<>();
            errorKinds.forEach((kind, n) -> parts.add(kind + ": " + n));
            return String.join(", ", parts);
        }

        void print(java.io.PrintStream out) {
            out.printf(Locale.ROOT, "Requests      %d in %.2f s: %.0f req/s (%d ok, %d errors)%n", requests, seconds,
                    throughput, ok, errors);
            out.printf(Locale.ROOT, "Latency       p50 %s  p90 %s  p99 %s  max %s (successful responses)%n",
                    ms(p50), ms(p90), ms(p99), ms(max));
            out.println("Errors        " + errorsText());
            out.printf(Locale.ROOT, "Numbers       %d checked, from %d to %d%n", numbers, lowest, highest);
            out.printf(Locale.ROOT, "Checks        duplicates %d, per-client order %d, real-time order %d, malformed %d%n",
                    verdict.duplicates(), verdict.clientOrder(), verdict.realTime(), malformed);
            for (String example : examples) {
                out.println("  " + example);
            }
            out.println("Verdict       " + verdictText());
        }

        void printResultLine(java.io.PrintStream out) {
            long httpErrors = errorKinds.entrySet().stream().filter(e -> e.getKey().startsWith("HTTP "))
                    .mapToLong(Map.Entry::getValue).sum();
            out.printf(Locale.ROOT, "RESULT requests=%d ok=%d errors=%d http_errors=%d io_errors=%d violations=%d "
                            + "duplicates=%d client_order=%d realtime=%d malformed=%d numbers=%d rps=%.0f p50_ms=%.3f "
                            + "p90_ms=%.3f p99_ms=%.3f max_ms=%.3f verdict=%s%n",
                    requests, ok, errors, httpErrors, errors - httpErrors, violations(), verdict.duplicates(),
                    verdict.clientOrder(),
                    verdict.realTime(), malformed, numbers, throughput, p50 / 1e6, p90 / 1e6, p99 / 1e6, max / 1e6,
                    verdictText().split(":")[0]);
        }

        static String ms(long nanos) {
            return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
        }
    }

    /** Per second of the run (by receive time): successful responses, errors, p50 and p99 latency. */
    record Series(long[] ok, long[] errors, long[] p50, long[] p99) {

        static Series of(Responses r, Run run, long end) {
            int seconds = (int) Math.max(1, Math.ceil((end - run.origin) / 1e9));
            // One sort of (second, latency in microseconds) pairs gives every second's percentiles
            long[] keys = new long[r.size()];
            for (int i = 0; i < keys.length; i++) {
                long second = Math.min(seconds - 1, (r.received()[i] - run.origin) / 1_000_000_000L);
                long micros = Math.min((1L << 40) - 1, (r.received()[i] - r.sent()[i]) / 1_000);
                keys[i] = second << 40 | micros;
            }
            Arrays.sort(keys);
            long[] ok = new long[seconds];
            long[] errors = new long[seconds];
            long[] p50 = new long[seconds];
            long[] p99 = new long[seconds];
            int from = 0;
            for (int s = 0; s < seconds; s++) {
                int to = from;
                while (to < keys.length && keys[to] >>> 40 == s) {
                    to++;
                }
                ok[s] = to - from;
                p50[s] = (percentile(keys, from, to, 50) & ((1L << 40) - 1)) * 1_000;
                p99[s] = (percentile(keys, from, to, 99) & ((1L << 40) - 1)) * 1_000;
                errors[s] = s < run.errorsPerSecond.length() ? run.errorsPerSecond.get(s) : 0;
                from = to;
            }
            return new Series(ok, errors, p50, p99);
        }
    }

    /** A self-contained HTML page: the summary, and inline SVG plots of throughput and latency per second. */
    static final class HtmlReport {

        private HtmlReport() {
        }

        static String render(Options options, Summary s, Series series) {
            StringBuilder html = new StringBuilder();
            html.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                    .append("<title>counter-service load test</title><style>")
                    .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:60em;color:#222}")
                    .append("table{border-collapse:collapse}")
                    .append("td,th{padding:.2em .8em;text-align:left;border-bottom:1px solid #ddd}")
                    .append(".pass{color:#080}.fail{color:#c00}code{font-size:.9em}svg{display:block;margin:1em 0}")
                    .append("</style></head><body>\n<h1>counter-service load test</h1>\n");
            String verdictClass = s.exitCode() == EXIT_PASS ? "pass" : "fail";
            html.append("<p class=\"").append(verdictClass).append("\"><strong>")
                    .append(escape(s.verdictText())).append("</strong></p>\n<table>\n");
            row(html, "Targets", targets(options));
            row(html, "Clients", options.clients() + " for " + options.durationSeconds() + " s, count="
                    + options.count() + ", counter " + options.counter() + " (" + s.stopReason() + ")");
            row(html, "Requests", String.format(Locale.ROOT, "%d in %.2f s: %.0f req/s (%d ok, %d errors)",
                    s.requests(), s.seconds(), s.throughput(), s.ok(), s.errors()));
            row(html, "Latency", "p50 " + Summary.ms(s.p50()) + ", p90 " + Summary.ms(s.p90()) + ", p99 "
                    + Summary.ms(s.p99()) + ", max " + Summary.ms(s.max()));
            row(html, "Errors", s.errorsText());
            row(html, "Numbers", s.numbers() + " checked, from " + s.lowest() + " to " + s.highest());
            row(html, "Violations", "duplicates " + s.verdict().duplicates() + ", per-client order "
                    + s.verdict().clientOrder() + ", real-time order " + s.verdict().realTime() + ", malformed "
                    + s.malformed());
            html.append("</table>\n");
            if (!s.examples().isEmpty()) {
                html.append("<h2>First violations</h2>\n<ul>\n");
                s.examples().forEach(e -> html.append("<li><code>").append(escape(e)).append("</code></li>\n"));
                html.append("</ul>\n");
            }
            html.append("<h2>Throughput per second</h2>\n");
            chart(html, "req/s", 1, new long[][] {series.ok(), series.errors()}, new String[] {"ok", "errors"},
                    new String[] {"#1f77b4", "#d62728"});
            html.append("<h2>Latency per second (ms)</h2>\n");
            chart(html, "ms", 1e6, new long[][] {series.p50(), series.p99()}, new String[] {"p50", "p99"},
                    new String[] {"#2ca02c", "#ff7f0e"});
            html.append("</body></html>\n");
            return html.toString();
        }

        private static void row(StringBuilder html, String name, String value) {
            html.append("<tr><th>").append(escape(name)).append("</th><td>").append(escape(value)).append("</td></tr>\n");
        }

        /** One line per series over the seconds of the run, y from 0 to a round maximum. */
        private static void chart(StringBuilder html, String unit, double scale, long[][] lines, String[] names,
                String[] colours) {
            int width = 800;
            int height = 240;
            int left = 70;
            int right = 20;
            int top = 20;
            int bottom = 40;
            double max = 0;
            int points = 0;
            for (long[] line : lines) {
                points = Math.max(points, line.length);
                for (long v : line) {
                    max = Math.max(max, v / scale);
                }
            }
            double yMax = niceCeiling(max);
            double plotW = width - left - right;
            double plotH = height - top - bottom;
            html.append(String.format(Locale.ROOT,
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                            + "font-size=\"12\">\n", width, height, width, height));
            for (int t = 0; t <= 4; t++) {
                double y = top + plotH - plotH * t / 4;
                html.append(String.format(Locale.ROOT,
                        "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                                + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                        left, y, width - right, y, left - 6, y + 4, label(yMax * t / 4)));
            }
            int step = Math.max(1, (int) niceCeiling(points / 10.0));
            for (int s = 0; s < points; s += step) {
                double x = left + (points <= 1 ? 0 : plotW * s / (points - 1));
                html.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%ds</text>\n",
                        x, height - bottom + 16, s + 1));
            }
            html.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>\n", left - 60, top - 6, unit));
            for (int l = 0; l < lines.length; l++) {
                StringBuilder path = new StringBuilder();
                for (int s = 0; s < lines[l].length; s++) {
                    double x = left + (points <= 1 ? 0 : plotW * s / (points - 1));
                    double y = top + plotH - (yMax == 0 ? 0 : plotH * (lines[l][s] / scale) / yMax);
                    path.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                }
                html.append(String.format(Locale.ROOT,
                        "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n"
                                + "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>\n",
                        colours[l], path.toString().trim(), left + 10 + 80 * l, height - 6, colours[l], names[l]));
            }
            html.append("</svg>\n");
        }

        private static double niceCeiling(double value) {
            if (value <= 0) {
                return 1;
            }
            double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
            for (double m : new double[] {1, 2, 2.5, 5, 10}) {
                if (value <= m * magnitude) {
                    return m * magnitude;
                }
            }
            return 10 * magnitude;
        }

        private static String label(double value) {
            return value == Math.rint(value) ? String.format(Locale.ROOT, "%.0f", value)
                    : String.format(Locale.ROOT, "%.2f", value);
        }

        private static String escape(String text) {
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
        }
    }
}
