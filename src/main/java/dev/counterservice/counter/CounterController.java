package dev.counterservice.counter;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponseException;
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

    @RequestMapping(path = { NEXT, NEXT_OF }, method = { GET, POST }, produces = APPLICATION_JSON_VALUE)
    ResponseEntity<Object> nextAsJson(@RequestAttribute(ATTRIBUTE) String counter, HttpServletRequest request) {
        Block block = next(counter, request);
        return issued(block).contentType(MediaType.APPLICATION_JSON)
            .body(block.count() == 1 ? new NumberView(block.counter(), block.last()) : BlockView.of(block));
    }

    @RequestMapping(path = { NEXT, NEXT_OF }, method = { GET, POST })
    ResponseEntity<String> nextAsText(@RequestAttribute(ATTRIBUTE) String counter, HttpServletRequest request) {
        Block block = next(counter, request);
        StringBuilder lines = new StringBuilder();
        // Counting by offset, not up to last: last may be bigint's maximum, where
        // number++ would wrap
        for (long offset = 0; offset < block.count(); offset++) {
            lines.append(block.first() + offset).append('\n');
        }
        return issued(block).contentType(TEXT).body(lines.toString());
    }

    /**
     * A replayed block says so, as draft-ietf-httpapi-idempotency-key-header's
     * implementations do.
     */
    private static ResponseEntity.BodyBuilder issued(Block block) {
        ResponseEntity.BodyBuilder response = ResponseEntity.ok();
        return block.replayed() ? response.header(REPLAYED, "true") : response;
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
        return counters.next(counter, CountParameter.parse(request.getParameterValues("count"), maxCount), key);
    }

    private void requireAdmin() {
        if (!adminAccess.mayAdminister()) {
            throw new ErrorResponseException(HttpStatus.FORBIDDEN, ProblemDetail.forStatusAndDetail(
                    HttpStatus.FORBIDDEN,
                    "Creating and advancing counters is off: it takes counter.admin.enabled=true (private networks "
                            + "only), or authorization on and a token with the scope counter:admin"),
                    null);
        }
    }

    private static InputStream body(HttpServletRequest request) {
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

    record NumberView(String counter, long value) {
    }

    /** A counter: its last number and its settings. */
    record CounterView(String counter, long value, long start) {

        static CounterView of(CounterRow counter) {
            return new CounterView(counter.getName(), counter.getValue(), counter.settings().start());
        }
    }

    record BlockView(String counter, long first, long last, long count) {

        static BlockView of(Block block) {
            return new BlockView(block.counter(), block.first(), block.last(), block.count());
        }
    }

}
