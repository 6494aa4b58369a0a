package dev.counterservice.counter;

import java.util.Map;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.health.contributor.Status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;

/**
 * Which replication settings make commits wait for a standby, and when readiness refuses
 * to serve without one.
 */
class DatabaseHealthIndicatorTests {

    @ParameterizedTest(name = "synchronous_commit={0}, names=''{1}'', standbys={2}, required={3}: synchronous={4}, {5}")
    @CsvSource(delimiter = '|', textBlock = """
            on           | ''           | 0 | true  | 0 | UP
            on           | ''           | 1 | false | 0 | UP
            on           | ''           | 1 | true  | 0 | DOWN
            on           | ANY 1 (s1)   | 1 | true  | 1 | UP
            remote_apply | s1           | 2 | true  | 1 | UP
            remote_write | s1           | 1 | true  | 1 | UP
            local        | s1           | 1 | true  | 0 | DOWN
            off          | s1           | 1 | true  | 0 | DOWN
            on           | s1           | 0 | true  | 1 | UP
            """)
    void readinessAndTheGaugeFollowWhetherCommitsWaitForAStandby(String synchronousCommit, String names, long standbys,
            boolean required, double synchronous, String status) {
        CounterRepository repository = mock(CounterRepository.class);
        given(repository.replication()).willReturn(new Settings(synchronousCommit, names, standbys));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        CounterProperties properties = new Binder(new MapConfigurationPropertySource(
                Map.of("counter.require-synchronous-replication", Boolean.toString(required))))
            .bindOrCreate("counter", CounterProperties.class);

        var health = new DatabaseHealthIndicator(repository, properties, meters).health();

        assertThat(health.getStatus()).isEqualTo(new Status(status));
        assertThat(meters.get("counter.database.synchronous").gauge().value()).isEqualTo(synchronous);
        assertThat(meters.get("counter.database.standbys").gauge().value()).isEqualTo(standbys);
    }

    record Settings(String getSynchronousCommit, String getSynchronousStandbyNames,
            long getStandbys) implements CounterRepository.Replication {
    }

}
