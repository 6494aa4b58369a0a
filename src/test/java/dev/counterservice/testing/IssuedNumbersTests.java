package dev.counterservice.testing;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@link IssuedNumbers} adds to the load tester's checker, whose boundaries
 * {@code CheckerTests} pins: it hands the checker each client's responses in send order
 * whatever order they were recorded in, reports malformed answers, and compares with the
 * value the database holds.
 */
class IssuedNumbersTests {

    @Test
    void acceptsOverlappingRequestsRecordedInAnyOrder() {
        IssuedNumbers numbers = new IssuedNumbers();
        numbers.record(1, 11, 12, 3, 5);
        numbers.record(2, 1, 9, 1, 1);
        numbers.record(1, 0, 10, 2, 2);

        assertThat(numbers.guaranteeViolations(5)).isEmpty();
        assertThat(numbers.count()).isEqualTo(5);
        assertThat(numbers.max()).isEqualTo(5);
    }

    @Test
    void findsANumberInsideTwoBlocks() {
        IssuedNumbers numbers = new IssuedNumbers();
        numbers.record(1, 0, 1, 1, 3);
        numbers.record(2, 0, 1, 3, 4);

        assertThat(numbers.guaranteeViolations(4)).singleElement().asString().startsWith("duplicate: number 3");
    }

    @Test
    void findsAClientGoingBackwardsEvenWhenItsRequestsWereRecordedOutOfOrder() {
        IssuedNumbers numbers = new IssuedNumbers();
        numbers.record(0, 2, 3, 4, 4);
        numbers.record(0, 0, 1, 5, 5);

        assertThat(numbers.guaranteeViolations(5))
            .contains("per-client order: client 0 (request 2) got 4 after its previous request got 5");
    }

    @Test
    void listsDuplicatesAndRealTimeOrderBreaksOnTheirOwnWhateverTheClientNumbers() {
        IssuedNumbers numbers = new IssuedNumbers();
        numbers.record(-1, 0, 1, 1, 3);
        numbers.record(-1, 2, 3, 3, 3);

        assertThat(numbers.duplicates()).containsExactly(
                "duplicate: number 3 handed out twice: client 0 (request 1) got 1..3, client 0 (request 2) got 3");
        assertThat(numbers.realTimeOrderViolations()).singleElement()
            .asString()
            .startsWith("real-time order: client 0 (request 2)");
        assertThat(numbers.issues()).extracting(IssuedNumbers.Issue::client).containsExactly(-1, -1);
    }

    @Test
    void findsALaterRequestGettingASmallerNumberFromAnotherClient() {
        IssuedNumbers numbers = new IssuedNumbers();
        numbers.record(1, 0, 5, 7, 8);
        numbers.record(3, 6, 9, 6, 6);

        assertThat(numbers.guaranteeViolations(8)).singleElement()
            .asString()
            .startsWith("real-time order: client 3 (request 1)");
    }

    @Test
    void findsABlockThatEndsBelowItsStart() {
        IssuedNumbers numbers = new IssuedNumbers();
        numbers.record(0, 0, 1, 5, 3);

        assertThat(numbers.guaranteeViolations(5)).containsExactly("inverted block: client 0 (request 1) got 5..3");
    }

    @Test
    void reportsAMalformedAnswerWhateverTheNumbers() {
        IssuedNumbers numbers = new IssuedNumbers();
        numbers.recordMalformed(4, "an empty body");

        assertThat(numbers.guaranteeViolations(0)).containsExactly("client 4 got a malformed 200: an empty body");
    }

    @Test
    void findsAnAcknowledgedNumberTheDatabaseDoesNotHold() {
        IssuedNumbers numbers = new IssuedNumbers();
        numbers.record(1, 0, 1, 1, 5);

        assertThat(numbers.guaranteeViolations(5)).isEmpty();
        assertThat(numbers.guaranteeViolations(4)).containsExactly("acknowledged 5 but the database holds 4");
    }

    @Test
    void aCleanRunMovesTheCounterByExactlyTheNumbersAcknowledged() {
        IssuedNumbers numbers = new IssuedNumbers();
        numbers.record(0, 0, 1, 11, 13);
        numbers.record(1, 0, 1, 14, 14);

        assertThat(numbers.cleanRunViolations(10, 14)).isEmpty();
        assertThat(numbers.cleanRunViolations(10, 15))
            .containsExactly("the counter moved from 10 to 15 but 4 numbers were acknowledged");
        assertThat(numbers.cleanRunViolations(11, 14))
            .containsExactly("the counter moved from 11 to 14 but 4 numbers were acknowledged");
    }

    @Test
    void nothingAcknowledgedIsNoViolation() {
        IssuedNumbers numbers = new IssuedNumbers();

        assertThat(numbers.max()).isZero();
        assertThat(numbers.cleanRunViolations(7, 7)).isEmpty();
    }

}
