#!/usr/bin/env bash
# Provider-node load benchmark on loopback: hash lookups/s and image uploads hashed+matched/s with
# N entries loaded (default 1,000,000 random PDQ hashes). First wrk (closed loop: the most it can
# push through, with latency percentiles), then LoadGen (Benchmarks/Sources/LoadGen, open loop:
# latency percentiles at fixed request rates, counted from each request's scheduled send time).
#   Benchmarks/server/run.sh [--entries 1000000] [--seconds 20] [--connections 32]
#       [--lookup-rates 20000] [--upload-rates 150] [--loadgen-connections 256] [--loadgen-tick-us 1000]
#       [--no-wrk] [--port PORT] [--work DIR] [--out DIR] [--data DIR] [--vigil PATH] [--loadgen PATH]
#       [--store-url postgres://user@host:port/db] [--role provider] [--matching-phase]
# --lookup-rates/--upload-rates take comma-separated lists (one table row per rate), e.g.
# --lookup-rates 5000,10000,15000,20000; an empty list skips that LoadGen run. LoadGen wakes at most
# every --loadgen-tick-us µs to send what is due (about half its CPU at 5,000-20,000 requests/s,
# CPU the server shares), which adds up to that much to each latency: 0 for exact send times.
# LoadGen sends one request at a time per connection, so its connections must exceed rate x latency:
# with 64 connections at 20,000/s any latency above 3.2 ms throttles the generator itself and its
# queue, not the server's, grows; the default 256 leaves room to 12.8 ms.
# --port: where the node listens (default: a port the kernel reports free).
# --work: the node's database folder's parent (default: a new `mktemp -d` folder, removed at the end).
# --out:  results: the data, wrk and LoadGen outputs, summary.txt and summary.tsv (default
#         Benchmarks/out/server, emptied first).
# --store-url: the node's store on PostgreSQL (passed to `vigil keys create` and `vigil serve`) instead
#         of SQLite in --work; the database should be empty (the list `bench` is created in it). The
#         list is loaded through the API (POST /v1/lists/bench/import) on either store.
# --role: passed to `vigil serve --role` (PostgreSQL needs provider; give it to SQLite too to compare).
# --matching-phase: one more wrk phase after the lookups, with only the queries that match (every
#         10th line of queries.txt: a listed hash with 1-19 bits flipped), so that the answer reads the
#         matched entries from the store on every request.
# --data: take list.tsv, queries.txt and upload-1024x768.jpg from DIR (a previous run's --out, with
#         as many entries) instead of generating them. --data-only: only generate them into --out.
# --vigil PATH (or VIGIL_BIN=PATH) runs that vigil binary instead of building .build/release/vigil;
# --loadgen PATH that LoadGen; VIGIL_BENCH_SKIP_BUILD=1 uses the existing builds as they are.
# Installs what it uses when missing, before checking for it: wrk, curl and Python's venv with
# apt-get (through sudo when not root), the build's packages with scripts/install-deps.sh when it
# builds, numpy and Pillow into .venv with scripts/setup-python.sh.
# The summary gives the server's peak RSS and the load average at the start and end of each phase.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CALLER_PWD="$PWD"; abspath() { case "$1" in /*|"") echo "$1" ;; *) echo "$CALLER_PWD/$1" ;; esac; }
cd "$ROOT"
entries=1000000; seconds=20; connections=32; port=""; work=""; out="$ROOT/Benchmarks/out/server"; data=""
lookup_rates=20000; upload_rates=150; loadgen_connections=256; loadgen_tick_us=1000; run_wrk=1
vigil_bin="$(abspath "${VIGIL_BIN:-}")"; loadgen_bin=""; data_only=0; store_url=""; role=""; matching_phase=0
while [ $# -gt 0 ]; do
  case "$1" in
    --entries) entries="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --lookup-rates) lookup_rates="$2"; shift 2 ;;
    --upload-rates) upload_rates="$2"; shift 2 ;;
    --loadgen-connections) loadgen_connections="$2"; shift 2 ;;
    --loadgen-tick-us) loadgen_tick_us="$2"; shift 2 ;;
    --no-wrk) run_wrk=0; shift ;;
    --port) port="$2"; shift 2 ;;
    --work) work="$(abspath "$2")"; shift 2 ;;
    --out) out="$(abspath "$2")"; shift 2 ;;
    --data) data="$(abspath "$2")"; shift 2 ;;
    --vigil) vigil_bin="$(abspath "$2")"; shift 2 ;;
    --loadgen) loadgen_bin="$(abspath "$2")"; shift 2 ;;
    --data-only) data_only=1; shift ;;
    --store-url) store_url="$2"; shift 2 ;;
    --role) role="$2"; shift 2 ;;
    --matching-phase) matching_phase=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
