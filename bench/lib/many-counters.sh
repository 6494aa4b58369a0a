# The many-counters block of bench/benchmark.sh (MANY_COUNTERS > 0), sourced by it after bench/lib/common.sh.
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
# measure_many_counters: the block's rows, MANY_ROWS, after a warm-up run (counters-warmup)
measure_many_counters() {
    COUNTER_ADMIN_ENABLED=true start_app counters true
    run_loadtest counters-warmup "$WARMUP" "http://127.0.0.1:${APP_PORT[counters]}" --counter spread \
        --counters "$MANY_COUNTERS"
    run_many counters-1 --counter default
    run_many "counters-$MANY_COUNTERS" --counter spread --counters "$MANY_COUNTERS"
    run_many counters-own --counter own --counters "$CONNECTIONS"
    stop_app counters
}
