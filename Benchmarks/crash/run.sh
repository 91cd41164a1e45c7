#!/usr/bin/env bash
# The crash script: a node is killed with SIGKILL under load, round after round, and every write it
# acknowledged must be there afterwards, whole (docs/crash.md): the Centre's reports (--target centre)
# or a provider node's list entries and deletions (--target provider), or one after the other (both).
#
#   Benchmarks/crash/run.sh [--target centre|provider|both] [--store sqlite|postgres [--store-url URL]] [--rounds 20] [--seed 1]
#       [--threads 8] [--kill-after 0.5,3.0] [--file-share 0.25] [--out Benchmarks/out/crash]
#       [--vigil PATH] [--work DIR]
#
# --target provider: one `vigil serve --role provider` on a fresh data folder with a curator's key
# (scopes curate, match); Benchmarks/crash/provider.py adds entries (PDQ and MD5; single adds and
# batches) and deletes some (by id, and by value in batches) on two lists, logs every acknowledged id
# with its value, kills the node at a seeded moment, restarts it and checks the store (every
# acknowledged entry stored and live, every acknowledged deletion a tombstone, nothing half-written,
# integrity), the API's read-back, the index (every live entry matched by its value and id, no
# tombstone matched) and the audit chain. What follows describes the centre target.
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
#   --target T        centre (the Centre's reports), provider (a provider node's entries), or both
#                     (centre then provider, each on its own node, in --out/centre and --out/provider)
#   --store S         sqlite (the data folder's vigil.sqlite), or postgres (the database --store-url
#                     URL names, one target at a time, or else, one database per target, a throwaway cluster of the script's
#                     own, scripts/postgres-cluster.sh, with fsync on; read back with psycopg, checked
#                     with amcheck)
#   --work DIR        keep the data folder and keys in DIR (default: a mktemp -d folder, removed)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CALLER_PWD="$PWD"; abspath() { case "$1" in /*|"") echo "$1" ;; *) echo "$CALLER_PWD/$1" ;; esac; }
cd "$ROOT"
source "$ROOT/Benchmarks/lib/common.sh"
target="centre"; store="sqlite"; rounds=20; seed=1; threads=8; kill_after="0.5,3.0"; file_share=0.25
out="$ROOT/Benchmarks/out/crash"; vigil_bin=""; work=""; store_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --store) store="$2"; shift 2 ;;
    --store-url) store_url="$2"; shift 2 ;;
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
case "$target" in centre|provider|both) ;; *) echo "--target $target: centre, provider or both" >&2; exit 2 ;; esac
case "$store" in sqlite|postgres) ;; *) echo "--store $store: sqlite or postgres" >&2; exit 2 ;; esac
if [ "$store" = postgres ] && [ "$target" = both ] && [ -n "$store_url" ]; then
  echo "--store-url with --target both: give one target per database (without --store-url, each gets its own)" >&2; exit 2
fi

bench_apt python3 python3-venv python3-pip
bash scripts/setup-python.sh
PY="$ROOT/.venv/bin/python"
"$PY" -m pip install -q -r Benchmarks/centre/requirements.txt
[ "$store" = postgres ] && "$PY" -m pip install -q "psycopg[binary]>=3.1"
if [ -z "$vigil_bin" ] && [ "${VIGIL_BENCH_SKIP_BUILD:-0}" != 1 ]; then swift build -c release --product vigil >&2; fi
VIGIL="${vigil_bin:-$ROOT/.build/release/vigil}"
[ -x "$VIGIL" ] || { echo "no vigil binary at $VIGIL" >&2; exit 1; }
rm -rf "$out"; mkdir -p "$out"; OUT="$(cd "$out" && pwd)"
if [ -n "$work" ]; then rm -rf "$work"; mkdir -p "$work"; WORK="$work"; else WORK=$(mktemp -d); fi
pg_cluster=""
cleanup() {
  [ -z "$pg_cluster" ] || bash scripts/postgres-cluster.sh stop "$pg_cluster"
  [ -n "$work" ] || rm -rf "$WORK"
}
trap cleanup EXIT
# PostgreSQL: the database --store-url names, or a throwaway cluster of our own (fsync on: durability is
# what is tested) with a new database.
# Each target gets its own database (crash_centre, crash_provider) on our own cluster.
base_url=""
if [ "$store" = postgres ] && [ -z "$store_url" ]; then
  pg_cluster=$(mktemp -d /tmp/vigil-crash-pg.XXXXXX)  # not under $WORK: the postgres user must reach it
  base_url=$(bash scripts/postgres-cluster.sh start "$pg_cluster" "$(bench_free_port)")
  psql "$base_url" -qc "CREATE DATABASE crash_centre" -qc "CREATE DATABASE crash_provider"
