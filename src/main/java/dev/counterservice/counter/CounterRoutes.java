package dev.counterservice.counter;

import java.util.Map;
import java.util.Optional;

/**
 * The counter API's routes, declared once: {@link CounterController} maps them,
 * {@link RequestedCounter} resolves the counter they name, and
 * {@code dev.counterservice.web.ApiSecurity} and {@code RequestBodies} guard them. A
 * route of one counter names it by the path variable {@value #NAME}, except
 * {@link #NEXT}, which means the counter {@value CounterName#DEFAULT}.
 */
public final class CounterRoutes {

    /** Numbers from the counter default (GET, POST); HEAD checks that it exists. */
    public static final String NEXT = "/next";

    /** Numbers from the counter {name}, as {@link #NEXT}. */
    public static final String NEXT_OF = "/counters/{name}/next";

    /** The counter {name} (GET); PUT creates it. */
    public static final String COUNTER = "/counters/{name}";

    /** Moves the counter {name} forward (POST). */
    public static final String ADVANCE = "/counters/{name}/advance";

    /** The audit ledger of the counter {name} (GET: JSON pages, or CSV). */
    public static final String LEDGER = "/counters/{name}/ledger";

    /** Whether every number of a period of the counter {name} is explained (GET). */
    public static final String LEDGER_CHECK = "/counters/{name}/ledger/check";

    /** Voids a number of the counter {name} handed out and not used (POST). */
    public static final String VOID = "/counters/{name}/numbers/{value}/void";

    /** The counters and their last numbers, a page at a time. */
    public static final String COUNTERS = "/counters";

    static final String NAME = "name";

    /** The routes of one counter. */
    static final String[] OF_ONE_COUNTER = { NEXT, NEXT_OF, COUNTER, ADVANCE, LEDGER, LEDGER_CHECK, VOID };

    private CounterRoutes() {
    }

    /**
     * The counter a request to a route of one counter names.
     * @param pathVariables the variables its route matched (none for {@link #NEXT})
     * @return the counter, or empty when the name is malformed
     */
    public static Optional<String> counter(Map<String, String> pathVariables) {
        String name = pathVariables.get(NAME);
        if (name == null) {
            return Optional.of(CounterName.DEFAULT);
        }
        return CounterName.isValid(name) ? Optional.of(name) : Optional.empty();
    }

    /**
     * Whether a request is to an admin endpoint, which creates or moves a counter or
     * voids a number and takes a JSON body: PUT of {@link #COUNTER}, POST of
     * {@link #ADVANCE} and {@link #VOID}.
     * @param route the route pattern the request matched
     */
    public static boolean isAdmin(String method, String route) {
        return ("PUT".equals(method) && COUNTER.equals(route))
                || ("POST".equals(method) && (ADVANCE.equals(route) || VOID.equals(route)));
    }

}
