package dev.counterservice.counter;

import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Service;
import org.springframework.web.ErrorResponseException;

import dev.counterservice.counter.LedgerRepository.Entry;
import dev.counterservice.counter.LedgerRepository.Range;
import dev.counterservice.counter.LedgerRepository.Totals;

/**
 * The audit ledger of the audited counters, for the API: a period's rows a page at a time
 * or whole as CSV, the check that every number of a period up to its highest is explained
 * (issued or fenced; a voided one was issued), and voids. Every wait for the database is
 * bounded by {@code counter.timeout}, as every request's is.
 */
@Service
class Ledger {

    /** The most unexplained ranges a check lists. */
    static final int MAX_UNEXPLAINED = 1000;

    /** The rows an export reads at a time. */
    private static final int EXPORT_PAGE = 1000;

    private static final Pattern NUMBER = Pattern.compile("[1-9][0-9]{0,18}");

    private final LedgerRepository ledger;

    private final CounterService counters;

    Ledger(LedgerRepository ledger, CounterService counters) {
        this.ledger = ledger;
        this.counters = counters;
    }

    /**
     * The period a request names with {@code ?period=}: required for a counter with a
     * period, and one of its kind; not allowed for one without ("").
     * @throws ErrorResponseException 409 if the counter is not audited; 400 for a period
     * that does not fit it
     */
    String period(String counter, String[] values) {
        CounterSettings settings = counters.settings(counter);
        if (!settings.audit()) {
            throw new ErrorResponseException(HttpStatus.CONFLICT, ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT,
                    "Counter '" + counter + "' is not audited: it has no ledger (audit is set when it is created)"),
                    null);
        }
        if (settings.period() == Period.NONE) {
            if (values != null) {
                throw new InvalidRequestException("'period' is only for a counter with a period");
            }
            return "";
        }
        if (values == null || values.length != 1) {
            throw new InvalidRequestException("Give 'period' once: the counter starts again each period");
        }
        if (!settings.period().isKey(values[0])) {
            throw new InvalidRequestException("'period' must be a " + settings.period().id()
                    + " period: 2026, 2026-12 or 2026-12-07 for yearly, monthly or daily");
        }
        return values[0];
    }

    /**
     * The rows after the number {@code after}, at most {@code limit} and those that share
     * the last one's first number (a block issued and its first number voided), and
     * whether more follow.
     */
    Page page(String counter, String period, long after, int limit) {
        List<Entry> rows = counters.call(() -> ledger.page(counter, period, after, limit + 2));
        int size = Math.min(limit, rows.size());
        while (size < rows.size() && rows.get(size).getFirst() == rows.get(size - 1).getFirst()) {
            size++;
        }
        return new Page(rows.subList(0, size), size < rows.size());
    }

    /** The whole period as CSV, written a page at a time. */
    void export(String counter, String period, Writer csv) throws IOException {
        csv.write("kind,first,last,at,idempotency_key,subject,reason\r\n");
        long after = 0;
        Page page;
        do {
            page = page(counter, period, after, EXPORT_PAGE);
            for (Entry entry : page.entries()) {
                csv.write(entry.getKind() + "," + entry.getFirst() + "," + entry.getLast() + "," + entry.getAt() + ","
                        + field(entry.getIdempotencyKey()) + "," + field(entry.getSubject()) + ","
                        + field(entry.getReason()) + "\r\n");
            }
            if (!page.entries().isEmpty()) {
                after = page.entries().getLast().getFirst();
            }
        }
        while (page.more());
    }

    /**
     * A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. A
     * text a spreadsheet would run as a formula (it starts with {@code = + - @}, a tab or
     * a carriage return; keys, subjects and reasons come from clients) starts with
     * {@code '} instead, which spreadsheets show as text (OWASP's "CSV injection").
     */
    static String field(String text) {
        if (text == null) {
            return "";
        }
        String safe = (!text.isEmpty() && "=+-@\t\r".indexOf(text.charAt(0)) >= 0) ? "'" + text : text;
        boolean quoted = safe.chars().anyMatch(c -> c == ',' || c == '"' || c == '\n' || c == '\r');
        return quoted ? "\"" + safe.replace("\"", "\"\"") + "\"" : safe;
    }

    /**
     * Voids a number issued and not used, with the reason, once.
     * @throws ErrorResponseException 409 if it is voided already, 404 if it was never
     * issued (or only fenced)
     */
    Entry voidNumber(String counter, String period, String value, String subject, String reason) {
        if (!NUMBER.matcher(value).matches()) {
            throw new InvalidRequestException("The number to void must be a whole number from 1 to " + Long.MAX_VALUE);
        }
        long number = Long.parseLong(value);
        Entry voided = counters.call(() -> ledger.voidNumber(counter, period, number, subject, reason))
            .orElseThrow(() -> {
                boolean again = counters.call(() -> ledger.isVoided(counter, period, number));
                HttpStatus status = again ? HttpStatus.CONFLICT : HttpStatus.NOT_FOUND;
                return new ErrorResponseException(status,
                        ProblemDetail.forStatusAndDetail(status,
                                again ? "Number " + number + " is voided already; a void is recorded once"
                                        : "Number " + number + " was never issued"
                                                + (period.isEmpty() ? "" : " in period " + period)
                                                + ": only a number handed out can be voided"),
                        null);
            });
        counters.meters(counter).voided();
        return voided;
    }

    /** Whether every number of the period up to its highest is explained. */
    Check check(String counter, String period) {
        Totals totals = counters.call(() -> ledger.totals(counter, period));
        List<Range> unexplained = counters.call(() -> ledger.unexplained(counter, period, MAX_UNEXPLAINED));
        return new Check(totals, new ArrayList<>(unexplained));
    }

    /** A page of rows, and whether more follow. */
    record Page(List<Entry> entries, boolean more) {
    }

    record Check(Totals totals, List<Range> unexplained) {
    }

}
