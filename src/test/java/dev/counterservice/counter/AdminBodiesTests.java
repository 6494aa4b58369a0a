package dev.counterservice.counter;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.util.unit.DataSize;
import org.springframework.web.ErrorResponseException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class AdminBodiesTests {

    private final AdminBodies bodies = new AdminBodies(DataSize.ofBytes(64));

    @Test
    void noBodyOrAnEmptyObjectIsTheDefaultSettingsAndAStartIsTaken() {
        assertThat(bodies.settings(body(""))).isEqualTo(CounterSettings.DEFAULT);
        assertThat(bodies.settings(body("{}"))).isEqualTo(CounterSettings.DEFAULT);
        assertThat(bodies.settings(body(" {\"start\": 0} "))).isEqualTo(CounterSettings.DEFAULT);
        assertThat(bodies.settings(body("{\"start\": 9223372036854775807}")))
            .isEqualTo(new CounterSettings(Long.MAX_VALUE));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = { "{|not JSON", "{\"start\": 1} {}|not JSON", "[]|must be a JSON object",
            "null|must be a JSON object", "5|must be a JSON object", "{\"start\": 1, \"start\": 2}|given twice",
            "{\"stop\": 1}|an unknown field; its fields are [start, period",
            "{\"start\": -1}|from 0 to 9223372036854775807", "{\"start\": 1.0}|whole number",
            "{\"start\": 1e3}|whole number", "{\"start\": \"1\"}|whole number", "{\"start\": true}|whole number",
            "{\"start\": null}|whole number", "{\"start\": 9223372036854775808}|whole number" })
    void aBadSettingsBodyIs400NamingTheFault(String body, String fault) {
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> bodies.settings(body(body)))
            .satisfies(ex -> assertThat(ex.getBody().getDetail()).contains(fault));
    }

    @Test
    void aTargetIsAWholeNumberFromOne() {
        assertThat(bodies.target(body("{\"to\": 1}"))).isOne();
        assertThat(bodies.target(body("{\"to\": 9223372036854775807}"))).isEqualTo(Long.MAX_VALUE);
        for (String bad : new String[] { "", "{}", "{\"to\": 0}", "{\"to\": -5}", "{\"to\": 2, \"start\": 1}" }) {
            assertThatExceptionOfType(InvalidRequestException.class).as(bad).isThrownBy(() -> bodies.target(body(bad)));
        }
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> bodies.target(body("{\"to\": 0}")))
            .satisfies(ex -> assertThat(ex.getBody().getDetail())
                .isEqualTo("'to' must be a whole number from 1 to 9223372036854775807"));
    }

    @Test
    void seriesSettingsAreTakenAndAnAuditedCounterFencesByNothingUnlessGiven() {
        AdminBodies larger = new AdminBodies(DataSize.ofKilobytes(1));

        assertThat(larger.settings(body("{\"start\": 5, \"period\": \"monthly\", \"timeZone\": \"Europe/Paris\", "
                + "\"format\": \"{period}/{value}\", \"audit\": false, \"fenceMargin\": 7}")))
            .isEqualTo(new CounterSettings(5, Period.MONTHLY, "Europe/Paris", "{period}/{value}", false, 7L));
        assertThat(larger.settings(body("{\"audit\": true}")))
            .isEqualTo(new CounterSettings(0, Period.NONE, "UTC", null, true, 0L));
        assertThat(larger.settings(body("{\"audit\": true, \"fenceMargin\": 3}")).fenceMargin(10)).isEqualTo(3);
        assertThat(larger.settings(body("{\"period\": \"none\"}"))).isEqualTo(CounterSettings.DEFAULT);
        assertThat(CounterSettings.DEFAULT.fenceMargin(10)).isEqualTo(10);
        assertThat(CounterSettings.DEFAULT.compiledFormat()).isNull();
    }

    @Test
    void settingsThatDifferAreEachNamed() {
        CounterSettings series = new CounterSettings(1, Period.DAILY, "Europe/Paris", "{value}", true, 0L);

        assertThat(series.differences(series)).isEmpty();
        assertThat(series.differences(CounterSettings.DEFAULT)).containsExactly("start is 1, not 0",
                "period is 'daily', not 'none'", "timeZone is 'Europe/Paris', not 'UTC'",
                "format is '{value}', not the default", "audit is true, not false",
                "fenceMargin is 0, not the default");
    }

    @Test
    void aReasonHasOneToFiveHundredCharacters() {
        AdminBodies larger = new AdminBodies(DataSize.ofKilobytes(1));

        assertThat(larger.reason(body("{\"reason\": \"x\"}"))).isEqualTo("x");
        assertThat(larger.reason(body("{\"reason\": \"" + "x".repeat(500) + "\"}"))).hasSize(500);
        for (String bad : new String[] { "", "{}", "{\"reason\": \" \"}", "{\"reason\": 5}",
                "{\"reason\": \"" + "x".repeat(501) + "\"}" }) {
            assertThatExceptionOfType(InvalidRequestException.class).as(bad).isThrownBy(() -> larger.reason(body(bad)));
        }
    }

    @Test
    void aBodyOverTheLimitIs413AndOneAtTheLimitIsRead() {
        String padded = "{\"start\": 1" + " ".repeat(64 - 12) + "}";
        assertThat(padded).hasSize(64);
        assertThat(bodies.settings(body(padded))).isEqualTo(new CounterSettings(1));

        assertThatExceptionOfType(ErrorResponseException.class).isThrownBy(() -> bodies.settings(body(padded + " ")))
            .satisfies(ex -> assertThat(ex.getStatusCode().value()).isEqualTo(413));
    }

    private static InputStream body(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

}
