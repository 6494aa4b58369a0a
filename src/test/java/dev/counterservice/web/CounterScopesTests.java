package dev.counterservice.web;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.access.intercept.RequestAuthorizationContext;

import static org.assertj.core.api.Assertions.assertThat;

class CounterScopesTests {

    private static final Authentication ORDERS = token("SCOPE_counter:orders:next", "SCOPE_counter:invoices:read");

    @Test
    void aScopeGrantsItsOperationOnItsCounterOnly() {
        assertThat(CounterScopes.granted(ORDERS, "orders", CounterScopes.NEXT)).isTrue();
        assertThat(CounterScopes.granted(ORDERS, "invoices", CounterScopes.READ)).isTrue();

        assertThat(CounterScopes.granted(ORDERS, "orders", CounterScopes.READ)).isFalse();
        assertThat(CounterScopes.granted(ORDERS, "invoices", CounterScopes.NEXT)).isFalse();
        assertThat(CounterScopes.granted(ORDERS, "default", CounterScopes.NEXT)).isFalse();
    }

    @Test
    void onlyTheWholeScopeCounts() {
        Authentication near = token("counter:orders:next", "SCOPE_counter:orders", "SCOPE_counter:orders:nextx",
                "SCOPE_counter:*:next", "SCOPE_COUNTER:ORDERS:NEXT");

        assertThat(CounterScopes.granted(near, "orders", CounterScopes.NEXT)).isFalse();
    }

    @Test
    void noAuthenticationHasNoScope() {
        assertThat(CounterScopes.granted(null, "orders", CounterScopes.NEXT)).isFalse();
    }

    @Test
    void aRouteNeedsTheScopeOfTheCounterItNames() {
        assertThat(decide(ORDERS, Map.of("name", "orders"), CounterScopes.NEXT)).isTrue();
        assertThat(decide(ORDERS, Map.of("name", "invoices"), CounterScopes.NEXT)).isFalse();
        assertThat(decide(ORDERS, Map.of("name", "orders"), CounterScopes.READ)).isFalse();
    }

    @Test
    void nextWithoutANameNeedsTheDefaultCountersScope() {
        assertThat(decide(token("SCOPE_counter:default:next"), Map.of(), CounterScopes.NEXT)).isTrue();
        assertThat(decide(ORDERS, Map.of(), CounterScopes.NEXT)).isFalse();
    }

    @Test
    void aMalformedNameIsInNoScope() {
        assertThat(decide(token("SCOPE_counter:Orders!:next"), Map.of("name", "Orders!"), CounterScopes.NEXT))
            .isFalse();
    }

    private static boolean decide(Authentication authentication, Map<String, String> variables, String operation) {
        return CounterScopes.required(operation)
            .authorize(() -> authentication, new RequestAuthorizationContext(new MockHttpServletRequest(), variables))
            .isGranted();
    }

    private static Authentication token(String... authorities) {
        return new TestingAuthenticationToken("client", null, authorities);
    }

}
