package dev.counterservice.counter;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.parameters.RequestBody;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.servers.Server;
import org.springdoc.core.customizers.OpenApiCustomizer;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document of the API port: {@code /v3/api-docs} (JSON) and
 * {@code /v3/api-docs.yaml}, committed as docs/openapi.yaml. springdoc finds the routes
 * in the mappings; this class says what each does, in both representations, and which
 * problems it answers with, so the controllers carry no documentation annotations. A
 * route missing from {@link #operations()} keeps springdoc's bare description, and
 * OpenApiDocumentIntegrationTests fails until it is described here.
 */
@Configuration(proxyBeanMethods = false)
class CounterApiDocumentation {

    private static final String TEXT = "text/plain";

    private static final String JSON = "application/json";

    private static final String PROBLEM = "application/problem+json";

    /**
     * The problem responses in components.responses, by the status they are answered
     * with.
     */
    private static final Map<String, String> STATUSES = Map.of("BadRequest", "400", "NotFound", "404", "Conflict",
            "409", "BodyTooLarge", "413", "BodyType", "415", "KeyReused", "422", "Unavailable", "503");

    @Bean
    OpenAPI counterServiceApi() {
        return new OpenAPI().info(new Info().title("counter-service").version("1").description("""
                Strictly increasing, durable numbers. Every answer is plain text (one number per line) unless \
                the request accepts application/json; every error is an RFC 9457 problem \
                (application/problem+json) and consumes nothing. Any method not listed for a path is answered \
                405 (components.responses.MethodNotAllowed). No response may be cached (Cache-Control: no-store)."""))
            .servers(List.of(new Server().url("/")))
            // The service has no authentication of its own: said explicitly, so that
            // tools and generated clients assume none
            .security(List.of());
    }

    /**
     * Replaces what springdoc guessed from the handler methods, components included (it
     * names them after classes).
     */
    @Bean
    OpenApiCustomizer counterOperations(CounterProperties properties) {
        return api -> {
            api.components(components(properties.maxCount()));
            Map<String, Operation> operations = operations();
            api.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, found) -> {
                Operation described = operations.get(method + " " + path);
                if (described != null) {
                    item.operation(method, described);
                }
            }));
        };
    }

    /**
     * What each route does, by "METHOD path"; built anew for each document, as springdoc
     * may change what it is given.
     */
    private static Map<String, Operation> operations() {
        return Map.of("GET /next", next("getNext", false, false), "POST /next", next("postNext", false, true),
                "HEAD /next", exists("headNext", false), "GET /counters/{name}/next", next("getNextOf", true, false),
                "POST /counters/{name}/next", next("postNextOf", true, true), "HEAD /counters/{name}/next",
                exists("headNextOf", true), "GET /counters/{name}", current(), "GET /counters", all(), "GET /", page());
    }

    private static Components components(int maxCount) {
        return new Components()
            .addSchemas("Number",
                    object("One number (count=1)", Map.of("counter", string(), "value", int64()))
                        .required(List.of("counter", "value")))
            .addSchemas("Block",
                    object("Consecutive numbers reserved in one step (count>1)",
                            Map.of("counter", string(), "first", int64(), "last", int64(), "count", int64()))
                        .required(List.of("counter", "first", "last", "count")))
            .addSchemas("Problem",
                    object("RFC 9457 problem details",
                            Map.of("type", string().format("uri-reference"), "title", string(), "status",
                                    typed("integer"), "detail", string(), "instance",
                                    string().format("uri-reference").description("The request path exactly as sent"))))
            .addParameters("name",
                    new Parameter().in("path")
                        .name("name")
                        .required(true)
                        .description("A configured counter; requests never create counters")
                        .schema(string().pattern("^" + CounterName.PATTERN + "$")))
            .addParameters("count",
                    new Parameter().in("query")
                        .name("count")
                        .required(false)
                        .description("How many consecutive numbers to reserve in one step (default 1), at most once. "
                                + "A POST may give it in an application/x-www-form-urlencoded body instead")
                        .schema(typed("integer").minimum(BigDecimal.ONE).maximum(BigDecimal.valueOf(maxCount))))
            .addParameters(IdempotencyKey.HEADER, new Parameter().in("header")
                .name(IdempotencyKey.HEADER)
                .required(false)
                .description("Makes retries safe: a retry with the same key and count gets the same block and "
                        + "consumes nothing (draft-ietf-httpapi-idempotency-key-header; keys are per counter)")
                .schema(string().pattern("^(" + IdempotencyKey.PATTERN + "|\"" + IdempotencyKey.PATTERN + "\")$")))
            .addHeaders(CounterController.REPLAYED,
                    new Header().description("true when the block is the one stored for the request's Idempotency-Key")
                        .schema(string()))
            .addHeaders("Retry-After",
                    new Header().description("Seconds to wait before retrying").schema(typed("integer")))
            .addHeaders("Allow", new Header().description("The methods this path takes").schema(string()))
            .addResponses("BadRequest", problem("count is not a whole number from 1 to " + maxCount
                    + " or is repeated, the counter name or Idempotency-Key is malformed, or the query string or "
                    + "form body is malformed. Nothing was consumed"))
            .addResponses("NotFound", problem("No configured counter has that name"))
            .addResponses("MethodNotAllowed",
                    problem("The path does not take this method").addHeaderObject("Allow", headerRef("Allow")))
            .addResponses("Conflict", problem("The block would carry the counter past 9223372036854775807 (the "
                    + "counter is unchanged), or a request with the same Idempotency-Key is still in flight (retry)"))
            .addResponses("BodyTooLarge",
                    problem("The body is larger than 1 KB; it was not read. Nothing was consumed"))
            .addResponses("BodyType",
                    problem("The body is not application/x-www-form-urlencoded. Nothing was consumed"))
            .addResponses("KeyReused", problem("The Idempotency-Key was used with another count on this counter"))
            .addResponses("Unavailable",
                    problem("The database is unreachable, failed, or did not confirm within "
                            + "counter.timeout. No number was handed out")
                        .addHeaderObject("Retry-After", headerRef("Retry-After")));
    }

    private static Operation next(String id, boolean named, boolean post) {
        Operation operation = operation(
                id, "The next number(s) of the counter " + (named ? "{name}" : "default"), named
                        ? List.of("name", "count", "Idempotency-Key") : List.of("count", "Idempotency-Key"))
            .responses(responses(
                    new ApiResponse().description("The numbers, committed before this answer")
                        .addHeaderObject(CounterController.REPLAYED, headerRef(CounterController.REPLAYED))
                        .content(new Content().addMediaType(TEXT, text("One number per line", "44\n45\n46\n"))
                            .addMediaType(JSON,
                                    new MediaType()
                                        .schema(new Schema<>().oneOf(List.of(ref("Number"), ref("Block")))))),
                    "BadRequest", "NotFound", "Conflict", "KeyReused", "Unavailable"));
        if (post) {
            operation.getResponses()
                .addApiResponse("413", new ApiResponse().$ref("#/components/responses/BodyTooLarge"))
                .addApiResponse("415", new ApiResponse().$ref("#/components/responses/BodyType"));
            operation.requestBody(new RequestBody().required(false)
                .content(new Content().addMediaType("application/x-www-form-urlencoded", new MediaType()
                    .schema(object("count, instead of the query", Map.of("count", typed("integer")))))));
        }
        return operation;
    }

    private static Operation exists(String id, boolean named) {
        return operation(id, "Checks that the counter exists; consumes nothing", named ? List.of("name") : List.of())
            .responses(responses(new ApiResponse().description("The counter exists (headers only)"), "BadRequest",
                    "NotFound"));
    }

    private static Operation current() {
        return operation("getCounter", "The last number handed out (0 before the first); consumes nothing",
                List.of("name"))
            .responses(responses(
                    new ApiResponse().description("The counter's value")
                        .content(new Content().addMediaType(TEXT, text("The value", "50\n"))
                            .addMediaType(JSON, new MediaType().schema(ref("Number")))),
                    "BadRequest", "NotFound", "Unavailable"));
    }

    private static Operation all() {
        return operation("getCounters", "Every configured counter and its last number", List.of())
            .responses(responses(
                    new ApiResponse().description("The counters, by name")
                        .content(new Content()
                            .addMediaType(TEXT, text("One \"name value\" per line", "default 50\norders 1\n"))
                            .addMediaType(JSON,
                                    new MediaType()
                                        .schema(new Schema<>().types(Set.of("array")).items(ref("Number"))))),
                    "Unavailable"));
    }

    private static Operation page() {
        return new Operation().operationId("getPage")
            .summary("The browser page, whatever the Accept header")
            .tags(List.of("page"))
            .responses(new ApiResponses().addApiResponse("200", new ApiResponse().description("An HTML page")
                .content(new Content().addMediaType("text/html", new MediaType().schema(string())))));
    }

    /**
     * An operation of the counters, taking {@code parameters} from components.parameters.
     */
    private static Operation operation(String id, String summary, List<String> parameters) {
        Operation operation = new Operation().operationId(id).summary(summary).tags(List.of("counters"));
        parameters.forEach(
                parameter -> operation.addParametersItem(new Parameter().$ref("#/components/parameters/" + parameter)));
        return operation;
    }

    private static ApiResponses responses(ApiResponse ok, String... problems) {
        ApiResponses responses = new ApiResponses().addApiResponse("200", ok);
        for (String problem : problems) {
            responses.addApiResponse(STATUSES.get(problem),
                    new ApiResponse().$ref("#/components/responses/" + problem));
        }
        return responses;
    }

    private static ApiResponse problem(String description) {
        return new ApiResponse().description(description)
            .content(new Content().addMediaType(PROBLEM, new MediaType().schema(ref("Problem"))));
    }

    private static MediaType text(String description, String example) {
        return new MediaType().schema(string().description(description)).example(example);
    }

    private static Schema<Object> object(String description, Map<String, Schema> properties) {
        return typed("object").description(description).properties(new TreeMap<>(properties));
    }

    private static Schema<Object> string() {
        return typed("string");
    }

    private static Schema<Object> int64() {
        return typed("integer").format("int64");
    }

    private static Schema<Object> typed(String type) {
        return new Schema<>().types(Set.of(type));
    }

    private static Schema<Object> ref(String schema) {
        return new Schema<>().$ref("#/components/schemas/" + schema);
    }

    private static Header headerRef(String header) {
        return new Header().$ref("#/components/headers/" + header);
    }

}
