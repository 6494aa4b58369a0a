package dev.counterservice.counter;

/**
 * Whether the caller may create and advance counters. Without this bean, anyone when
 * {@code counter.admin.enabled}, else no one; with authorization on, a token with the
 * scope {@code counter:admin} ({@code dev.counterservice.web.ApiSecurity}).
 */
@FunctionalInterface
public interface CounterAdminAccess {

    boolean mayAdminister();

}
