package dev.counterservice.counter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.transaction.CannotCreateTransactionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * How {@link CounterService} bounds a wait for the database and what a failed one
 * answers: every database error is a 503 with {@code Retry-After}, never a number. And
 * its counters against real PostgreSQL (through the shared instance's repository), on
 * counters of these tests' own.
 */
class CounterServiceTests {

    private static final Duration TIMEOUT = Duration.ofMillis(200);

    private static final List<String> COUNTERS = List.of("service-a", "service-b");

    /** Never created. */
    private static final String NEVER_CREATED = "service-never-created";

    @Test
    void itHandsOutBlocksOfItsCountersReadsThemBackAndReportsThemAsMetrics() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (CounterService service = service(registry)) {
            long before = service.current("service-a").getValue();

            Block block = service.next("service-a", 3, null);

            assertThat(block.first()).isEqualTo(before + 1);
            assertThat(block.last()).isEqualTo(before + 3);
            assertThat(service.current("service-a").getValue()).isEqualTo(before + 3);
            assertThat(service.page("service-", 2)).extracting(CounterRow::getName).containsExactlyElementsOf(COUNTERS);
            assertThat(registry.get("counter.high.water.mark").tag("counter", "service-a").gauge().value())
                .isEqualTo(before + 3);
            assertThat(registry.get("counter.requests.waiting").tag("counter", "service-b").gauge().value()).isZero();
        }
    }

    @Test
    void anUnknownCounterIs404BeforeTheDatabaseIsAsked() {
        // A malformed name never gets here: RequestedCounter answers it 400
        try (CounterService service = service(new SimpleMeterRegistry())) {
            assertThatExceptionOfType(UnknownCounterException.class)
                .isThrownBy(() -> service.next("service-c", 1, null));
            assertThatExceptionOfType(UnknownCounterException.class).isThrownBy(() -> service.current("service-c"));
            assertThatExceptionOfType(UnknownCounterException.class)
                .isThrownBy(() -> service.requireKnown(NEVER_CREATED));
            assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> service.current("Service A"));
        }
    }

    @Test
    void aCounterCreatedElsewhereIsServedOnItsNextRequestAndCountedWithTheOthers() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        String elsewhere = "service-x-" + java.util.UUID.randomUUID();
        try (CounterService service = service(registry)) {
            assertThatExceptionOfType(UnknownCounterException.class).isThrownBy(() -> service.requireKnown(elsewhere));
            // Created through another instance
            AppInstance.shared().context().getBean(CounterRepository.class).create(elsewhere, 41);

            assertThat(service.next(elsewhere, 1, null)).isEqualTo(new Block(elsewhere, 42, 42));
            assertThat(registry.get("counter.numbers.issued").tag("counter", CounterMeters.OTHER).counter().count())
                .isEqualTo(1);
            assertThat(registry.find("counter.numbers.issued").tag("counter", elsewhere).counter()).isNull();
        }
    }

    @Test
    void tenThousandCountersCreatedAtRunTimeAddNoMeter() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        String prefix = "service-many-";
        TestDatabase database = TestDatabase.shared();
        database
            .execute("INSERT INTO counter (name) SELECT '%s' || i FROM generate_series(1, 10000) i".formatted(prefix));
        try (CounterService service = service(registry)) {
            int meters = registry.getMeters().size();
            List<Future<Block>> taken = new ArrayList<>();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 1; i <= 10_000; i++) {
                    String name = prefix + i;
                    taken.add(clients.submit(() -> service.next(name, 1, null)));
                }
                for (int i = 1; i <= 10_000; i++) {
                    assertThat(taken.get(i - 1).get()).isEqualTo(new Block(prefix + i, 1, 1));
                }
            }

            assertThat(registry.getMeters()).hasSize(meters);
            assertThat(registry.get("counter.numbers.issued").tag("counter", CounterMeters.OTHER).counter().count())
                .isEqualTo(10_000);
        }
        finally {
            database.execute("DELETE FROM counter WHERE name LIKE '%s%%'".formatted(prefix));
        }
    }

    private static CounterService service(SimpleMeterRegistry registry) {
        CounterRepository repository = AppInstance.shared().context().getBean(CounterRepository.class);
        COUNTERS.forEach(name -> repository.create(name, 0));
        // The bound itself is the await tests' subject: here a cold first statement on a
        // loaded machine must not turn into a 503
        CounterProperties properties = new Binder(new MapConfigurationPropertySource(
                Map.of("counter.names", String.join(",", COUNTERS), "counter.timeout", "30s")))
            .bindOrCreate("counter", CounterProperties.class);
        return new CounterService(repository, properties, registry, ObservationRegistry.NOOP);
    }

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    @Test
    void anAnswerWithinTheTimeoutIsReturned() {
        assertThat(CounterService.await(CompletableFuture.completedFuture("42"), TIMEOUT)).isEqualTo("42");
    }

    @Test
    void noAnswerWithinTheTimeoutIs503AndTheRequestIsCancelled() {
        CompletableFuture<String> never = new CompletableFuture<>();
        long started = System.nanoTime();

        assertThatExceptionOfType(CounterUnavailableException.class)
            .isThrownBy(() -> CounterService.await(never, TIMEOUT))
            .satisfies(CounterServiceTests::assertUnavailable)
            .satisfies(
                    ex -> assertThat(ex.getBody().getDetail()).startsWith("The database did not answer within 200 ms"));

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(TIMEOUT);
        assertThat(never).isCancelled();
    }

    @Test
    void anInterruptedWaitIs503KeepsTheInterruptAndCancelsTheRequest() {
        CompletableFuture<String> never = new CompletableFuture<>();
        Thread.currentThread().interrupt();

        assertThatExceptionOfType(CounterUnavailableException.class)
            .isThrownBy(() -> CounterService.await(never, TIMEOUT))
            .satisfies(CounterServiceTests::assertUnavailable);

        assertThat(Thread.currentThread().isInterrupted()).isTrue();
        assertThat(never).isCancelled();
    }

    @Test
    void aDatabaseErrorIs503WithTheErrorAsItsCause() {
        DataAccessResourceFailureException lost = new DataAccessResourceFailureException("connection lost");

        assertThatExceptionOfType(CounterUnavailableException.class)
            .isThrownBy(() -> CounterService.await(CompletableFuture.failedFuture(lost), TIMEOUT))
            .satisfies(CounterServiceTests::assertUnavailable)
            .withCause(lost);
        assertThat(CounterService.unwrap(new QueryTimeoutException("slow")))
            .isInstanceOf(CounterUnavailableException.class);
    }

    @Test
    void aFailedTransactionIs503() {
        CannotCreateTransactionException failed = new CannotCreateTransactionException("no connection");

        assertThat(CounterService.unwrap(failed)).isInstanceOf(CounterUnavailableException.class)
            .hasCause(failed)
            .satisfies(ex -> assertUnavailable((CounterUnavailableException) ex));
    }

    @Test
    void anAnswerOfItsOwnPassesUnchanged() {
        IdempotencyKeyConflictException conflict = IdempotencyKeyConflictException.inFlight();

        assertThatExceptionOfType(IdempotencyKeyConflictException.class)
            .isThrownBy(() -> CounterService.await(CompletableFuture.failedFuture(conflict), TIMEOUT))
            .isSameAs(conflict);
    }

    @Test
    void anErrorIsNotTakenForAnAnswer() {
        StackOverflowError error = new StackOverflowError();

        assertThat(CounterService.unwrap(error)).isInstanceOf(IllegalStateException.class).hasCause(error);
    }

    private static void assertUnavailable(CounterUnavailableException ex) {
        assertThat(ex.getStatusCode().value()).isEqualTo(503);
        assertThat(ex.getHeaders().getFirst("Retry-After")).isEqualTo("1");
        assertThat(ex.getBody().getDetail()).endsWith("; no number was handed out");
    }

}
