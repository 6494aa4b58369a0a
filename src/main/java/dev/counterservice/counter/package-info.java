/**
 * The counters: the HTTP face ({@code CounterController}), the service that bounds every
 * wait ({@code CounterService}), the batching of concurrent requests into one statement
 * ({@code RequestCoalescer}) served by an allocator per counter with its failover checks
 * ({@code CounterAllocator}), and the one way to the database
 * ({@code CounterRepository}). Everything is package-private but the settings record, the
 * routes ({@code CounterRoutes}), which authorization guards, and
 * {@code CounterReadAccess}, which it provides.
 */
package dev.counterservice.counter;
