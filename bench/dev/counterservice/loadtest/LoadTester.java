package dev.counterservice.loadtest;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
 * With {@code --counters N} the clients spread over N counters and every check runs on each counter apart.
 * With {@code --json} (implied by a period or a format) it reads JSON answers: a counter with periods restarts at 1
 * in each period, so the checks compare (period, number) pairs, period first, and the gapless check runs period by
 * period.
 * With {@code --idempotency-keys} it is the retrying client of exactly-once numbering (see {@link Client}): a row is
 * a key, from its first send to its final answer, and it also checks identical replays, that every key was
 * answered, and, from the counter's value before and after, that the blocks leave no gap.
 * Only the JDK is needed, Java 22 or later (it compiles these files on the fly from {@code bench/LoadTest.java}): {@code java bench/LoadTest.java --url http://127.0.0.1:8080 --clients 64 --duration 30}.
 * The last line printed is machine-readable ({@code RESULT requests=... errors=... violations=0 ...}).
 * Exit status: 0 all checks passed, 1 a violation was found, 2 bad arguments, 3 nothing could be checked (no
 * successful response) or more errors than {@code --max-errors}.
 * <p>
 * The HTTP client is a minimal HTTP/1.1 client over non-blocking sockets, a few event-loop threads driving all
 * clients (as wrk does), so that on a small machine the tester takes little CPU from the service it measures.
 * It speaks plain {@code http://} only. Memory is bounded: per response it keeps five longs (send and receive
 * time, period, first and last number) in primitive arrays, and it stops at {@code --max-records} responses.
 */
public final class LoadTester {

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
              --counters N       draw from N counters, NAME-0 .. NAME-(N-1), created first where
                                 missing (PUT /counters/NAME: the service needs counter.admin.enabled);
                                 client c's r-th request goes to counter (c + r x clients) mod N, so
                                 with N = clients each client has a counter of its own. Every check
                                 runs on each counter's numbers apart
              --timeout T        seconds to wait for one response before counting it as an error (default 5)
              --report FILE      write an HTML report with latency and throughput over time
              --max-records M    stop once M responses are recorded, to bound memory (default 4000000,
                                 40 bytes each plus sorting space)
              --max-errors E     exit 3 when more than E requests fail (default: no limit)
              --io-threads T     event-loop threads that drive the clients (default: half the
                                 processors, at least 1)
              --idempotency-keys every request carries a fresh Idempotency-Key and is sent again with it,
                                 on the next URL, after a 503, 409, timeout or dropped connection, until
                                 a 2xx (or until --retry-grace seconds past --duration + --timeout:
                                 an unanswered key is a violation);
                                 every %dth answered key is replayed once and must be identical. Also
                                 reads GET /counters/NAME before and after and checks that the keys'
                                 blocks are exactly the counter's new numbers (gapless), so nothing else
                                 may draw from that counter during the run
              --retry-grace G    with --idempotency-keys, seconds a key may still be retried after
                                 --duration + --timeout (default 30)
              --json             ask for JSON answers, which name the period and the formatted text;
                                 the checks then compare (period, number) pairs, period first, and a
                                 formatted text must hold its number's digits
              --period P         with --counters: create them with "period": P (yearly, monthly, daily;
                                 answers are then read as JSON, and each must name a period)
              --time-zone Z      with --counters: create them with "timeZone": Z
              --format F         with --counters: create them with "format": F (answers read as JSON)
              --audit            with --counters: create them with "audit": true
            """.formatted(Client.REPLAY_EVERY);

    /** Runs the load tester; {@code bench/LoadTest.java} is its launcher. */
    public static void run(String[] args) throws Exception {
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
        System.exit(new LoadTester(options).run());
    }

    private final Options options;

    private LoadTester(Options options) {
        this.options = options;
    }

    int run() throws Exception {
        System.out.printf(Locale.ROOT, "Load test: %d clients for %d s against %s (count=%d, %s)%s%n",
                options.clients(), options.durationSeconds(), targets(options), options.count(),
                options.counters() == 0 ? "counter " + options.counter()
                        : options.counters() + " counters " + options.counterName(0) + ".." + options.counterName(
                                options.counters() - 1),
                options.idempotencyKeys() ? ", a fresh Idempotency-Key per request, retried until answered" : "");
        if (!options.settings().body().isEmpty()) {
            System.out.println("Counters created with " + options.settings().body());
        }
        if (options.counters() > 0) {
            try {
                CounterApi.create(options);
            }
            catch (IllegalStateException ex) {
                System.err.println("error: " + ex.getMessage());
                return EXIT_UNCHECKED;
            }
        }
        Checker.Stored[] before = options.idempotencyKeys() ? CounterApi.read(options) : null;
        // Launched from source, each class is compiled when first used: load them before the clock starts, so that
        // no request waits for the compiler
        List.of(Run.class, Client.class, EventLoop.class, Response.class, Numbers.class, Json.class, Period.class,
                Responses.class, Checker.class, CounterApi.class, Summary.class,
                Series.class, HtmlReport.class).forEach(Class::getName);
        Run run = new Run(options);
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < options.clients(); i++) {
            clients.add(new Client(run, i));
        }
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < options.ioThreads(); t++) {
            List<Client> mine = new ArrayList<>();
            for (int i = t; i < clients.size(); i += options.ioThreads()) {
                mine.add(clients.get(i));
            }
            threads.add(Thread.ofPlatform().daemon().name("event-loop-" + t).start(new EventLoop(run, mine)));
        }
        Thread progress = Thread.ofPlatform().daemon().name("progress").start(() -> printProgress(run));

        for (Thread thread : threads) {
            long left = run.hardStop - System.nanoTime();
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

        Checker.Stored[] after = before == null ? null : CounterApi.read(options);
        Verdicts verdicts = check(clients, run.origin, before, after);
        Responses responses = Responses.merge(clients);
        String counterRange = after == null ? null : range(before, after);
        Summary summary = Summary.of(options, run, responses, verdicts.all(), verdicts.failedCounters(), end,
                counterRange);
        summary.print(System.out);
        if (options.report() != null) {
            Path parent = options.report().toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(options.report(), HtmlReport.render(options, summary, Series.of(responses, run.origin, end, run.errorsPerSecond)));
            System.out.println("Report        " + options.report());
        }
        summary.printResultLine(System.out);
        return summary.exitCode();
    }

    /** The checks on each counter's numbers apart, with the gapless check where its values were read. */
    private Verdicts check(List<Client> clients, long origin, Checker.Stored[] before, Checker.Stored[] after) {
        Responses[] perCounter = Responses.perCounter(clients, options.counterCount());
        Checker.Verdict all = Checker.Verdict.NONE;
        long failed = 0;
        for (int c = 0; c < perCounter.length; c++) {
            Checker.Verdict verdict = after == null ? Checker.check(perCounter[c], origin, 5)
                    : Checker.checkKeyed(perCounter[c], origin, 5, before[c], after[c]);
            failed += verdict.violations() > 0 ? 1 : 0;
            all = options.counters() == 0 ? verdict : all.plus(verdict, options.counterName(c), 5);
        }
        return new Verdicts(all, failed);
    }

    private record Verdicts(Checker.Verdict all, long failedCounters) {
    }

    /** The counters' values before..after, or their totals with several counters (within one period). */
    private static String range(Checker.Stored[] before, Checker.Stored[] after) {
        if (before.length == 1) {
            return stored(before[0]) + ".." + stored(after[0]);
        }
        long moved = 0;
        for (int c = 0; c < before.length; c++) {
            moved += after[c].value() - (after[c].period() == before[c].period() ? before[c].value() : 0);
        }
        return "moved by " + moved + " over " + before.length + " counters";
    }

    private static String stored(Checker.Stored value) {
        return value.value() + (value.period() == Period.NONE ? "" : " in " + Period.text(value.period()));
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
}
