package dev.counterservice.counter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.transaction.support.TransactionOperations;

import dev.counterservice.counter.CounterAllocator.Demand;
import dev.counterservice.counter.CounterAllocator.Outcome;
import dev.counterservice.counter.CounterAllocator.Result;
import dev.counterservice.counter.CounterRepository.Attempt;
import dev.counterservice.counter.CounterRepository.StoredKey;

/**
 * The statements of one batch, which serves the demands of one or many counters as one
 * durable step; each counter's {@link CounterAllocator} keeps its own guards and judges
 * its own row.
 * <p>
 * A batch without {@code Idempotency-Key}s is one {@code UPDATE} of all its counters,
 * which PostgreSQL commits before it answers. A batch with keys is a transaction: it
 * takes the row locks, reads the keys it carries, adds to each counter the total of its
 * demands whose key is new, and stores those keys. Every statement that locks several
 * rows locks them in the order of the counters' names, so batches of different instances
 * cannot deadlock ({@link CounterRepository#LOCKED}).
 */
final class BatchStatements {

    private final CounterRepository repository;

    private final TransactionOperations transactions;

    private final String lockTimeout;

    BatchStatements(CounterRepository repository, TransactionOperations transactions, CounterProperties properties) {
        this.repository = repository;
        this.transactions = transactions;
        this.lockTimeout = Long.toString(properties.timeout().toMillis());
    }

    /**
     * Serves one batch: each counter's demands, in order, come to one outcome for that
     * counter; a failure of the statements fails every counter of the batch.
     */
    Map<CounterAllocator, Outcome> allocate(Map<CounterAllocator, List<Demand>> batch) {
        List<Part> parts = batch.entrySet()
            .stream()
            .map(entry -> new Part(entry.getKey(), entry.getValue(), entry.getKey().mark(), entry.getKey().expected()))
            .toList();
        boolean keyed = batch.values().stream().flatMap(List::stream).anyMatch(demand -> demand.key() != null);
        Map<CounterAllocator, Outcome> outcomes = new LinkedHashMap<>();
        try {
            outcomes.putAll(keyed ? transactions.execute(status -> move(parts, true)) : move(parts, false));
        }
        catch (RuntimeException ex) {
            parts.forEach(part -> outcomes.put(part.allocator(), new Outcome.Failed(ex)));
            return outcomes;
        }
        parts.forEach(part -> part.allocator().settle(part.demands().size(), outcomes.get(part.allocator())));
        return outcomes;
    }

    /**
     * The batch's statements: with keys, the row locks and the known keys first; then one
     * {@code add} of every counter's total of new demands, and the new keys of the
     * counters that moved stored. A counter that did not move stores no key.
     */
    private Map<CounterAllocator, Outcome> move(List<Part> parts, boolean keyed) {
        String[] names = parts.stream().map(part -> part.allocator().counter()).toArray(String[]::new);
        // Without keys, nothing is known; a null key is looked up only in maps that allow
        // one
        Map<String, Map<String, Block>> known = keyed ? knownBlocks(names, parts) : Collections.emptyMap();
        Long[] totals = parts.stream().map(part -> part.total(known(known, part))).toArray(Long[]::new);
        Map<String, Attempt> attempts = new HashMap<>();
        for (Attempt attempt : repository.add(names, totals, parts.stream().map(Part::mark).toArray(Long[]::new),
                parts.stream().map(Part::expected).toArray(String[]::new), lockTimeout)) {
            attempts.put(attempt.getName(), attempt);
        }
        Map<CounterAllocator, Outcome> outcomes = new LinkedHashMap<>();
        NewKeys stored = new NewKeys();
        for (int i = 0; i < parts.size(); i++) {
            Part part = parts.get(i);
            Outcome outcome = part.allocator()
                .judge(attempts.get(names[i]), part.expected(), part.mark(), part.demands(), known(known, part),
                        totals[i]);
            outcomes.put(part.allocator(), outcome);
            if (outcome instanceof Outcome.Committed committed) {
                stored.add(part, committed);
            }
        }
        if (!stored.isEmpty()) {
            repository.saveKeys(stored.counters(), stored.keys(), stored.counts(), stored.firsts());
        }
        return outcomes;
    }

    /** (5) Takes the row locks, then reads the blocks stored for the demands' keys. */
    private Map<String, Map<String, Block>> knownBlocks(String[] names, List<Part> parts) {
        repository.lock(names, lockTimeout);
        List<String> counters = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (Part part : parts) {
            for (Demand demand : part.demands()) {
                if (demand.key() != null) {
                    counters.add(part.allocator().counter());
                    keys.add(demand.key());
                }
            }
        }
        Map<String, Map<String, Block>> known = new HashMap<>();
        for (StoredKey key : repository.findKeys(counters.toArray(String[]::new), keys.toArray(String[]::new))) {
            known.computeIfAbsent(key.getCounter(), counter -> new HashMap<>())
                .put(key.getKey(),
                        new Block(key.getCounter(), key.getFirst(), key.getFirst() + key.getCount() - 1, true));
        }
        return known;
    }

    private static Map<String, Block> known(Map<String, Map<String, Block>> known, Part part) {
        return known.getOrDefault(part.allocator().counter(), Collections.emptyMap());
    }

    /** One counter's share of a batch, with the guards it was sent with. */
    private record Part(CounterAllocator allocator, List<Demand> demands, long mark, String expected) {

        /** What the counter must move by: its demands whose key is not known. */
        long total(Map<String, Block> known) {
            return demands.stream().filter(demand -> !known.containsKey(demand.key())).mapToLong(Demand::count).sum();
        }

    }

    /**
     * The keys of the new blocks of a batch's committed counters, as saveKeys takes them.
     */
    private static final class NewKeys {

        private final List<String> counters = new ArrayList<>();

        private final List<String> keys = new ArrayList<>();

        private final List<Integer> counts = new ArrayList<>();

        private final List<Long> firsts = new ArrayList<>();

        void add(Part part, Outcome.Committed committed) {
            for (int j = 0; j < part.demands().size(); j++) {
                Demand demand = part.demands().get(j);
                if (demand.key() != null && committed.results().get(j) instanceof Result.Served(Block block)
                        && !block.replayed()) {
                    counters.add(part.allocator().counter());
                    keys.add(demand.key());
                    counts.add(demand.count());
                    firsts.add(block.first());
                }
            }
        }

        boolean isEmpty() {
            return keys.isEmpty();
        }

        String[] counters() {
            return counters.toArray(String[]::new);
        }

        String[] keys() {
            return keys.toArray(String[]::new);
        }

        Integer[] counts() {
            return counts.toArray(Integer[]::new);
        }

        Long[] firsts() {
            return firsts.toArray(Long[]::new);
        }

    }

}
