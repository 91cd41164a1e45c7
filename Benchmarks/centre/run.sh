#!/usr/bin/env bash
# The Centre's intake on loopback, SQLite, release build: signed reports (metadata only, or each with
# one generated JPEG of --file-bytes bytes) accepted durably per second (POST /v1/reports answers 201
# only after the report and its audit event are committed, synchronous = FULL), and the latency at
# fixed rates.
#
#   Benchmarks/centre/run.sh [--rates 250,500,1000,2000,4000] [--seconds 20] [--connections 64]
#       [--file-bytes 51200] [--hashing-queue N] [--out Benchmarks/out/centre] [--vigil PATH] [--loadgen PATH]
#
# One Centre node (`vigil serve --role centre`) on a fresh data folder; a provider organisation with
# an API key (scope report) and an Ed25519 signing key registered at the Centre. For every rate, a
# fresh set of benign reports is made and signed by Benchmarks/centre/reports.py (Python's json and
# `cryptography`: an implementation of the signing rule independent of Vigil's), one per request,
# so that no reference repeats. LoadGen sends them open-loop at the rate (latency counts from each
# request's scheduled send time); the table has the achieved rate, p50/p90/p99 and the non-2xx
# count (a 409 would mean a repeated reference, a 503 a busy store). Afterwards the script checks
# that the database holds exactly the reports that were answered 201.
#
# --file-bytes N: every report carries one file, sent with it as multipart/form-data (part `report`,
# part `file` named f1): a benign generated JPEG (gradient, rectangles, noise; from a seeded pool of
# 64 pictures, each file padded with a JPEG comment of its own to exactly N bytes, so that every
# file's MD5 and SHA-256 differ) whose MD5 and SHA-256 the signed report declares. The Centre checks
# both digests against the bytes, computes PDQ, seals the file (AES-GCM) and stores it in the
# report's transaction; the node gets a master key in its data folder. N from about 40,000 to 65,000.
#
# The node's hashing pool admits its threads plus `hashing.queue` files (16 by default) and answers
# 503 hashing_busy past that, so with more connections than that a burst of files is partly refused
# (counted as non-2xx); --hashing-queue N starts the node with VIGIL_HASHING_QUEUE=N (e.g. the number
# of connections, to measure throughput rather than the admission limit).
#
# LoadGen runs on the same machine as the node: they share the cores.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CALLER_PWD="$PWD"; abspath() { case "$1" in /*|"") echo "$1" ;; *) echo "$CALLER_PWD/$1" ;; esac; }
cd "$ROOT"
source "$ROOT/Benchmarks/lib/common.sh"
rates="250,500,1000,2000,4000"; seconds=20; connections=64; out="Benchmarks/out/centre"; vigil_bin=""; loadgen_bin=""; file_bytes=0; hashing_queue=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rates) rates="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --file-bytes) file_bytes="$2"; shift 2 ;;
    --hashing-queue) hashing_queue="$2"; shift 2 ;;
    --out) out="$(abspath "$2")"; shift 2 ;;
    --vigil) vigil_bin="$(abspath "$2")"; shift 2 ;;
    --loadgen) loadgen_bin="$(abspath "$2")"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

