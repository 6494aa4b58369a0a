package dev.counterservice.counter;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.IssuedNumbers;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Counters created at run time, through two instances sharing one real PostgreSQL (the
 * shared coalescing pair, which may create and advance counters): a counter created
 * through one instance is served by the other on the very next request; the same name
 * created at once through both is created once; a counter advanced while clients take
 * numbers from it hands out nothing below the target after the advance's answer, and
 * nothing twice; bad bodies create nothing. The cap and the admin switch, which need
 * settings of their own, start instances of their own.
 */
class RuntimeCountersIntegrationTests {

    private static final List<AppInstance> pair = AppInstance.sharedPair(true);

    private final TestDatabase database = TestDatabase.shared();

    private final String prefix = "runtime-" + UUID.randomUUID().toString().substring(0, 8) + "-";

    @Test
    void aCounterCreatedThroughOneInstanceIsServedByTheOtherOnItsVeryNextRequest() {
        for (int i = 0; i < 20; i++) {
            String name = prefix + i;
            String body = (i % 2 == 0) ? "" : "{\"start\": " + (1000 * i) + "}";
            assertThat(pair.getFirst().sendJson("PUT", "/counters/" + name, body).statusCode()).isEqualTo(201);

            HttpResponse<String> next = pair.getLast().send("GET", "/counters/" + name + "/next");

            assertThat(next.statusCode()).as(name).isEqualTo(200);
            assertThat(next.body()).isEqualTo((1000 * (i % 2) * i + 1) + "\n");
        }
    }

    @Test
    void theSameNameCreatedAtOnceThroughBothInstancesIsCreatedOnce() throws Exception {
        for (int round = 0; round < 10; round++) {
            String name = prefix + "race-" + round;
            List<Integer> statuses = putAtOnce(name,
                    List.of("", "", "", "", "{\"start\": 0}", "{\"start\": 0}", "{\"start\": 7}", "{\"start\": 7}"));

            assertThat(statuses).as("round %d: %s", round, statuses).containsOnlyOnce(201);
            // The other settings lose if the defaults won, and the defaults lose if they
            // did
            assertThat(statuses.stream().filter(status -> status == 409).count()).isIn(2L, 6L);
            assertThat(database.queryForLong("SELECT count(*) FROM counter WHERE name = '%s'".formatted(name))).isOne();
        }
    }

    @Test
    void anAdvanceRacingNextHandsOutNothingAtOrBelowItsTargetAfterItsAnswerAndNothingTwice() throws Exception {
        String name = prefix + "advanced";
        assertThat(pair.getFirst().sendJson("PUT", "/counters/" + name, "").statusCode()).isEqualTo(201);
        IssuedNumbers numbers = new IssuedNumbers();
        // The target of the last advance answered, 0 before the first
        AtomicLong answered = new AtomicLong();
        List<long[]> floors = new ArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> taking = new ArrayList<>();
            for (int client = 0; client < 16; client++) {
                int id = client;
                taking.add(clients.submit(() -> {
                    for (int request = 0; running.get() && request < 2000; request++) {
                        // Read before the request is sent: that advance was answered
                        // before it
                        long floor = answered.get();
                        long sent = System.nanoTime();
                        HttpResponse<String> response = pair.get((id + request) % 2)
                            .send("GET", "/counters/" + name + "/next");
                        long received = System.nanoTime();
                        assertThat(response.statusCode()).isEqualTo(200);
                        long number = Long.parseLong(response.body().strip());
                        numbers.record(id, sent, received, number, number);
                        synchronized (floors) {
                            floors.add(new long[] { number, floor });
                        }
                    }
                }));
            }
            for (int advance = 1; advance <= 5; advance++) {
                Thread.sleep(150);
                long to = 100_000L * advance;
                HttpResponse<String> advanced = pair.get(advance % 2)
                    .sendJson("POST", "/counters/" + name + "/advance", "{\"to\": " + to + "}");
                assertThat(advanced.statusCode()).as(advanced.body()).isEqualTo(200);
                answered.set(to);
            }
            Thread.sleep(150);
            running.set(false);
            for (Future<?> client : taking) {
                client.get();
            }
        }

