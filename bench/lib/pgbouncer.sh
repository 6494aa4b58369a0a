# The optional PgBouncer block of bench/benchmark.sh (PGBOUNCER=1), sourced by it after bench/lib/common.sh:
# /next through PgBouncer in transaction pooling mode.
# PgBouncer 1.18 keeps no prepared statement across transactions, so the service is given prepareThreshold=0; the
# same setting is measured direct too, so that the two costs show apart. PgBouncer's pool has as many server
# connections as the service's own pool (16): the rows measure the extra hop, not a smaller pool.
PGBOUNCER_ROWS=()

# start_pgbouncer: PgBouncer on a free port in front of PostgreSQL; sets PGBOUNCER_PORT and PGBOUNCER_PIDFILE
start_pgbouncer() {
    command -v pgbouncer >/dev/null || die "PGBOUNCER=1 needs pgbouncer (apt-get install pgbouncer)"
    PGBOUNCER_PORT=$(free_port)
    PGBOUNCER_DIR=$WORK/pgbouncer
    PGBOUNCER_PIDFILE=$PGBOUNCER_DIR/pgbouncer.pid
    mkdir -m 700 "$PGBOUNCER_DIR"
    printf '"counter" "%s"\n' "$PG_PASSWORD" >"$PGBOUNCER_DIR/userlist.txt"
    cat >"$PGBOUNCER_DIR/pgbouncer.ini" <<INI
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
INI
    [[ $(id -u) == 0 ]] && chown -R postgres "$PGBOUNCER_DIR"
    log "starting $(pgbouncer --version | head -n 1) on 127.0.0.1:$PGBOUNCER_PORT, transaction pooling"
    as_postgres pgbouncer -d "$PGBOUNCER_DIR/pgbouncer.ini"
}

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

# measure_through_pgbouncer: the four rows, coalesced and per-request, each direct with prepareThreshold=0 and via
# PgBouncer; fills PGBOUNCER_ROWS
measure_through_pgbouncer() {
    start_pgbouncer
    local direct_unprepared="jdbc:postgresql://127.0.0.1:$PG_PORT/counter?prepareThreshold=0"
    local via_pgbouncer="jdbc:postgresql://127.0.0.1:$PGBOUNCER_PORT/counter?prepareThreshold=0"
    measure_pgbouncer coalesced-unprepared true "$direct_unprepared"
    measure_pgbouncer coalesced-pgbouncer true "$via_pgbouncer"
    measure_pgbouncer per-request-unprepared false "$direct_unprepared"
    measure_pgbouncer per-request-pgbouncer false "$via_pgbouncer"
}
