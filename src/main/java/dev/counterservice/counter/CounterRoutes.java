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

    /** The counters and their last numbers, a page at a time. */
    public static final String COUNTERS = "/counters";

    static final String NAME = "name";

    /** The routes of one counter. */
    static final String[] OF_ONE_COUNTER = { NEXT, NEXT_OF, COUNTER, ADVANCE };

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
     * Whether a request is to an admin endpoint, which creates or moves a counter and
     * takes a JSON body: PUT of {@link #COUNTER}, POST of {@link #ADVANCE}.
     * @param route the route pattern the request matched
     */
    public static boolean isAdmin(String method, String route) {
        return ("PUT".equals(method) && COUNTER.equals(route)) || ("POST".equals(method) && ADVANCE.equals(route));
    }

}
