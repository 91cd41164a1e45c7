#!/usr/bin/env bash
# Same-run comparison of two commits: is NEW as fast as OLD, on the same machine, the same data, now?
#
#   Benchmarks/compare/run.sh OLD_REF [NEW_REF] [--rounds 3] [--hashes 1000000] [--entries 1000000]
#       [--seconds 15] [--connections 32] [--work DIR] [--no-index] [--no-server]
#       [--old-vigil PATH] [--new-vigil PATH]
#
# OLD_REF and NEW_REF are anything `git rev-parse` takes; NEW_REF defaults to the working tree as it is
# (uncommitted changes included). The old side (and NEW_REF's, when given) is checked out with
# `git worktree add` into a temporary folder beside this tree and built there in release; the working
# tree is built in place (.build/release). Both sides get the same Package.resolved pins.
#
# Then, in one run, alternating old, new, old, new… for --rounds rounds:
#   index:  each side's IndexBench (Benchmarks/Sources/IndexBench, linked with that side's VigilIndex)
#           on one data set of --hashes random hashes and 10,000 queries (Benchmarks/index/gen.py),
#           radius 31, default tuning: queries per second on one core (first pass and warm repeat).
#   server: this tree's Benchmarks/server/run.sh, wrk only, with each side's vigil binary (--vigil)
#           on one data set of --entries random hashes (--data): hash lookups/s and uploads/s, with
#           the import time and the server's peak RSS.
# It prints one table of medians (metric, old, new, new/old; the best of each side below it), then
# every round's figures with the load average at the start and end of each measurement. A new/old
# under 1 on a "higher is better" row means NEW is slower. Results: Benchmarks/out/compare/.
#
# --old-vigil/--new-vigil PATH: use that vigil binary for the side instead of building it (say, builds
#   kept from an earlier run); only IndexBench is then built for that side.
# --work DIR: keep the worktrees, builds and data there (default: a `mktemp -d` folder, removed at the
#   end); a second run with the same --work reuses the builds (incremental) and the data.
# Takes two release builds (the long part: tens of minutes each on 2 cores), then per round about
# 2 x (IndexBench + the server's import and 2 x --seconds of wrk).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CALLER_PWD="$PWD"; abspath() { case "$1" in /*|"") echo "$1" ;; *) echo "$CALLER_PWD/$1" ;; esac; }
cd "$ROOT"
source "$ROOT/Benchmarks/lib/common.sh"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d'; }
old_ref=""; new_ref=""; rounds=3; hashes=1000000; entries=1000000; seconds=15; connections=32; work=""
run_index=1; run_server=1; old_vigil=""; new_vigil=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --hashes) hashes="$2"; shift 2 ;;
    --entries) entries="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --work) work="$(abspath "$2")"; shift 2 ;;
    --no-index) run_index=0; shift ;;
    --no-server) run_server=0; shift ;;
    --old-vigil) old_vigil="$(abspath "$2")"; shift 2 ;;
    --new-vigil) new_vigil="$(abspath "$2")"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    *) if [ -z "$old_ref" ]; then old_ref="$1"; elif [ -z "$new_ref" ]; then new_ref="$1"; else echo "too many refs: $1" >&2; exit 2; fi; shift ;;
  esac
done
[ -n "$old_ref" ] || { usage >&2; exit 2; }
old_commit=$(git rev-parse --verify "$old_ref^{commit}") || { echo "not a commit: $old_ref" >&2; exit 2; }
if [ -n "$new_ref" ]; then
  new_commit=$(git rev-parse --verify "$new_ref^{commit}") || { echo "not a commit: $new_ref" >&2; exit 2; }
  new_label="$new_ref (${new_commit:0:10})"
else
  new_label="working tree (HEAD $(git rev-parse --short=10 HEAD)$(git diff --quiet HEAD -- Sources Package.swift Benchmarks/Sources || echo ', with uncommitted changes'))"
fi
old_label="$old_ref (${old_commit:0:10})"
say() { echo "[compare $(date +%T)] $*" >&2; }

# What this script uses, installed before anything checks for it.
bash scripts/install-deps.sh >&2
bench_apt curl wrk git
bash scripts/setup-python.sh
PY="$ROOT/.venv/bin/python"

