#!/usr/bin/env bash
# Provider-node load benchmark on loopback: hash lookups/s and image uploads hashed+matched/s with
# N entries loaded (default 1,000,000 random PDQ hashes). First wrk (closed loop: the most it can
# push through, with latency percentiles), then LoadGen (Benchmarks/Sources/LoadGen, open loop:
# latency percentiles at fixed request rates, counted from each request's scheduled send time).
#   Benchmarks/server/run.sh [--entries 1000000] [--seconds 20] [--connections 32]
#       [--lookup-rates 20000] [--upload-rates 150] [--loadgen-connections 256] [--loadgen-tick-us 1000]
#       [--no-wrk]
# --lookup-rates/--upload-rates take comma-separated lists (one table row per rate), e.g.
# --lookup-rates 5000,10000,15000,20000; an empty list skips that LoadGen run. LoadGen wakes at most
# every --loadgen-tick-us µs to send what is due (about half its CPU at 5,000-20,000 requests/s,
# CPU the server shares), which adds up to that much to each latency: 0 for exact send times.
# LoadGen sends one request at a time per connection, so its connections must exceed rate x latency:
# with 64 connections at 20,000/s any latency above 3.2 ms throttles the generator itself and its
# queue, not the server's, grows; the default 256 leaves room to 12.8 ms.
# Needs: wrk (apt-get install wrk), the release builds, .venv (scripts/setup-python.sh) for the data.
# VIGIL_BIN=path runs that vigil binary instead of building .build/release/vigil.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
entries=1000000; seconds=20; connections=32; port=18099
lookup_rates=20000; upload_rates=150; loadgen_connections=256; loadgen_tick_us=1000; run_wrk=1
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
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$run_wrk" = 0 ] || command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
# Another server on the port would take every request below (and this one would fail to bind).
if curl -s -o /dev/null --max-time 2 "localhost:$port/"; then
  echo "port $port is in use: stop what listens there first" >&2; exit 1
fi
if [ "${VIGIL_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  [ -n "${VIGIL_BIN:-}" ] || swift build -c release --product vigil >&2
  [ -z "$lookup_rates$upload_rates" ] || swift build -c release --package-path Benchmarks --product LoadGen >&2
fi
bash scripts/setup-python.sh
OUT="$ROOT/Benchmarks/out/server"; rm -rf "$OUT"; mkdir -p "$OUT"
VIGIL="${VIGIL_BIN:-$ROOT/.build/release/vigil}"
LOADGEN="$ROOT/Benchmarks/.build/release/LoadGen"

# Data: N random hashes (TSV), 10,000 queries of which 10% are listed hashes with a few bits flipped,
# and one benign 1024x768 JPEG (gradient, shapes, noise).
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

KEY=$("$VIGIL" keys create --data-directory "$OUT/data" --organisation bench --scopes curate,match,hash 2>/dev/null)
"$VIGIL" serve --data-directory "$OUT/data" --port "$port" > "$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -s "localhost:$port/ready" | grep -q ready && break; sleep 0.2; done
kill -0 "$SERVER" 2>/dev/null || { echo "vigil serve exited:" >&2; cat "$OUT/serve.log" >&2; exit 1; }
curl -s -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{"name":"bench","kind":"internal"}' "localhost:$port/v1/lists" >/dev/null
t0=$(date +%s.%N)
curl -s -H "Authorization: Bearer $KEY" --data-binary @"$OUT/list.tsv" "localhost:$port/v1/lists/bench/import?format=tsv" > "$OUT/import.json"
t1=$(date +%s.%N)
echo "imported: $(cat "$OUT/import.json" | head -c 200) in $(echo "$t1 - $t0" | bc) s" >&2

export VIGIL_KEY="$KEY" VIGIL_QUERIES="$OUT/queries.txt" VIGIL_IMAGE="$OUT/upload-1024x768.jpg"
if [ "$run_wrk" = 1 ]; then
  wrk -t 1 -c 8 -d 3s -s Benchmarks/server/match-hash.lua "http://127.0.0.1:$port" >/dev/null  # warm-up
  echo "## hash lookups (POST /v1/match/hash), $entries entries, $connections connections, ${seconds}s"
  wrk -t 1 -c "$connections" -d "${seconds}s" --latency -s Benchmarks/server/match-hash.lua "http://127.0.0.1:$port" | tee "$OUT/match-hash.txt"
  echo "## uploads (POST /v1/match/file, 1024x768 JPEG), $entries entries, $connections connections, ${seconds}s"
  wrk -t 1 -c "$connections" -d "${seconds}s" --latency -s Benchmarks/server/match-file.lua "http://127.0.0.1:$port" | tee "$OUT/match-file.txt"
fi

# Open loop: the same requests at fixed rates. Latency counts from each request's scheduled send
# time; "late" requests were still unanswered 5 s after the last scheduled send; CPU columns are
# % of one core (LoadGen itself, and the server) over the measured window.
loadgen() {  # loadgen RATES LABEL JSON ARGS...
  local rates="$1" label="$2" json="$3"; shift 3
  [ -n "$rates" ] || return 0
  "$LOADGEN" --port "$port" --rates "$rates" --duration "$seconds" --warmup 5 \
    --connections "$loadgen_connections" --tick-us "$loadgen_tick_us" --server-pid "$SERVER" --bearer-env VIGIL_KEY \
    --label "$label" --json "$OUT/$json" --no-header "$@"
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
