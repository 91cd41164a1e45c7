#!/usr/bin/env bash
# PostgreSQL restarted under load (issue 11 item 3; docs/crash.md, "PostgreSQL restart"): provider
# nodes on one throwaway cluster (fsync on) take entries and matches from load threads while
# PostgreSQL is restarted (pg_ctl restart -m fast) and then stopped for --down-seconds and started.
# Checks: every answer is a 2xx or a 503 store_unavailable with Retry-After (never a 500, never
# slower than 5 s), /ready is polled on every node, the nodes answer again by themselves (vigil is
# not restarted), and every acknowledged entry is in PostgreSQL (psql) and matched on every node.
#
#   Benchmarks/faults/pg-restart.sh [--nodes 2] [--down-seconds 5] [--threads 4] [--pg-port 55461]
#       [--out Benchmarks/out/pg-restart] [--vigil PATH]
#
# Needs PostgreSQL's server (scripts/install-deps.sh). Driver: Benchmarks/faults/pg_faults.py.
# Exit status 1 on any problem; results in --out: summary.md, results.json, serve-*.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CALLER_PWD="$PWD"; abspath() { case "$1" in /*|"") echo "$1" ;; *) echo "$CALLER_PWD/$1" ;; esac; }
nodes=2; down=5; threads=4; pg_port=55461; out="$ROOT/Benchmarks/out/pg-restart"; vigil_bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes="$2"; shift 2 ;;
    --down-seconds) down="$2"; shift 2 ;;
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
ports=(); for _ in $(seq "$nodes"); do p=$(bench_free_port); while [[ " ${ports[*]} " == *" $p "* ]]; do p=$(bench_free_port); done; ports+=("$p"); done
echo "[pg-restart] $URL, $nodes nodes on ports ${ports[*]}; vigil $VIGIL" >&2
status=0
python3 Benchmarks/faults/pg_faults.py restart --vigil "$VIGIL" --store-url "$URL" --pg-dir "$PGDIR" \
  --cluster-script "$ROOT/scripts/postgres-cluster.sh" --out "$OUT" --ports "${ports[@]}" --threads "$threads" \
  --down-seconds "$down" | tee "$OUT/summary.md" || status=$?
exit "$status"
