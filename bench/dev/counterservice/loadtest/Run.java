package dev.counterservice.loadtest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/** State shared by the clients of one run. */
final class Run {

    final Options options;
    final long origin = System.nanoTime();
    final long deadline;
    /**
     * When sockets are closed: past the send deadline plus the response timeout and a second of slack, and with
     * keys another {@code --retry-grace}, for the retries of the keys still unanswered at the deadline.
     */
    final long hardStop;
    final LongAdder ok = new LongAdder();
    final LongAdder errors = new LongAdder();
    final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
    /** Errors per second of the run, by the time they were seen. */
    final AtomicLongArray errorsPerSecond;
    /** Bodies of 2xx responses that are not the block that was asked for: counted as violations. */
    final LongAdder malformed = new LongAdder();
    /** With keys: replays that differ from the key's first answer, and keys never answered 2xx. Violations. */
    final LongAdder badReplays = new LongAdder();
    final LongAdder replays = new LongAdder();
    final LongAdder unanswered = new LongAdder();
    /** The first few malformed bodies, bad replays and unanswered keys, described. */
    final List<String> examples = new ArrayList<>();
    /** With keys, a random prefix of every key: keys of an earlier run on the same counter would be replayed. */
    final String keyPrefix = Long.toString(new java.security.SecureRandom().nextLong() >>> 1, 36);
    private final AtomicLong claimed = new AtomicLong();
    private final long limit;
    volatile boolean stopped;
    /** Set at the hard time limit: the clients drop what is in flight and finish. */
    volatile boolean hardStopped;
    volatile String stopReason = "duration reached";

    Run(Options options) {
        this.options = options;
        this.deadline = origin + options.durationSeconds() * 1_000_000_000L;
        long stopAfter = options.timeoutSeconds() + 1 + (options.idempotencyKeys() ? options.retryGraceSeconds() : 0);
        this.hardStop = deadline + stopAfter * 1_000_000_000L;
        this.limit = Math.min(options.maxRequests(), options.maxRecords());
        this.errorsPerSecond = new AtomicLongArray((int) (options.durationSeconds() + stopAfter + 3));
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
            stop(limit == options.maxRequests() ? "--requests " + limit + " sent" : "--max-records " + limit + " reached");
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
        violation(malformed, example);
    }

    void badReplay(String example) {
        violation(badReplays, example);
    }

    void unanswered(String example) {
        violation(unanswered, example);
    }

    private void violation(LongAdder kind, String example) {
        kind.increment();
        synchronized (examples) {
            if (examples.size() < 15) {
                examples.add(example);
            }
        }
    }
}
