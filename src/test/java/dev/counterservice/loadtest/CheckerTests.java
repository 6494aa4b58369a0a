package dev.counterservice.loadtest;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The load tester's checks at their boundaries, in process: a block that touches another
 * is fine, one that shares a single number is not; a request sent at the instant a
 * response arrived is concurrent with it, one sent a nanosecond later is not. A check
 * that compared the wrong end of a block, or {@code <} for {@code <=}, fails here.
 */
class CheckerTests {

    @Test
    void blocksThatTouchAreNotDuplicatesButBlocksSharingOneNumberAre() {
        Checker.Verdict touching = check(row(0, 0, 1, 1, 3), row(1, 0, 1, 4, 6));
        Checker.Verdict sharing = check(row(0, 0, 1, 1, 3), row(1, 0, 1, 3, 5));

        assertThat(touching.violations()).isZero();
        assertThat(sharing.duplicates()).isOne();
        assertThat(sharing.examples()).containsExactly(
                "duplicate: number 3 handed out twice: client 0 (request 1) got 1..3, client 1 (request 1) got 3..5");
    }

    @Test
    void aBlockInsideAWiderOneIsADuplicateEvenAfterANarrowerOne() {
        // Sorted by first: 1..10, 2..3, 5..6; the last overlaps only the first, which
        // must stay the highest seen
        Checker.Verdict verdict = check(row(0, 0, 1, 1, 10), row(1, 0, 1, 2, 3), row(2, 0, 1, 5, 6));

        assertThat(verdict.duplicates()).isEqualTo(2);
        assertThat(verdict.examples()).containsExactly(
                "duplicate: numbers 2..3 handed out twice: client 0 (request 1) got 1..10, client 1 (request 1) got 2..3",
                "duplicate: numbers 5..6 handed out twice: client 0 (request 1) got 1..10, client 2 (request 1) got 5..6");
    }

    @Test
    void aClientsNextBlockMustStartAboveItsPreviousBlocksLastNumber() {
        assertThat(check(row(0, 0, 1, 1, 3), row(0, 2, 3, 4, 4)).violations()).isZero();

        Checker.Verdict repeated = check(row(0, 0, 1, 1, 3), row(0, 2, 3, 3, 3));
        Checker.Verdict overlapping = check(row(0, 0, 1, 1, 3), row(0, 2, 3, 2, 5));

        assertThat(repeated.clientOrder()).isOne();
        assertThat(overlapping.clientOrder()).isOne();
        assertThat(overlapping.examples())
            .contains("per-client order: client 0 (request 2) got 2..5 after its previous request got 1..3");
    }

    @Test
    void aRequestSentWhenAResponseArrivedIsConcurrentWithItButOneSentLaterMustGetLargerNumbers() {
        // Client 0 is answered 1..3 at t=10; client 1 sends at t=10 (concurrent: any
        // number), or at t=11 (after)
        assertThat(check(row(0, 0, 10, 2, 3), row(1, 10, 20, 1, 1)).violations()).isZero();
        assertThat(check(row(0, 0, 10, 1, 3), row(1, 11, 20, 4, 4)).violations()).isZero();

        Checker.Verdict equal = check(row(0, 0, 10, 1, 3), row(1, 11, 20, 3, 3));
        Checker.Verdict overlapping = check(row(0, 0, 10, 1, 3), row(1, 11, 20, 2, 9));

        assertThat(equal.realTime()).isOne();
        assertThat(overlapping.realTime()).isOne();
        assertThat(overlapping.examples()).anyMatch(example -> example.startsWith(
                "real-time order: client 1 (request 1) sent at 0.000000s got 2..9, but client 0 (request 1) had already"
                        + " received 1..3"));
    }

    @Test
    void realTimeOrderComparesWithTheLargestNumberReceivedBeforeTheSendNotTheLatest() {
        // 10 arrives at t=5, then 2 at t=6; a request sent at t=7 that gets 5 is below 10
        Checker.Verdict verdict = check(row(0, 0, 5, 10, 10), row(1, 0, 6, 2, 2), row(2, 7, 8, 5, 5));

        assertThat(verdict.realTime()).isOne();
        assertThat(verdict.examples()).singleElement()
            .asString()
            .startsWith("real-time order: client 2 (request 1) sent at 0.000000s got 5, but client 0 (request 1) had"
                    + " already received 10 at");
    }

