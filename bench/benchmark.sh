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

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- tools ------------------------------------------------------------------------------------------------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
[[ -x "$(pg_bin)/initdb" && -x "$(pg_bin)/pgbench" ]] || missing+=(postgresql)
if ((${#missing[@]})); then
    [[ $(id -u) == 0 ]] || die "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PG_BIN=$(pg_bin)
[[ -x $JAVA_HOME/bin/java ]] || die "no JDK at JAVA_HOME=$JAVA_HOME"
# wrk and the service each hold a socket per connection
ulimit -n $((WIDE_CONNECTIONS + 4096)) 2>/dev/null || die "cannot raise the open file limit to $((WIDE_CONNECTIONS + 4096))"

# --- clean-up: every process this script starts, and its temporary directory ----------------------------------
WORK=$(mktemp -d /tmp/counter-bench.XXXXXX)
chmod 755 "$WORK"
declare -A APP_PORT APP_PID   # by instance number; APP_PID only while the instance runs
SAMPLER_PID=
PG_STARTED=
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    [[ -n $SAMPLER_PID ]] && kill "$SAMPLER_PID" 2>/dev/null
    [[ -f ${PGBOUNCER_PIDFILE:-} ]] && kill -KILL "$(cat "$PGBOUNCER_PIDFILE")" 2>/dev/null
    for pid in "${APP_PID[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    if [[ -n $PG_STARTED ]]; then
        as_postgres "$PG_BIN/pg_ctl" -D "$PG/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# PostgreSQL refuses to run as root: run it as the unprivileged postgres user then
as_postgres() {
    if [[ $(id -u) == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

USED_PORTS=()
# Below the kernel's ephemeral range (32768 and up by default), where wrk's and the load tester's own connections
# take their local ports, and used by no socket in any state
free_port() {
    local port
    for _ in $(seq 200); do
        port=$((20000 + RANDOM % 12000))
        [[ " ${USED_PORTS[*]} " == *" $port "* ]] && continue
        if [[ -z $(ss -Htan "sport = :$port") ]]; then
            USED_PORTS+=("$port")
            echo "$port"
            return
        fi
    done
    die "no free port found"
}

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

# --- PostgreSQL -----------------------------------------------------------------------------------------------
PG_PORT=$(free_port)
PG_PASSWORD=bench-$RANDOM$RANDOM
# Data directory, socket and server log all live in one directory that the postgres user owns
PG=$WORK/pg
mkdir -m 700 "$PG" "$PG/socket"
if [[ $(id -u) == 0 ]]; then
    chown -R postgres "$PG"
fi
log "starting PostgreSQL ($("$PG_BIN/postgres" --version)) on 127.0.0.1:$PG_PORT"
as_postgres "$PG_BIN/initdb" -D "$PG/data" -U postgres -E UTF8 --auth-local=trust --auth-host=scram-sha-256 \
    >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
# Default durability settings (fsync, synchronous_commit on): the numbers must survive a crash
as_postgres "$PG_BIN/pg_ctl" -D "$PG/data" -l "$PG/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$PG/socket -c max_connections=200" \
    start >/dev/null || { cat "$PG/postgres.log" >&2; die "PostgreSQL did not start"; }
PG_STARTED=1
psql_admin() { as_postgres "$PG_BIN/psql" -X -q -h "$PG/socket" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }
psql_admin -d postgres -c "CREATE ROLE counter LOGIN PASSWORD '$PG_PASSWORD'" -c "CREATE DATABASE counter OWNER counter"

# --- the service ----------------------------------------------------------------------------------------------
# start_app INSTANCE COALESCING [JAR]: starts one instance on a free port, management (the actuator) on the same port so
# that liveness and /next pass the same filters; sets APP_PORT and APP_PID[INSTANCE]; APP_DATASOURCE_URL, if set,
# replaces the direct JDBC URL
start_app() {
    local instance=$1 coalescing=$2 jar=${3:-$JAR}
    local log=$WORK/app-$instance-coalescing-$coalescing$([[ $jar == "$JAR" ]] || echo -baseline).log
    APP_PORT[$instance]=$(free_port)
    SERVER_PORT=${APP_PORT[$instance]} MANAGEMENT_SERVER_PORT=${APP_PORT[$instance]} \
        SPRING_DATASOURCE_URL="${APP_DATASOURCE_URL:-jdbc:postgresql://127.0.0.1:$PG_PORT/counter}" \
        SPRING_DATASOURCE_USERNAME=counter SPRING_DATASOURCE_PASSWORD="$PG_PASSWORD" \
        COUNTER_COALESCING_ENABLED=$coalescing \
        "$JAVA_HOME/bin/java" $JVM_OPTS -jar "$jar" >"$log" 2>&1 &
    APP_PID[$instance]=$!
    log "service $instance (coalescing=$coalescing, $(basename "$jar")) starting on :${APP_PORT[$instance]}, management on the same port"
    local deadline=$((SECONDS + 120))
    until curl -fsS -o /dev/null "http://127.0.0.1:${APP_PORT[$instance]}/actuator/health/readiness" 2>/dev/null; do
        if ! kill -0 "${APP_PID[$instance]}" 2>/dev/null || ((SECONDS > deadline)); then
            tail -n 40 "$log" >&2
            die "service $instance did not become ready"
        fi
        sleep 0.5
    done
}
stop_app() {
    local instance=$1 pid=${APP_PID[$1]}
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "APP_PID[$instance]"
    cp "$WORK"/app-"$instance"-*.log "$RESULTS/" 2>/dev/null || true
}

# Largest VmRSS seen while the load runs, in kB, written to the file $2 (the sampler is killed after the run)
sample_rss() {
    local pid=$1 out=$2 max=0 rss
    while kill -0 "$pid" 2>/dev/null; do
        rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        ((rss > max)) && max=$rss && echo "$max" >"$out"
        sleep 0.5
    done
}
status_kb() { awk -v key="$2:" '$1 == key {print $2}' "/proc/$1/status"; }

# --- measurements ---------------------------------------------------------------------------------------------
declare -A RPS P50 P99 NON2XX ERRORS REPEAT TARGET_URL TARGET_CONNECTIONS TARGET_HEADER RSS_MAX
# value LINE KEY: the number after " KEY=" in a machine-readable line
value() { sed -nE "s/.* $2=([0-9.]+).*/\1/p" <<<"$1"; }
# target NAME URL [CONNECTIONS [HEADER]]: a wrk target; with HEADER, every request carries a fresh value of that header
# (bench/wrk-fresh-header.lua)
target() { TARGET_URL[$1]=$2 TARGET_CONNECTIONS[$1]=${3:-$CONNECTIONS} TARGET_HEADER[$1]=${4:-}; }
# wrk_round NAME ROUND SECONDS: one run of wrk on target NAME into $WORK/wrk-NAME-ROUND.txt (round 0: a warm-up)
wrk_round() {
    local name=$1 round=$2 seconds=$3 header=${TARGET_HEADER[$1]} script=$ROOT/bench/wrk-summary.lua
    [[ -n $header ]] && script=$ROOT/bench/wrk-fresh-header.lua
    FRESH_HEADER=$header BENCH_DIR=$ROOT/bench timeout $((seconds + 30)) wrk -t"$WRK_THREADS" \
        -c"${TARGET_CONNECTIONS[$name]}" -d"${seconds}s" --latency -s "$script" "${TARGET_URL[$name]}" \
        >"$WORK/wrk-$name-$round.txt"
    ((round == 0)) || cp "$WORK/wrk-$name-$round.txt" "$RESULTS/wrk-$name-$round-$STAMP.txt"
}
# measure WARMUP NAME...: warms each target up in turn, then runs two rounds of DURATION of all of them, alternating, so
# that targets compared are measured seconds apart. The first round fills RPS, P50, P99 (ms), NON2XX and ERRORS; the
# second, the repeat, fills REPEAT (req/s)
measure() {
    local warmup=$1 name round line
    shift
    for name in "$@"; do
        log "wrk $name: ${TARGET_URL[$name]}, ${TARGET_CONNECTIONS[$name]} connections${TARGET_HEADER[$name]:+, a fresh ${TARGET_HEADER[$name]} per request}, ${warmup}s warm-up"
        wrk_round "$name" 0 "$warmup"
    done
    for round in 1 2; do
        for name in "$@"; do
            log "wrk $name: round $round, ${DURATION}s"
            wrk_round "$name" "$round" "$DURATION"
        done
    done
    field() { value "$line" "$1"; }
    for name in "$@"; do
        line=$(grep '^WRK ' "$WORK/wrk-$name-1.txt")
        RPS[$name]=$(awk -v n="$(field requests)" -v us="$(field duration_us)" 'BEGIN {printf "%.0f", n / (us / 1e6)}')
        P50[$name]=$(awk -v us="$(field p50_us)" 'BEGIN {printf "%.2f", us / 1000}')
        P99[$name]=$(awk -v us="$(field p99_us)" 'BEGIN {printf "%.2f", us / 1000}')
        NON2XX[$name]=$(field non2xx)
        ERRORS[$name]=$(($(field connect) + $(field read) + $(field write) + $(field timeout)))
        line=$(grep '^WRK ' "$WORK/wrk-$name-2.txt")
        REPEAT[$name]=$(awk -v n="$(field requests)" -v us="$(field duration_us)" 'BEGIN {printf "%.0f", n / (us / 1e6)}')
    done
}

# with_rss KEY INSTANCE COMMAND...: runs COMMAND while sampling the instance's resident memory; sets RSS_MAX[KEY]
with_rss() {
    local key=$1 pid=${APP_PID[$2]}
    shift 2
    rm -f "$WORK/rss-$key"
    sample_rss "$pid" "$WORK/rss-$key" &
    SAMPLER_PID=$!
    "$@"
    kill "$SAMPLER_PID" 2>/dev/null || true
    wait "$SAMPLER_PID" 2>/dev/null || true
    SAMPLER_PID=
    RSS_MAX[$key]=$(($(cat "$WORK/rss-$key" 2>/dev/null || echo 0) / 1024))
}

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
declare -A LT_EXIT LT_RESULT
# run_loadtest NAME SECONDS ARG...: URLs and options (--url given as bare URLs); fills RPS, P50, P99, NON2XX (HTTP
# errors), ERRORS (I/O errors), LT_EXIT, LT_RESULT
run_loadtest() {
    local name=$1 seconds=$2 line arg
    shift 2
    local args=()
    for arg in "$@"; do
        [[ $arg == http://* ]] && args+=(--url)
        args+=("$arg")
    done
    log "load tester $name: $CONNECTIONS clients for ${seconds}s, ${args[*]}, checking every number"
    set +e
    timeout $((seconds + 120)) "$JAVA_HOME/bin/java" -cp "$WORK/loadtest" LoadTest "${args[@]}" \
        --clients "$CONNECTIONS" --duration "$seconds" --report "$RESULTS/$name-$STAMP.html" \
        >"$RESULTS/$name-$STAMP.txt" 2>&1
    LT_EXIT[$name]=$?
    set -e
    line=$(grep '^RESULT ' "$RESULTS/$name-$STAMP.txt" || true)
    LT_RESULT[$name]=${line:-"RESULT none (exit ${LT_EXIT[$name]})"}
    RPS[$name]=$(value "$line" rps)
    P50[$name]=$(awk -v ms="$(value "$line" p50_ms)" 'BEGIN {printf "%.2f", ms}')
    P99[$name]=$(awk -v ms="$(value "$line" p99_ms)" 'BEGIN {printf "%.2f", ms}')
    NON2XX[$name]=$(value "$line" http_errors)
    ERRORS[$name]=$(value "$line" io_errors)
}
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

# --- optional (PGBOUNCER=1): through PgBouncer in transaction pooling mode ------------------------------------------
# PgBouncer 1.18 keeps no prepared statement across transactions, so the service is given prepareThreshold=0; the
# same setting is measured direct too, so that the two costs show apart. PgBouncer's pool has as many server
# connections as the service's own pool (16): the rows measure the extra hop, not a smaller pool.
PGBOUNCER_ROWS=()
if [[ -n ${PGBOUNCER:-} ]]; then
    command -v pgbouncer >/dev/null || die "PGBOUNCER=1 needs pgbouncer (apt-get install pgbouncer)"
    PGBOUNCER_PORT=$(free_port)
    PGBOUNCER_DIR=$WORK/pgbouncer
    PGBOUNCER_PIDFILE=$PGBOUNCER_DIR/pgbouncer.pid
    mkdir -m 700 "$PGBOUNCER_DIR"
    printf '"counter" "%s"\n' "$PG_PASSWORD" >"$PGBOUNCER_DIR/userlist.txt"
    cat >"$PGBOUNCER_DIR/pgbouncer.ini" <<EOF
[databases]
counter = host=127.0.0.1 port=$PG_PORT dbname=counter
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $PGBOUNCER_DIR/userlist.txt
pool_mode = transaction
default_pool_size = 16
max_client_conn = 500
logfile = $PGBOUNCER_DIR/pgbouncer.log
pidfile = $PGBOUNCER_PIDFILE
EOF
    [[ $(id -u) == 0 ]] && chown -R postgres "$PGBOUNCER_DIR"
    log "starting $(pgbouncer --version | head -n 1) on 127.0.0.1:$PGBOUNCER_PORT, transaction pooling"
    as_postgres pgbouncer -d "$PGBOUNCER_DIR/pgbouncer.ini"
    # measure_pgbouncer NAME COALESCING URL: /next of the jar under test reaching PostgreSQL at URL, as row NAME; the
    # coalesced instance through PgBouncer is then checked by the load tester
    measure_pgbouncer() {
        APP_DATASOURCE_URL=$3 start_app 1 "$2"
        target "$1" "http://127.0.0.1:${APP_PORT[1]}/next"
        measure "$WARMUP" "$1"
        PGBOUNCER_ROWS+=("$1")
        if [[ $1 == coalesced-pgbouncer ]]; then
            LOADTESTS+=(loadtest-pgbouncer)
            run_loadtest loadtest-pgbouncer "$LOADTEST_DURATION" "http://127.0.0.1:${APP_PORT[1]}"
        fi
        stop_app 1
    }
    DIRECT_UNPREPARED="jdbc:postgresql://127.0.0.1:$PG_PORT/counter?prepareThreshold=0"
    VIA_PGBOUNCER="jdbc:postgresql://127.0.0.1:$PGBOUNCER_PORT/counter?prepareThreshold=0"
    measure_pgbouncer coalesced-unprepared true "$DIRECT_UNPREPARED"
    measure_pgbouncer coalesced-pgbouncer true "$VIA_PGBOUNCER"
    measure_pgbouncer per-request-unprepared false "$DIRECT_UNPREPARED"
    measure_pgbouncer per-request-pgbouncer false "$VIA_PGBOUNCER"
fi

# --- many counters ----------------------------------------------------------------------------------------------
# One instance with counters created through the API (COUNTER_ADMIN_ENABLED: loopback only). After a warm-up, the load
# tester runs back to back: every client on the counter default; the clients spread over MANY_COUNTERS counters; and
# each client on a counter of its own (as many counters as clients, so no two requests ever share one). Meanwhile the
# service's /actuator/prometheus is sampled for the JVM's live threads and the pool's active connections, and their
# peaks kept.
MANY_ROWS=(counters-1 "counters-$MANY_COUNTERS" counters-own)
declare -A PEAK_THREADS PEAK_CONNECTIONS
# sample_peaks NAME: until killed, keeps the highest jvm_threads_live_threads and hikaricp_connections_active in files
sample_peaks() {
    local name=$1 metrics threads connections max_threads=0 max_connections=0
    while true; do
        metrics=$(curl -fsS "http://127.0.0.1:${APP_PORT[counters]}/actuator/prometheus" 2>/dev/null || true)
        threads=$(awk '/^jvm_threads_live_threads / {printf "%d", $2}' <<<"$metrics")
        connections=$(awk '/^hikaricp_connections_active\{/ {printf "%d", $2}' <<<"$metrics")
        ((${threads:-0} > max_threads)) && max_threads=$threads && echo "$max_threads" >"$WORK/peak-threads-$name"
        ((${connections:-0} > max_connections)) && max_connections=$connections &&
            echo "$max_connections" >"$WORK/peak-connections-$name"
        sleep 0.2
    done
}
# run_many NAME ARG...: run_loadtest against the counters instance while sampling its peaks
run_many() {
    local name=$1
    shift
    sample_peaks "$name" &
    SAMPLER_PID=$!
    run_loadtest "$name" "$LOADTEST_DURATION" "http://127.0.0.1:${APP_PORT[counters]}" "$@"
    kill "$SAMPLER_PID" 2>/dev/null || true
    wait "$SAMPLER_PID" 2>/dev/null || true
    SAMPLER_PID=
    PEAK_THREADS[$name]=$(cat "$WORK/peak-threads-$name" 2>/dev/null || echo 0)
    PEAK_CONNECTIONS[$name]=$(cat "$WORK/peak-connections-$name" 2>/dev/null || echo 0)
}
if ((MANY_COUNTERS > 0)); then
    COUNTER_ADMIN_ENABLED=true start_app counters true
    run_loadtest counters-warmup "$WARMUP" "http://127.0.0.1:${APP_PORT[counters]}" --counter spread \
        --counters "$MANY_COUNTERS"
    run_many counters-1 --counter default
    run_many "counters-$MANY_COUNTERS" --counter spread --counters "$MANY_COUNTERS"
    run_many counters-own --counter own --counters "$CONNECTIONS"
    stop_app counters
fi

# --- audited series ---------------------------------------------------------------------------------------------
# One instance (COUNTER_ADMIN_ENABLED: loopback only) and two counters the load tester creates with the same yearly
# period and format, one of them audited (no standby here, so it serves). After a keyed warm-up of each (WARMUP, then
# KEYED_WARMUP), the keyed load tester runs on the unaudited one, then on the audited one, back to back. The ledger
# must then hold every number handed out, no more: the numbers of its issued rows (psql) against those the load
# tester counted in both audited runs, and GET /counters/audited-0/ledger/check complete for every period.
SERIES_ROWS=(series-plain series-audited)
SERIES_SETTINGS=(--period yearly --format 'INV-{period}-{value:06}' --idempotency-keys --counters 1)
if ((AUDITED)); then
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
fi

# --- the table ------------------------------------------------------------------------------------------------
LOAD_AT_END=$(cut -d' ' -f1-3 /proc/loadavg)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }
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
    printf '%-44s %10s %8s %9s %9s %9s %9s\n' target 'req/s' 'repeat' 'p50 ms' 'p99 ms' 'non-2xx' 'sock err'
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
        [[ -n ${REPEAT[$name]:-} ]] && moved=$(awk -v a="${REPEAT[$name]}" -v b="${RPS[$name]}" \
            'BEGIN {printf "%+.1f%%", (a - b) * 100 / b}')
        printf '%-44s %10s %8s %9s %9s %9s %9s\n' "$label" "${RPS[$name]}" "$moved" "${P50[$name]}" "${P99[$name]}" \
            "${NON2XX[$name]}" "${ERRORS[$name]}"
    done
    echo
    printf '%-28s = %s  (target >= 0.95)\n' "coalesced / liveness, $CONNECTIONS conn" "$(ratio "${RPS[coalesced]}" "${RPS[liveness]}")"
    if ((WIDE_CONNECTIONS > 0)); then
        printf '%-28s = %s  (target >= 0.9)\n' "coalesced / liveness, $WIDE_CONNECTIONS conn" \
            "$(ratio "${RPS[coalesced-wide]}" "${RPS[liveness-wide]}")"
    fi
    echo "keyed / unkeyed              = $(ratio "${RPS[keyed-fresh]}" "${RPS[unkeyed-fresh]}")  (target >= 0.8; the fresh-header rows, first round after ${KEYED_WARMUP}s of keyed load)"
    echo "coalesced / pgbench          = $(ratio "${RPS[coalesced]}" "${RPS[pgbench]}")  (target >= 3)"
    echo "coalesced / per-request      = $(ratio "${RPS[coalesced]}" "${RPS[per-request]}")  (target >= 5)"
    echo "largest move of a repeat     = $(for name in "${!REPEAT[@]}"; do
        awk -v a="${REPEAT[$name]}" -v b="${RPS[$name]}" 'BEGIN {d = (a - b) * 100 / b; print (d < 0 ? -d : d)}'
    done | sort -g | tail -n 1 | awk '{printf "%.1f%%", $1}')  (target < 5%: the warm-up was long enough)"
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
    echo "wrk rows: non-2xx = responses with status >= 400, sock err = connect/read/write/timeout errors;" \
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
