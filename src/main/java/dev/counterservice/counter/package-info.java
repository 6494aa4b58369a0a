/**
 * The counters: the HTTP face ({@code CounterController}), the service that knows the
 * counters and bounds every wait ({@code CounterService}), the lookup of names it does
 * not know ({@code CounterLookup}), their creation and advance ({@code CounterAdmin},
 * {@code AdminBodies}), the queue that batches concurrent requests of all counters
 * ({@code RequestCoalescer}) into statements of several counters
 * ({@code BatchStatements}), an allocator per counter with its failover checks
 * ({@code CounterAllocator}), and the one way to the database
 * ({@code CounterRepository}). Everything is package-private but the settings record, the
 * routes ({@code CounterRoutes}), which authorization guards, and
 * {@code CounterReadAccess} and {@code CounterAdminAccess}, which it provides.
 */
package dev.counterservice.counter;