if [ -z "$work" ]; then WORK=$(mktemp -d); remove_work=1; else mkdir -p "$work"; WORK="$(cd "$work" && pwd)"; remove_work=0; fi
cleanup() {
  local tree
  if [ "$remove_work" = 1 ]; then
    for tree in "$WORK/old" "$WORK/new"; do
      [ -d "$tree" ] && git -C "$ROOT" worktree remove --force "$tree" >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
    git -C "$ROOT" worktree prune >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
OUT="$ROOT/Benchmarks/out/compare"; rm -rf "$OUT"; mkdir -p "$OUT"
export BENCH_PHASES="$OUT/phases.tsv"; : > "$BENCH_PHASES"
say "work folder $WORK"

# --- The trees: a worktree per commit (reused when --work already holds it at that commit).
checkout() {  # checkout DIR COMMIT
  local dir="$1" commit="$2"
  if [ -d "$dir" ] && [ "$(git -C "$dir" rev-parse HEAD 2>/dev/null)" = "$commit" ]; then return 0; fi
  [ ! -d "$dir" ] || { git -C "$ROOT" worktree remove --force "$dir" >/dev/null 2>&1 || rm -rf "$dir"; git -C "$ROOT" worktree prune; }
  say "git worktree add $dir ${commit:0:10}"
  git -C "$ROOT" worktree add --detach "$dir" "$commit" >&2
}
checkout "$WORK/old" "$old_commit"
OLD="$WORK/old"
if [ -n "$new_ref" ]; then checkout "$WORK/new" "$new_commit"; NEW="$WORK/new"; else NEW="$ROOT"; fi
# The same dependency versions on both sides (Package.resolved is not committed in this repository).
for side in "$OLD" "$NEW"; do
  if [ -f "$ROOT/Package.resolved" ] && [ "$side" != "$ROOT" ]; then cp "$ROOT/Package.resolved" "$side/Package.resolved"; fi
  if [ -f "$side/Package.resolved" ] && [ ! -f "$side/Benchmarks/Package.resolved" ]; then cp "$side/Package.resolved" "$side/Benchmarks/Package.resolved"; fi
done

# --- Builds, one at a time: vigil, and IndexBench from the nested Benchmarks package.
build() {  # build SIDE_DIR LABEL GIVEN_VIGIL
  local dir="$1" label="$2" given="$3"
  bench_phase_start "build $label"
  if [ "$run_server" = 1 ] && [ -z "$given" ]; then
    say "building $label in release: vigil"
    (cd "$dir" && swift build -c release --product vigil >&2)
  fi
  if [ "$run_index" = 1 ]; then
    if [ -d "$dir/Benchmarks/Sources/IndexBench" ]; then
      say "building $label in release: IndexBench"
      (cd "$dir" && swift build -c release --package-path Benchmarks --product IndexBench >&2)
    else
      say "$label has no Benchmarks/Sources/IndexBench: the index comparison is skipped"; run_index=0
    fi
  fi
  bench_phase_end "build $label"
}
build "$OLD" old "$old_vigil"
build "$NEW" new "$new_vigil"
OLD_VIGIL="${old_vigil:-$OLD/.build/release/vigil}"; NEW_VIGIL="${new_vigil:-$NEW/.build/release/vigil}"
for v in "$OLD_VIGIL" "$NEW_VIGIL"; do [ "$run_server" = 0 ] || [ -x "$v" ] || { echo "no vigil binary at $v" >&2; exit 1; }; done
OLD_IB="$OLD/Benchmarks/.build/release/IndexBench"; NEW_IB="$NEW/Benchmarks/.build/release/IndexBench"
[ "$run_server" = 0 ] || say "old vigil: $OLD_VIGIL ($(sha256sum < "$OLD_VIGIL" | cut -c1-12)); new vigil: $NEW_VIGIL ($(sha256sum < "$NEW_VIGIL" | cut -c1-12))"

# --- One data set per benchmark, used by both sides in every round.
INDEX_DATA="$WORK/index-data-$hashes"; SERVER_DATA="$WORK/server-data-$entries"
if [ "$run_index" = 1 ]; then
  "$PY" "$ROOT/Benchmarks/index/gen.py" "$INDEX_DATA" --count "$hashes" --kind random >&2
fi
if [ "$run_server" = 1 ] && [ ! -f "$SERVER_DATA/list.tsv" ]; then
  bash "$ROOT/Benchmarks/server/run.sh" --data-only --entries "$entries" --out "$SERVER_DATA" >&2
fi

# --- Rounds: old then new, each round; every figure appended to results.tsv
#     (round, side, metric, value, load at start, load at end).
RESULTS="$OUT/results.tsv"; : > "$RESULTS"
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RESULTS"; }
run_index_bench() {  # SIDE ROUND
  local side="$1" r="$2" bin dir load0 load1 json
  if [ "$side" = old ]; then bin="$OLD_IB"; else bin="$NEW_IB"; fi
  dir="$WORK/ib-$side-$r"; mkdir -p "$dir"
  load0=$(bench_loadavg)
  json=$("$bin" "$INDEX_DATA" --radius 31 --out "$dir" 2> "$dir/stderr.txt" | tail -n 1) \
    || { echo "IndexBench ($side) failed:" >&2; cat "$dir/stderr.txt" >&2; exit 1; }
  load1=$(bench_loadavg)
  rm -f "$dir/vigil-results.tsv"
  echo "$json" > "$OUT/indexbench-$side-$r.json"
  for key in qps qps_warm peak_rss_bytes; do
    record "$r" "$side" "index $key" "$(echo "$json" | "$PY" -c "import json, sys; print(json.load(sys.stdin).get('$key', ''))")" "$load0" "$load1"
  done
}
run_server_bench() {  # SIDE ROUND
  local side="$1" r="$2" bin out load0 load1 key value
  if [ "$side" = old ]; then bin="$OLD_VIGIL"; else bin="$NEW_VIGIL"; fi
  out="$OUT/server-$side-$r"
  load0=$(bench_loadavg)
  VIGIL_BENCH_SKIP_BUILD=1 bash "$ROOT/Benchmarks/server/run.sh" --vigil "$bin" --data "$SERVER_DATA" --out "$out" \
    --entries "$entries" --seconds "$seconds" --connections "$connections" --lookup-rates "" --upload-rates "" > "$out.log" 2>&1 \
    || { echo "Benchmarks/server/run.sh ($side) failed:" >&2; tail -30 "$out.log" >&2; exit 1; }
  load1=$(bench_loadavg)
  rm -f "$out/list.tsv"
  while IFS=$'\t' read -r key value; do record "$r" "$side" "server $key" "$value" "$load0" "$load1"; done < "$out/summary.tsv"
}
for r in $(seq 1 "$rounds"); do
  for side in old new; do
    if [ "$run_index" = 1 ]; then say "round $r/$rounds: IndexBench, $side"; run_index_bench "$side" "$r"; fi
    if [ "$run_server" = 1 ]; then say "round $r/$rounds: server, $side"; run_server_bench "$side" "$r"; fi
  done
done

# --- The table.
{
  echo "# Same-run comparison: old $old_label, new $new_label"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ); $(bench_machine); $(swift --version 2>&1 | head -1)"
  echo "$rounds rounds, alternating old, new; index: $hashes random hashes, 10,000 queries, radius 31, default tuning;"
  [ "$run_server" = 0 ] || echo "server: $entries entries, wrk 1 thread, $connections connections, ${seconds} s per route; old vigil $OLD_VIGIL (sha256 $(sha256sum < "$OLD_VIGIL" | cut -c1-12)), new vigil $NEW_VIGIL (sha256 $(sha256sum < "$NEW_VIGIL" | cut -c1-12))."
  echo
  "$PY" - "$RESULTS" <<'PY'
import statistics, sys
from collections import defaultdict
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
values = defaultdict(lambda: defaultdict(list))
order = []
def number(text):
    text = text.strip()
    for suffix, scale in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if text.endswith(suffix) and text[:-len(suffix)].replace(".", "", 1).isdigit():
            return float(text[:-len(suffix)]) * scale  # latencies in ms
    try:
        return float(text)
    except ValueError:
        return None
for r, side, metric, value, _, _ in rows:
    v = number(value)
    if v is None:
        continue
    if metric not in order:
        order.append(metric)
    values[metric][side].append(v)
NAMES = {
    "index qps": ("index searches/s, 1 core (first pass)", "higher", 1),
    "index qps_warm": ("index searches/s, warm repeat", "higher", 1),
    "index peak_rss_bytes": ("IndexBench peak RSS, MiB", "lower", 1 / 1048576),
    "server lookups_per_s": ("hash lookups/s (wrk)", "higher", 1),
    "server lookup_p50": ("lookup p50, ms", "lower", 1),
    "server lookup_p99": ("lookup p99, ms", "lower", 1),
    "server uploads_per_s": ("uploads/s (wrk)", "higher", 1),
    "server upload_p50": ("upload p50, ms", "lower", 1),
    "server upload_p99": ("upload p99, ms", "lower", 1),
    "server import_s": ("import of the list, s", "lower", 1),
    "server server_peak_rss_mib": ("server peak RSS, MiB", "lower", 1),
}
def fmt(x):
    return "{:,.0f}".format(x) if abs(x) >= 100 else "{:.2f}".format(x)
print("| metric | better | old (median) | new (median) | new/old | old best | new best |")
print("|---|---|--:|--:|--:|--:|--:|")
for metric in order:
    name, better, scale = NAMES.get(metric, (metric, "?", 1))
    old = [v * scale for v in values[metric]["old"]]
    new = [v * scale for v in values[metric]["new"]]
    if not old or not new:
        continue
    mo, mn = statistics.median(old), statistics.median(new)
    pick = max if better == "higher" else min
    ratio = "{:.3f}".format(mn / mo) if mo else "–"
    print("| {} | {} | {} | {} | {} | {} | {} |".format(name, better, fmt(mo), fmt(mn), ratio, fmt(pick(old)), fmt(pick(new))))
print()
print("Every round (value; load average at the start and end of the measurement):")
print()
print("| round | side | metric | value | load at start | load at end |")
print("|--:|---|---|--:|---|---|")
for r, side, metric, value, l0, l1 in rows:
    if metric in ("index qps", "server lookups_per_s", "server uploads_per_s"):
        print("| {} | {} | {} | {} | {} | {} |".format(r, side, NAMES[metric][0], value, l0, l1))
PY
  echo
  echo "Builds:"
  echo
  bench_phase_table
} | tee "$OUT/compare.md"
