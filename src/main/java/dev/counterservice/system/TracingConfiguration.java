package dev.counterservice.system;

import io.micrometer.tracing.Tracer;
import io.prometheus.metrics.tracer.common.SpanContext;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Spans are worth making only when something receives them. Without an OTLP endpoint
 * ({@code management.opentelemetry.tracing.export.otlp.endpoint}) Boot would still run
 * every request and commit through OpenTelemetry's tracer and drop the spans; this no-op
 * tracer takes its place instead (Boot's own tracer backs off when one is defined), so
 * observations only feed the metrics. Prometheus exemplars read the current span through
 * {@link ExemplarSpanContext}.
 */
@Configuration(proxyBeanMethods = false)
class TracingConfiguration {

    @Bean
    @ConditionalOnExpression("'${management.opentelemetry.tracing.export.otlp.endpoint:}'.isBlank()")
    Tracer noopTracer() {
        return Tracer.NOOP;
    }

    /** Boot's exemplar span context backs off when this one is defined. */
    @Bean
    SpanContext exemplarSpanContext(ObjectProvider<Tracer> tracers) {
        return new ExemplarSpanContext(tracers);
    }

}
