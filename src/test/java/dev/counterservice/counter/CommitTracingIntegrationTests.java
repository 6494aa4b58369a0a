package dev.counterservice.counter;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.TestDatabase;
import io.micrometer.tracing.Tracer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With an OTLP endpoint configured, a request to {@code /next} is traced down to the
 * commit that served it: a {@code counter.commit} span, child of the request's span,
 * naming the counter and the batch size. Without one, the tracer is a no-op. The spans go
 * to an in-memory exporter in place of the OTLP one.
 */
class CommitTracingIntegrationTests {

    /**
     * Tracing on as a user turns it on (an endpoint), with the spans kept in memory
     * instead of sent there.
     */
    private static final Map<String, String> TRACING_ON = Map.of(
            "management.opentelemetry.tracing.export.otlp.endpoint", "http://127.0.0.1:4318/v1/traces",
            "management.tracing.export.otlp.enabled", "false", "management.tracing.sampling.probability", "1.0",
            "management.opentelemetry.tracing.export.schedule-delay", "10ms");

    @Configuration(proxyBeanMethods = false)
    static class InMemoryExport {

        @Bean
        InMemorySpanExporter inMemorySpanExporter() {
            return InMemorySpanExporter.create();
        }

    }

    @ParameterizedTest(name = "coalescing {0}")
    @ValueSource(booleans = { true, false })
    void aRequestsTraceHoldsTheCommitThatServedItWithTheBatchSize(boolean coalescing) {
        Map<String, String> properties = new HashMap<>(TRACING_ON);
        properties.put("counter.coalescing.enabled", Boolean.toString(coalescing));
        try (AppInstance instance = AppInstance.start(TestDatabase.shared(), properties, InMemoryExport.class)) {
            assertThat(instance.send("GET", "/next?count=3").statusCode()).isEqualTo(200);

            InMemorySpanExporter spans = instance.context().getBean(InMemorySpanExporter.class);
            SpanData request = awaitSpan(spans, "http get /next");
            SpanData commit = awaitSpan(spans, "counter.commit");
            assertThat(commit.getAttributes().get(AttributeKey.stringKey("counter"))).isEqualTo("default");
            assertThat(commit.getAttributes().get(AttributeKey.stringKey("counter.batch.size"))).isEqualTo("1");
            assertThat(commit.getTraceId()).isEqualTo(request.getTraceId());
            assertThat(commit.getParentSpanId()).isEqualTo(request.getSpanId());
            assertThat(commit.getEndEpochNanos()).as("answered after the commit")
                .isLessThanOrEqualTo(request.getEndEpochNanos());
        }
    }

    @Test
    void withoutAnEndpointTheTracerIsANoOp() {
        AppInstance instance = AppInstance.shared();
        assertThat(instance.context().getBean(Tracer.class)).isSameAs(Tracer.NOOP);
        assertThat(instance.context().getBeanNamesForType(SpanExporter.class)).isEmpty();
    }

    private static SpanData awaitSpan(InMemorySpanExporter spans, String name) {
        return await("span " + name).atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(20))
            .until(() -> spans.getFinishedSpanItems().stream().filter(span -> span.getName().equals(name)).findFirst(),
                    Optional::isPresent)
            .orElseThrow();
    }

}
