package dev.counterservice.deploy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/** helm lint --strict with every value set: any warning fails. */
class ChartLintTests {

    @ParameterizedTest
    @EnumSource(ValueSet.class)
    void lintsStrictWithEveryValueSet(ValueSet values) {
        assertThat(Chart.lint(values)).contains("1 chart(s) linted, 0 chart(s) failed");
    }

}
