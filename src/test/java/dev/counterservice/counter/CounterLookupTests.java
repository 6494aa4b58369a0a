package dev.counterservice.counter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
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

    private final CounterLookup lookup = new CounterLookup(names -> {
        statements.add(List.of(names));
        return Set.of("exists");
    }, started::add);

    @Test
    void namesWaitingTogetherAreLookedUpInOneStatementAndANameAskedTwiceOnce() throws Exception {
        CompletableFuture<Boolean> exists = lookup.exists("exists");
        CompletableFuture<Boolean> absent = lookup.exists("absent");
        CompletableFuture<Boolean> again = lookup.exists("absent");

        assertThat(started).hasSize(1);
        runStarted();

        assertThat(statements).containsExactly(List.of("exists", "absent"));
        assertThat(exists.get(1, TimeUnit.SECONDS)).isTrue();
        assertThat(absent.get(1, TimeUnit.SECONDS)).isFalse();
        assertThat(again.get(1, TimeUnit.SECONDS)).isFalse();
    }

    @Test
    void aNameAskedForWhileAStatementIsInFlightGoesIntoTheNextAndNoAbsenceIsRemembered() throws Exception {
        List<CompletableFuture<Boolean>> during = new ArrayList<>();
        AtomicReference<CounterLookup> self = new AtomicReference<>();
        CounterLookup asking = new CounterLookup(names -> {
            statements.add(List.of(names));
            if (statements.size() == 1) {
                // Asked while the first statement runs, which may have missed the counter
                during.add(self.get().exists("absent"));
            }
            return Set.of();
        }, started::add);
        self.set(asking);
        CompletableFuture<Boolean> first = asking.exists("absent");
        runStarted();

        assertThat(first.get(1, TimeUnit.SECONDS)).isFalse();
        assertThat(during.getFirst().get(1, TimeUnit.SECONDS)).isFalse();
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
        CompletableFuture<Boolean> gaveUp = lookup.exists("exists");
        CompletableFuture<Boolean> waits = lookup.exists("exists");
        gaveUp.cancel(false);
        runStarted();

        assertThat(waits.get(1, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aFailedStatementFailsItsNamesAndTheNextOnesAreLookedUpAgain() throws Exception {
        IllegalStateException down = new IllegalStateException("database down");
        CounterLookup failing = new CounterLookup(names -> {
            statements.add(List.of(names));
            if (statements.size() == 1) {
                throw down;
            }
            return Set.of("exists");
        }, started::add);
        CompletableFuture<Boolean> failed = failing.exists("exists");
        runStarted();
        assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> failed.get(1, TimeUnit.SECONDS))
            .havingCause()
            .isSameAs(down);

        CompletableFuture<Boolean> again = failing.exists("exists");
        runStarted();
        assertThat(again.get(1, TimeUnit.SECONDS)).isTrue();
    }

    private void runStarted() {
        while (!started.isEmpty()) {
            started.removeFirst().run();
        }
    }

}
