package dev.counterservice.counter;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.springframework.data.repository.Repository;

/** Read-only access to counter rows; Spring Data runs these in read-only transactions. */
interface CounterRepository extends Repository<Counter, String> {

    Optional<Counter> findById(String name);

    List<Counter> findByNameInOrderByName(Collection<String> names);
}
