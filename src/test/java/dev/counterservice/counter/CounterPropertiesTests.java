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
        context
            .withInitializer(started -> started.getEnvironment()
                .getPropertySources()
                .addFirst(new SystemEnvironmentPropertySource("chart-systemEnvironment",
                        Map.of("COUNTER_NAMES", "", "COUNTER_COUNTERS_0_NAME", "default", "COUNTER_COUNTERS_0_START",
                                "0", "COUNTER_COUNTERS_1_NAME", "invoices", "COUNTER_COUNTERS_1_START", "52000"))))
            .run(started -> assertThat(started.getBean(CounterProperties.class).configured()).containsExactly(
                    Map.entry("default", CounterSettings.DEFAULT), Map.entry("invoices", new CounterSettings(52000))));
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