    @Test
    void aBlockThatEndsBelowItsStartIsAViolationNotSkipped() {
        assertThat(check(row(0, 0, 1, 3, 3)).violations()).isZero();

        Checker.Verdict verdict = check(row(0, 0, 1, 5, 3));

        assertThat(verdict.inverted()).isOne();
        assertThat(verdict.violations()).isOne();
        assertThat(verdict.examples()).containsExactly("inverted block: client 0 (request 1) got 5..3");
    }

    @Test
    void countsEveryViolationOfEveryKindButDescribesOnlyTheFirstFewOfEachKind() {
        // Client 0 goes backwards twice (also breaking real-time order twice); clients 1
        // and 2 each repeat a number
        // of client 0's; client 3 gets two inverted blocks
        Checker.Verdict verdict = Checker.check(responses(row(0, 0, 1, 9, 9), row(0, 2, 3, 8, 8), row(0, 4, 5, 7, 7),
                row(1, 0, 1, 9, 9), row(2, 0, 1, 9, 9), row(3, 0, 1, 30, 20), row(3, 2, 3, 40, 35)), 0, 1);

        assertThat(verdict.inverted()).isEqualTo(2);
        assertThat(verdict.duplicates()).isEqualTo(2);
        assertThat(verdict.clientOrder()).isEqualTo(2);
        assertThat(verdict.realTime()).isEqualTo(2);
        assertThat(verdict.violations()).isEqualTo(8);
        assertThat(verdict.examples()).hasSize(4)
            .extracting(example -> example.substring(0, example.indexOf(':')))
            .containsExactly("inverted block", "duplicate", "per-client order", "real-time order");
    }

    @Test
    void givesTimesInSecondsFromTheStartOfTheRun() {
        long start = 5_000_000_000L;
        Responses responses = responses(row(0, start, start + 250_000_000L, 2, 2),
                row(1, start + 500_000_000L, start + 600_000_000L, 1, 1));

        assertThat(Checker.check(responses, start, 5).examples()).containsExactly("real-time order: client 1 "
                + "(request 1) sent at 0.500000s got 1, but client 0 (request 1) had already received 2 at 0.250000s");
    }

    @Test
    void namesTheClientAndRequestOfEachViolationWhenSomeClientsGotNothing() {
        // Clients 0 and 2 got nothing; client 1's second request went backwards
        Responses responses = Responses.grouped(new int[] { 1, 1, 3 }, new long[] { 0, 2, 0 }, new long[] { 1, 3, 9 },
                new long[] { 5, 4, 9 }, new long[] { 5, 4, 9 });

        assertThat(responses.offsets()).containsExactly(0, 0, 2, 2, 3);
        assertThat(Checker.check(responses, 0, 5).examples())
            .contains("per-client order: client 1 (request 2) got 4 after its previous request got 5");
    }

    @Test
    void keyedBlocksMustCoverTheCountersNewNumbersExactly() {
        Responses blocks = responses(row(0, 0, 1, 11, 12), row(1, 0, 1, 14, 14), row(2, 0, 1, 13, 13));

        assertThat(Checker.checkKeyed(blocks, 0, 5, 10, 14).violations()).isZero();
        assertThat(Checker.checkKeyed(blocks, 0, 5, 9, 14).examples())
            .containsExactly("gap: numbers 10..10 belong to no key (client 0 (request 1) got 11..12 next)");
        assertThat(Checker.checkKeyed(blocks, 0, 5, 10, 16).examples())
            .containsExactly("gap: the blocks end at 14 but the counter holds 16");
        assertThat(Checker.checkKeyed(blocks, 0, 5, 10, 13).examples())
            .containsExactly("gap: the blocks end at 14 but the counter holds only 13");
        assertThat(Checker.checkKeyed(responses(row(0, 0, 1, 11, 11), row(1, 0, 1, 13, 13)), 0, 5, 10, 13).gaps())
            .isOne();
    }

    @Test
    void verdictsOfCountersCheckedApartAddUpAndTheirExamplesNameTheCounterUpToTheLimit() {
        Checker.Verdict twice = check(row(0, 0, 1, 7, 7), row(1, 0, 1, 7, 7));
        Checker.Verdict clean = check(row(0, 0, 1, 7, 7));

        Checker.Verdict all = Checker.Verdict.NONE.plus(twice, "x", 2)
            .plus(clean, "y", 2)
            .plus(twice, "z", 2)
            .plus(twice, "w", 2);

        assertThat(all.duplicates()).isEqualTo(3);
        assertThat(all.violations()).isEqualTo(3);
        assertThat(all.examples()).containsExactly(
                "counter x: duplicate: number 7 handed out twice: client 0 "
                        + "(request 1) got 7, client 1 (request 1) got 7",
                "counter z: duplicate: number 7 handed out twice: "
                        + "client 0 (request 1) got 7, client 1 (request 1) got 7");
    }