        assertThat(numbers.guaranteeViolations(stored(name))).isEmpty();
        assertThat(floors).allSatisfy(numberAndFloor -> assertThat(numberAndFloor[0])
            .as("sent after the advance to %d was answered", numberAndFloor[1])
            .isGreaterThan(numberAndFloor[1]));
        assertThat(floors).as("requests were sent after the last advance's answer")
            .anySatisfy(numberAndFloor -> assertThat(numberAndFloor[1]).isEqualTo(500_000));
    }

    @Test
    void anAdvanceToOrBelowTheValueIs409AndMovesNothing() {
        String name = prefix + "forward";
        pair.getFirst().sendJson("PUT", "/counters/" + name, "{\"start\": 50}");

        HttpResponse<String> back = pair.getLast().sendJson("POST", "/counters/" + name + "/advance", "{\"to\": 50}");

        assertThat(back.statusCode()).isEqualTo(409);
        assertThat(back.body()).contains("is at 50: it moves forward only");
        assertThat(stored(name)).isEqualTo(50);
        assertThat(
                pair.getLast().sendJson("POST", "/counters/nobody-" + prefix + "/advance", "{\"to\": 5}").statusCode())
            .isEqualTo(404);
    }

    @Test
    void badBodiesAre400ProblemsAndCreateNothing() {
        Map<String, String> faults = Map.of("not json", "not JSON", "{\"start\": 1, \"step\": 2}", "unknown field",
                "{\"start\": -1}", "'start' must be a whole number from 0", "{\"start\": 2.5}",
                "'start' must be a whole number", "{\"start\": 9223372036854775808}", "'start' must be a whole number");
        int i = 0;
        for (Map.Entry<String, String> fault : faults.entrySet()) {
            String name = prefix + "bad-" + i++;
            HttpResponse<String> refused = pair.getFirst().sendJson("PUT", "/counters/" + name, fault.getKey());

            assertThat(refused.statusCode()).as(fault.getKey()).isEqualTo(400);
            assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(refused.body()).contains(fault.getValue());
            assertThat(pair.getLast().send("GET", "/counters/" + name + "/next").statusCode()).isEqualTo(404);
        }
        assertThat(database.queryForLong("SELECT count(*) FROM counter WHERE name LIKE '%sbad-%%'".formatted(prefix)))
            .isZero();
    }

    @Test
    void theCapHoldsExactlyUnderConcurrentPutsThroughTwoInstances() throws Exception {
        long existing = database.queryForLong("SELECT count(*) FROM counter");
        Map<String, String> capped = Map.of("counter.names", "default", "counter.admin.enabled", "true",
                "counter.max-counters", Long.toString(existing + 5));
        try (AppInstance first = AppInstance.start(database, capped);
                AppInstance second = AppInstance.start(database, capped)) {
            List<AppInstance> both = List.of(first, second);
            List<Integer> statuses = new ArrayList<>();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<HttpResponse<String>>> puts = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    String name = prefix + "capped-" + i;
                    AppInstance instance = both.get(i % 2);
                    puts.add(clients.submit(() -> {
                        go.await();
                        return instance.sendJson("PUT", "/counters/" + name, "");
                    }));
                }
                go.countDown();
                for (Future<HttpResponse<String>> put : puts) {
                    HttpResponse<String> answer = put.get();
                    statuses.add(answer.statusCode());
                    if (answer.statusCode() == 409) {
                        assertThat(answer.body()).contains("counter.max-counters=" + (existing + 5));
                    }
                }
            }

            assertThat(statuses.stream().filter(status -> status == 201).count()).as(statuses.toString()).isEqualTo(5);
            assertThat(statuses.stream().filter(status -> status == 409).count()).isEqualTo(15);
            assertThat(database.queryForLong("SELECT count(*) FROM counter")).isEqualTo(existing + 5);
            // An existing counter is still answered: the cap refuses only new ones
            assertThat(first.sendJson("PUT", "/counters/default", "").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void withAdminOffCreatingAndAdvancingAre403AndChangeNothing() {
        try (AppInstance closed = AppInstance.start(database, Map.of("counter.names", "default"))) {
            String name = prefix + "closed";
            HttpResponse<String> create = closed.sendJson("PUT", "/counters/" + name, "{\"start\": 5}");
            HttpResponse<String> advance = closed.sendJson("POST", "/counters/default/advance", "{\"to\": 1000000000}");

            assertThat(create.statusCode()).isEqualTo(403);
            assertThat(create.body()).contains("counter.admin.enabled=true");
            assertThat(advance.statusCode()).isEqualTo(403);
            assertThat(database.queryForLong("SELECT count(*) FROM counter WHERE name = '%s'".formatted(name)))
                .isZero();
            assertThat(stored("default")).isLessThan(1_000_000_000);
        }
    }

    /**
     * Sends one PUT of {@code name} per body, half through each instance, all at once.
     */
    private List<Integer> putAtOnce(String name, List<String> bodies) throws Exception {
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> puts = new ArrayList<>();
            for (int i = 0; i < bodies.size(); i++) {
                AppInstance instance = pair.get(i % 2);
                String body = bodies.get(i);
                puts.add(clients.submit(() -> {
                    go.await();
                    return instance.sendJson("PUT", "/counters/" + name, body).statusCode();
                }));
            }
            go.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> put : puts) {
                statuses.add(put.get());
            }
            return statuses;
        }
    }

    private long stored(String name) {
        return database.queryForLong("SELECT value FROM counter WHERE name = '%s'".formatted(name));
    }

}
