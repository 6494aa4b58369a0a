package dev.counterservice.testing;

import java.util.List;

import dev.counterservice.testing.RetryingClients.Answer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exactly-once checker catches each way a service could break the promise, and
 * nothing else.
 */
class RetryingClientsTests {

    @Test
    void contiguousBlocksOnePerKeyInRealTimeOrderPass() {
        assertThat(RetryingClients.violations(
                List.of(answer("a", 0, 10, 11, 12), answer("b", 5, 20, 13, 13), answer("c", 21, 30, 14, 16)), 10, 16))
            .isEmpty();
    }

    @Test
    void aNumberThatBelongsToNoKeyIsAGap() {
        assertThat(RetryingClients.violations(List.of(answer("a", 0, 10, 11, 11), answer("b", 20, 30, 13, 13)), 10, 13))
            .containsExactly("gap: numbers 12..12 belong to no key (client 98 (request 1) got 13 next)");
    }

    @Test
    void aGapBeforeTheFirstBlockCounts() {
        assertThat(RetryingClients.violations(List.of(answer("a", 0, 10, 12, 12)), 10, 12))
            .containsExactly("gap: numbers 11..11 belong to no key (client 97 (request 1) got 12 next)");
    }

    @Test
    void numbersStoredBeyondTheLastBlockAreAGapAndBlocksBeyondTheStoredValueAreNotDurable() {
        assertThat(RetryingClients.violations(List.of(answer("a", 0, 10, 11, 11)), 10, 12))
            .containsExactly("gap: the blocks end at 11 but the counter holds 12");
        assertThat(RetryingClients.violations(List.of(answer("a", 0, 10, 11, 12)), 10, 11))
            .containsExactly("gap: the blocks end at 12 but the counter holds only 11");
    }

    @Test
    void twoKeysSharingANumberIsCaught() {
        assertThat(RetryingClients.violations(List.of(answer("a", 0, 10, 11, 12), answer("b", 0, 10, 12, 13)), 10, 13))
            .containsExactly("duplicate: number 12 handed out twice: client 97 (request 1) got 11..12, client 98 "
                    + "(request 1) got 12..13");
    }

    @Test
    void aKeySentAfterAnotherWasAnsweredMustGetLargerNumbers() {
        assertThat(RetryingClients.violations(List.of(answer("a", 0, 10, 12, 12), answer("b", 11, 20, 11, 11)), 10, 12))
            .singleElement()
            .asString()
            .startsWith("real-time order: client 98 (request 1)")
            .contains("got 11, but client 97 (request 1) had already received 12");
    }

    private static Answer answer(String key, long sent, long received, long first, long last) {
        return new Answer(key, key.hashCode(), sent, received, first, last, first + "\n");
    }

}
