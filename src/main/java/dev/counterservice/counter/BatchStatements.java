package dev.counterservice.counter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.dao.DataIntegrityViolationException;

import dev.counterservice.counter.CounterAllocator.Demand;
import dev.counterservice.counter.CounterAllocator.Guards;
import dev.counterservice.counter.CounterAllocator.Layout;
import dev.counterservice.counter.CounterAllocator.Outcome;
import dev.counterservice.counter.CounterRepository.Attempt;
import dev.counterservice.counter.CounterRepository.KeyedAttempt;
import dev.counterservice.counter.CounterRepository.StoredKey;

/**
 * The statement of one batch, which serves the demands of one or many counters as one
 * durable step; each counter's {@link CounterAllocator} keeps its own guards and judges
 * its own row.
 * <p>
 * A batch is one statement of all its counters, which PostgreSQL commits before it
 * answers: an {@code UPDATE}, which with {@code Idempotency-Key}s also stores the keys of
 * the counters that moved, and records the new blocks of its audited counters in the
 * ledger. It moves nothing if one of its keys is stored already: then the batch reads the
 * blocks of its keys and runs again for the rest. The statement locks its rows in the
 * order of the counters' names, so batches of different instances cannot deadlock
 * ({@link CounterRepository#LOCKED}).
 */
final class BatchStatements {

    private final CounterRepository repository;

    private final String lockTimeout;

    BatchStatements(CounterRepository repository, CounterProperties properties) {
        this.repository = repository;
        this.lockTimeout = Long.toString(properties.timeout().toMillis());
    }

    /**
     * Serves one batch: each counter's demands, in order, come to one outcome for that
     * counter; a failure of the statement fails every counter of the batch.
     */
    Map<CounterAllocator, Outcome> allocate(Map<CounterAllocator, List<Demand>> batch) {
        List<Part> parts = batch.entrySet()
            .stream()
            .map(entry -> new Part(entry.getKey(), entry.getValue(), entry.getKey().guards()))
            .toList();
        Map<CounterAllocator, Outcome> outcomes = new LinkedHashMap<>();
        try {
            try {
                outcomes.putAll(move(parts));
            }
            catch (DataIntegrityViolationException ex) {
                // (5) The primary key refused a key stored while the statement waited for
                // a row lock: the batch that stored it has committed, so trying again
                // finds it
                outcomes.putAll(move(parts));
            }
        }
        catch (RuntimeException ex) {
            parts.forEach(part -> outcomes.put(part.allocator(), new Outcome.Failed(ex)));
            return outcomes;
        }
        parts.forEach(
                part -> part.allocator().settle(part.demands().size(), outcomes.get(part.allocator()), part.guards()));
        return outcomes;
    }

    /**
     * The batch's statement: one {@code add} of every counter's total of new demands,
     * which with keys also stores them, and moves nothing if one of them is stored
     * already: then the batch reads the blocks of its keys and adds the rest.
     */
    private Map<CounterAllocator, Outcome> move(List<Part> parts) {
        String[] names = parts.stream().map(part -> part.allocator().counter()).toArray(String[]::new);
        Long[] marks = parts.stream().map(part -> part.guards().mark().value()).toArray(Long[]::new);
        String[] markPeriods = parts.stream().map(part -> part.guards().mark().period()).toArray(String[]::new);
        String[] servers = parts.stream().map(part -> part.guards().expected()).toArray(String[]::new);
        boolean keyed = parts.stream()
            .flatMap(part -> part.demands().stream())
            .anyMatch(demand -> demand.key() != null);
        // None known at first; a null key is looked up only in maps that allow one
        Map<String, Map<String, Block>> known = Collections.emptyMap();
        while (true) {
            List<Layout> layouts = new ArrayList<>();
            for (Part part : parts) {
                layouts.add(Layout.of(part.demands(), known(known, part)));
            }
            Long[] totals = layouts.stream().map(Layout::total).toArray(Long[]::new);
            NewBlocks audited = new NewBlocks(parts, layouts, true);
            List<? extends Attempt> attempts;
            if (keyed) {
                NewBlocks keys = new NewBlocks(parts, layouts, false);
                List<KeyedAttempt> keyedAttempts = repository.addWithKeys(names, totals, marks, markPeriods, servers,
                        lockTimeout, audited.counters(), audited.starts(), audited.counts(), audited.keys(),
                        audited.subjects(), keys.counters(), keys.keys(), keys.counts(), keys.starts());
                if (keyedAttempts.getFirst().getKnown()) {
                    // (5) Each round knows more of the keys, so this ends
                    known = knownBlocks(parts);
                    continue;
                }
                attempts = keyedAttempts;
            }
            else {
                attempts = repository.add(names, totals, marks, markPeriods, servers, lockTimeout, audited.counters(),
                        audited.starts(), audited.counts(), audited.keys(), audited.subjects());
            }
            Map<String, Attempt> byName = new HashMap<>();
            attempts.forEach(attempt -> byName.put(attempt.getName(), attempt));
            Map<CounterAllocator, Outcome> outcomes = new LinkedHashMap<>();
            for (int i = 0; i < parts.size(); i++) {
                Part part = parts.get(i);
                outcomes.put(part.allocator(), part.allocator()
                    .judge(byName.get(names[i]), part.guards(), part.demands(), known(known, part), layouts.get(i)));
            }
            return outcomes;
        }
    }

    /** (5) The blocks stored for the demands' keys, by counter. */
    private Map<String, Map<String, Block>> knownBlocks(List<Part> parts) {
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
                .put(key.getKey(), new Block(key.getCounter(), key.getPeriod(), key.getFirst(),
                        key.getFirst() + key.getCount() - 1, true));
        }
        return known;
    }

    private static Map<String, Block> known(Map<String, Map<String, Block>> known, Part part) {
        return known.getOrDefault(part.allocator().counter(), Collections.emptyMap());
    }

    /** One counter's share of a batch, with the guards it was sent with. */
    private record Part(CounterAllocator allocator, List<Demand> demands, Guards guards) {
    }

    /**
     * The new blocks of a batch, with their starts, as the statement takes them: those of
     * its audited counters, which the ledger records, or those with keys, which are
     * stored.
     */
    private static final class NewBlocks {

        private final List<String> counters = new ArrayList<>();

        private final List<String> keys = new ArrayList<>();

        private final List<String> subjects = new ArrayList<>();

        private final List<Integer> counts = new ArrayList<>();

        private final List<Long> starts = new ArrayList<>();

        /**
         * @param ofAudited the blocks of audited counters; else those with keys
         */
        NewBlocks(List<Part> parts, List<Layout> layouts, boolean ofAudited) {
            for (int i = 0; i < parts.size(); i++) {
                CounterAllocator allocator = parts.get(i).allocator();
                List<Demand> demands = parts.get(i).demands();
                for (int j = 0; j < demands.size(); j++) {
                    Demand demand = demands.get(j);
                    long start = layouts.get(i).starts()[j];
                    boolean wanted = ofAudited ? allocator.settings().audit() : demand.key() != null;
                    if (wanted && start > 0) {
                        counters.add(allocator.counter());
                        keys.add(demand.key());
                        subjects.add(demand.subject());
                        counts.add(demand.count());
                        starts.add(start);
                    }
                }
            }
        }

        String[] counters() {
            return counters.toArray(String[]::new);
        }

        String[] keys() {
            return keys.toArray(String[]::new);
        }

        String[] subjects() {
            return subjects.toArray(String[]::new);
        }

        Integer[] counts() {
            return counts.toArray(Integer[]::new);
        }

        Long[] starts() {
            return starts.toArray(Long[]::new);
        }

    }

}
