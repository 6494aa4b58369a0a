#!/usr/bin/env bash
# Side-by-side benchmark of counter-service on one machine, loopback only (see docs/benchmarks.md):
#   with wrk: /next coalesced and the liveness endpoint served on the same port (management on the main port, so both
#   pay the same filter chain: the HTTP ceiling without a database), at CONNECTIONS and at WIDE_CONNECTIONS; /next with
#   a fresh Idempotency-Key on every request against /next with a fresh header the service ignores (the same client
#   work, so their ratio is the keys' cost); /next per-request; pgbench running the bare UPDATE ... RETURNING; the
#   service's resident memory under load; then bench/LoadTest.java checks every number at full load on the same
#   instance, without and with keys, and over LOADTEST_INSTANCES instances; and, on one instance, the load tester on
#   one counter, spread over MANY_COUNTERS counters, and with a counter per client, with the JVM's threads and the
#   pool's active connections at their peak.
# Every wrk target gets a warm-up and then two measured rounds, alternating with the target it is compared with: the
# table shows the first and how far the repeat moved from it, which says whether the warm-up was long enough. Starts a throwaway PostgreSQL cluster in a temporary
# directory on a free port, builds and starts the service, prints one table and writes it to bench/results/.
# Everything is bounded in time and cleaned up on exit.
# Shared functions are in bench/lib/common.sh; the optional blocks, in bench/lib/pgbouncer.sh, many-counters.sh and
# audited-series.sh.
#
# Usage: bench/benchmark.sh              (as root, missing tools are installed with apt-get)
# Settings (environment):
#   DURATION=15           seconds of each measured round
#   WARMUP=40             seconds of load before each target's first round, not counted
#   KEYED_WARMUP=15       the same, for the two rows with a fresh header per request
#   CONNECTIONS=64        wrk connections, pgbench clients and load-tester clients
#   WIDE_CONNECTIONS=1024 wrk connections of the second coalesced / liveness pair (0: skip it)
#   WRK_THREADS=2         wrk threads
#   LOADTEST_DURATION=15  seconds of the correctness run
#   LOADTEST_INSTANCES=2  instances the last correctness run spreads its clients over (same database; 1: skip it)
#   MANY_COUNTERS=1000    counters of the many-counters block (0: skip the block)
#   AUDITED=1             the audited-series block: a keyed audited counter against an unaudited one (0: skip it)
#   JVM_OPTS=...          flags for the service's JVM (default below)
#   SKIP_BUILD=1          use the jar already in target/
#   BASELINE_JAR=path     also measure /next of this jar (another commit's build), coalesced and per-request, against
#                         the same database, each right next to the same row of the jar under test
#   PGBOUNCER=1           also measure /next through PgBouncer in transaction pooling mode, and direct with the JDBC
#                         setting PgBouncer needs (prepareThreshold=0), coalesced and per-request; then check every
#                         number through it with the load tester
#   JAVA_HOME             a Java 25 JDK (default /usr/lib/jvm/temurin-25-jdk-amd64)
set -euo pipefail

