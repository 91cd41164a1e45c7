#!/usr/bin/env bash
# The crash script: the Centre is killed with SIGKILL under intake load, round after round, and every
# report it acknowledged (201) must be there afterwards, whole (docs/crash.md).
#
#   Benchmarks/crash/run.sh [--target centre] [--store sqlite] [--rounds 20] [--seed 1] [--threads 8]
#       [--kill-after 0.5,3.0] [--file-share 0.25] [--out Benchmarks/out/crash] [--vigil PATH] [--work DIR]
#
# One `vigil serve --role centre` on a fresh data folder (SQLite, synchronous = FULL); a provider
# organisation with an API key (scope report) and an Ed25519 signing key registered at the Centre
# (Benchmarks/centre/reports.py, Python's `cryptography`), and a Centre organisation with an
# analyst's key (scope assess) to read reports back. Benchmarks/crash/crash.py then runs the rounds:
# load threads POST freshly signed benign reports (material, urgent material, solicitation with a
# conversation; --file-share of the reports of material, one in four by default, carry their first
# file's bytes as multipart/form-data: a generated benign JPEG of 8-50 KB whose MD5 and SHA-256 the
# signed report declares) and log every 201 (id, provider_reference, SHA-256 of the canonical JSON
# sent, the file sent);
# at a seeded random moment (--kill-after, seconds into the round) the server process itself gets
# SIGKILL; it is restarted on the same folder and /ready polled; the round's acknowledged reports
# are read back over HTTP, and the database is checked (every acknowledgement so far present and
# the same, every stored report whole with its audit event and exactly the file sent with it, as a
# report_files row with the declared SHA-256 and size, PRAGMA integrity_check) and
# `vigil audit verify` run. At the end everything acknowledged is read back again and the folder is
# checked with the node stopped. One row per round; exit status 1 on any missing, altered or
# half-written report, a 5xx, or a node that does not come back. Results in --out: summary.md,
# results.json, acks.jsonl, unanswered.jsonl, problems.jsonl, serve.log (every start of the node).
#
#   --target centre   the Centre's reports (the only target yet; provider entries will follow)
#   --store sqlite    the store (the only one yet; PostgreSQL will follow)
#   --work DIR        keep the data folder and keys in DIR (default: a mktemp -d folder, removed)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CALLER_PWD="$PWD"; abspath() { case "$1" in /*|"") echo "$1" ;; *) echo "$CALLER_PWD/$1" ;; esac; }
cd "$ROOT"
source "$ROOT/Benchmarks/lib/common.sh"
target="centre"; store="sqlite"; rounds=20; seed=1; threads=8; kill_after="0.5,3.0"; file_share=0.25
out="$ROOT/Benchmarks/out/crash"; vigil_bin=""; work=""
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --store) store="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --kill-after) kill_after="$2"; shift 2 ;;
    --file-share) file_share="$2"; shift 2 ;;
    --out) out="$(abspath "$2")"; shift 2 ;;
    --vigil) vigil_bin="$(abspath "$2")"; shift 2 ;;
    --work) work="$(abspath "$2")"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$target" in centre) ;; *) echo "--target $target: only centre for now (provider entries will follow)" >&2; exit 2 ;; esac
case "$store" in sqlite) ;; *) echo "--store $store: only sqlite for now (PostgreSQL will follow)" >&2; exit 2 ;; esac

bench_apt python3 python3-venv python3-pip
bash scripts/setup-python.sh
PY="$ROOT/.venv/bin/python"
"$PY" -m pip install -q -r Benchmarks/centre/requirements.txt
if [ -z "$vigil_bin" ] && [ "${VIGIL_BENCH_SKIP_BUILD:-0}" != 1 ]; then swift build -c release --product vigil >&2; fi
VIGIL="${vigil_bin:-$ROOT/.build/release/vigil}"
[ -x "$VIGIL" ] || { echo "no vigil binary at $VIGIL" >&2; exit 1; }
rm -rf "$out"; mkdir -p "$out"; OUT="$(cd "$out" && pwd)"
if [ -n "$work" ]; then rm -rf "$work"; mkdir -p "$work"; WORK="$work"; else WORK=$(mktemp -d); fi
cleanup() { [ -n "$work" ] || rm -rf "$WORK"; }
trap cleanup EXIT

# A fresh Centre: the provider (API key, signing key) and an analyst of the Centre (to read back).
DATA="$WORK/data"
"$VIGIL" orgs create "Crash Hosting" --kind provider --data-directory "$DATA" >/dev/null
PROVIDER_KEY=$("$VIGIL" keys create --org "Crash Hosting" --scopes report --data-directory "$DATA" 2>/dev/null)
PUBLIC=$("$PY" Benchmarks/centre/reports.py keygen "$WORK/provider.key")
"$VIGIL" reports register-key --org "Crash Hosting" --public-key "$PUBLIC" --data-directory "$DATA" >/dev/null
"$VIGIL" orgs create "Crash Centre" --kind centre --data-directory "$DATA" >/dev/null
READER_KEY=$("$VIGIL" keys create --org "Crash Centre" --scopes assess --data-directory "$DATA" 2>/dev/null)
port=$(bench_free_port)

{
  echo "# Crash script: the Centre killed with SIGKILL under intake load"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ); $(bench_machine); load average $(bench_loadavg);"
  echo "vigil $VIGIL (sha256 $(sha256sum < "$VIGIL" | cut -c1-12)); target $target, store $store (synchronous = FULL);"
  echo "$rounds rounds, seed $seed, $threads load threads, kill at $kill_after s into each round; a share of $file_share of the reports of material with a file (8-50 KB)."
  echo
} | tee "$OUT/summary.md"
status=0
VIGIL_CRASH_PROVIDER_KEY="$PROVIDER_KEY" VIGIL_CRASH_READER_KEY="$READER_KEY" \
  "$PY" -u Benchmarks/crash/crash.py --vigil "$VIGIL" --data "$DATA" --port "$port" --signing-key "$WORK/provider.key" \
    --out "$OUT" --rounds "$rounds" --seed "$seed" --threads "$threads" --kill-after "$kill_after" --file-share "$file_share" \
    --target "$target" --store "$store" | tee -a "$OUT/summary.md" || status=$?
{
  echo
  echo "load average at the end: $(bench_loadavg)"
  if [ "$status" = 0 ]; then echo "PASS: every acknowledged report present and whole after $rounds kills"
  else echo "FAIL (exit $status): see $OUT/problems.jsonl and $OUT/serve.log"; fi
} | tee -a "$OUT/summary.md"
exit "$status"
