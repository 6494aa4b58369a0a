package dev.counterservice.counter;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

class CounterPropertiesTests {

    private final ApplicationContextRunner context = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
        .withUserConfiguration(Config.class);

    @Test
    void defaultsServeOneCounterNamedDefault() {
        context.run(started -> {
            CounterProperties properties = started.getBean(CounterProperties.class);
            assertThat(properties.names()).containsExactly("default");
            assertThat(properties.maxCount()).isEqualTo(1000);
            assertThat(properties.timeout()).isEqualTo(Duration.ofSeconds(3));
        });
    }

    @Test
    void takesACommaSeparatedListOfNamesAsTheEnvironmentGivesIt() {
        context.withPropertyValues("counter.names=orders,invoices", "counter.timeout=500ms").run(started -> {
            CounterProperties properties = started.getBean(CounterProperties.class);
            assertThat(properties.names()).containsExactly("orders", "invoices");
            assertThat(properties.timeout()).isEqualTo(Duration.ofMillis(500));
        });
    }

    @Test
    void refusesToStartWithAFaultySeries() {
        context.withPropertyValues("counter.counters[0].name=invoice", "counter.counters[0].format=INV-")
            .run(started -> assertThat(started).getFailure()
                .rootCause()
                .hasMessageContaining("'invoice'")
                .hasMessageContaining("has no {value}"));
    }

    @Test
    void refusesToStartWithAMalformedCounterName() {
        context.withPropertyValues("counter.names=ok,Not OK")
            .run(started -> assertThat(started).getFailure()
                .rootCause()
                .hasMessageContaining("counter.names[1]")
                .hasMessageContaining("must be 1 to 63 characters"));
    }

    @Test
    void refusesToStartWithAMaxCountOutOfRange() {
        context.withPropertyValues("counter.max-count=0")
            .run(started -> assertThat(started).getFailure().rootCause().hasMessageContaining("counter.max-count"));
    }

    @Test
    void refusesToStartWithANonPositiveTimeout() {
        context.withPropertyValues("counter.timeout=0s")
            .run(started -> assertThat(started).getFailure()
                .rootCause()
                .hasMessageContaining("counter.timeout must be positive"));
    }

    @Test
    void countersWithSettingsComeAsTheChartGivesThemAndAnEmptyListOfNamesAddsNone() {
        context.withInitializer(started -> started.getEnvironment()
            .getPropertySources()
            .addFirst(new SystemEnvironmentPropertySource("chart-systemEnvironment", Map.ofEntries(
                    Map.entry("COUNTER_NAMES", ""), Map.entry("COUNTER_COUNTERS_0_NAME", "default"),
                    Map.entry("COUNTER_COUNTERS_0_START", "0"), Map.entry("COUNTER_COUNTERS_0_PERIOD", "none"),
                    Map.entry("COUNTER_COUNTERS_0_TIME_ZONE", ""), Map.entry("COUNTER_COUNTERS_0_FORMAT", ""),
                    Map.entry("COUNTER_COUNTERS_0_AUDIT", "false"), Map.entry("COUNTER_COUNTERS_0_FENCE_MARGIN", ""),
                    Map.entry("COUNTER_COUNTERS_1_NAME", "invoices"), Map.entry("COUNTER_COUNTERS_1_START", "52000"),
                    Map.entry("COUNTER_COUNTERS_1_PERIOD", "yearly"),
                    Map.entry("COUNTER_COUNTERS_1_TIME_ZONE", "Europe/Paris"),
                    Map.entry("COUNTER_COUNTERS_1_FORMAT", "INV-{period}-{value:06}"),
                    Map.entry("COUNTER_COUNTERS_1_AUDIT", "true"), Map.entry("COUNTER_COUNTERS_1_FENCE_MARGIN", "5")))))
            .run(started -> assertThat(started.getBean(CounterProperties.class).configured()).containsExactly(
                    Map.entry("default", CounterSettings.DEFAULT), Map.entry("invoices", new CounterSettings(52000,
                            Period.YEARLY, "Europe/Paris", "INV-{period}-{value:06}", true, 5L))));
    }

    @Test
    void refusesToStartWithACounterConfiguredTwice() {
        context.withPropertyValues("counter.names=orders", "counter.counters[0].name=orders")
            .run(started -> assertThat(started).getFailure()
                .rootCause()
                .hasMessageContaining("The counter 'orders' is configured twice"));
    }

    @Test
    void refusesToStartWithANegativeStart() {
        context.withPropertyValues("counter.counters[0].name=orders", "counter.counters[0].start=-1")
            .run(started -> assertThat(started).getFailure()
                .rootCause()
                .hasMessageContaining("counter.counters[0].start"));
    }

    @EnableConfigurationProperties(CounterProperties.class)
    static class Config {

    }

}
