package dev.counterservice.counter;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.RawHttp;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests an attacker or a broken client sends, byte for byte over a socket to a real
 * server on a real PostgreSQL. Each is refused with the right status and an RFC 9457
 * problem, whether Spring or Tomcat refuses it; the body repeats nothing of the input but
 * the path as sent (percent-encoded) and leaks no stack trace, class or SQL; and no
 * counter moves.
 */
class HostileInputIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /**
     * What a problem's {@code instance} may hold: a path as sent, percent-encoded, so no
     * markup or quote survives.
     */
    private static final String PERCENT_ENCODED_PATH = "[A-Za-z0-9\\-._~%!$&'()*+,;=:@/]*";

    /** Traces of internals that must never reach a client. */
    private static final String LEAKS = "(?is).*(exception|\\tat |java\\.|org\\.(apache|spring|postgres|hibernate)|sql|select |update |"
            + "insert |jdbc|tomcat|hikari|<html|<script).*";

    private static final AppInstance instance = AppInstance.shared();

    private final TestDatabase database = TestDatabase.shared();

    @Test
    void badCountValuesAre400() {
        assertRefused("GET /next?count=0", 400, null);
        assertRefused("GET /next?count=-1", 400, "-1");
        assertRefused("POST /next?count=1.5", 400, "1.5");
        assertRefused("GET /counters/orders/next?count=abc", 400, "abc");
        assertRefused("GET /next?count=1000000000000000000000000000000", 400, "1000000000000000000000000000000");
        assertRefused("GET /next?count=1001", 400, "1001");
        assertRefused("GET /next?count=", 400, null);
        assertRefused("GET /next?count=1&count=2", 400, null);
        assertRefused("GET /next?count=%2B1", 400, "+1");
        assertRefused("GET /next?count=1%00", 400, "\u0000");
    }

    @Test
    void malformedQueriesAndFormBodiesAre400NotServerErrors() {
        assertRefused("GET /next?count=%zz", 400, "%zz");
        assertRefused("GET /next?%zz=1", 400, "%zz");
        assertRefused("GET /next?" + "x=1&".repeat(1_001) + "count=5", 400, "x=1");
        assertRefused(request("POST /next\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9",
                "count=%zz"), 400, "%zz");
        assertRefused(request("POST /next\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7",
                "count=0"), 400, null);
    }

    @Test
    void pathTraversalIsRefusedAndNeverReachesAnotherCounter() {
        assertRefused("GET /counters/../next", 400, null);
        assertRefused("POST /counters/%2e%2e/next", 400, null);
        assertRefused("GET /counters/..%2F..%2Fetc/next", 400, "../");
        assertRefused("GET /counters/..%2fdefault/next", 400, "../");
        assertRefused("GET /../next", 400, null);
        assertRefused("GET /counters/default/..%5C..%5Cnext", 400, "\\");
        assertRefused("GET /counters/a%00b/next", 400, "\u0000");
    }

    @Test
    void sqlMetacharactersInANameAre400AndTheTableIsIntact() {
        long rows = database.queryForLong("SELECT count(*) FROM counter");

        assertRefused("GET /counters/a'%3BDROP%20TABLE%20counter%3B--/next", 400, "DROP TABLE");
        assertRefused("POST /counters/a';DROP%20TABLE%20counter;--/next", 400, "DROP TABLE");
        assertRefused("GET /counters/default'%20OR%20'1'='1/next", 400, "OR '1'='1");
        assertRefused("GET /counters/default%22%3B%20--", 400, "\";");

        assertThat(database.queryForLong("SELECT count(*) FROM counter")).isEqualTo(rows);
    }

    @Test
    void unicodeAndMarkupInANameAre400() {
        assertRefused("GET /counters/%C3%A9t%C3%A9/next", 400, "été");
        // "default" with a Cyrillic e: no normalisation may turn it into the real counter
        assertRefused("POST /counters/d%D0%B5fault/next", 400, "dеfault");
        assertRefused("GET /counters/DEFAULT/next", 400, null);
        assertRefused("GET /counters/%3Cscript%3Ealert(1)%3C%2Fscript%3E/next", 400, "<script>");
        assertRefused("GET /counters/%3Cimg%20src%3Dx%3E", 400, "<img");
        // Raw UTF-8 in the request line is refused by Tomcat before Spring sees it
        assertRefused(request("GET /counters/été/next", ""), 400, "été");
    }

    @Test
    void namesOf300AndMoreCharactersAre400() {
        String longName = "a".repeat(300);

        assertRefused("GET /counters/" + longName + "/next", 400, longName);
        assertRefused("POST /counters/" + longName + "/next", 400, longName);
        assertRefused("GET /counters/" + longName, 400, longName);
        assertRefused("GET /counters/" + "b".repeat(4_000) + "/next", 400, "b".repeat(4_000));
    }

    @Test
    void unsupportedMethodsAre405And501() {
        assertRefused("PUT /next", 405, null);
        assertRefused("DELETE /counters/default/next", 405, null);
        assertRefused("PATCH /counters/default", 405, null);
        assertRefused("DELETE /counters", 405, null);
        assertRefused("FOO /next", 405, null);
        // Tomcat refuses these itself: TRACE with 405, CONNECT (not a method for this
        // kind of server) with 501
        assertRefused("TRACE /next", 405, null);
        assertRefused("CONNECT /next", 501, null);
    }

    @Test
    void oversizedAndMalformedRequestsAre400FromTomcat() {
        // server.max-http-request-header-size (8 KB) bounds the request line and the
        // headers together
        assertRefused("GET /next?count=1&pad=" + "p".repeat(10_000), 400, "ppp");
        assertRefused("GET /counters/" + "c".repeat(10_000) + "/next", 400, "ccc");
        assertRefused(request("GET /next\r\nX-Padding: " + "h".repeat(20_000), ""), 400, "hhh");
        assertRefused(request("GET /next" + "\r\nX-Many: 1".repeat(150), ""), 400, null);
        assertRefused(request("GET /next\r\nHost: <script>", ""), 400, "<script>");
        assertRefused(bytes("GET /next HTTP/1.1\r\nConnection: close\r\n\r\n"), 400, null);
        assertRefused(request("POST /next\r\nContent-Length: abc", ""), 400, "abc");
        assertRefused(bytes("\u0001\u0002 garbage\r\n\r\n"), 400, "garbage");
    }

    @Test
    void aBodyOfAnyTypeButAFormIs415AndNothingIsConsumed() {
        assertRefused(request("POST /next\r\nContent-Type: application/json\r\nContent-Length: 11", "{\"count\":5}"),
                415, null);
        assertRefused(request("POST /counters/orders/next\r\nContent-Type: text/plain\r\nContent-Length: 7", "count=5"),
                415, null);
        assertRefused(request("POST /next\r\nContent-Length: 7", "count=5"), 415, null);
        assertRefused(
                request("POST /next\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 7", "count=5"),
                415, null);
        assertRefused(request("POST /next\r\nContent-Type: <script>\r\nContent-Length: 7", "count=5"), 415, "<script>");
        assertRefused(request("GET /counters\r\nContent-Type: application/xml\r\nContent-Length: 4", "<a/>"), 415,
                "<a/>");
        assertRefused(request("POST /next\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
                "b\r\n{\"count\":5}\r\n0\r\n\r\n"), 415, null);
    }

    @Test
    void aBodyOverOneKilobyteIs413BeforeItIsRead() {
        // Only the headers and 3 KB are sent: the answer comes without waiting for the
        // rest, and Tomcat closes the
        // connection once it has read server.tomcat.max-swallow-size (1 KB) more
        long start = System.nanoTime();
        assertRefused(
                request("POST /next\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000000",
                        "count=5&pad=" + "p".repeat(3_000)),
                413, null);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertRefused(
                request("POST /next\r\nContent-Type: application/json\r\nContent-Length: 5000000", "x".repeat(3_000)),
                413, null);
        assertRefused(request("GET /next\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1025",
                "count=5&pad=" + "p".repeat(1_013)), 413, null);
        // Chunked, the length is unknown up front: Tomcat stops reading at the limit
        String form = "count=5&pad=" + "p".repeat(2_000);
        assertRefused(
                request("POST /next\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked",
                        Integer.toHexString(form.length()) + "\r\n" + form + "\r\n0\r\n\r\n"),
                413, null);
    }

    @Test
    void aFormEncodedCountWithinTheLimitIsServed() {
        long before = stored("orders");
        String form = "count=2&pad=" + "p".repeat(1_012);
        RawHttp.Response response = RawHttp.send(instance.baseUrl(), request(
                "POST /counters/orders/next\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\nContent-Length: "
                        + form.length(),
                form));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo((before + 1) + "\n" + (before + 2) + "\n");
    }

    @Test
    void errorsAreProblemsWhateverTheClientAccepts() {
        for (String accept : List.of("text/plain", "text/html", "application/xml", "image/png", "foo", "*/*;q=abc")) {
            assertRefused(request("GET /next?count=0\r\nAccept: " + accept, ""), 400, null);
        }
    }

    /**
     * The documented default: any Accept type but JSON gets plain text, and a number is
     * taken as usual.
     */
    @Test
    void unknownAcceptTypesGetThePlainTextDefault() {
        for (String accept : List.of("application/xml", "image/png", "text/html", "application/problem+json", "foo",
                "*/*;q=abc", "é", "application/json;q=0", "application/json;q=0.0, text/plain;q=0.5",
                "*/*;q=0.1, application/json;q=0")) {
            long before = stored("default");
            RawHttp.Response response = RawHttp.send(instance.baseUrl(), request("GET /next\r\nAccept: " + accept, ""));

            assertThat(response.status()).as(accept).isEqualTo(200);
            assertThat(response.header("Content-Type")).as(accept).isEqualTo("text/plain;charset=UTF-8");
            assertThat(response.header("Cache-Control")).isEqualTo("no-store");
            assertThat(response.body()).as(accept).isEqualTo((before + 1) + "\n");
            assertThat(stored("default")).isEqualTo(before + 1);
        }
    }

    /** q=0 refuses JSON (RFC 9110), any other weight asks for it. */
    @Test
    void jsonWithAPositiveWeightIsStillJson() {
        RawHttp.Response response = RawHttp.send(instance.baseUrl(),
                request("GET /next\r\nAccept: text/plain;q=0, application/json;q=0.001", ""));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("Content-Type")).isEqualTo("application/json");
    }

    private void assertRefused(String requestLine, int status, String payload) {
        assertRefused(request(requestLine, ""), status, payload);
    }

    private void assertRefused(byte[] request, int status, String payload) {
        String description = new String(request, StandardCharsets.UTF_8).lines().findFirst().orElse("");
        description = description.length() > 120 ? description.substring(0, 120) + "..." : description;
        Map<String, Long> before = counters();

        RawHttp.Response response = RawHttp.send(instance.baseUrl(), request);

        assertThat(response.status()).as(description).isEqualTo(status);
        assertThat(response.header("Content-Type")).as(description).isEqualTo("application/problem+json");
        assertThat(response.header("Cache-Control")).as(description).isEqualTo("no-store");
        assertThat(response.header("X-Content-Type-Options")).as(description).isEqualTo("nosniff");
        JsonNode problem = JSON.readTree(response.body());
        assertThat(problem.path("status").asInt()).as(description).isEqualTo(status);
        assertThat(field(problem, "title")).as(description).isNotBlank();
        if (payload != null) {
            assertThat(field(problem, "title") + " " + field(problem, "detail")).as(description)
                .doesNotContain(payload);
        }
        assertThat(field(problem, "instance")).as(description).matches(PERCENT_ENCODED_PATH);
        assertThat(response.body()).as(description).doesNotMatch(LEAKS);
        assertThat(counters()).as(description + ": no counter moved").isEqualTo(before);
    }

    private static String field(JsonNode problem, String name) {
        return problem.has(name) ? problem.get(name).asString() : "";
    }

    /**
     * A request with a Host header, from its request line (without the version) and any
     * further headers.
     */
    private static byte[] request(String lineAndHeaders, String body) {
        int lineEnd = lineAndHeaders.indexOf("\r\n");
        String line = lineEnd < 0 ? lineAndHeaders : lineAndHeaders.substring(0, lineEnd);
        String headers = lineEnd < 0 ? "" : lineAndHeaders.substring(lineEnd);
        boolean hasHost = headers.toLowerCase().contains("\r\nhost:");
        return (line + " HTTP/1.1" + (hasHost ? "" : "\r\nHost: localhost") + headers + "\r\nConnection: close\r\n\r\n"
                + body)
            .getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String request) {
        return request.getBytes(StandardCharsets.UTF_8);
    }

    private long stored(String counter) {
        return database.queryForLong("SELECT value FROM counter WHERE name = '%s'".formatted(counter));
    }

    /** Every counter in the database with its value. */
    private Map<String, Long> counters() {
        try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.username(),
                database.password());
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT name, value FROM counter")) {
            Map<String, Long> values = new TreeMap<>();
            while (rows.next()) {
                values.put(rows.getString(1), rows.getLong(2));
            }
            return values;
        }
        catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

}
