package dev.counterservice.web;

import java.util.function.Supplier;

import dev.counterservice.counter.CounterRoutes;

import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.access.intercept.RequestAuthorizationContext;

/**
 * The scopes of a bearer token that name a counter: {@code counter:<name>:next} takes
 * numbers from it, {@code counter:<name>:read} reads it; and {@code counter:admin}, which
 * creates and advances every counter. A request's counter is the one its route names
 * ({@link CounterRoutes#counter}); a malformed name is in no scope.
 */
final class CounterScopes {

    static final String NEXT = "next";

    static final String READ = "read";

    /**
     * The authority of the scope {@code counter:admin}, which creates and advances
     * counters.
     */
    static final String ADMIN_AUTHORITY = "SCOPE_counter:admin";

    /** The detail of the 403 a token without the scope gets. */
    static final String MISSING = "The token has no scope for this: counter:<name>:next takes numbers, "
            + "counter:<name>:read reads, counter:admin creates and advances";

    private CounterScopes() {
    }

    /** The counter of the request's route needs {@code counter:<name>:<operation>}. */
    static AuthorizationManager<RequestAuthorizationContext> required(String operation) {
        return (Supplier<? extends Authentication> authentication,
                RequestAuthorizationContext context) -> new AuthorizationDecision(
                        CounterRoutes.counter(context.getVariables())
                            .map(counter -> granted(authentication.get(), counter, operation))
                            .orElse(false));
    }

    static boolean granted(Authentication authentication, String counter, String operation) {
        return has(authentication, "SCOPE_counter:" + counter + ":" + operation);
    }

    static boolean grantedAdmin(Authentication authentication) {
        return has(authentication, ADMIN_AUTHORITY);
    }

    private static boolean has(Authentication authentication, String authority) {
        return authentication != null && authentication.getAuthorities()
            .stream()
            .anyMatch(granted -> authority.equals(granted.getAuthority()));
    }

}