source "$ROOT/Benchmarks/lib/common.sh"
# What this script uses, installed before anything checks for it.
pkgs=(curl python3 python3-venv python3-pip); [ "$run_wrk" = 0 ] || pkgs+=(wrk)
bench_apt "${pkgs[@]}"
bash scripts/setup-python.sh
if [ -z "$port" ]; then port=$(bench_free_port); fi
# Another server on the port would take every request below (and this one would fail to bind).
bench_port_free "$port" || { echo "port $port is in use: stop what listens there first, or give another --port" >&2; exit 1; }
if [ "$data_only" = 0 ] && [ "${VIGIL_BENCH_SKIP_BUILD:-0}" != 1 ] && { [ -z "$vigil_bin" ] || { [ -z "$loadgen_bin" ] && [ -n "$lookup_rates$upload_rates" ]; }; }; then
  bash scripts/install-deps.sh >&2   # the build's system packages, and a check for Swift
  [ -n "$vigil_bin" ] || swift build -c release --product vigil >&2
  [ -n "$loadgen_bin" ] || [ -z "$lookup_rates$upload_rates" ] || swift build -c release --package-path Benchmarks --product LoadGen >&2
fi
OUT="$out"; rm -rf "$OUT"; mkdir -p "$OUT"; OUT="$(cd "$OUT" && pwd)"
if [ -z "$work" ]; then WORK=$(mktemp -d); remove_work=1; else WORK="$work"; mkdir -p "$WORK"; remove_work=0; fi
VIGIL="${vigil_bin:-$ROOT/.build/release/vigil}"
LOADGEN="${loadgen_bin:-$ROOT/Benchmarks/.build/release/LoadGen}"
[ "$data_only" = 1 ] || [ -x "$VIGIL" ] || { echo "no vigil binary at $VIGIL" >&2; exit 1; }
export BENCH_PHASES="$OUT/phases.tsv"; : > "$BENCH_PHASES"
echo "machine: $(bench_machine); load average at start: $(bench_loadavg)" > "$OUT/machine.txt"

# Data: N random hashes (TSV), 10,000 queries of which 10% are listed hashes with a few bits flipped,
# and one benign 1024x768 JPEG (gradient, shapes, noise). With --data, the files of an earlier run.
if [ -n "$data" ]; then
  for f in list.tsv queries.txt upload-1024x768.jpg; do
    [ -f "$data/$f" ] || { echo "--data $data has no $f" >&2; exit 1; }
    cp "$data/$f" "$OUT/$f"
  done
  have=$(wc -l < "$OUT/list.tsv")
  [ "$have" = "$entries" ] || { echo "--data $data holds $have entries, not --entries $entries" >&2; exit 1; }
else
"$ROOT/.venv/bin/python" - "$entries" "$OUT" <<'PY'
import sys, numpy as np
from PIL import Image, ImageDraw
n, out = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(7)
words = rng.integers(0, 2**63, size=(n, 4), dtype=np.uint64) | (rng.integers(0, 2, size=(n, 4), dtype=np.uint64) << np.uint64(63))
hexes = ['%016x%016x%016x%016x' % (w[3], w[2], w[1], w[0]) for w in words]
with open(out + '/list.tsv', 'w') as f:
    for i, h in enumerate(hexes): f.write('%s\t%d\n' % (h, i))
with open(out + '/queries.txt', 'w') as f:
    for q in range(10000):
        if q % 10 == 0:
            v = int(hexes[rng.integers(0, n)], 16)
            for b in rng.choice(256, size=rng.integers(1, 20), replace=False): v ^= 1 << int(b)
            f.write('%064x\n' % v)
        else:
            f.write('%064x\n' % int.from_bytes(rng.bytes(32), 'big'))
