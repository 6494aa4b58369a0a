package dev.counterservice.counter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Year;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Series through HTTP, on the shared pair of instances and PostgreSQL: periods and
 * formats in the answers, settings refused with a 400 that names the fault and creates
 * nothing, and the audit ledger: a row per block written by the statement that reserves
 * it, read a page at a time or as CSV, voids, and the check. Crossing a period's boundary
 * needs a database clock of its own: {@link SeriesClockIntegrationTests}.
 */
class SeriesIntegrationTests {

    private static final List<AppInstance> pair = AppInstance.sharedPair(true);

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private final TestDatabase database = TestDatabase.shared();

    private final String prefix = "series-" + UUID.randomUUID().toString().substring(0, 8) + "-";

    @Test
    void aYearlyCounterNamesItsPeriodAndGivesItsNumbersTheirTextForm() {
        String name = prefix + "invoice";
        String year = Year.now(ZoneId.of("Europe/Paris")).toString();
        assertThat(put(name, "{\"period\": \"yearly\", \"timeZone\": \"Europe/Paris\", "
                + "\"format\": \"INV-{period}-{value:06}\"}")
            .statusCode()).isEqualTo(201);

        assertThat(json(send("GET", "/counters/" + name + "/next", null, "Accept", "application/json")))
            .isEqualTo(json("{\"counter\":\"%s\",\"period\":\"%s\",\"value\":1,\"formatted\":\"INV-%s-000001\"}"
                .formatted(name, year, year)));
        assertThat(json(send("GET", "/counters/" + name + "/next?count=2", null, "Accept", "application/json")))
            .isEqualTo(json(("{\"counter\":\"%s\",\"period\":\"%s\",\"first\":2,\"last\":3,\"count\":2,"
                    + "\"formatted\":[\"INV-%s-000002\",\"INV-%s-000003\"]}")
                .formatted(name, year, year, year)));
        assertThat(send("GET", "/counters/" + name + "/next?count=2", null).body())
            .isEqualTo("INV-%s-000004\nINV-%s-000005\n".formatted(year, year));
        assertThat(json(send("GET", "/counters/" + name, null, "Accept", "application/json")))
            .isEqualTo(json(("{\"counter\":\"%s\",\"value\":5,\"start\":0,\"period\":\"yearly\",\"currentPeriod\":"
                    + "\"%s\",\"timeZone\":\"Europe/Paris\",\"format\":\"INV-{period}-{value:06}\"}")
                .formatted(name, year)));
    }

