package dev.counterservice.counter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A field of the ledger's CSV export: RFC 4180 quoting, and no formula for a spreadsheet
 * to run.
 */
class LedgerCsvFieldTests {

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`',
            value = { "key-1|key-1", "a,b|`\"a,b\"`", "say \"hi\"|`\"say \"\"hi\"\"\"`", "|",
                    "=HYPERLINK(\"x\")|`\"'=HYPERLINK(\"\"x\"\")\"`", "=1+1|'=1+1", "+1|'+1", "-1|'-1",
                    "@SUM(A1)|'@SUM(A1)", "a=1|a=1", "1-2|1-2", "'quoted|'quoted" })
    void aFieldIsQuotedWhenItMustBeAndNeverStartsAFormula(String text, String field) {
        assertThat(Ledger.field(text)).isEqualTo((field == null) ? "" : field);
    }

    @Test
    void aTabOrCarriageReturnFirstIsAFormulaTriggerToo() {
        assertThat(Ledger.field("\t1")).isEqualTo("'\t1");
        assertThat(Ledger.field("\r1")).isEqualTo("\"'\r1\"");
    }

}
