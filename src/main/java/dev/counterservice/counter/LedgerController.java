package dev.counterservice.counter;

import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonInclude;
import jakarta.servlet.http.HttpServletRequest;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;
import org.springframework.web.util.UriComponentsBuilder;

import dev.counterservice.counter.LedgerRepository.Entry;

import static dev.counterservice.counter.CounterRoutes.LEDGER;
import static dev.counterservice.counter.CounterRoutes.LEDGER_CHECK;
import static dev.counterservice.counter.CounterRoutes.VOID;
import static dev.counterservice.counter.RequestedCounter.ATTRIBUTE;
import static org.springframework.http.MediaType.APPLICATION_JSON_VALUE;

/**
 * The HTTP face of the audit ledger ({@link Ledger}): a period's rows as JSON pages or a
 * CSV export, its check, and voids.
 */
@RestController
class LedgerController {

    static final String CSV_VALUE = "text/csv";

    /** The most rows one page lists, and its default. */
    static final int MAX_PAGE = 1000;

    static final int DEFAULT_PAGE = 100;

    private final Ledger ledger;

    private final AdminBodies bodies;

    private final CounterAdminAccess adminAccess;

    LedgerController(Ledger ledger, AdminBodies bodies, CounterProperties properties,
            ObjectProvider<CounterAdminAccess> adminAccess) {
        this.ledger = ledger;
        this.bodies = bodies;
        boolean adminEnabled = properties.admin().enabled();
        this.adminAccess = adminAccess.getIfAvailable(() -> () -> adminEnabled);
    }

    /**
     * A page of the period's rows after the number {@code ?after=}, at most
     * {@code ?limit=}; {@code next} is the URL of the next page while there is one.
     */
    @GetMapping(path = LEDGER, produces = APPLICATION_JSON_VALUE)
    LedgerView page(@RequestAttribute(ATTRIBUTE) String counter, HttpServletRequest request) {
        String period = ledger.period(counter, request.getParameterValues("period"));
        String[] afters = request.getParameterValues("after");
        long after = (afters == null) ? 0 : CountParameter.parseLong("after", afters);
        int limit = CountParameter.parse("limit", request.getParameterValues("limit"), MAX_PAGE, DEFAULT_PAGE);
        Ledger.Page page = ledger.page(counter, period, after, limit);
        String next = null;
        if (page.more()) {
            next = UriComponentsBuilder.fromPath(LEDGER)
                .queryParamIfPresent("period", Optional.of(period).filter(given -> !given.isEmpty()))
                .queryParam("after", page.entries().getLast().getFirst())
                .queryParam("limit", limit)
                .buildAndExpand(counter)
                .toUriString();
        }
        return new LedgerView(counter, period.isEmpty() ? null : period,
                page.entries().stream().map(EntryView::of).toList(), next);
    }

    /** The whole period as CSV. */
    @GetMapping(path = LEDGER, produces = CSV_VALUE)
    ResponseEntity<StreamingResponseBody> export(@RequestAttribute(ATTRIBUTE) String counter,
            HttpServletRequest request) {
        String period = ledger.period(counter, request.getParameterValues("period"));
        StreamingResponseBody body = out -> {
            Writer csv = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            ledger.export(counter, period, csv);
            csv.flush();
        };
        String file = counter + (period.isEmpty() ? "" : "-" + period) + "-ledger.csv";
        return ResponseEntity.ok()
            .contentType(new MediaType("text", "csv", StandardCharsets.UTF_8))
            .header("Content-Disposition", "attachment; filename=\"" + file + "\"")
            .body(body);
    }

    /** Whether every number of the period up to its highest is explained. */
    @GetMapping(path = LEDGER_CHECK, produces = APPLICATION_JSON_VALUE)
    CheckView check(@RequestAttribute(ATTRIBUTE) String counter, HttpServletRequest request) {
        String period = ledger.period(counter, request.getParameterValues("period"));
        Ledger.Check check = ledger.check(counter, period);
        List<RangeView> unexplained = check.unexplained()
            .stream()
            .map(range -> new RangeView(range.getFirst(), range.getLast()))
            .toList();
        return new CheckView(counter, period.isEmpty() ? null : period, 1, check.totals().getLast(),
                check.totals().getIssued(), check.totals().getVoided(), check.totals().getFenced(),
                check.totals().getSkipped(), unexplained, unexplained.isEmpty());
    }

    /** Explains a number handed out and not used: {@code {"reason": "..."}}; 201. */
    @PostMapping(path = VOID, produces = APPLICATION_JSON_VALUE)
    ResponseEntity<EntryView> voidNumber(@RequestAttribute(ATTRIBUTE) String counter,
            @PathVariable("value") String value, HttpServletRequest request) {
        if (!adminAccess.mayAdminister()) {
            throw CounterAdminAccess.refused();
        }
        String period = ledger.period(counter, request.getParameterValues("period"));
        String reason = bodies.reason(CounterController.body(request));
        Entry voided = ledger.voidNumber(counter, period, value, CounterController.subject(request), reason);
        // The row has no URL of its own: the period's ledger lists it
        return ResponseEntity.status(HttpStatus.CREATED)
            .contentType(MediaType.APPLICATION_JSON)
            .body(EntryView.of(voided));
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record LedgerView(String counter, String period, List<EntryView> entries, String next) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record EntryView(String kind, long first, long last, String at, String idempotencyKey, String subject,
            String reason) {

        static EntryView of(Entry entry) {
            return new EntryView(entry.getKind(), entry.getFirst(), entry.getLast(), entry.getAt(),
                    entry.getIdempotencyKey(), entry.getSubject(), entry.getReason());
        }
    }

    record RangeView(long first, long last) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record CheckView(String counter, String period, long first, long last, long issued, long voided, long fenced,
            long skipped, List<RangeView> unexplained, boolean complete) {
    }

}
