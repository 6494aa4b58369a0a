package dev.counterservice.system;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.prometheus.metrics.tracer.common.SpanContext;

import org.springframework.beans.factory.ObjectProvider;

/**
 * The current span as Prometheus exemplars see it, in place of Boot's own, which looks
 * the tracer up under a lock the first time a metric is recorded. At start-up that
 * deadlocks: a GC notification records a JVM metric and, holding that lock, waits for the
 * bean factory, while the main thread, creating a bean, logs a line whose metric waits
 * for the lock (spring-boot#33070; seen here as a start that hung for good under a 256
 * MiB limit, where the small heap collects often). This one looks the tracer up without a
 * lock of its own: a thread that meets the bean factory busy just waits for it.
 */
final class ExemplarSpanContext implements SpanContext {

    private final ObjectProvider<Tracer> tracers;

    private volatile Tracer tracer;

    ExemplarSpanContext(ObjectProvider<Tracer> tracers) {
        this.tracers = tracers;
    }

    @Override
    public String getCurrentTraceId() {
        Span span = currentSpan();
        return span == null ? null : span.context().traceId();
    }

    @Override
    public String getCurrentSpanId() {
        Span span = currentSpan();
        return span == null ? null : span.context().spanId();
    }

    @Override
    public boolean isCurrentSpanSampled() {
        Span span = currentSpan();
        return span != null && Boolean.TRUE.equals(span.context().sampled());
    }

    @Override
    public void markCurrentSpanAsExemplar() {
    }

    private Span currentSpan() {
        Tracer current = tracer;
        if (current == null) {
            // Looked up again until it is found; two threads may both look it up, and get
            // the same bean
            current = tracers.getObject();
            tracer = current;
        }
        return current.currentSpan();
    }

}
