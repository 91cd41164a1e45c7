#!/usr/bin/env bash
# Feed lag between two provider nodes on one PostgreSQL database: a writer adds entries through
# node A at --rate writes/s (open loop, one entry per request, seeded random PDQ values) for
# --seconds; every --sample-th acknowledged write is followed on node B (POST /v1/match/hash every
# --poll-ms until B matches it at distance 0). Prints the lag's p50/p99/max, how many writes were
# acknowledged and seen, and checks that B's index counts every acknowledged write
# (Benchmarks/server/feed_lag.py is the client).
#   Benchmarks/server/feed-lag.sh [--rate 500] [--seconds 30] [--sample 10] [--poll-ms 20]
#       [--pg-port 55441] [--store-url URL] [--out DIR] [--vigil PATH]
# PostgreSQL: a throwaway cluster (scripts/postgres-cluster.sh, fsync on) on --pg-port, stopped at
# the end; or --store-url postgres://user@host:port/db of a running server (a new database
# bench_feedlag is created next to db, and dropped at the end).
# --out: results (default Benchmarks/out/feed-lag): lag.json, the nodes' logs, summary.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CALLER_PWD="$PWD"; abspath() { case "$1" in /*|"") echo "$1" ;; *) echo "$CALLER_PWD/$1" ;; esac; }
cd "$ROOT"
rate=500; seconds=30; sample=10; poll_ms=20; pg_port=55441; store_url=""
out="$ROOT/Benchmarks/out/feed-lag"; vigil_bin="$(abspath "${VIGIL_BIN:-}")"
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --sample) sample="$2"; shift 2 ;;
    --poll-ms) poll_ms="$2"; shift 2 ;;
    --pg-port) pg_port="$2"; shift 2 ;;
    --store-url) store_url="$2"; shift 2 ;;
    --out) out="$(abspath "$2")"; shift 2 ;;
    --vigil) vigil_bin="$(abspath "$2")"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
source "$ROOT/Benchmarks/lib/common.sh"
bench_apt curl python3 python3-venv python3-pip
bash scripts/setup-python.sh
VIGIL="${vigil_bin:-$ROOT/.build/release/vigil}"
if [ -z "$vigil_bin" ] && [ "${VIGIL_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  bash scripts/install-deps.sh >&2
  swift build -c release --product vigil >&2
fi
[ -x "$VIGIL" ] || { echo "no vigil binary at $VIGIL" >&2; exit 1; }
rm -rf "$out"; mkdir -p "$out"; out="$(cd "$out" && pwd)"
WORK=$(mktemp -d); chmod 755 "$WORK"; PGDIR=""; A=""; B=""; drop_url=""
cleanup() {
  for p in $A $B; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -n "$drop_url" ]; then psql -q "$drop_url" -c "DROP DATABASE IF EXISTS bench_feedlag" >/dev/null 2>&1 || true; fi
  if [ -n "$PGDIR" ]; then bash scripts/postgres-cluster.sh stop "$PGDIR" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
if [ -z "$store_url" ]; then
  PGDIR="$WORK/pg"
  admin_url=$(bash scripts/postgres-cluster.sh start "$PGDIR" "$pg_port" | tail -1)
else
  admin_url="$store_url"; drop_url="$store_url"
fi
psql -q "$admin_url" -c "DROP DATABASE IF EXISTS bench_feedlag" -c "CREATE DATABASE bench_feedlag" >/dev/null
url="${admin_url%/*}/bench_feedlag"
load_start=$(bench_loadavg)
KEY=$("$VIGIL" keys create --data-directory "$WORK/a" --store-url "$url" --organisation bench --scopes curate,match 2>/dev/null)
port_a=$(bench_free_port); port_b=$(bench_free_port)
while [ "$port_b" = "$port_a" ]; do port_b=$(bench_free_port); done
"$VIGIL" serve --role provider --store-url "$url" --data-directory "$WORK/a" --port "$port_a" > "$out/node-a.log" 2>&1 & A=$!
"$VIGIL" serve --role provider --store-url "$url" --data-directory "$WORK/b" --port "$port_b" > "$out/node-b.log" 2>&1 & B=$!
for port in "$port_a" "$port_b"; do
  for _ in $(seq 1 150); do curl -s "localhost:$port/ready" | grep -q ready && break; sleep 0.2; done
done
kill -0 "$A" 2>/dev/null && kill -0 "$B" 2>/dev/null || { echo "a node exited:" >&2; cat "$out"/node-*.log >&2; exit 1; }
curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{"name":"bench","kind":"internal"}' \
  "localhost:$port_a/v1/lists" >/dev/null || { echo "creating the list failed" >&2; exit 1; }
sleep 1   # the list reaches node B's feed
rc=0
"$ROOT/.venv/bin/python" Benchmarks/server/feed_lag.py --a "$port_a" --b "$port_b" --key "$KEY" --rate "$rate" \
  --seconds "$seconds" --sample "$sample" --poll-ms "$poll_ms" > "$out/lag.json" || rc=$?
load_end=$(bench_loadavg)
"$ROOT/.venv/bin/python" - "$out/lag.json" "$load_start" "$load_end" <<'PY' | tee "$out/summary.md"
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['writes_scheduled']:,} writes scheduled at {r['rate']:.0f}/s for {r['seconds']:.0f} s (the last acknowledged after {r['send_s']} s) "
      f"through node A; every {r['sample_every']}th followed on node B, polled every {r['poll_ms']:.0f} ms; "
      f"load average {sys.argv[2]} at the start, {sys.argv[3]} at the end")
print()
print("| acknowledged | failed | write p50 ms | write p99 ms | followed | seen on B | not seen (10 s) | lag p50 ms | lag p99 ms | lag max ms | B's index added |")
print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
print(f"| {r['writes_acknowledged']:,} | {r['write_failures']} | {r['write_latency_p50_ms']} | {r['write_latency_p99_ms']} | "
      f"{r['followed']:,} | {r['seen_on_b']:,} | {r['not_seen_within_timeout']} | {r['lag_p50_ms']} | {r['lag_p99_ms']} | "
      f"{r['lag_max_ms']} | {r['b_pdq_entries_added']:,} |")
if r['failure_examples']:
    print(); print("failures, e.g.: " + "; ".join(r['failure_examples']))
PY
exit "$rc"
