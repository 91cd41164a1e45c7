#!/usr/bin/env bash
# Isolation benchmark on loopback: heavy or hostile clients must not starve or stop the node.
#   (a) lookups (LoadGen, open loop, fixed rate) alone, then while THREADS clients upload images at
#       the node's pixel limit (8160x6120, 49.9 MP) again and again: lookup p50/p99 and what the
#       uploads got (200, or 503 hashing_busy when the pool's queue is full);
#   (b) crafted decompression bombs (10,000 x 10,000 declared in 38 / 66 bytes) and multipart
#       bodies with a 4,000-character boundary (8 MiB of near-boundaries): time to answer each;
#   (c) COUNT half-open connections held (each sends half a request head): /health and an
#       authenticated lookup while they are held and right after they are released; the node's
#       open descriptors; whether it is still alive.
#   Benchmarks/isolation/run.sh [--entries 100000] [--seconds 20] [--rate 1000] [--threads 8]
#       [--half-open 20000] [--processes 4] [--skip-a] [--skip-b] [--skip-c]
# Needs: the release builds (made unless VIGIL_BENCH_SKIP_BUILD=1), .venv (scripts/setup-python.sh,
# run here) for the data. VIGIL_BIN=path runs that vigil binary. Extra `vigil serve` options can be
# given in VIGIL_SERVE_ARGS (e.g. "--max-body-bytes 67108864"); VIGIL_* variables reach the node.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
entries=100000; seconds=20; rate=1000; threads=8; half_open=20000; processes=4; run_a=1; run_b=1; run_c=1
while [ $# -gt 0 ]; do
  case "$1" in
    --entries) entries="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --half-open) half_open="$2"; shift 2 ;;
    --processes) processes="$2"; shift 2 ;;
    --skip-a) run_a=0; shift ;;
    --skip-b) run_b=0; shift ;;
    --skip-c) run_c=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if [ "${VIGIL_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  [ -n "${VIGIL_BIN:-}" ] || swift build -c release --product vigil >&2
  [ "${VIGIL_BENCH_NO_LOADGEN:-0}" = 1 ] || swift build -c release --package-path Benchmarks --product LoadGen >&2
fi
bash scripts/setup-python.sh
PY="$ROOT/.venv/bin/python"
VIGIL="${VIGIL_BIN:-$ROOT/.build/release/vigil}"
LOADGEN="$ROOT/Benchmarks/.build/release/LoadGen"
[ "${VIGIL_BENCH_NO_LOADGEN:-0}" != 1 ] || LOADGEN=/nonexistent
OUT="$(mktemp -d "${TMPDIR:-/tmp}/vigil-isolation.XXXXXX")"
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "# isolation benchmark: $(nproc) cores, port $port, data in $OUT" >&2

if [ "$run_a" = 1 ] && [ -z "${VIGIL_BENCH_IMAGE:-}" ]; then size="8160 6120"; else size="0 0"; fi
# shellcheck disable=SC2086
"$PY" Benchmarks/isolation/make_data.py "$OUT" "$entries" $size > "$OUT/ratios.md"
# VIGIL_BENCH_IMAGE=path reuses an image made by an earlier run (making one takes minutes).
[ -z "${VIGIL_BENCH_IMAGE:-}" ] || cp "$VIGIL_BENCH_IMAGE" "$OUT/large.jpg"
KEY=$("$VIGIL" keys create --data-directory "$OUT/data" --organisation bench --scopes curate,match,hash 2>/dev/null)
# shellcheck disable=SC2086
"$VIGIL" serve --data-directory "$OUT/data" --port "$port" ${VIGIL_SERVE_ARGS:-} > "$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do curl -s "localhost:$port/ready" | grep -q ready && break; sleep 0.2; done
kill -0 "$SERVER" 2>/dev/null || { echo "vigil serve exited:" >&2; cat "$OUT/serve.log" >&2; exit 1; }
curl -s -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{"name":"bench","kind":"internal"}' "localhost:$port/v1/lists" >/dev/null
curl -s -H "Authorization: Bearer $KEY" --data-binary @"$OUT/list.tsv" "localhost:$port/v1/lists/bench/import?format=tsv" >/dev/null
grep -m1 starting "$OUT/serve.log" >&2 || true
echo "## node: $entries listed hashes; $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

timed() {  # timed LABEL CURL-ARGS...: status and seconds of one request
  local label="$1"; shift
  echo "| $label | $(curl -s -o /dev/null -w '%{http_code} | %{time_total}' "$@") |"
}

if [ "$run_a" = 1 ]; then
  export VIGIL_KEY="$KEY"
  lookups() {
    if [ ! -x "$LOADGEN" ]; then  # no release build of LoadGen here: the small Python client
      "$PY" Benchmarks/isolation/lookups.py "$port" "$KEY" "$OUT/queries.txt" "$rate" "$seconds" "$1"
      return
    fi
    "$LOADGEN" --port "$port" --rates "$rate" --duration "$seconds" --warmup 3 --connections 64 --tick-us 1000 \
      --server-pid "$SERVER" --bearer-env VIGIL_KEY --label "$1" --no-header --method POST --path /v1/match/hash \
      --body-lines "$OUT/queries.txt" --body-template '{"type":"pdq","value":"{line}"}'
  }
  timed "one 49.9 MP upload alone (POST /v1/hash)" -H "Authorization: Bearer $KEY" --data-binary @"$OUT/large.jpg" "localhost:$port/v1/hash" > "$OUT/single.md"
  echo "## (a) lookups at $rate/s for ${seconds}s (LoadGen, open loop), alone and during $threads concurrent 49.9 MP uploads"
  echo
  echo "| run | rate/s | achieved/s | requests | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | non-2xx | socket errors | late | LoadGen CPU | server CPU |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
  lookups "lookups alone"
  "$PY" Benchmarks/isolation/uploads.py "$port" "$KEY" "$OUT/large.jpg" "$threads" "$((seconds + 8))" /v1/hash > "$OUT/uploads.md" &
  UPLOADS=$!
  sleep 2
  lookups "lookups during $threads uploads"
  wait "$UPLOADS"
  echo
  echo "| upload clients | seconds | bytes each | answers | p50 s | p99 s |"
  echo "|--:|--:|--:|---|--:|--:|"
  cat "$OUT/uploads.md"
  echo
  echo "| request | status | seconds |"
  echo "|---|--:|--:|"
  cat "$OUT/single.md"
  echo
fi

if [ "$run_b" = 1 ]; then
echo "## (b) hostile bodies: time to answer"
echo
echo "| request | status | seconds |"
echo "|---|--:|--:|"
timed "PNG bomb, $(stat -c %s "$OUT/bomb.png") bytes, POST /v1/hash" -H "Authorization: Bearer $KEY" --data-binary @"$OUT/bomb.png" "localhost:$port/v1/hash"
timed "WebP bomb, $(stat -c %s "$OUT/bomb.webp") bytes, POST /v1/hash" -H "Authorization: Bearer $KEY" --data-binary @"$OUT/bomb.webp" "localhost:$port/v1/hash"
BOUNDARY=$(cat "$OUT/boundary.txt")
timed "8 MiB multipart, 4,000-character boundary, POST /h/hash (HMA)" -H "Authorization: Bearer $KEY" \
  -H "Content-Type: multipart/form-data; boundary=$BOUNDARY" --data-binary @"$OUT/multipart-hma.body" "localhost:$port/h/hash"
timed "8 MiB multipart, 4,000-character boundary, POST /v1/hash" -H "Authorization: Bearer $KEY" \
  -H "Content-Type: multipart/form-data; boundary=$BOUNDARY" --data-binary @"$OUT/multipart-v1.body" "localhost:$port/v1/hash"
echo
echo "Pixels per byte that real encoders reach (the bomb check refuses more than 100,000):"
echo
cat "$OUT/ratios.md"
echo
fi

if [ "$run_c" = 1 ]; then
  QUERY="$(head -1 "$OUT/queries.txt")"
  echo "## (c) $half_open half-open connections from $processes processes"
  echo
  echo "Node at its defaults (10,000 connections, 10 s for a request head, 60 s idle):"
  echo
  echo "| when | /health | authenticated lookup | node's open descriptors | node alive |"
  echo "|---|---|---|--:|---|"
  "$PY" Benchmarks/isolation/half_open.py "$port" "$KEY" "$SERVER" "$half_open" "$processes" "$QUERY" || true
  kill -0 "$SERVER" 2>/dev/null || { echo "node died:"; tail -20 "$OUT/serve.log"; exit 1; }
  # The same with timeouts of 10 minutes, so that the connections really are held and the cap is
  # what protects the node: probes while held give up after 20 s.
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
  VIGIL_HTTP_HEAD_TIMEOUT_SECONDS=600 VIGIL_HTTP_IDLE_TIMEOUT_SECONDS=600 \
    "$VIGIL" serve --data-directory "$OUT/data" --port "$port" > "$OUT/serve-held.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 150); do curl -s "localhost:$port/ready" | grep -q ready && break; sleep 0.2; done
  echo
  echo "Node with 600 s head and idle timeouts (the connections stay held; only the cap protects it):"
  echo
  echo "| when | /health | authenticated lookup | node's open descriptors | node alive |"
  echo "|---|---|---|--:|---|"
  "$PY" Benchmarks/isolation/half_open.py "$port" "$KEY" "$SERVER" "$half_open" "$processes" "$QUERY" 20 || true
  echo
fi
kill -0 "$SERVER" 2>/dev/null && echo "node still running at the end: yes" || { echo "node still running at the end: NO"; tail -20 "$OUT/serve.log"; exit 1; }
