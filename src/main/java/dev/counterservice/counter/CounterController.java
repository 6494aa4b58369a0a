package dev.counterservice.counter;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.UriComponentsBuilder;

import static dev.counterservice.counter.CounterRoutes.ADVANCE;
import static dev.counterservice.counter.CounterRoutes.COUNTER;
import static dev.counterservice.counter.CounterRoutes.COUNTERS;
import static dev.counterservice.counter.CounterRoutes.NEXT;
import static dev.counterservice.counter.CounterRoutes.NEXT_OF;
import static dev.counterservice.counter.RequestedCounter.ATTRIBUTE;
import static org.springframework.http.MediaType.APPLICATION_JSON_VALUE;
import static org.springframework.web.bind.annotation.RequestMethod.GET;
import static org.springframework.web.bind.annotation.RequestMethod.HEAD;
import static org.springframework.web.bind.annotation.RequestMethod.POST;

/**
 * The HTTP face of the counters, on the {@link CounterRoutes}. Plain text (one number per
 * line) is the default for every client that does not ask for JSON; its content type is
 * set explicitly so browsers and unknown {@code Accept} values get it too. A handler of
 * one counter takes it as {@link RequestedCounter} resolved it: valid, and
 * {@code default} on {@code /next}.
 */
@RestController
class CounterController {

    private static final MediaType TEXT = new MediaType(MediaType.TEXT_PLAIN, StandardCharsets.UTF_8);

    static final String REPLAYED = "Idempotent-Replayed";

    /** The most counters one page of {@code GET /counters} lists, and its default. */
    static final int MAX_PAGE = 1000;

    private final CounterService counters;

    private final CounterAdmin admin;

    private final AdminBodies bodies;

    private final int maxCount;

    private final CounterReadAccess readAccess;

    private final CounterAdminAccess adminAccess;

    CounterController(CounterService counters, CounterAdmin admin, AdminBodies bodies, CounterProperties properties,
            ObjectProvider<CounterReadAccess> readAccess, ObjectProvider<CounterAdminAccess> adminAccess) {
        this.counters = counters;
        this.admin = admin;
        this.bodies = bodies;
        this.maxCount = properties.maxCount();
        this.readAccess = readAccess.getIfAvailable(() -> counter -> true);
        boolean adminEnabled = properties.admin().enabled();
        this.adminAccess = adminAccess.getIfAvailable(() -> () -> adminEnabled);
    }

    /**
     * The block as JSON: its period for a counter with one, and the numbers' text form
     * for a counter with a format.
     * <p>
     * Both {@code /next} handlers return the body itself, not a {@code ResponseEntity}:
     * for a {@code ResponseEntity}, Spring MVC resolves the generic type of the handler's
     * return type on every request, whose type proxies were the largest allocation on
     * this path (docs/benchmarks.md).
     */
    @RequestMapping(path = { NEXT, NEXT_OF }, method = { GET, POST }, produces = APPLICATION_JSON_VALUE)
    Object nextAsJson(@RequestAttribute(ATTRIBUTE) String counter, HttpServletRequest request,
            HttpServletResponse response) {
        Block block = next(counter, request);
        SeriesFormat format = counters.format(counter);
        String period = block.period().isEmpty() ? null : block.period();
        Object body = (block.count() == 1)
                ? new NumberView(block.counter(), period, block.last(),
                        (format == null) ? null : format.format(block.period(), block.last()))
                : new BlockView(block.counter(), period, block.first(), block.last(), block.count(),
                        (format == null) ? null : texts(block, format));
        issued(block, response);
        return body;
    }