    @Test
    void aCounterWithoutAPeriodAnswersAsBeforeAndFormatsWithoutOne() {
        String name = prefix + "plain";
        assertThat(put(name, "{\"format\": \"T{{{value}}}\"}").statusCode()).isEqualTo(201);

        assertThat(json(send("GET", "/counters/" + name + "/next", null, "Accept", "application/json")))
            .isEqualTo(json("{\"counter\":\"%s\",\"value\":1,\"formatted\":\"T{1}\"}".formatted(name)));
        assertThat(json(send("GET", "/next", null, "Accept", "application/json")).has("period")).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|',
            value = { "{\"format\": \"INV-\"}|has no {value}", "{\"format\": \"INV-{valu}\"}|unknown field at 5",
                    "{\"format\": \"INV-{value\"}|never closed", "{\"format\": \"INV-}{value}\"}|closes nothing",
                    "{\"format\": \"{value:020}\"}|unknown field", "{\"format\": \"{period}-{value}\"}|has no period",
                    "{\"format\": \"\"}|1 to 100 characters", "{\"period\": \"weekly\"}|one of none, yearly",
                    "{\"period\": \"yearly\", \"timeZone\": \"Mars/Olympus\"}|IANA time zone",
                    "{\"period\": \"yearly\", \"timeZone\": \"EST\"}|IANA time zone",
                    "{\"timeZone\": \"Europe/Paris\"}|only for a counter with a period",
                    "{\"audit\": \"yes\"}|true or false", "{\"fenceMargin\": -1}|from 0",
                    "{\"period\": 1}|must be a string" })
    void badSettingsAre400NamingTheFaultAndCreateNothing(String body, String fault) {
        String name = prefix + "bad";
        HttpResponse<String> response = put(name, body);

        assertThat(response.statusCode()).as(body).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json(response).path("detail").asString()).contains(fault);
        assertThat(send("GET", "/counters/" + name, null).statusCode()).isEqualTo(404);
    }

    @Test
    void aFormatOfMoreThanAHundredCharactersIsRefused() {
        HttpResponse<String> response = put(prefix + "long", "{\"format\": \"{value}" + "x".repeat(95) + "\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response).path("detail").asString()).contains("1 to 100 characters");
    }

    @Test
    void settingsNeverChangeAndARepeatedCreationWithOthersNamesEachDifference() {
        String name = prefix + "fixed";
        String settings = "{\"period\": \"monthly\", \"audit\": true}";
        assertThat(put(name, settings).statusCode()).isEqualTo(201);
        assertThat(put(name, settings).statusCode()).isEqualTo(200);

        HttpResponse<String> other = put(name, "{\"period\": \"daily\", \"format\": \"{value}\"}");

        assertThat(other.statusCode()).isEqualTo(409);
        assertThat(json(other).path("detail").asString()).contains("period is 'monthly', not 'daily'",
                "format is the default, not '{value}'", "audit is true, not false",
                "fenceMargin is 0, not the default");
    }

    @Test
    void anAuditedCounterRecordsEveryBlockOnceWithItsKeyAndTheLedgerIsComplete() throws Exception {
        String name = prefix + "audited";
        String month = YearMonth.now(ZoneId.of("UTC")).toString();
        assertThat(put(name, "{\"period\": \"monthly\", \"audit\": true}").statusCode()).isEqualTo(201);
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 200; i++) {
                AppInstance instance = pair.get(i % 2);
                String path = "/counters/" + name + "/next?count=" + (1 + i % 3);
                String key = (i % 2 == 0) ? "key-" + i : null;
                answers.add(clients.submit(() -> (key == null) ? request(instance, "POST", path)
                        : request(instance, "POST", path, "Idempotency-Key", key)));
            }
        }
        long handedOut = 0;
        for (Future<HttpResponse<String>> answer : answers) {
            assertThat(answer.get().statusCode()).isEqualTo(200);
            handedOut += answer.get().body().lines().count();
        }
        HttpResponse<String> replay = request(pair.getLast(), "POST", "/counters/" + name + "/next?count=1",
                "Idempotency-Key", "key-0");
        assertThat(replay.headers().firstValue(CounterController.REPLAYED)).hasValue("true");

        String where = "counter = '%s' AND period = '%s'".formatted(name, month);
        assertThat(database.queryForLong("SELECT count(*) FROM ledger WHERE " + where)).isEqualTo(200);
        assertThat(database.queryForLong("SELECT sum(last - first + 1) FROM ledger WHERE " + where))
            .isEqualTo(handedOut);
        assertThat(database.queryForLong("SELECT count(DISTINCT idempotency_key) FROM ledger WHERE " + where))
            .isEqualTo(100);
        JsonNode check = json(send("GET", "/counters/" + name + "/ledger/check?period=" + month, null));
        assertThat(check).isEqualTo(json(("{\"counter\":\"%s\",\"period\":\"%s\",\"first\":1,\"last\":%d,"
                + "\"issued\":%d,\"voided\":0,\"fenced\":0,\"skipped\":0,\"unexplained\":[],\"complete\":true}")
            .formatted(name, month, handedOut, handedOut)));

        // A page at a time, following next, and as CSV: the same rows, in order of their
        // first numbers, covering 1..handedOut
        List<JsonNode> entries = new ArrayList<>();
        String page = "/counters/" + name + "/ledger?period=" + month + "&limit=7";
        while (page != null) {
            JsonNode answer = json(send("GET", page, null, "Accept", "application/json"));
            answer.path("entries").forEach(entries::add);
            page = answer.has("next") ? answer.path("next").asString() : null;
        }
        long expected = 1;
        Set<String> keys = new HashSet<>();
        for (JsonNode entry : entries) {
            assertThat(entry.path("kind").asString()).isEqualTo("issued");
            assertThat(entry.path("first").asLong()).isEqualTo(expected);
            expected = entry.path("last").asLong() + 1;
            if (entry.has("idempotencyKey")) {
                keys.add(entry.path("idempotencyKey").asString());
            }
        }
        assertThat(expected - 1).isEqualTo(handedOut);
        assertThat(keys).hasSize(100);
        HttpResponse<String> csv = send("GET", "/counters/" + name + "/ledger?period=" + month, null, "Accept",
                "text/csv");
        assertThat(csv.headers().firstValue("Content-Type")).hasValueSatisfying(type -> type.startsWith("text/csv"));
        List<String> lines = csv.body().lines().toList();
        assertThat(lines.getFirst()).isEqualTo("kind,first,last,at,idempotency_key,subject,reason");
        assertThat(lines).hasSize(201);
        assertThat(lines.get(1)).startsWith("issued,1,");
    }

    @Test
    void anAuditedCounterCreatedWithAStartExplainsTheNumbersBelowItAsSkipped() {
        String name = prefix + "started";
        String year = Year.now(ZoneId.of("UTC")).toString();
        assertThat(put(name, "{\"period\": \"yearly\", \"audit\": true, \"start\": 1000}").statusCode()).isEqualTo(201);
        assertThat(send("GET", "/counters/" + name + "/next?count=2", null).body()).isEqualTo("1001\n1002\n");

        JsonNode entries = json(send("GET", "/counters/" + name + "/ledger?period=" + year, null)).path("entries");
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0).path("kind").asString()).isEqualTo("skipped");
        assertThat(entries.get(0).path("first").asLong()).isOne();
        assertThat(entries.get(0).path("last").asLong()).isEqualTo(1000);
        assertThat(entries.get(1).path("first").asLong()).isEqualTo(1001);
        JsonNode check = json(send("GET", "/counters/" + name + "/ledger/check?period=" + year, null));
        assertThat(check.path("last").asLong()).isEqualTo(1002);
        assertThat(check.path("issued").asLong()).isEqualTo(2);
        assertThat(check.path("skipped").asLong()).isEqualTo(1000);
        assertThat(check.path("complete").asBoolean()).isTrue();
        // A number it never handed out cannot be voided; created again, nothing is
        // written twice
        assertThat(send("POST", "/counters/" + name + "/numbers/7/void?period=" + year, "{\"reason\": \"x\"}")
            .statusCode()).isEqualTo(404);
        assertThat(put(name, "{\"period\": \"yearly\", \"audit\": true, \"start\": 1000}").statusCode()).isEqualTo(200);
        assertThat(database.queryForLong("SELECT count(*) FROM ledger WHERE counter = '" + name + "'")).isEqualTo(2);
    }

    @Test
    void aNumberHandedOutIsVoidedOnceWithItsReasonAndOnlyIfItWasIssued() {
        String name = prefix + "voided";
        assertThat(put(name, "{\"audit\": true}").statusCode()).isEqualTo(201);
        send("POST", "/counters/" + name + "/next?count=3", null);
        String voidOf2 = "/counters/" + name + "/numbers/2/void";

        HttpResponse<String> voided = send("POST", voidOf2, "{\"reason\": \"draft, never sent, \\\"quoted\\\"\"}");

        assertThat(voided.statusCode()).isEqualTo(201);
        JsonNode entry = json(voided);
        assertThat(entry.path("kind").asString()).isEqualTo("voided");
        assertThat(entry.path("first").asLong()).isEqualTo(2);
        assertThat(entry.path("reason").asString()).isEqualTo("draft, never sent, \"quoted\"");
        assertThat(send("POST", voidOf2, "{\"reason\": \"again\"}").statusCode()).isEqualTo(409);
        assertThat(send("POST", "/counters/" + name + "/numbers/4/void", "{\"reason\": \"x\"}").statusCode())
            .isEqualTo(404);
        JsonNode check = json(send("GET", "/counters/" + name + "/ledger/check", null));
        assertThat(check.path("voided").asLong()).isOne();
        assertThat(check.path("issued").asLong()).isEqualTo(3);
        assertThat(check.path("complete").asBoolean()).isTrue();
        assertThat(check.has("period")).isFalse();
        assertThat(send("GET", "/counters/" + name + "/ledger", null, "Accept", "text/csv").body())
            .contains("voided,2,2,")
            .contains(",\"draft, never sent, \"\"quoted\"\"\"\r\n");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|',
            value = { "/numbers/1/void|{}|400|reason", "/numbers/1/void|{\"reason\": \"\"}|400|reason",
                    "/numbers/0/void|{\"reason\": \"x\"}|400|whole number",
                    "/numbers/x/void|{\"reason\": \"x\"}|400|whole number",
                    "/numbers/1/void?period=2026|{\"reason\": \"x\"}|400|only for a counter with a period",
                    "/ledger?after=-1||400|after", "/ledger?limit=0||400|limit" })
    void badLedgerRequestsAre400NamingTheFault(String path, String body, int status, String fault) {
        String name = prefix + "ledger-bad";
        put(name, "{\"audit\": true}");
        send("POST", "/counters/" + name + "/next", null);

        HttpResponse<String> response = send(body == null ? "GET" : "POST", "/counters/" + name + path, body);

        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(json(response).path("detail").asString()).contains(fault);
        assertThat(database.queryForLong("SELECT count(*) FROM ledger WHERE counter = '%s'".formatted(name))).isOne();
    }

    @Test
    void aReasonOfMoreThanFiveHundredCharactersIsRefused() {
        String name = prefix + "long-reason";
        put(name, "{\"audit\": true}");
        send("POST", "/counters/" + name + "/next", null);

        HttpResponse<String> response = send("POST", "/counters/" + name + "/numbers/1/void",
                "{\"reason\": \"" + "x".repeat(501) + "\"}");

        assertThat(response.statusCode()).isEqualTo(400);
    }

    @Test
    void aPeriodCounterNeedsAPeriodOfItsKindAndACounterWithoutAuditHasNoLedger() {
        String name = prefix + "daily";
        put(name, "{\"period\": \"daily\", \"audit\": true}");
        String plain = prefix + "unaudited";
        put(plain, "");

        assertThat(send("GET", "/counters/" + name + "/ledger", null).statusCode()).isEqualTo(400);
        assertThat(send("GET", "/counters/" + name + "/ledger?period=2026", null).statusCode()).isEqualTo(400);
        assertThat(send("GET", "/counters/" + name + "/ledger?period=2026-13-01", null).statusCode()).isEqualTo(400);
        assertThat(send("GET", "/counters/" + name + "/ledger/check?period=2026-12-07", null).statusCode())
            .isEqualTo(200);
        assertThat(send("GET", "/counters/" + plain + "/ledger", null).statusCode()).isEqualTo(409);
        assertThat(send("POST", "/counters/" + plain + "/numbers/1/void", "{\"reason\": \"x\"}").statusCode())
            .isEqualTo(409);
        assertThat(send("POST", "/counters/" + plain + "/advance", "{\"to\": 5}").statusCode()).isEqualTo(200);
        assertThat(send("POST", "/counters/" + name + "/advance", "{\"to\": 5}").statusCode()).isEqualTo(409);
    }

    @Test
    void theCheckListsWhatNoRowExplains() {
        String name = prefix + "gaps";
        put(name, "{\"audit\": true}");
        send("POST", "/counters/" + name + "/next?count=2", null);
        // A stand-in for numbers taken without their ledger rows: no statement of the
        // service can
        database.execute("UPDATE counter SET value = value + 3 WHERE name = '%s'".formatted(name));
        send("POST", "/counters/" + name + "/next", null);

        JsonNode check = json(send("GET", "/counters/" + name + "/ledger/check", null));

        assertThat(check.path("complete").asBoolean()).isFalse();
        assertThat(check.path("last").asLong()).isEqualTo(6);
        assertThat(check.path("unexplained")).isEqualTo(json("[{\"first\":3,\"last\":5}]"));
    }

    @Test
    void aFenceOfAnAuditedCounterMovesItByItsOwnMarginAndRecordsTheRangeItSkipped() {
        String name = prefix + "fenced";
        put(name, "{\"audit\": true, \"fenceMargin\": 7}");
        send("POST", "/counters/" + name + "/next?count=2", null);
        CounterRepository repository = pair.getFirst().context().getBean(CounterRepository.class);

        assertThat(repository.fence(name, "", 1, 10_000_000, "1000")).map(CounterRepository.Stored::getValue)
            .hasValue(9L);
        send("POST", "/counters/" + name + "/next", null);

        JsonNode check = json(send("GET", "/counters/" + name + "/ledger/check", null));
        assertThat(check.path("fenced").asLong()).isEqualTo(7);
        assertThat(check.path("last").asLong()).isEqualTo(10);
        assertThat(check.path("complete").asBoolean()).isTrue();
        assertThat(database.queryForLong(
                "SELECT count(*) FROM ledger WHERE counter = '%s' AND kind = 'fenced' AND first = 3 AND last = 9"
                    .formatted(name)))
            .isOne();
    }

    private HttpResponse<String> put(String name, String body) {
        return pair.getFirst().sendJson("PUT", "/counters/" + name, body);
    }

    /** A request to the first instance; a body is sent as JSON. */
    private static HttpResponse<String> send(String method, String path, String body, String... headers) {
        return send(pair.getFirst(), method, path, body, headers);
    }

    private static HttpResponse<String> request(AppInstance instance, String method, String path, String... headers) {
        return send(instance, method, path, null, headers);
    }

    private static HttpResponse<String> send(AppInstance instance, String method, String path, String body,
            String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(instance.baseUrl() + path))
            .timeout(Duration.ofSeconds(30))
            .method(method,
                    (body == null) ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (headers.length > 0) {
            request.headers(headers);
        }
        try {
            return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private static JsonNode json(HttpResponse<String> response) {
        return json(response.body());
    }

    private static JsonNode json(String text) {
        return JSON.readTree(text);
    }

}