    @Test
    void aReplayMustRepeatTheFirstAnswerByteForByteMarkedReplayed() {
        assertThat(Checker.replay("k", "1\n2\n", "1\n2\n", true)).isNull();
        assertThat(Checker.replay("k", "1\n2\n", "3\n4\n", true)).isEqualTo("replay: key k was answered 1,2, then 3,4");
        assertThat(Checker.replay("k", "1\n2\n", "1\r\n2\r\n", true)).startsWith("replay: key k was answered");
        assertThat(Checker.replay("k", "1\n2\n", "1\n2\n", false))
            .isEqualTo("replay: key k answered again without Idempotent-Replayed: true");
    }

    @Test
    void ordersIndicesByKeyKeepingTiesInIndexOrder() {
        long[] keys = { 5, 1, 4, 1, 5, 9, 2, 6, 5 };

        assertThat(Checker.order(keys)).containsExactly(1, 3, 6, 2, 0, 4, 8, 7, 5);
        assertThat(Checker.order(new long[0])).isEmpty();
    }

    // A daily counter crossing midnight: 2026-12-07 then 2026-12-08, where numbers
    // restart at 1

    private static final long DAY = Period.key("2026-12-07");

    private static final long NEXT_DAY = Period.key("2026-12-08");

    @Test
    void periodKeysSortAsTheirFixedWidthTextAndReadBack() {
        assertThat(Period.key("2026")).isLessThan(Period.key("2026-01")).isLessThan(Period.key("2027"));
        assertThat(Period.key("2026-12")).isLessThan(Period.key("2026-12-01")).isLessThan(Period.key("2027-01"));
        assertThat(Period.NONE).isLessThan(Period.key("0001"));
        assertThat(Period.text(DAY)).isEqualTo("2026-12-07");
        assertThat(Period.text(Period.key("2026-12"))).isEqualTo("2026-12");
        assertThat(Period.text(Period.key("2026"))).isEqualTo("2026");
        assertThat(Period.key("2026-13")).isEqualTo(-1);
        assertThat(Period.key("2026-12-00")).isEqualTo(-1);
        assertThat(Period.key("2026/12")).isEqualTo(-1);
        assertThat(Period.key("26")).isEqualTo(-1);
    }

    @Test
    void numbersRestartingAtOneInANewPeriodBreakNoRule() {
        // Client 0 gets 7..8 of the first day, then 1 of the next; client 1, sent after
        // both answers, gets 2
        Responses crossing = periodic(row(0, 0, 1, DAY, 7, 8), row(0, 2, 3, NEXT_DAY, 1, 1),
                row(1, 4, 5, NEXT_DAY, 2, 2));

        assertThat(Checker.check(crossing, 0, 5).violations()).isZero();
        assertThat(Checker.checkKeyed(crossing, 0, 5, new Checker.Stored(DAY, 6), new Checker.Stored(NEXT_DAY, 2))
            .violations()).isZero();
    }

    @Test
    void aPairRepeatedInTheSamePeriodIsADuplicateButTheSameNumberInAnotherPeriodIsNot() {
        Checker.Verdict repeated = Checker.check(periodic(row(0, 0, 1, NEXT_DAY, 1, 1), row(1, 0, 1, NEXT_DAY, 1, 1)),
                0, 5);

        assertThat(repeated.duplicates()).isOne();
        assertThat(repeated.examples()).containsExactly("duplicate: number 1 handed out twice: client 0 (request 1) "
                + "got 1 in 2026-12-08, client 1 (request 1) got 1 in 2026-12-08");
        // Sorted by (period, first), 1 of the next day comes after 5..9 of the first: no
        // overlap across periods
        assertThat(Checker.check(periodic(row(0, 0, 1, DAY, 5, 9), row(1, 0, 1, NEXT_DAY, 1, 6)), 0, 5).violations())
            .isZero();
    }

    @Test
    void aClientGoingBackToTheEarlierPeriodBreaksItsOrderEvenWithALargerNumber() {
        Checker.Verdict back = Checker.check(periodic(row(0, 0, 1, NEXT_DAY, 1, 1), row(0, 2, 3, DAY, 9, 9)), 0, 5);

        assertThat(back.clientOrder()).isOne();
        assertThat(back.examples()).contains(
                "per-client order: client 0 (request 2) got 9 in 2026-12-07 after its previous request got 1 in 2026-12-08");
    }

