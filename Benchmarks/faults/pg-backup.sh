#!/usr/bin/env bash
# PostgreSQL backup and restore under write load (issue 11 item 7; docs/operations.md, PostgreSQL;
# docs/crash.md, "PostgreSQL backup"): a provider node on a throwaway cluster (fsync on) takes
# entries from load threads; `pg_dump --format=custom` runs while the writes go on; the dump is
# restored with pg_restore into a new database; `vigil audit verify --store-url` must pass on it,
# every entry acknowledged before pg_dump started must be in it (psql) and a node started on it
# must match every one of them.
#
#   Benchmarks/faults/pg-backup.sh [--threads 4] [--pg-port 55462] [--out Benchmarks/out/pg-backup]
#       [--vigil PATH]
#
# Needs PostgreSQL's server and client (scripts/install-deps.sh). Driver:
# Benchmarks/faults/pg_faults.py. Exit status 1 on any problem; results in --out.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CALLER_PWD="$PWD"; abspath() { case "$1" in /*|"") echo "$1" ;; *) echo "$CALLER_PWD/$1" ;; esac; }
threads=4; pg_port=55462; out="$ROOT/Benchmarks/out/pg-backup"; vigil_bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --pg-port) pg_port="$2"; shift 2 ;;
    --out) out="$(abspath "$2")"; shift 2 ;;
    --vigil) vigil_bin="$(abspath "$2")"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
cd "$ROOT"
source "$ROOT/Benchmarks/lib/common.sh"
if [ -z "$vigil_bin" ] && [ "${VIGIL_BENCH_SKIP_BUILD:-0}" != 1 ]; then swift build -c release --product vigil >&2; fi
VIGIL="${vigil_bin:-$ROOT/.build/release/vigil}"
[ -x "$VIGIL" ] || { echo "no vigil binary at $VIGIL" >&2; exit 1; }
rm -rf "$out"; mkdir -p "$out"; OUT="$(cd "$out" && pwd)"
PGDIR=$(mktemp -d); chmod 755 "$PGDIR"; PGDIR="$PGDIR/pg"  # the postgres user must reach it
cleanup() { bash "$ROOT/scripts/postgres-cluster.sh" stop "$PGDIR" || true; }
trap cleanup EXIT
URL=$(VIGIL_PG_FSYNC=on bash "$ROOT/scripts/postgres-cluster.sh" start "$PGDIR" "$pg_port")
p1=$(bench_free_port); p2=$(bench_free_port); while [ "$p2" = "$p1" ]; do p2=$(bench_free_port); done
echo "[pg-backup] $URL, ports $p1 $p2; vigil $VIGIL" >&2
status=0
python3 Benchmarks/faults/pg_faults.py backup --vigil "$VIGIL" --store-url "$URL" --pg-dir "$PGDIR" \
  --cluster-script "$ROOT/scripts/postgres-cluster.sh" --out "$OUT" --ports "$p1" "$p2" --threads "$threads" \
  | tee "$OUT/summary.md" || status=$?
exit "$status"
