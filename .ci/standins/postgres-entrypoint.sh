#!/usr/bin/env bash
# Entry point of the postgres:<major> stand-in (see .ci/containers): the official image's documented contract,
# nothing more. POSTGRES_PASSWORD, POSTGRES_USER (default postgres) and POSTGRES_DB (default: the user) are read
# only when PGDATA holds no database yet: initdb creates it, password authentication for TCP clients is added,
# and the database is created through a server listening on the socket only. The server then runs in the
# foreground as uid 999, listening on every address.
set -Eeuo pipefail

if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
fi
if [ "$1" != 'postgres' ]; then
    exec "$@"
fi
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA"
    chown -R postgres:postgres "$PGDATA" /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

mkdir -p "$PGDATA"
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo 'Error: Database is uninitialized and superuser password is not specified (POSTGRES_PASSWORD).' >&2
        exit 1
    fi
    user="${POSTGRES_USER:-postgres}"
    database="${POSTGRES_DB:-$user}"
    initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD")
    printf '\nhost all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
    printf "listen_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
    pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses=''" --wait start
    if [ "$database" != postgres ]; then
        psql --username="$user" --dbname=postgres --no-psqlrc --set=ON_ERROR_STOP=1 --set=db="$database" \
            <<< 'CREATE DATABASE :"db";'
    fi
    pg_ctl --pgdata="$PGDATA" --mode=fast --wait stop
    echo 'PostgreSQL init process complete; ready for start up.'
else
    echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
fi
exec "$@"