fi
# store_args_for TARGET: the store options of the target's node and commands (none for SQLite).
store_args_for() {
  store_args=()
  [ "$store" = postgres ] || return 0
  if [ -n "$base_url" ]; then store_args=(--store-url "${base_url%/*}/crash_$1"); else store_args=(--store-url "$store_url"); fi
}

# run_target TARGET OUT_DIR: a fresh node of the target on its own data folder, its keys, the rounds.
run_target() {
  local t="$1" dir="$2" data="$WORK/$1/data" port title status=0 env_keys=() extra=()
  mkdir -p "$dir" "$WORK/$t"
  port=$(bench_free_port)
  store_args_for "$t"
  case "$t" in
    centre)
      # The provider (API key, signing key) and an analyst of the Centre (to read back).
      title="the Centre killed with SIGKILL under intake load"
      "$VIGIL" orgs create "Crash Hosting" --kind provider --data-directory "$data" "${store_args[@]}" >/dev/null
      local provider_key reader_key public
      provider_key=$("$VIGIL" keys create --org "Crash Hosting" --scopes report --data-directory "$data" "${store_args[@]}" 2>/dev/null)
      public=$("$PY" Benchmarks/centre/reports.py keygen "$WORK/$t/provider.key")
      "$VIGIL" reports register-key --org "Crash Hosting" --public-key "$public" --data-directory "$data" "${store_args[@]}" >/dev/null
      "$VIGIL" orgs create "Crash Centre" --kind centre --data-directory "$data" "${store_args[@]}" >/dev/null
      reader_key=$("$VIGIL" keys create --org "Crash Centre" --scopes assess --data-directory "$data" "${store_args[@]}" 2>/dev/null)
      env_keys=(VIGIL_CRASH_PROVIDER_KEY="$provider_key" VIGIL_CRASH_READER_KEY="$reader_key")
      extra=(--signing-key "$WORK/$t/provider.key" --file-share "$file_share") ;;
    provider)
      # One curator's key (curate: add and delete entries; match: the index check).
      title="a provider node killed with SIGKILL while its lists are curated"
      "$VIGIL" orgs create "Crash Hosting" --kind provider --data-directory "$data" "${store_args[@]}" >/dev/null
      local curator_key
      curator_key=$("$VIGIL" keys create --org "Crash Hosting" --scopes curate,match --data-directory "$data" "${store_args[@]}" 2>/dev/null)
      env_keys=(VIGIL_CRASH_CURATOR_KEY="$curator_key") ;;
  esac
  {
    echo "# Crash script: $title"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ); $(bench_machine); load average $(bench_loadavg);"
    if [ "$store" = postgres ]; then store_text="postgres (fsync on, synchronous_commit on)"; else store_text="sqlite (synchronous = FULL)"; fi
    echo "vigil $VIGIL (sha256 $(sha256sum < "$VIGIL" | cut -c1-12)); target $t, store $store_text;"
    if [ "$t" = centre ]; then
      echo "$rounds rounds, seed $seed, $threads load threads, kill at $kill_after s into each round; a share of $file_share of the reports of material with a file (8-50 KB)."
    else
      echo "$rounds rounds, seed $seed, $threads load threads, kill at $kill_after s into each round; single adds, batches of 2-50, deletions by id and by value; PDQ (7 in 10) and MD5 entries on two lists."
    fi
    echo
  } | tee "$dir/summary.md"
  env "${env_keys[@]}" \
    "$PY" -u Benchmarks/crash/crash.py --vigil "$VIGIL" --data "$data" --port "$port" --out "$dir" \
      --rounds "$rounds" --seed "$seed" --threads "$threads" --kill-after "$kill_after" \
      --target "$t" --store "$store" "${store_args[@]}" "${extra[@]}" | tee -a "$dir/summary.md" || status=$?
  {
    echo
    echo "load average at the end: $(bench_loadavg)"
    if [ "$status" = 0 ]; then
      if [ "$t" = centre ]; then echo "PASS: every acknowledged report present and whole after $rounds kills"
      else echo "PASS: every acknowledged entry and deletion present, whole and answered by the index after $rounds kills"; fi
    else echo "FAIL (exit $status): see $dir/problems.jsonl and $dir/serve.log"; fi
  } | tee -a "$dir/summary.md"
  return "$status"
}

status=0
if [ "$target" = both ]; then
  for t in centre provider; do run_target "$t" "$OUT/$t" || status=1; done
  cat "$OUT/centre/summary.md" <(echo) "$OUT/provider/summary.md" > "$OUT/summary.md"
else
  run_target "$target" "$OUT" || status=1
fi
exit "$status"