DURATION=${DURATION:-15}
# The JIT needs tens of seconds under load on 2 cores before the JVM targets reach their steady state
WARMUP=${WARMUP:-40}
# The keyed comparison is stated for the first round after 15 s of keyed load, while the key table is young
KEYED_WARMUP=${KEYED_WARMUP:-15}
CONNECTIONS=${CONNECTIONS:-64}
WIDE_CONNECTIONS=${WIDE_CONNECTIONS:-1024}
WRK_THREADS=${WRK_THREADS:-2}
LOADTEST_DURATION=${LOADTEST_DURATION:-15}
LOADTEST_INSTANCES=${LOADTEST_INSTANCES:-2}
MANY_COUNTERS=${MANY_COUNTERS:-1000}
AUDITED=${AUDITED:-1}
# As the service runs in the chart's pod: the image's heap of half the memory limit (1 GiB), and the Serial collector,
# which the JVM picks for itself with 2 CPUs and 1 GiB. A heap of 192 MB, tried before, could not hold 1024 requests in
# progress (~60 KB of Tomcat buffers each) beside the application: the JVM spent most of its time in full collections.
JVM_OPTS=${JVM_OPTS:--XX:MaxRAM=1g -XX:MaxRAMPercentage=50 -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=$ROOT/bench/results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
COMMAND="$0 $*"
for lib in common pgbouncer many-counters audited-series; do
    source "$ROOT/bench/lib/$lib.sh"
done

install_tools
PG_BIN=$(pg_bin)
[[ -x $JAVA_HOME/bin/java ]] || die "no JDK at JAVA_HOME=$JAVA_HOME"
# wrk and the service each hold a socket per connection
ulimit -n $((WIDE_CONNECTIONS + 4096)) 2>/dev/null || die "cannot raise the open file limit to $((WIDE_CONNECTIONS + 4096))"
make_work_dir

# --- build ------------------------------------------------------------------------------------------------------
mkdir -p "$RESULTS"
if [[ -z ${SKIP_BUILD:-} ]]; then
    log "building the jar"
    (cd "$ROOT" && ./mvnw -B -q -DskipTests package)
fi
JAR=$(ls "$ROOT"/target/counter-service-*.jar 2>/dev/null | grep -v -- '-plain' | head -n 1)
[[ -f $JAR ]] || die "no jar in target/: run without SKIP_BUILD"
BASELINE_JAR=${BASELINE_JAR:-}
[[ -z $BASELINE_JAR || -f $BASELINE_JAR ]] || die "no baseline jar at $BASELINE_JAR"

start_postgres

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v load="${LOAD_AT_START%% *}" -v cores="$(nproc)" 'BEGIN {exit !(load > cores / 2)}'; then
    log "warning: load average $LOAD_AT_START on $(nproc) cores: other work will distort these numbers"
fi

# measure_baseline NAME COALESCING: /next of the baseline jar, if one is given, as row NAME
measure_baseline() {
    [[ -n $BASELINE_JAR ]] || return 0
    start_app 1 "$2" "$BASELINE_JAR"
    target "$1" "http://127.0.0.1:${APP_PORT[1]}/next"
    measure "$WARMUP" "$1"
    stop_app 1
}

# 1. Per-request mode. Its first start also runs Flyway, which creates the table and the 'default' row.
start_app 1 false
target per-request "http://127.0.0.1:${APP_PORT[1]}/next"
with_rss per-request 1 measure "$WARMUP" per-request
HWM_PER_REQUEST=$(($(status_kb "${APP_PID[1]}" VmHWM) / 1024))
stop_app 1
measure_baseline per-request-baseline false

# 2. PostgreSQL alone: the bare row-lock UPDATE, prepared, same client count, no service running
log "pgbench: ${WARMUP}s warm-up, ${DURATION}s measured, $CONNECTIONS clients"
echo "UPDATE counter SET value = value + 1 WHERE name = 'default' RETURNING value;" >"$WORK/update.sql"
pgbench() {
    PGPASSWORD=$PG_PASSWORD timeout $(($1 + 60)) "$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U counter \
        -c "$CONNECTIONS" -j 2 -T "$1" -n -M prepared -f "$WORK/update.sql" "${@:2}" counter
}
pgbench "$WARMUP" >/dev/null 2>&1
mkdir -p "$WORK/pgbench-log"
(cd "$WORK/pgbench-log" && pgbench "$DURATION" -l --log-prefix=tx) >"$WORK/pgbench.txt" 2>&1
cp "$WORK/pgbench.txt" "$RESULTS/pgbench-$STAMP.txt"
RPS[pgbench]=$(awk '/^tps = / {printf "%.0f", $3}' "$WORK/pgbench.txt")
# Per-transaction logs: the third field is the latency in microseconds
read -r P50[pgbench] P99[pgbench] < <(cat "$WORK"/pgbench-log/tx.* | awk '{print $3}' | sort -n |
    awk '{v[NR] = $1} END {p50 = int(NR * 0.50 + 0.999999); p99 = int(NR * 0.99 + 0.999999);
        printf "%.2f %.2f\n", v[p50] / 1000, v[p99] / 1000}')
NON2XX[pgbench]=$(awk '/number of failed transactions/ {print $5}' "$WORK/pgbench.txt")
NON2XX[pgbench]=${NON2XX[pgbench]:-0}
ERRORS[pgbench]=0

# 3. Coalesced mode, and the liveness endpoint on the same port of the same instance, at CONNECTIONS and at
#    WIDE_CONNECTIONS; then /next with a fresh header per request, one the service ignores and Idempotency-Key
measure_baseline coalesced-baseline true
start_app 1 true
NEXT_URL="http://127.0.0.1:${APP_PORT[1]}/next"
LIVENESS_URL="http://127.0.0.1:${APP_PORT[1]}/actuator/health/liveness"
target coalesced "$NEXT_URL"
target liveness "$LIVENESS_URL"
with_rss coalesced 1 measure "$WARMUP" coalesced liveness
HWM_COALESCED=$(($(status_kb "${APP_PID[1]}" VmHWM) / 1024))
WIDE=()
if ((WIDE_CONNECTIONS > 0)); then
    WIDE=(coalesced-wide liveness-wide)
    target coalesced-wide "$NEXT_URL" "$WIDE_CONNECTIONS"
    target liveness-wide "$LIVENESS_URL" "$WIDE_CONNECTIONS"
    with_rss coalesced-wide 1 measure "$WARMUP" coalesced-wide liveness-wide
fi
target unkeyed-fresh "$NEXT_URL" "$CONNECTIONS" X-Request-Id
target keyed-fresh "$NEXT_URL" "$CONNECTIONS" Idempotency-Key
measure "$KEYED_WARMUP" unkeyed-fresh keyed-fresh

# 4. Correctness at full load, coalesced: the load tester checks every number, first against the instance wrk just
#    measured, without and with keys, then with its clients spread over LOADTEST_INSTANCES instances
"$JAVA_HOME/bin/javac" -d "$WORK/loadtest" -sourcepath "$ROOT/bench" "$ROOT/bench/LoadTest.java"
LOADTESTS=(loadtest-1-instance loadtest-keyed)
run_loadtest loadtest-1-instance "$LOADTEST_DURATION" "http://127.0.0.1:${APP_PORT[1]}"
run_loadtest loadtest-keyed "$LOADTEST_DURATION" "http://127.0.0.1:${APP_PORT[1]}" --idempotency-keys
if ((LOADTEST_INSTANCES > 1)); then
    urls=("http://127.0.0.1:${APP_PORT[1]}")
    for ((i = 2; i <= LOADTEST_INSTANCES; i++)); do
        start_app "$i" true
        urls+=("http://127.0.0.1:${APP_PORT[$i]}")
    done
    LOADTESTS+=("loadtest-$LOADTEST_INSTANCES-instances")
    run_loadtest "loadtest-$LOADTEST_INSTANCES-instances" "$LOADTEST_DURATION" "${urls[@]}"
fi
for ((i = 1; i <= LOADTEST_INSTANCES; i++)); do
    stop_app "$i"
done

# --- optional blocks (bench/lib/): through PgBouncer, many counters, audited series ---------------------------------
if [[ -n ${PGBOUNCER:-} ]]; then
    measure_through_pgbouncer
fi
if ((MANY_COUNTERS > 0)); then
    measure_many_counters
fi
if ((AUDITED)); then
    measure_audited_series
fi

# --- the table ------------------------------------------------------------------------------------------------
LOAD_AT_END=$(cut -d' ' -f1-3 /proc/loadavg)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }
# move REPEAT FIRST NAME: how far a repeat moved from the first round, as "SIZE +N.N% (NAME)", sortable by SIZE
move() { awk -v a="$1" -v b="$2" -v name="$3" 'BEGIN {d = (a - b) * 100 / b; printf "%.3f %+.1f%% (%s)\n", (d < 0 ? -d : d), d, name}'; }
# cpu_compared A B: the CPU time per request of two wrk rows, in all and the service's own, and the idle shares; and
# the ratio A / B would reach if A cost the service no more CPU per request than B, all else as measured (req/s is
# the busy share of the cores over the CPU time per request): what PostgreSQL and the commit's wait cost on these cores
cpu_compared() {
    awk -v a="${CPU[$1]}" -v b="${CPU[$2]}" 'BEGIN {split(a, x); split(b, y);
        ta = x[1] + x[2] + x[3]; tb = y[1] + y[2] + y[3]
        printf "CPU per request %d vs %d us, the service'"'"'s %d vs %d us; idle %d%% vs %d%%; at the service'"'"'s %d us: %.2f",
            ta, tb, x[1], y[1], x[4], y[4], y[1], ((100 - x[4]) / (ta - x[1] + y[1])) / ((100 - y[4]) / tb)}'
}
{
    echo "counter-service benchmark, $STAMP"
    echo "commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src pom.xml || echo ' (with uncommitted changes)')"
    echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -h | awk '/^Mem:/ {print $2}') memory," \
        "load average $LOAD_AT_START at start, $LOAD_AT_END at end (anything else running on the machine distorts these numbers)"
    echo "JVM: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1); flags: $JVM_OPTS"
    echo "PostgreSQL: $("$PG_BIN/postgres" --version), default durability settings"
    echo "load: wrk -t$WRK_THREADS, ${WARMUP}s warm-up (${KEYED_WARMUP}s for the fresh-header rows), then two rounds of" \
        "${DURATION}s, alternating with the row compared: req/s, latency and errors of the first, and how far the" \
        "repeat moved from it;" \
        "pgbench -c $CONNECTIONS -j 2 -T $DURATION -n -M prepared"
    echo
    printf '%-44s %10s %8s %9s %9s %9s %9s %8s %8s %8s %6s\n' target 'req/s' 'repeat' 'p50 ms' 'p99 ms' 'non-2xx' \
        'sock err' 'svc us' 'pg us' 'rest us' 'idle'
    BASELINES=()
    [[ -n $BASELINE_JAR ]] && BASELINES=(coalesced-baseline per-request-baseline)
    for name in coalesced liveness "${WIDE[@]}" unkeyed-fresh keyed-fresh per-request "${BASELINES[@]}" \
        "${PGBOUNCER_ROWS[@]}" pgbench "${LOADTESTS[@]}"; do
        case $name in
            coalesced) label="/next coalesced, $CONNECTIONS conn" ;;
            liveness) label="liveness, same port, $CONNECTIONS conn" ;;
            coalesced-wide) label="/next coalesced, $WIDE_CONNECTIONS conn" ;;
            liveness-wide) label="liveness, same port, $WIDE_CONNECTIONS conn" ;;
            unkeyed-fresh) label="/next, fresh X-Request-Id, $CONNECTIONS conn" ;;
            keyed-fresh) label="/next, fresh Idempotency-Key, $CONNECTIONS conn" ;;
            per-request) label="/next per-request, $CONNECTIONS conn" ;;
            coalesced-baseline) label='/next coalesced, baseline jar' ;;
            per-request-baseline) label='/next per-request, baseline jar' ;;
            coalesced-unprepared) label='/next coalesced, prepareThreshold=0' ;;
            coalesced-pgbouncer) label='/next coalesced, via PgBouncer' ;;
            per-request-unprepared) label='/next per-request, prepareThr.=0' ;;
            per-request-pgbouncer) label='/next per-request, via PgBouncer' ;;
            pgbench) label='pgbench UPDATE ... RETURNING' ;;
            loadtest-1-instance) label='load tester, /next coalesced' ;;
            loadtest-keyed) label='load tester, keyed, coalesced' ;;
            loadtest-pgbouncer) label='load tester, via PgBouncer' ;;
            loadtest-*) label="load tester, ${LOADTEST_INSTANCES} instances" ;;
        esac
        moved=-
        [[ -n ${REPEAT[$name]:-} ]] && moved=$(move "${REPEAT[$name]}" "${RPS[$name]}" "$name" | cut -d' ' -f2)
        cpu=(- - - -)
        [[ -n ${CPU[$name]:-} ]] && read -r -a cpu <<<"${CPU[$name]}" && cpu[3]=${cpu[3]}%
        printf '%-44s %10s %8s %9s %9s %9s %9s %8s %8s %8s %6s\n' "$label" "${RPS[$name]}" "$moved" "${P50[$name]}" \
            "${P99[$name]}" "${NON2XX[$name]}" "${ERRORS[$name]}" "${cpu[@]}"
    done
    echo
    printf '%-28s = %s  (target >= 0.95; %s)\n' "coalesced / liveness, $CONNECTIONS conn" \
        "$(ratio "${RPS[coalesced]}" "${RPS[liveness]}")" "$(cpu_compared coalesced liveness)"
    if ((WIDE_CONNECTIONS > 0)); then
        printf '%-28s = %s  (target >= 0.9; %s)\n' "coalesced / liveness, $WIDE_CONNECTIONS conn" \
            "$(ratio "${RPS[coalesced-wide]}" "${RPS[liveness-wide]}")" "$(cpu_compared coalesced-wide liveness-wide)"
    fi
    echo "keyed / unkeyed              = $(ratio "${RPS[keyed-fresh]}" "${RPS[unkeyed-fresh]}")  (target >= 0.8; the fresh-header rows, first round after ${KEYED_WARMUP}s of keyed load)"
    echo "coalesced / pgbench          = $(ratio "${RPS[coalesced]}" "${RPS[pgbench]}")  (target >= 3)"
    echo "coalesced / per-request      = $(ratio "${RPS[coalesced]}" "${RPS[per-request]}")  (target >= 5)"
    echo "largest move of a repeat     = $(for name in "${!REPEAT[@]}"; do
        move "${REPEAT[$name]}" "${RPS[$name]}" "$name"
    done | sort -g -k1,1 | tail -n 1 | cut -d' ' -f2-)  (target < 5%: the warm-up was long enough)"
    echo "largest move of the service's CPU per request in a repeat = $(for name in "${!REPEAT_CPU[@]}"; do
        move "${REPEAT_CPU[$name]%% *}" "${CPU[$name]%% *}" "$name"
    done | sort -g -k1,1 | tail -n 1 | cut -d' ' -f2-)  (a JIT still warming up only lowers it)"
    if [[ -n $BASELINE_JAR ]]; then
        echo "baseline jar: $BASELINE_JAR"
        echo "coalesced / baseline coalesced     = $(ratio "${RPS[coalesced]}" "${RPS[coalesced-baseline]}")"
        echo "per-request / baseline per-request = $(ratio "${RPS[per-request]}" "${RPS[per-request-baseline]}")"
    fi
    if ((${#PGBOUNCER_ROWS[@]})); then
        echo "PgBouncer: $(pgbouncer --version | head -n 1), transaction pooling, 16 server connections"
        echo "via PgBouncer / direct, coalesced   = $(ratio "${RPS[coalesced-pgbouncer]}" "${RPS[coalesced]}")" \
            "(prepareThreshold=0 alone: $(ratio "${RPS[coalesced-unprepared]}" "${RPS[coalesced]}"))"
        echo "via PgBouncer / direct, per-request = $(ratio "${RPS[per-request-pgbouncer]}" "${RPS[per-request]}")" \
            "(prepareThreshold=0 alone: $(ratio "${RPS[per-request-unprepared]}" "${RPS[per-request]}"))"
    fi
    echo "resident memory under load: coalesced max VmRSS ${RSS_MAX[coalesced]} MB at $CONNECTIONS conn" \
        "(VmHWM ${HWM_COALESCED} MB)${RSS_MAX[coalesced-wide]:+, ${RSS_MAX[coalesced-wide]} MB at $WIDE_CONNECTIONS conn}," \
        "per-request max VmRSS ${RSS_MAX[per-request]} MB (VmHWM ${HWM_PER_REQUEST} MB)  (the chart's limit: 1024 MB)"
    echo "wrk rows: non-2xx = responses with status >= 400, sock err = connect/read/write/timeout errors; CPU time" \
        "per request in the first round, in microseconds: svc = the service, pg = PostgreSQL's processes, rest = the" \
        "rest of the machine (wrk and the kernel's network work), and idle = the share of both cores left idle or" \
        "waiting for I/O;" \
        "load tester rows: HTTP errors and I/O errors, ${LOADTEST_DURATION}s, every number checked"
    for name in "${LOADTESTS[@]}"; do
        echo "$name, coalesced, $CONNECTIONS clients: exit ${LT_EXIT[$name]}"
        echo "  ${LT_RESULT[$name]}"
    done
    if ((MANY_COUNTERS > 0)); then
        echo
        echo "many counters: one instance, counter.coalescing.concurrent-batches at its default, $CONNECTIONS clients," \
            "${LOADTEST_DURATION}s each, back to back after a ${WARMUP}s warm-up; peaks sampled every 0.2s"
        printf '%-34s %10s %9s %9s %9s %9s %8s %8s\n' target 'req/s' 'p50 ms' 'p99 ms' 'non-2xx' 'sock err' \
            threads 'db conns'
        for name in "${MANY_ROWS[@]}"; do
            case $name in
                counters-1) label='load tester, 1 counter' ;;
                counters-own) label="load tester, own counter per client" ;;
                *) label="load tester, $MANY_COUNTERS counters" ;;
            esac
            printf '%-34s %10s %9s %9s %9s %9s %8s %8s\n' "$label" "${RPS[$name]}" "${P50[$name]}" \
                "${P99[$name]}" "${NON2XX[$name]}" "${ERRORS[$name]}" "${PEAK_THREADS[$name]}" \
                "${PEAK_CONNECTIONS[$name]}"
        done
        echo "$MANY_COUNTERS counters / 1 counter   = $(ratio "${RPS[counters-$MANY_COUNTERS]}" "${RPS[counters-1]}")  (target >= 0.5)"
        echo "own counter each / 1 counter = $(ratio "${RPS[counters-own]}" "${RPS[counters-1]}")  (target >= 0.5)"
        echo "threads: the JVM's live threads (jvm_threads_live_threads); db conns: the pool's active connections" \
            "(hikaricp_connections_active), both at their sampled peak"
        for name in "${MANY_ROWS[@]}"; do
            echo "$name: exit ${LT_EXIT[$name]}"
            echo "  ${LT_RESULT[$name]}"
        done
    fi
    if ((AUDITED)); then
        echo
        echo "audited series: one instance, two counters created by the load tester with ${SERIES_SETTINGS[*]}," \
            "one of them --audit; $CONNECTIONS keyed clients, ${LOADTEST_DURATION}s each, back to back after a" \
            "warm-up of each (${WARMUP}s unaudited, then ${KEYED_WARMUP}s audited)"
        printf '%-34s %10s %9s %9s %9s %9s\n' target 'req/s' 'p50 ms' 'p99 ms' 'non-2xx' 'sock err'
        for name in "${SERIES_ROWS[@]}"; do
            label='load tester, keyed, unaudited'
            [[ $name == series-audited ]] && label='load tester, keyed, audited'
            printf '%-34s %10s %9s %9s %9s %9s\n' "$label" "${RPS[$name]}" "${P50[$name]}" "${P99[$name]}" \
                "${NON2XX[$name]}" "${ERRORS[$name]}"
        done
        echo "audited / unaudited keyed    = $(ratio "${RPS[series-audited]}" "${RPS[series-plain]}")  (target >= 0.5)"
        echo "ledger: $LEDGER_ISSUED numbers in issued rows, $HANDED_OUT handed out in the audited runs (target: equal);" \
            "ledger/check complete for $LEDGER_COMPLETE of $LEDGER_PERIODS period(s)"
        for name in "${SERIES_ROWS[@]}"; do
            echo "$name: exit ${LT_EXIT[$name]}"
            echo "  ${LT_RESULT[$name]}"
        done
    fi
    echo
    echo "command: $COMMAND (DURATION=$DURATION WARMUP=$WARMUP KEYED_WARMUP=$KEYED_WARMUP CONNECTIONS=$CONNECTIONS WIDE_CONNECTIONS=$WIDE_CONNECTIONS LOADTEST_DURATION=$LOADTEST_DURATION LOADTEST_INSTANCES=$LOADTEST_INSTANCES MANY_COUNTERS=$MANY_COUNTERS AUDITED=$AUDITED BASELINE_JAR=$BASELINE_JAR PGBOUNCER=${PGBOUNCER:-})"
} | tee "$RESULTS/benchmark-$STAMP.txt"
cp "$RESULTS/benchmark-$STAMP.txt" "$RESULTS/latest.txt"
log "written to bench/results/benchmark-$STAMP.txt; load-test reports bench/results/loadtest-*-$STAMP.html"
MANY_CHECKED=()
((MANY_COUNTERS > 0)) && MANY_CHECKED=(counters-warmup "${MANY_ROWS[@]}")
SERIES_CHECKED=()
((AUDITED)) && SERIES_CHECKED=(series-warmup-plain series-warmup-audited "${SERIES_ROWS[@]}")
for name in "${LOADTESTS[@]}" "${MANY_CHECKED[@]}" "${SERIES_CHECKED[@]}"; do
    ((LT_EXIT[$name] == 0)) || die "the load tester failed ($name): see bench/results/$name-$STAMP.txt"
done
if ((AUDITED)); then
    ((LEDGER_ISSUED == HANDED_OUT)) || die "the ledger's issued rows hold $LEDGER_ISSUED numbers, $HANDED_OUT were handed out"
    ((LEDGER_PERIODS > 0 && LEDGER_COMPLETE == LEDGER_PERIODS)) ||
        die "ledger/check complete for $LEDGER_COMPLETE of $LEDGER_PERIODS period(s): see bench/results/ledger-check-*"
fi
