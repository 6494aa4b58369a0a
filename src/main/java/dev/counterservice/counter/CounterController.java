package dev.counterservice.counter;

import java.nio.charset.StandardCharsets;
import java.util.List;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

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

    private final CounterService counters;

    private final int maxCount;

    private final CounterReadAccess readAccess;

    CounterController(CounterService counters, CounterProperties properties,
            ObjectProvider<CounterReadAccess> readAccess) {
        this.counters = counters;
        this.maxCount = properties.maxCount();
        this.readAccess = readAccess.getIfAvailable(() -> counter -> true);
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
    NumberView currentAsJson(@RequestAttribute(ATTRIBUTE) String counter) {
        return NumberView.of(counters.current(counter));
    }

    @GetMapping(COUNTER)
    ResponseEntity<String> currentAsText(@RequestAttribute(ATTRIBUTE) String counter) {
        return text(counters.current(counter).getValue() + "\n");
    }

    @GetMapping(path = COUNTERS, produces = APPLICATION_JSON_VALUE)
    List<NumberView> allAsJson() {
        return readable().stream().map(NumberView::of).toList();
    }

    @GetMapping(COUNTERS)
    ResponseEntity<String> allAsText() {
        StringBuilder lines = new StringBuilder();
        readable()
            .forEach(counter -> lines.append(counter.getName()).append(' ').append(counter.getValue()).append('\n'));
        return text(lines.toString());
    }

    private Block next(String counter, HttpServletRequest request) {
        String key = IdempotencyKey.parse(request.getHeaders(IdempotencyKey.HEADER));
        return counters.next(counter, CountParameter.parse(request.getParameterValues("count"), maxCount), key);
    }

    private List<CounterRow> readable() {
        return counters.all().stream().filter(counter -> readAccess.mayRead(counter.getName())).toList();
    }

    private static ResponseEntity<String> text(String body) {
        return ResponseEntity.ok().contentType(TEXT).body(body);
    }

    record NumberView(String counter, long value) {

        static NumberView of(CounterRow counter) {
            return new NumberView(counter.getName(), counter.getValue());
        }
    }

    record BlockView(String counter, long first, long last, long count) {

        static BlockView of(Block block) {
            return new BlockView(block.counter(), block.first(), block.last(), block.count());
        }
    }

}