    /** One number per line: its text form for a counter with a format. */
    @RequestMapping(path = { NEXT, NEXT_OF }, method = { GET, POST })
    String nextAsText(@RequestAttribute(ATTRIBUTE) String counter, HttpServletRequest request,
            HttpServletResponse response) {
        Block block = next(counter, request);
        SeriesFormat format = counters.format(counter);
        StringBuilder lines = new StringBuilder();
        // Counting by offset, not up to last: last may be bigint's maximum, where
        // number++ would wrap
        for (long offset = 0; offset < block.count(); offset++) {
            long number = block.first() + offset;
            lines.append((format == null) ? Long.toString(number) : format.format(block.period(), number)).append('\n');
        }
        // Set here, it is what every client gets, whatever its Accept
        response.setContentType(TEXT.toString());
        issued(block, response);
        return lines.toString();
    }

    private static List<String> texts(Block block, SeriesFormat format) {
        List<String> texts = new ArrayList<>();
        for (long offset = 0; offset < block.count(); offset++) {
            texts.add(format.format(block.period(), block.first() + offset));
        }
        return texts;
    }

    /**
     * A replayed block says so, as draft-ietf-httpapi-idempotency-key-header's
     * implementations do.
     */
    private static void issued(Block block, HttpServletResponse response) {
        if (block.replayed()) {
            response.setHeader(REPLAYED, "true");
        }
    }

    /**
     * Spring would answer HEAD with the GET handler and consume a number; this mapping
     * takes precedence.
     */
    @RequestMapping(path = { NEXT, NEXT_OF }, method = HEAD)
    ResponseEntity<Void> nextHead(@RequestAttribute(ATTRIBUTE) String counter) {
        counters.requireKnown(counter);
        return ResponseEntity.ok().contentType(TEXT).build();
    }

    @GetMapping(path = COUNTER, produces = APPLICATION_JSON_VALUE)
    CounterView currentAsJson(@RequestAttribute(ATTRIBUTE) String counter) {
        return CounterView.of(counters.current(counter));
    }

    @GetMapping(COUNTER)
    ResponseEntity<String> currentAsText(@RequestAttribute(ATTRIBUTE) String counter) {
        return text(counters.current(counter).getValue() + "\n");
    }

    /**
     * Creates the counter, with the settings of a JSON body ({@code {"start": N}}) or the
     * defaults: 201 with {@code Location}; the same settings again 200; others 409.
     */
    @PutMapping(path = COUNTER, produces = APPLICATION_JSON_VALUE)
    ResponseEntity<CounterView> createAsJson(@RequestAttribute(ATTRIBUTE) String counter, HttpServletRequest request) {
        CounterAdmin.Created created = create(counter, request);
        return answer(created, request).body(CounterView.of(created.counter()));
    }

    @PutMapping(COUNTER)
    ResponseEntity<String> createAsText(@RequestAttribute(ATTRIBUTE) String counter, HttpServletRequest request) {
        CounterAdmin.Created created = create(counter, request);
        return answer(created, request).contentType(TEXT).body(created.counter().getValue() + "\n");
    }

    private CounterAdmin.Created create(String counter, HttpServletRequest request) {
        requireAdmin();
        return admin.create(counter, bodies.settings(body(request)));
    }

    private static ResponseEntity.BodyBuilder answer(CounterAdmin.Created created, HttpServletRequest request) {
        return created.isNew() ? ResponseEntity.created(URI.create(request.getRequestURI())) : ResponseEntity.ok();
    }

    /** Moves the counter forward to the {@code to} of the JSON body; never back (409). */
    @PostMapping(path = ADVANCE, produces = APPLICATION_JSON_VALUE)
    CounterView advanceAsJson(@RequestAttribute(ATTRIBUTE) String counter, HttpServletRequest request) {
        return CounterView.of(advance(counter, request));
    }

    @PostMapping(ADVANCE)
    ResponseEntity<String> advanceAsText(@RequestAttribute(ATTRIBUTE) String counter, HttpServletRequest request) {
        return text(advance(counter, request).getValue() + "\n");
    }

    private CounterRow advance(String counter, HttpServletRequest request) {
        requireAdmin();
        return admin.advance(counter, bodies.target(body(request)));
    }

