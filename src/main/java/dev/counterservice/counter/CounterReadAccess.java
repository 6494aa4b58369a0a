package dev.counterservice.counter;

/**
 * Whether the caller may read a counter: {@code GET /counters} lists only those. Without
 * this bean, every counter; with authorization on, those the caller's token has the read
 * scope for ({@code dev.counterservice.web.ApiSecurity}).
 */
@FunctionalInterface
public interface CounterReadAccess {

    boolean mayRead(String counter);

}