bench_apt curl python3 python3-venv python3-pip
bash scripts/setup-python.sh
PY="$ROOT/.venv/bin/python"
"$PY" -m pip install -q -r Benchmarks/centre/requirements.txt
if [ "${VIGIL_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  [ -n "$vigil_bin" ] || swift build -c release --product vigil >&2
  [ -n "$loadgen_bin" ] || swift build -c release --package-path Benchmarks --product LoadGen >&2
fi
VIGIL="${vigil_bin:-$ROOT/.build/release/vigil}"
LOADGEN="${loadgen_bin:-$ROOT/Benchmarks/.build/release/LoadGen}"
[ -x "$VIGIL" ] || { echo "no vigil binary at $VIGIL" >&2; exit 1; }
[ -x "$LOADGEN" ] || { echo "no LoadGen binary at $LOADGEN" >&2; exit 1; }
OUT="$out"; rm -rf "$OUT"; mkdir -p "$OUT"; OUT="$(cd "$OUT" && pwd)"
WORK=$(mktemp -d)
export BENCH_PHASES="$OUT/phases.tsv"; : > "$BENCH_PHASES"
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

DATA="$WORK/data"
"$VIGIL" orgs create "Bench Hosting" --kind provider --data-directory "$DATA" >/dev/null
KEY=$("$VIGIL" keys create --org "Bench Hosting" --scopes report --data-directory "$DATA" 2>/dev/null)
PUBLIC=$("$PY" Benchmarks/centre/reports.py keygen "$WORK/provider.key")
"$VIGIL" reports register-key --org "Bench Hosting" --public-key "$PUBLIC" --data-directory "$DATA" >/dev/null
port=$(bench_free_port)
[ -z "$hashing_queue" ] || export VIGIL_HASHING_QUEUE="$hashing_queue"
"$VIGIL" serve --role centre --data-directory "$DATA" --port "$port" > "$OUT/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -s "localhost:$port/ready" | grep -q ready && break; sleep 0.2; done
kill -0 "$SERVER" 2>/dev/null || { echo "vigil serve exited:" >&2; cat "$OUT/serve.log" >&2; exit 1; }

# Metadata only: one signed JSON body per line; with files: multipart bodies as length-prefixed records.
if [ "$file_bytes" -gt 0 ]; then
  make_args=(--file-bytes "$file_bytes"); content_type="multipart/form-data; boundary=vigil-bench-5f0c2a9e7d3b4c18"
  bodies_option=--body-records; kind="signed reports, each with one ${file_bytes}-byte JPEG (multipart)"
else
  make_args=(); content_type="application/json"; bodies_option=--body-lines; kind="signed metadata-only reports"
fi

# A check of the rule with one report before the load (a 201 proves the two implementations agree).
"$PY" Benchmarks/centre/reports.py make "$WORK/provider.key" check 1 "$WORK/check.rec" "${make_args[@]}"
if [ "$file_bytes" -gt 0 ]; then tail -n +2 "$WORK/check.rec" > "$WORK/check.body"; else cp "$WORK/check.rec" "$WORK/check.body"; fi
status=$(curl -s -o "$OUT/check.json" -w '%{http_code}' -H "Authorization: Bearer $KEY" -H "Content-Type: $content_type" \
  --data-binary @"$WORK/check.body" "localhost:$port/v1/reports")
[ "$status" = 201 ] || { echo "a Python-signed report was refused ($status): $(cat "$OUT/check.json")" >&2; exit 1; }

export VIGIL_KEY="$KEY"
{
  echo "# The Centre's intake: $kind, open loop"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ); $(bench_machine); vigil $VIGIL (sha256 $(sha256sum < "$VIGIL" | cut -c1-12)); SQLite, synchronous = FULL;"
  echo "$connections connections, ${seconds} s per rate after 3 s of warm-up; every report signed, verified, stored with its audit event; hashing queue ${hashing_queue:-the default (16)}."
  echo
  echo "| run | rate/s | achieved/s | requests | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | non-2xx | socket errors | late | LoadGen CPU | server CPU |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
} | tee "$OUT/summary.md"
IFS=',' read -r -a each <<< "$rates"
for rate in "${each[@]}"; do
  count=$(awk -v r="$rate" -v s="$seconds" 'BEGIN { printf "%d", r * (s + 3 + 6) * 1.1 + 100 }')
  bench_phase_start "make $count reports"
  "$PY" Benchmarks/centre/reports.py make "$WORK/provider.key" "rate$rate" "$count" "$WORK/bodies-$rate" "${make_args[@]}"
  bench_phase_end "make $count reports"
  bench_phase_start "intake at $rate/s"
  "$LOADGEN" --port "$port" --rate "$rate" --duration "$seconds" --warmup 3 --connections "$connections" --server-pid "$SERVER" \
    --bearer-env VIGIL_KEY --method POST --path /v1/reports --content-type "$content_type" \
    $bodies_option "$WORK/bodies-$rate" $([ "$file_bytes" -gt 0 ] || echo --raw-lines) \
    --label "reports at $rate/s" --json "$OUT/loadgen-$rate.json" --no-header | tee -a "$OUT/summary.md"
  bench_phase_end "intake at $rate/s" "$(bench_peak_rss_pid "$SERVER")" "vigil serve so far"
  rm -f "$WORK/bodies-$rate"
done

# Every 201 is in the database, and nothing else is: count the stored reports and the answers.
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
read -r stored stored_files <<< "$("$PY" - "$DATA/vigil.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT COUNT(*) FROM reports").fetchone()[0], db.execute("SELECT COUNT(*) FROM report_files").fetchone()[0])
PY
)"
created=$("$PY" - "$OUT" <<'PY'
import glob, json, sys
total = 1  # the check report
for path in glob.glob(sys.argv[1] + "/loadgen-*.json"):
    for run in json.load(open(path)):
        total += int(run.get("status_counts", {}).get("201", 0))
print(total)
PY
)
verdict="every report answered 201 is stored"
[ "$stored" -ge "$created" ] || verdict="LOST: fewer reports stored than answered 201"
if [ "$file_bytes" -gt 0 ] && [ "$stored_files" -ne "$stored" ]; then verdict="$verdict; BUT $stored_files stored files for $stored reports"; fi
{
  echo
  echo "stored reports: $stored (stored files: $stored_files); answered 201 (LoadGen's status counts and the check report): $created: $verdict"
  echo
  bench_phase_table
} | tee -a "$OUT/summary.md"