    @Test
    void aRequestSentAfterAnAnswerOfTheNewPeriodMustNotGetTheOldPeriod() {
        // Client 0 is answered 1 of the next day at t=10; client 1 sends at t=11 and gets
        // 9 of the first day
        Checker.Verdict verdict = Checker.check(periodic(row(0, 0, 10, NEXT_DAY, 1, 1), row(1, 11, 20, DAY, 9, 9)), 0,
                5);

        assertThat(verdict.realTime()).isOne();
        assertThat(verdict.examples()).anyMatch(example -> example.startsWith("real-time order: client 1 (request 1)"
                + " sent at 0.000000s got 9 in 2026-12-07, but client 0 (request 1) had already received 1 in 2026-12-08"));
        // Sent at t=10, the instant the answer arrived: concurrent, either period is fine
        assertThat(Checker.check(periodic(row(0, 0, 10, NEXT_DAY, 1, 1), row(1, 10, 20, DAY, 9, 9)), 0, 5).violations())
            .isZero();
    }

    @Test
    void keyedBlocksMustCoverEachPeriodFromOneOrFromTheValueBefore() {
        Checker.Stored before = new Checker.Stored(DAY, 6);
        Checker.Stored after = new Checker.Stored(NEXT_DAY, 3);

        assertThat(
                Checker.checkKeyed(periodic(row(0, 0, 1, DAY, 7, 8), row(0, 2, 3, NEXT_DAY, 2, 3)), 0, 5, before, after)
                    .examples())
            .containsExactly(
                    "gap: numbers 1..1 in 2026-12-08 belong to no key (client 0 (request 2) got 2..3 in 2026-12-08 next)");
        assertThat(
                Checker.checkKeyed(periodic(row(0, 0, 1, DAY, 8, 8), row(0, 2, 3, NEXT_DAY, 1, 3)), 0, 5, before, after)
                    .examples())
            .containsExactly(
                    "gap: numbers 7..7 in 2026-12-07 belong to no key (client 0 (request 1) got 8 in 2026-12-07 next)");
        assertThat(
                Checker.checkKeyed(periodic(row(0, 0, 1, DAY, 7, 8), row(0, 2, 3, NEXT_DAY, 1, 2)), 0, 5, before, after)
                    .examples())
            .containsExactly("gap: the blocks in 2026-12-08 end at 2 but the counter holds 3");
        // The counter moved to the next day, and no key got a number of it
        assertThat(Checker.checkKeyed(periodic(row(0, 0, 1, DAY, 7, 8)), 0, 5, before, after).examples())
            .containsExactly("gap: the blocks in 2026-12-08 end at 0 but the counter holds 3");
        assertThat(Checker
            .checkKeyed(periodic(row(0, 0, 1, DAY, 7, 8), row(0, 2, 3, Period.key("2026-12-09"), 1, 1),
                    row(1, 0, 1, NEXT_DAY, 1, 3)), 0, 5, before, after)
            .examples())
            .containsExactly("gap: client 0 (request 2) got 1 in 2026-12-09, but the counter was in "
                    + "2026-12-07 before and 2026-12-08 after the run");
    }

    private static Checker.Verdict check(long[]... rows) {
        return Checker.check(responses(rows), 0, 5);
    }

    /** One response: client, sent, received, first, last. */
    private static long[] row(long client, long sent, long received, long first, long last) {
        return new long[] { client, sent, received, first, last };
    }

    /** Rows given client after client, each client's in send order. */
    private static Responses responses(long[]... rows) {
        return Responses.grouped(Arrays.stream(rows).mapToInt(row -> (int) row[0]).toArray(), column(rows, 1),
                column(rows, 2), column(rows, 3), column(rows, 4));
    }

    /**
     * One response of a counter with periods: client, sent, received, period, first,
     * last.
     */
    private static long[] row(long client, long sent, long received, long period, long first, long last) {
        return new long[] { client, sent, received, period, first, last };
    }

    private static Responses periodic(long[]... rows) {
        return Responses.grouped(Arrays.stream(rows).mapToInt(row -> (int) row[0]).toArray(), column(rows, 1),
                column(rows, 2), column(rows, 3), column(rows, 4), column(rows, 5));
    }

    private static long[] column(long[][] rows, int column) {
        return Arrays.stream(rows).mapToLong(row -> row[column]).toArray();
    }

}
