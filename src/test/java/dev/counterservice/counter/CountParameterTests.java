package dev.counterservice.counter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class CountParameterTests {

    @Test
    void absentCountMeansOneNumber() {
        assertThat(CountParameter.parse(null, 1000)).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = { "1", "7", "1000" })
    void acceptsWholeNumbersUpToTheMaximum(String count) {
        assertThat(CountParameter.parse(new String[] { count }, 1000)).isEqualTo(Integer.parseInt(count));
    }

    @ParameterizedTest
    @ValueSource(strings = { "0", "-1", "1.5", "abc", "", " 1", "+1", "01", "1e3", "1001", "2147483648",
            "1000000000000000000000000000000", "１" })
    void rejectsAnythingElse(String count) {
        assertThatExceptionOfType(InvalidRequestException.class)
            .isThrownBy(() -> CountParameter.parse(new String[] { count }, 1000))
            .satisfies(ex -> assertThat(ex.getBody().getDetail())
                .isEqualTo("'count' must be a whole number from 1 to 1000"));
    }

    @Test
    void rejectsARepeatedParameter() {
        assertThatExceptionOfType(InvalidRequestException.class)
            .isThrownBy(() -> CountParameter.parse(new String[] { "1", "1" }, 1000))
            .satisfies(ex -> assertThat(ex.getBody().getDetail()).isEqualTo("Give 'count' at most once"));
    }

    @Test
    void anAfterIsOneWholeNumberFromZeroToBigintsMaximum() {
        assertThat(CountParameter.parseLong("after", new String[] { "0" })).isZero();
        assertThat(CountParameter.parseLong("after", new String[] { "9223372036854775807" })).isEqualTo(Long.MAX_VALUE);
        for (String bad : new String[] { "-1", "01", "9223372036854775808", "1.0", "", "x" }) {
            assertThatExceptionOfType(InvalidRequestException.class).as(bad)
                .isThrownBy(() -> CountParameter.parseLong("after", new String[] { bad }))
                .satisfies(ex -> assertThat(ex.getBody().getDetail()).contains("'after'"));
        }
        assertThatExceptionOfType(InvalidRequestException.class)
            .isThrownBy(() -> CountParameter.parseLong("after", new String[] { "1", "2" }));
    }

}