y, x = np.mgrid[0:768, 0:1024]
img = np.stack([(x * 255 // 1023), (y * 255 // 767), ((x + y) % 256)], axis=2).astype(np.uint8)
im = Image.fromarray(img); d = ImageDraw.Draw(im)
for _ in range(40):
    x0, y0 = rng.integers(0, 900), rng.integers(0, 650)
    d.ellipse([x0, y0, x0 + rng.integers(20, 120), y0 + rng.integers(20, 120)], fill=tuple(int(c) for c in rng.integers(0, 255, 3)))
arr = np.clip(np.asarray(im).astype(np.int16) + rng.normal(0, 6, (768, 1024, 3)).astype(np.int16), 0, 255).astype(np.uint8)
Image.fromarray(arr).save(out + '/upload-1024x768.jpg', quality=90)
PY
fi
if [ "$data_only" = 1 ]; then [ "$remove_work" = 0 ] || rm -rf "$WORK"; rm -f "$BENCH_PHASES" "$OUT/machine.txt"; echo "data for $entries entries in $OUT" >&2; exit 0; fi

store_args=(); [ -z "$store_url" ] || store_args=(--store-url "$store_url")
role_args=(); [ -z "$role" ] || role_args=(--role "$role")
KEY=$("$VIGIL" keys create --data-directory "$WORK/data" "${store_args[@]}" --organisation bench --scopes curate,match,hash 2>/dev/null)
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  if [ "$remove_work" = 1 ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
# The hashing pool's queue (16 waiting uploads by default, then 503 hashing_busy) is sized above the
# connection count, so that closed-loop uploads measure hashing, not load shedding. (Builds from
# before the pool ignore the variable.)
VIGIL_HASHING_QUEUE=$((connections * 2)) "$VIGIL" serve --data-directory "$WORK/data" "${store_args[@]}" "${role_args[@]}" --port "$port" > "$OUT/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -s "localhost:$port/ready" | grep -q ready && break; sleep 0.2; done
kill -0 "$SERVER" 2>/dev/null || { echo "vigil serve exited:" >&2; cat "$OUT/serve.log" >&2; exit 1; }
curl -s -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{"name":"bench","kind":"internal"}' "localhost:$port/v1/lists" >/dev/null
bench_phase_start import
t0=$(date +%s.%N)
curl -s -H "Authorization: Bearer $KEY" --data-binary @"$OUT/list.tsv" "localhost:$port/v1/lists/bench/import?format=tsv" > "$OUT/import.json"
t1=$(date +%s.%N)
import_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
bench_phase_end import "$(bench_peak_rss_pid "$SERVER")" "vigil serve so far"
echo "imported: $(head -c 200 "$OUT/import.json") in $import_s s" >&2
# A failed import would leave an empty index and every figure below meaningless.
added=$("$ROOT/.venv/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("added", 0))' "$OUT/import.json" 2>/dev/null || echo 0)
[ "$added" -gt 0 ] || { echo "the import failed (nothing added); stopping" >&2; exit 1; }

export VIGIL_KEY="$KEY" VIGIL_QUERIES="$OUT/queries.txt" VIGIL_IMAGE="$OUT/upload-1024x768.jpg"
# CPU per request: the server's CPU seconds (and, on PostgreSQL, those of the database's postmaster and
# its backends: the process listening on the store URL's port) across each wrk phase, divided by the
# requests wrk counted. Unlike requests/s, this hardly moves with what else the machine runs.
DB_PID=""
if [ -n "$store_url" ]; then
  db_port=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlparse(sys.argv[1]).port or 5432)' "$store_url")
  DB_PID=$(ss -ltnpH "sport = :$db_port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)
fi
cpu_s() { if [ -n "$1" ]; then python3 "$ROOT/Benchmarks/lib/cpu_seconds.py" "$1"; else echo nan; fi; }
cpu_mark() { printf '%s %s\n' "$(cpu_s "$SERVER")" "$(cpu_s "$DB_PID")" > "$OUT/cpu-$1.start"; }
cpu_done() {  # cpu_done NAME WRK_OUTPUT: writes "server_us db_us" per request to $OUT/cpu-NAME
  local a b; read -r a b < "$OUT/cpu-$1.start"
  awk -v a="$a" -v b="$b" -v c="$(cpu_s "$SERVER")" -v d="$(cpu_s "$DB_PID")" '/requests in/ { n = $1 }
    END { if (n > 0) printf "%.1f %s\n", (c - a) * 1e6 / n, (b == "nan" || d == "nan") ? "nan" : sprintf("%.1f", (d - b) * 1e6 / n); else print "nan nan" }' "$2" > "$OUT/cpu-$1"
}
if [ "$run_wrk" = 1 ]; then
  wrk -t 1 -c 8 -d 3s -s Benchmarks/server/match-hash.lua "http://127.0.0.1:$port" >/dev/null  # warm-up
  echo "## hash lookups (POST /v1/match/hash), $entries entries, $connections connections, ${seconds}s"
  bench_phase_start "wrk lookups"
  cpu_mark lookups
  wrk -t 1 -c "$connections" -d "${seconds}s" --latency -s Benchmarks/server/match-hash.lua "http://127.0.0.1:$port" | tee "$OUT/match-hash.txt"
  cpu_done lookups "$OUT/match-hash.txt"
  bench_phase_end "wrk lookups" "$(bench_peak_rss_pid "$SERVER")" "vigil serve so far"
  if [ "$matching_phase" = 1 ]; then
    awk 'NR % 10 == 1' "$OUT/queries.txt" > "$OUT/queries-matching.txt"
    echo "## matching hash lookups only (POST /v1/match/hash), $entries entries, $connections connections, ${seconds}s"
    bench_phase_start "wrk matching lookups"
    cpu_mark matching
    VIGIL_QUERIES="$OUT/queries-matching.txt" wrk -t 1 -c "$connections" -d "${seconds}s" --latency -s Benchmarks/server/match-hash.lua "http://127.0.0.1:$port" | tee "$OUT/match-hash-matching.txt"
    cpu_done matching "$OUT/match-hash-matching.txt"
    bench_phase_end "wrk matching lookups" "$(bench_peak_rss_pid "$SERVER")" "vigil serve so far"
  fi
  echo "## uploads (POST /v1/match/file, 1024x768 JPEG), $entries entries, $connections connections, ${seconds}s"
  bench_phase_start "wrk uploads"
  cpu_mark uploads
  wrk -t 1 -c "$connections" -d "${seconds}s" --latency -s Benchmarks/server/match-file.lua "http://127.0.0.1:$port" | tee "$OUT/match-file.txt"
  cpu_done uploads "$OUT/match-file.txt"
  bench_phase_end "wrk uploads" "$(bench_peak_rss_pid "$SERVER")" "vigil serve so far"
fi

# Open loop: the same requests at fixed rates. Latency counts from each request's scheduled send
# time; "late" requests were still unanswered 5 s after the last scheduled send; CPU columns are
# % of one core (LoadGen itself, and the server) over the measured window.
loadgen() {  # loadgen RATES LABEL JSON ARGS...
  local rates="$1" label="$2" json="$3"; shift 3
  [ -n "$rates" ] || return 0
  bench_phase_start "LoadGen $label"
  "$LOADGEN" --port "$port" --rates "$rates" --duration "$seconds" --warmup 5 \
    --connections "$loadgen_connections" --tick-us "$loadgen_tick_us" --server-pid "$SERVER" --bearer-env VIGIL_KEY \
    --label "$label" --json "$OUT/$json" --no-header "$@"
  bench_phase_end "LoadGen $label" "$(bench_peak_rss_pid "$SERVER")" "vigil serve so far"
}
[ -z "$lookup_rates$upload_rates" ] || {
  echo "## fixed rates (LoadGen, open loop), $entries entries, $loadgen_connections connections, ${seconds}s per rate, ${loadgen_tick_us} µs ticks"
  echo
  echo "| run | rate/s | achieved/s | requests | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | non-2xx | socket errors | late | LoadGen CPU | server CPU |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
  loadgen "$lookup_rates" "hash lookups" loadgen-lookups.json --method POST --path /v1/match/hash \
    --body-lines "$VIGIL_QUERIES" --body-template '{"type":"pdq","value":"{line}"}'
  loadgen "$upload_rates" "uploads (1024x768 JPEG)" loadgen-uploads.json --method POST --path /v1/match/file \
    --body-file "$VIGIL_IMAGE"
} | tee "$OUT/loadgen.md"

# Summary: the headline figures (also as summary.tsv, one "metric<TAB>value" per line, for scripts),
# the server's peak RSS and the load average of each phase.
# Successful (2xx/3xx) requests per second: wrk's Requests/sec counts refusals too.
wrk_rate() {
  awk '/requests in/ { total = $1; secs = $4; sub(/s,$/, "", secs) } /Non-2xx or 3xx responses/ { bad = $5 }
       END { if (secs > 0) printf "%.2f\n", (total - bad) / secs }' "$1" 2>/dev/null
}
wrk_non2xx() { awk '/Non-2xx or 3xx responses/ { bad = $5 } END { print bad + 0 }' "$1" 2>/dev/null; }
wrk_pct() { awk -v p="$2" '$1 == p { print $2 }' "$1" 2>/dev/null; }
wrk_errors() { local e; e=$(grep -E 'Non-2xx|Socket errors' "$1" 2>/dev/null | tr -s ' ' | paste -sd';' -); echo "${e:-none}"; }
peak=$(bench_peak_rss_pid "$SERVER")
{
  echo "import_s	$import_s"
  if [ "$run_wrk" = 1 ]; then
    echo "lookups_per_s	$(wrk_rate "$OUT/match-hash.txt")"
    echo "lookup_p50	$(wrk_pct "$OUT/match-hash.txt" 50%)"
    echo "lookup_p99	$(wrk_pct "$OUT/match-hash.txt" 99%)"
    echo "lookup_non2xx	$(wrk_non2xx "$OUT/match-hash.txt")"
    if [ "$matching_phase" = 1 ]; then
      echo "matching_lookups_per_s	$(wrk_rate "$OUT/match-hash-matching.txt")"
      echo "matching_lookup_p99	$(wrk_pct "$OUT/match-hash-matching.txt" 99%)"
      echo "matching_lookup_non2xx	$(wrk_non2xx "$OUT/match-hash-matching.txt")"
    fi
    echo "uploads_per_s	$(wrk_rate "$OUT/match-file.txt")"
    echo "upload_p50	$(wrk_pct "$OUT/match-file.txt" 50%)"
    echo "upload_p99	$(wrk_pct "$OUT/match-file.txt" 99%)"
    echo "upload_non2xx	$(wrk_non2xx "$OUT/match-file.txt")"
  fi
  for phase in lookups matching uploads; do
    [ -f "$OUT/cpu-$phase" ] || continue
    read -r server_us db_us < "$OUT/cpu-$phase"
    echo "${phase}_server_cpu_us	$server_us"
    echo "${phase}_db_cpu_us	$db_us"
  done
  echo "server_peak_rss_mib	$peak"
} > "$OUT/summary.tsv"
{
  echo
  echo "## summary: $entries entries, vigil $VIGIL on port $port, store ${store_url:+PostgreSQL}${store_url:-SQLite}"
  echo
  echo "machine: $(bench_machine)"
  echo "import: $import_s s; server peak RSS (VmHWM): $peak MiB"
  if [ "$run_wrk" = 1 ]; then
    echo "wrk lookups: $(wrk_rate "$OUT/match-hash.txt")/s, p50 $(wrk_pct "$OUT/match-hash.txt" 50%), p99 $(wrk_pct "$OUT/match-hash.txt" 99%), errors: $(wrk_errors "$OUT/match-hash.txt")"
    echo "wrk uploads: $(wrk_rate "$OUT/match-file.txt")/s, p50 $(wrk_pct "$OUT/match-file.txt" 50%), p99 $(wrk_pct "$OUT/match-file.txt" 99%), errors: $(wrk_errors "$OUT/match-file.txt")"
  fi
  echo
  bench_phase_table
} | tee "$OUT/summary.txt"
