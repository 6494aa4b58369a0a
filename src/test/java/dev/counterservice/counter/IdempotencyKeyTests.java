package dev.counterservice.counter;

import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class IdempotencyKeyTests {

    @Test
    void aRequestWithoutTheHeaderHasNoKey() {
        assertThat(IdempotencyKey.parse(null)).isNull();
        assertThat(IdempotencyKey.parse(headers())).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = { "order-7731", "a", "!", "~", "#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}" })
    void aBareKeyIsTheKey(String key) {
        assertThat(IdempotencyKey.parse(headers(key))).isEqualTo(key);
    }

    @Test
    void aQuotedKeyNamesTheSameKeyAsTheBareOne() {
        assertThat(IdempotencyKey.parse(headers("\"order-7731\""))).isEqualTo("order-7731");
        assertThat(IdempotencyKey.parse(headers("\"a\""))).isEqualTo("a");
    }

    @Test
    void keysRunTo255Characters() {
        String longest = "k".repeat(255);

        assertThat(IdempotencyKey.parse(headers(longest))).isEqualTo(longest);
        assertThat(IdempotencyKey.parse(headers("\"" + longest + "\""))).isEqualTo(longest);
        assertMalformed("k".repeat(256));
        assertMalformed("\"" + "k".repeat(256) + "\"");
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "\"\"", "\"", "\"abc", "abc\"", "a\"b", "\"a\"b\"", "a\\b", "a b", " a", "a\t",
            "zähler", "a\u007f", "a\u0000" })
    void anythingElseIs400(String value) {
        assertMalformed(value);
    }

    @Test
    void theHeaderMayBeGivenOnce() {
        assertThatExceptionOfType(InvalidRequestException.class)
            .isThrownBy(() -> IdempotencyKey.parse(headers("a", "a")))
            .satisfies(ex -> assertThat(ex.getBody().getDetail()).isEqualTo("Give 'Idempotency-Key' at most once"));
    }

    private static void assertMalformed(String value) {
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> IdempotencyKey.parse(headers(value)))
            .satisfies(ex -> assertThat(ex.getBody().getDetail())
                .startsWith("'Idempotency-Key' must be 1 to 255 visible ASCII characters"));
    }

    private static Enumeration<String> headers(String... values) {
        return Collections.enumeration(List.of(values));
    }

}
