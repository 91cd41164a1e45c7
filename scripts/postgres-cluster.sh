#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks: its own data folder and port, trust
# authentication on 127.0.0.1 only, a superuser `vigil` and a database `vigil`. Nothing outside
# DIR is touched; `stop` ends it and removes DIR.
#
#   scripts/postgres-cluster.sh start DIR [PORT]   # prints the store URL (postgres://vigil@127.0.0.1:PORT/vigil)
#   scripts/postgres-cluster.sh stop DIR
#   scripts/postgres-cluster.sh restart DIR        # a fast stop and a start on the same data (fault tests)
#
# Debian's postgresql package provides the server (scripts/install-deps.sh installs it). PostgreSQL
# refuses to run as root, so as root the server runs as the `postgres` user the package creates.
# Set VIGIL_PG_FSYNC=off for a faster cluster whose durability does not matter (unit tests); keep
# the default (on) for crash and fault tests.
set -euo pipefail
command="${1:-}"; dir="${2:-}"
[ -n "$command" ] && [ -n "$dir" ] || { sed -n '2,13p' "$0" >&2; exit 2; }

bindir=""
for candidate in /usr/lib/postgresql/*/bin; do [ -x "$candidate/postgres" ] && bindir="$candidate"; done
[ -n "$bindir" ] || { echo "postgres-cluster: no PostgreSQL server found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$command" in
start)
    port="${3:-55432}"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir"
        runuser -u postgres -- test -x "$dir" || { echo "postgres-cluster: the postgres user cannot reach $dir (make its parent folders searchable, or use a folder under /tmp)" >&2; exit 1; }
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bindir/initdb" -D "$dir/data" -U vigil --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
        cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = ${VIGIL_PG_FSYNC:-on}
CONF
    fi
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
        || { tail -20 "$dir/server.log" >&2; exit 1; }
    port="$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$dir/data/postgresql.conf" | tail -1)"
    if ! as_owner "$bindir/psql" -h 127.0.0.1 -p "$port" -U vigil -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'vigil'" | grep -q 1; then
        as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U vigil vigil
    fi
    echo "postgres://vigil@127.0.0.1:$port/vigil"
    ;;
stop)
    [ -d "$dir/data" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
restart)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null
    ;;
*)
    echo "postgres-cluster: unknown command $command (start, stop, restart)" >&2; exit 2
    ;;
esac
