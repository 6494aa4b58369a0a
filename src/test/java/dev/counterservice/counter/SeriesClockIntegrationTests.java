package dev.counterservice.counter;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.counterservice.counter.CounterAllocator.Position;
import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.LocalPostgres;
import dev.counterservice.testing.ShiftedClock;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A yearly counter across a new year, on a PostgreSQL whose clock the test sets
 * ({@link ShiftedClock}): set to three seconds before midnight in Paris while clients
 * take numbers, then an hour back. The period comes from the database's clock only (this
 * JVM's is not shifted), every (period, value) pair is handed out once and in real-time
 * order, each period starts at 1 and has no gap, and the period never goes back with the
 * clock.
 */
class SeriesClockIntegrationTests {

    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

    private static final Instant NEW_YEAR = LocalDateTime.of(2027, 1, 1, 0, 0).atZone(PARIS).toInstant();

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final ShiftedClock clock = new ShiftedClock();

    private static LocalPostgres server;

    private static AppInstance app;

    @BeforeAll
    static void start() {
        server = LocalPostgres.start(clock.environment());
        TestDatabase database = server.createDatabase("series");
        app = AppInstance.start(database, Map.of("counter.admin.enabled", "true"));
    }

    @AfterAll
    static void stop() {
        app.close();
        server.close();
    }

    @Test
    void pairsStayUniqueAndInRealTimeOrderAcrossANewYearAndThePeriodNeverGoesBackWithTheClock() throws Exception {
        assertThat(app
            .sendJson("PUT", "/counters/invoice",
                    "{\"period\": \"yearly\", \"timeZone\": \"Europe/Paris\", \"format\": \"{period}/{value}\", "
                            + "\"audit\": true}")
            .statusCode()).isEqualTo(201);
        clock.set(NEW_YEAR.minusSeconds(3));

        List<Answer> answers = Collections.synchronizedList(new ArrayList<>());
        long until = System.nanoTime() + 7_000_000_000L;
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int client = 0; client < 8; client++) {
                clients.submit(() -> {
                    while (System.nanoTime() < until) {
                        long sent = System.nanoTime();
                        HttpResponse<String> response = app.send("POST", "/counters/invoice/next?count=2");
                        long received = System.nanoTime();
                        assertThat(response.statusCode()).isEqualTo(200);
                        List<String> lines = response.body().lines().toList();
                        String[] last = lines.getLast().split("/");
                        answers.add(new Answer(sent, received, lines, new Position(last[0], Long.parseLong(last[1]))));
                    }
                    return null;
                });
            }
        }

        // Never twice, and each period from 1 without a gap
        Map<String, Set<Long>> byPeriod = new TreeMap<>();
        for (Answer answer : answers) {
            for (String line : answer.lines()) {
                String[] pair = line.split("/");
                assertThat(byPeriod.computeIfAbsent(pair[0], period -> new HashSet<>()).add(Long.parseLong(pair[1])))
                    .as(line)
                    .isTrue();
            }
        }
        assertThat(byPeriod).containsOnlyKeys("2026", "2027");
        byPeriod.values().forEach(values -> assertThat(Collections.max(values)).isEqualTo(values.size()));
        // Real time: an answer sent after another was received has a later pair
        List<Answer> bySent = answers.stream().sorted(Comparator.comparingLong(Answer::sent)).toList();
        List<Answer> byReceived = answers.stream().sorted(Comparator.comparingLong(Answer::received)).toList();
        Position latestReceived = Position.NONE;
        int received = 0;
        for (Answer answer : bySent) {
            while (received < byReceived.size() && byReceived.get(received).received() < answer.sent()) {
                latestReceived = Position.max(latestReceived, byReceived.get(received++).last());
            }
            assertThat(answer.last()).as("sent after %s was answered", latestReceived).isGreaterThan(latestReceived);
        }

        // The database's clock an hour back, in 2026 again: the counter stays in 2027
        clock.set(NEW_YEAR.minusSeconds(3600));
        JsonNode after = JSON.readTree(HttpClient.newHttpClient()
            .send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/counters/invoice/next"))
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString())
            .body());
        assertThat(after.path("period").asString()).isEqualTo("2027");
        assertThat(after.path("value").asLong()).isEqualTo(byPeriod.get("2027").size() + 1);
        for (String period : byPeriod.keySet()) {
            JsonNode check = JSON.readTree(app.send("GET", "/counters/invoice/ledger/check?period=" + period).body());
            assertThat(check.path("complete").asBoolean()).as(period).isTrue();
        }
    }

    private record Answer(long sent, long received, List<String> lines, Position last) {
    }

}