    /**
     * A page of the counters by name: those after {@code ?after=NAME}, at most
     * {@code ?limit=N} ({@value #MAX_PAGE} by default and at most). A
     * {@code Link: <...>; rel="next"} header gives the next page while there is one. With
     * authorization on, a page holds the readable counters of its range only.
     */
    @GetMapping(path = COUNTERS, produces = APPLICATION_JSON_VALUE)
    ResponseEntity<List<CounterView>> pageAsJson(HttpServletRequest request) {
        Page page = page(request);
        return page.response().body(page.counters().stream().map(CounterView::of).toList());
    }

    @GetMapping(COUNTERS)
    ResponseEntity<String> pageAsText(HttpServletRequest request) {
        Page page = page(request);
        StringBuilder lines = new StringBuilder();
        page.counters()
            .forEach(counter -> lines.append(counter.getName()).append(' ').append(counter.getValue()).append('\n'));
        return page.response().contentType(TEXT).body(lines.toString());
    }

    private Page page(HttpServletRequest request) {
        String[] afters = request.getParameterValues("after");
        if (afters != null && (afters.length != 1 || !CounterName.isValid(afters[0]))) {
            throw new InvalidRequestException("'after' must be one counter name: " + CounterName.RULE);
        }
        String after = (afters == null) ? "" : afters[0];
        int limit = CountParameter.parse("limit", request.getParameterValues("limit"), MAX_PAGE, MAX_PAGE);
        List<CounterRow> rows = counters.page(after, limit + 1);
        ResponseEntity.BodyBuilder response = ResponseEntity.ok();
        if (rows.size() > limit) {
            rows = rows.subList(0, limit);
            String next = UriComponentsBuilder.fromPath(COUNTERS)
                .queryParam("after", rows.getLast().getName())
                .queryParam("limit", limit)
                .build()
                .toUriString();
            response.header(HttpHeaders.LINK, "<" + next + ">; rel=\"next\"");
        }
        return new Page(rows.stream().filter(counter -> readAccess.mayRead(counter.getName())).toList(), response);
    }

    private Block next(String counter, HttpServletRequest request) {
        String key = IdempotencyKey.parse(request.getHeaders(IdempotencyKey.HEADER));
        return counters.next(counter, CountParameter.parse(request.getParameterValues("count"), maxCount), key,
                subject(request));
    }

    /**
     * The subject ({@code sub}) of the request's token, null without one: Spring Security
     * names a JWT's principal by it.
     */
    static String subject(HttpServletRequest request) {
        return (request.getUserPrincipal() == null) ? null : request.getUserPrincipal().getName();
    }

    private void requireAdmin() {
        if (!adminAccess.mayAdminister()) {
            throw CounterAdminAccess.refused();
        }
    }

    static InputStream body(HttpServletRequest request) {
        try {
            return request.getInputStream();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static ResponseEntity<String> text(String body) {
        return ResponseEntity.ok().contentType(TEXT).body(body);
    }

    private record Page(List<CounterRow> counters, ResponseEntity.BodyBuilder response) {
    }

    /** One number; {@code period} and {@code formatted} only for counters with them. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record NumberView(String counter, String period, long value, String formatted) {
    }

    /**
     * A counter: its last number (of {@code currentPeriod}, for a counter with a period)
     * and its settings; those left at their defaults are absent.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record CounterView(String counter, long value, long start, String period, String currentPeriod, String timeZone,
            String format, Boolean audit, Long fenceMargin) {

        static CounterView of(CounterRow counter) {
            CounterSettings settings = counter.settings();
            boolean periodic = settings.period() != Period.NONE;
            return new CounterView(counter.getName(), counter.getValue(), settings.start(),
                    periodic ? settings.period().id() : null, periodic ? counter.getCurrentPeriod() : null,
                    periodic ? settings.timeZone() : null, settings.format(), settings.audit() ? true : null,
                    settings.fenceMargin());
        }
    }

    /** A block; {@code period} and {@code formatted} only for counters with them. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record BlockView(String counter, String period, long first, long last, long count, List<String> formatted) {
    }

}
