# The audited-series block of bench/benchmark.sh (AUDITED=1), sourced by it after bench/lib/common.sh.
# One instance (COUNTER_ADMIN_ENABLED: loopback only) and two counters the load tester creates with the same yearly
# period and format, one of them audited (no standby here, so it serves). After a keyed warm-up of each (WARMUP, then
# KEYED_WARMUP), the keyed load tester runs on the unaudited one, then on the audited one, back to back. The ledger
# must then hold every number handed out, no more: the numbers of its issued rows (psql) against those the load
# tester counted in both audited runs, and GET /counters/audited-0/ledger/check complete for every period.
SERIES_ROWS=(series-plain series-audited)
SERIES_SETTINGS=(--period yearly --format 'INV-{period}-{value:06}' --idempotency-keys --counters 1)

# measure_audited_series: the block's rows, SERIES_ROWS, after their warm-ups; sets LEDGER_ISSUED, HANDED_OUT,
# LEDGER_PERIODS and LEDGER_COMPLETE
measure_audited_series() {
    local warmed measured period
    COUNTER_ADMIN_ENABLED=true start_app series true
    SERIES_URL="http://127.0.0.1:${APP_PORT[series]}"
    # A fresh JVM: the first warm-up is as long as the other blocks' (on 2 cores the JIT needs tens of seconds)
    run_loadtest series-warmup-plain "$WARMUP" "$SERIES_URL" --counter plain "${SERIES_SETTINGS[@]}"
    run_loadtest series-warmup-audited "$KEYED_WARMUP" "$SERIES_URL" --counter audited "${SERIES_SETTINGS[@]}" --audit
    run_loadtest series-plain "$LOADTEST_DURATION" "$SERIES_URL" --counter plain "${SERIES_SETTINGS[@]}"
    run_loadtest series-audited "$LOADTEST_DURATION" "$SERIES_URL" --counter audited "${SERIES_SETTINGS[@]}" --audit
    LEDGER_ISSUED=$(psql_admin -d counter -At -c "SELECT coalesce(sum(\"last\" - \"first\" + 1), 0) FROM ledger
        WHERE counter = 'audited-0' AND kind = 'issued'")
    warmed=$(value "${LT_RESULT[series-warmup-audited]}" numbers)
    measured=$(value "${LT_RESULT[series-audited]}" numbers)
    HANDED_OUT=$((${warmed:-0} + ${measured:-0}))
    LEDGER_PERIODS=0 LEDGER_COMPLETE=0
    for period in $(psql_admin -d counter -At -c "SELECT DISTINCT period FROM ledger WHERE counter = 'audited-0'"); do
        LEDGER_PERIODS=$((LEDGER_PERIODS + 1))
        curl -fsS "$SERIES_URL/counters/audited-0/ledger/check?period=$period" >"$RESULTS/ledger-check-$period-$STAMP.json" &&
            grep -q '"complete" *: *true' "$RESULTS/ledger-check-$period-$STAMP.json" &&
            LEDGER_COMPLETE=$((LEDGER_COMPLETE + 1))
    done
    stop_app series
}
