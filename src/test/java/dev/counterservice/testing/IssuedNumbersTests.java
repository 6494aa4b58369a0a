package dev.counterservice.testing;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The checker must catch what it claims to catch, or the concurrency tests that use it prove nothing. */
class IssuedNumbersTests {

    @Test
    void acceptsOverlappingRequestsAnsweredInAnyOrder() {
        IssuedNumbers numbers = new IssuedNumbers();
        numbers.record(1, 0, 10, 2, 2);
        numbers.record(2, 1, 9, 1, 1);
        numbers.record(1, 11, 12, 3, 5);

        assertThat(numbers.duplicates()).isEmpty();
        assertThat(numbers.perClientOrderViolations()).isEmpty();
        assertThat(numbers.realTimeOrderViolations()).isEmpty();
        assertThat(numbers.count()).isEqualTo(5);
        assertThat(numbers.max()).isEqualTo(5);
    }

    @Test
    void findsANumberInsideTwoBlocks() {
        IssuedNumbers numbers = new IssuedNumbers();
        numbers.record(1, 0, 1, 1, 3);
        numbers.record(2, 0, 1, 3, 4);

        assertThat(numbers.duplicates()).containsExactly(3L);
    }

    @Test
    void findsAClientGoingBackwards() {
        IssuedNumbers numbers = new IssuedNumbers();
        numbers.record(1, 0, 1, 5, 5);
        numbers.record(1, 2, 3, 4, 4);

        assertThat(numbers.perClientOrderViolations()).containsExactly("client 1 got 4 after 5");
    }

    @Test
    void findsALaterRequestGettingASmallerNumberFromAnotherClient() {
        IssuedNumbers numbers = new IssuedNumbers();
        numbers.record(1, 0, 5, 7, 8);
        numbers.record(2, 6, 9, 6, 6);

        assertThat(numbers.perClientOrderViolations()).isEmpty();
        assertThat(numbers.realTimeOrderViolations()).containsExactly("a request sent after 8 was acknowledged got 6");
    }

    @Test
    void findsAnAcknowledgedNumberTheDatabaseDoesNotHold() {
        IssuedNumbers numbers = new IssuedNumbers();
        numbers.record(1, 0, 1, 1, 5);

        assertThat(numbers.guaranteeViolations(5)).isEmpty();
        assertThat(numbers.guaranteeViolations(4)).containsExactly("acknowledged 5 but the database holds 4");
    }
}
