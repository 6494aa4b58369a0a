package dev.counterservice.counter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The lookup of unknown names without a database: the statements are a function the test
 * records, run when the test says (the executor only collects them).
 */
class CounterLookupTests {

    private final List<List<String>> statements = Collections.synchronizedList(new ArrayList<>());

    private final List<Runnable> started = new ArrayList<>();

    private final CounterLookup<String> lookup = new CounterLookup<String>(names -> {
        statements.add(List.of(names));
        return Map.of("exists", "its row");
    }, started::add);

    @Test
    void namesWaitingTogetherAreLookedUpInOneStatementAndANameAskedTwiceOnce() throws Exception {
        CompletableFuture<Optional<String>> exists = lookup.exists("exists");
        CompletableFuture<Optional<String>> absent = lookup.exists("absent");
        CompletableFuture<Optional<String>> again = lookup.exists("absent");

        assertThat(started).hasSize(1);
        runStarted();

        assertThat(statements).containsExactly(List.of("exists", "absent"));
        assertThat(exists.get(1, TimeUnit.SECONDS)).isPresent();
        assertThat(absent.get(1, TimeUnit.SECONDS)).isEmpty();
        assertThat(again.get(1, TimeUnit.SECONDS)).isEmpty();
    }

    @Test
    void aNameAskedForWhileAStatementIsInFlightGoesIntoTheNextAndNoAbsenceIsRemembered() throws Exception {
        List<CompletableFuture<Optional<String>>> during = new ArrayList<>();
        AtomicReference<CounterLookup<String>> self = new AtomicReference<>();
        CounterLookup<String> asking = new CounterLookup<String>(names -> {
            statements.add(List.of(names));
            if (statements.size() == 1) {
                // Asked while the first statement runs, which may have missed the counter
                during.add(self.get().exists("absent"));
            }
            return Map.of();
        }, started::add);
        self.set(asking);
        CompletableFuture<Optional<String>> first = asking.exists("absent");
        runStarted();

        assertThat(first.get(1, TimeUnit.SECONDS)).isEmpty();
        assertThat(during.getFirst().get(1, TimeUnit.SECONDS)).isEmpty();
        assertThat(statements).containsExactly(List.of("absent"), List.of("absent"));
        asking.exists("absent");
        runStarted();
        assertThat(statements).hasSize(3);
    }

    @Test
    void aStatementTakesAtMostMaxNamesAndTheRestGoIntoTheNext() {
        for (int i = 0; i < CounterLookup.MAX_NAMES + 1; i++) {
            lookup.exists("name-" + i);
        }
        runStarted();

        assertThat(statements).extracting(List::size).containsExactly(CounterLookup.MAX_NAMES, 1);
    }

    @Test
    void pastMaxWaitingNamesANewOneIs503() {
        for (int i = 0; i < CounterLookup.MAX_WAITING; i++) {
            lookup.exists("name-" + i);
        }

        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> lookup.exists("one-more").get(1, TimeUnit.SECONDS))
            .withCauseInstanceOf(CounterUnavailableException.class);
        assertThat(lookup.exists("name-0")).isNotDone();
    }

    @Test
    void aWaiterThatGivesUpLeavesTheOthersTheirAnswer() throws Exception {
        CompletableFuture<Optional<String>> gaveUp = lookup.exists("exists");
        CompletableFuture<Optional<String>> waits = lookup.exists("exists");
        gaveUp.cancel(false);
        runStarted();

        assertThat(waits.get(1, TimeUnit.SECONDS)).isPresent();
    }

    @Test
    void aFailedStatementFailsItsNamesAndTheNextOnesAreLookedUpAgain() throws Exception {
        IllegalStateException down = new IllegalStateException("database down");
        CounterLookup<String> failing = new CounterLookup<String>(names -> {
            statements.add(List.of(names));
            if (statements.size() == 1) {
                throw down;
            }
            return Map.of("exists", "its row");
        }, started::add);
        CompletableFuture<Optional<String>> failed = failing.exists("exists");
        runStarted();
        assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> failed.get(1, TimeUnit.SECONDS))
            .havingCause()
            .isSameAs(down);

        CompletableFuture<Optional<String>> again = failing.exists("exists");
        runStarted();
        assertThat(again.get(1, TimeUnit.SECONDS)).isPresent();
    }

    private void runStarted() {
        while (!started.isEmpty()) {
            started.removeFirst().run();
        }
    }

}
