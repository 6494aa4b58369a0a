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
            "{\"stop\": 1}|an unknown field; its fields are [start]", "{\"start\": -1}|from 0 to 9223372036854775807",
            "{\"start\": 1.0}|whole number", "{\"start\": 1e3}|whole number", "{\"start\": \"1\"}|whole number",
            "{\"start\": true}|whole number", "{\"start\": null}|whole number",
            "{\"start\": 9223372036854775808}|whole number" })
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
