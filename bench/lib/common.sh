# Shared by bench/benchmark.sh, which sources it after setting ROOT, RESULTS, STAMP and its settings: logging, tools,
# the clean-up trap, PostgreSQL, starting and stopping the service, wrk rounds, the load tester, memory sampling.
# Functions only, and the state they share; nothing runs when it is sourced.

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- tools ------------------------------------------------------------------------------------------------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
# install_tools: installs wrk, curl and PostgreSQL with apt-get where missing (as root; otherwise fails)
install_tools() {
    local missing=()
    command -v wrk >/dev/null || missing+=(wrk)
    command -v curl >/dev/null || missing+=(curl)
    [[ -x "$(pg_bin)/initdb" && -x "$(pg_bin)/pgbench" ]] || missing+=(postgresql)
    if ((${#missing[@]})); then
        [[ $(id -u) == 0 ]] || die "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"
        log "installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# --- clean-up: every process this script starts, and its temporary directory ----------------------------------
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
# make_work_dir: creates the temporary directory WORK and sets the trap that cleans up on any exit
make_work_dir() {
    WORK=$(mktemp -d /tmp/counter-bench.XXXXXX)
    chmod 755 "$WORK"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

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

# --- PostgreSQL -----------------------------------------------------------------------------------------------
# start_postgres: a throwaway cluster in WORK on a free port, with the role and database counter; sets PG, PG_PORT,
# PG_PASSWORD and PG_STARTED
start_postgres() {
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
    psql_admin -d postgres -c "CREATE ROLE counter LOGIN PASSWORD '$PG_PASSWORD'" -c "CREATE DATABASE counter OWNER counter"
}
psql_admin() { as_postgres "$PG_BIN/psql" -X -q -h "$PG/socket" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }

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
declare -A RPS P50 P99 NON2XX ERRORS REPEAT TARGET_URL TARGET_CONNECTIONS TARGET_HEADER RSS_MAX CPU REPEAT_CPU
# value LINE KEY: the number after " KEY=" in a machine-readable line
value() { sed -nE "s/.* $2=([0-9.]+).*/\1/p" <<<"$1"; }
# target NAME URL [CONNECTIONS [HEADER]]: a wrk target; with HEADER, every request carries a fresh value of that header
# (bench/wrk-fresh-header.lua)
target() { TARGET_URL[$1]=$2 TARGET_CONNECTIONS[$1]=${3:-$CONNECTIONS} TARGET_HEADER[$1]=${4:-}; }
# cpu_ticks: CPU time so far, in clock ticks, of the running service instances, of PostgreSQL's processes, of the
# whole machine busy (user, system, interrupts), and of the whole machine in all (idle and I/O wait included)
cpu_ticks() {
    local service=0 postgres=0 pid
    for pid in "${APP_PID[@]}"; do
        service=$((service + $(process_ticks "$pid")))
    done
    for pid in $(pgrep -u postgres); do
        postgres=$((postgres + $(process_ticks "$pid")))
    done
    echo "$service $postgres $(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)"
}
process_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# cpu_per_request FILE REQUESTS: from the two cpu_ticks lines of FILE, the CPU time per request in microseconds of the
# service, of PostgreSQL and of the rest of the machine (wrk and the kernel's network work, mostly), and the share of
# the machine's CPU time left idle, in percent
cpu_per_request() {
    awk -v before="$(head -n 1 "$1")" -v after="$(tail -n 1 "$1")" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {
        split(before, b); split(after, a); for (i = 1; i <= 4; i++) d[i] = a[i] - b[i]
        us = 1e6 / hz / n
        printf "%.0f %.0f %.0f %.0f\n", d[1] * us, d[2] * us, (d[3] - d[1] - d[2]) * us, (d[4] - d[3]) * 100 / d[4]
    }'
}
# wrk_round NAME ROUND SECONDS: one run of wrk on target NAME into $WORK/wrk-NAME-ROUND.txt (round 0: a warm-up), with
# the machine's CPU time before and after it in $WORK/cpu-NAME-ROUND.txt
wrk_round() {
    local name=$1 round=$2 seconds=$3 header=${TARGET_HEADER[$1]} script=$ROOT/bench/wrk-summary.lua
    [[ -n $header ]] && script=$ROOT/bench/wrk-fresh-header.lua
    cpu_ticks >"$WORK/cpu-$name-$round.txt"
    FRESH_HEADER=$header BENCH_DIR=$ROOT/bench timeout $((seconds + 30)) wrk -t"$WRK_THREADS" \
        -c"${TARGET_CONNECTIONS[$name]}" -d"${seconds}s" --latency -s "$script" "${TARGET_URL[$name]}" \
        >"$WORK/wrk-$name-$round.txt"
    cpu_ticks >>"$WORK/cpu-$name-$round.txt"
    ((round == 0)) || cp "$WORK/wrk-$name-$round.txt" "$RESULTS/wrk-$name-$round-$STAMP.txt"
}
# measure WARMUP NAME...: warms each target up in turn, then runs two rounds of DURATION of all of them, alternating, so
# that targets compared are measured seconds apart. The first round fills RPS, P50, P99 (ms), NON2XX, ERRORS and CPU
# (cpu_per_request); the second, the repeat, fills REPEAT (req/s) and REPEAT_CPU
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
        CPU[$name]=$(cpu_per_request "$WORK/cpu-$name-1.txt" "$(field requests)")
        line=$(grep '^WRK ' "$WORK/wrk-$name-2.txt")
        REPEAT[$name]=$(awk -v n="$(field requests)" -v us="$(field duration_us)" 'BEGIN {printf "%.0f", n / (us / 1e6)}')
        REPEAT_CPU[$name]=$(cpu_per_request "$WORK/cpu-$name-2.txt" "$(field requests)")
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

# --- the load tester ------------------------------------------------------------------------------------------
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
