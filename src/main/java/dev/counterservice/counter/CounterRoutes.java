package dev.counterservice.counter;

import java.util.Map;
import java.util.Optional;

/**
 * The counter API's routes, declared once: {@link CounterController} maps them,
 * {@link RequestedCounter} resolves the counter they name, and
 * {@code dev.counterservice.web.ApiSecurity} guards them. A route of one counter names it
 * by the path variable {@value #NAME}, except {@link #NEXT}, which means the counter
 * {@value CounterName#DEFAULT}.
 */
public final class CounterRoutes {

    /** Numbers from the counter default (GET, POST); HEAD checks that it exists. */
    public static final String NEXT = "/next";

    /** Numbers from the counter {name}, as {@link #NEXT}. */
    public static final String NEXT_OF = "/counters/{name}/next";

    /** The last number of the counter {name}. */
    public static final String COUNTER = "/counters/{name}";

    /** Every counter and its last number. */
    public static final String COUNTERS = "/counters";

    static final String NAME = "name";

    /** The routes of one counter. */
    static final String[] OF_ONE_COUNTER = { NEXT, NEXT_OF, COUNTER };

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

}
