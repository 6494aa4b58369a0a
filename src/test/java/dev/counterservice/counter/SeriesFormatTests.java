package dev.counterservice.counter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class SeriesFormatTests {

    @ParameterizedTest
    @CsvSource(delimiter = '|',
            value = { "INV-{period}-{value:06}|2026|17|INV-2026-000017", "{value}|2026|17|17", "{value:01}|2026|17|17",
                    "{value:03}|2026|1234|1234", "{value:019}|2026|1|0000000000000000001",
                    "{value:019}|2026|9223372036854775807|9223372036854775807", "{{{value}}}|2026|5|{5}",
                    "}}{value}{{|2026|5|}5{", "{period}{value}{period}|2026-12-07|5|2026-12-0752026-12-07" })
    void formatsTheValueAndThePeriod(String template, String period, long value, String expected) {
        assertThat(SeriesFormat.parse(template, true).format(period, value)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|',
            value = { "INV-|has no {value}", "{valu}|unknown field at 1", "a{value|never closed",
                    "a}{value}|closes nothing", "{value:00}|unknown field", "{value:020}|unknown field",
                    "{value:6}|unknown field", "}}{{|has no {value}", "{value:-1}|unknown field",
                    "{period}{value}|has no period", "{ value}|unknown field" })
    void aFaultyTemplateIsRefusedNamingTheFault(String template, String fault) {
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> SeriesFormat.parse(template, false))
            .satisfies(ex -> assertThat(ex.getBody().getDetail()).startsWith("'format' ").contains(fault));
    }

    @Test
    void aTemplateHasOneToAHundredCharactersAndNoControlCharacter() {
        assertThat(SeriesFormat.parse("{value}" + "x".repeat(93), false).format("", 1)).hasSize(94);
        assertThatExceptionOfType(InvalidRequestException.class)
            .isThrownBy(() -> SeriesFormat.parse("{value}" + "x".repeat(94), false));
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> SeriesFormat.parse("", false));
        assertThatExceptionOfType(InvalidRequestException.class)
            .isThrownBy(() -> SeriesFormat.parse("{value}\n", false))
            .satisfies(ex -> assertThat(ex.getBody().getDetail()).contains("control character at 8"));
    }

    @Test
    void aPeriodKeyIsFixedWidthAndOfItsKind() {
        assertThat(Period.YEARLY.isKey("2026")).isTrue();
        assertThat(Period.YEARLY.isKey("26")).isFalse();
        assertThat(Period.MONTHLY.isKey("2026-12")).isTrue();
        assertThat(Period.MONTHLY.isKey("2026-13")).isFalse();
        assertThat(Period.MONTHLY.isKey("2026-1")).isFalse();
        assertThat(Period.DAILY.isKey("2026-12-07")).isTrue();
        assertThat(Period.DAILY.isKey("2026-12-32")).isFalse();
        assertThat(Period.of("daily")).isEqualTo(Period.DAILY);
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> Period.of("Daily"));
    }

}
