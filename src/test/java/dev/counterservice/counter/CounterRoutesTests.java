package dev.counterservice.counter;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CounterRoutesTests {

    @Test
    void nextNamesTheDefaultCounter() {
        assertThat(CounterRoutes.counter(Map.of())).hasValue(CounterName.DEFAULT);
    }

    @Test
    void aRouteWithANameNamesThatCounter() {
        assertThat(CounterRoutes.counter(Map.of("name", "orders"))).hasValue("orders");
    }

    @Test
    void aMalformedNameNamesNoCounter() {
        assertThat(CounterRoutes.counter(Map.of("name", "Orders"))).isEmpty();
        assertThat(CounterRoutes.counter(Map.of("name", ""))).isEmpty();
    }

}
