package dev.counterservice.counter;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class CounterNameTests {

    @ParameterizedTest
    @ValueSource(strings = { "default", "a", "orders-2026", "invoice_numbers", "0" })
    void acceptsLowercaseNames(String name) {
        assertThat(CounterName.isValid(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "Default", "-a", "_a", "a b", "a/b", "..", "a;drop table counter", "zähler", "a'",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" })
    void rejectsEverythingElse(String name) {
        assertThat(CounterName.isValid(name)).isFalse();
    }

}
