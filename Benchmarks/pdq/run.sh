#!/usr/bin/env bash
# PDQ benchmark: vigil vs the Python reference (Pillow + pdqhash), markdown table on stdout
# (also saved to Benchmarks/out/pdq-results.md). Takes ~5-10 min on 2 cores, first run
# included (the corpus is generated once into Benchmarks/out/pdq-corpus).
#
#   Benchmarks/pdq/run.sh                    # build vigil (release), set up .venv, run
#   Benchmarks/pdq/run.sh --python-only      # Python side only, no Swift build
#   Benchmarks/pdq/run.sh --reps 5 --limit 10   # other options: see bench.py --help
#
# Environment:
#   VIGIL_BENCH_TARGET_CPU=haswell     build with -Xswiftc -target-cpu -Xswiftc <value> (default: plain; swiftc 6.3 rejects "x86-64-v3")
#   VIGIL_BENCH_SKIP_BUILD=1          use the existing release binary as is
#   PDQ_CPP_CLI=/path/pdq-photo-hasher  add Meta's C++ CLI (needs ImageMagick `convert`; not built here)
#
# Installs what it uses when missing (Python's venv and taskset with apt-get, through sudo when not
# root; numpy, Pillow and pdqhash into .venv; the build's packages with scripts/install-deps.sh).
# The corpus goes to Benchmarks/out/pdq-corpus unless --corpus DIR is given. After the table: the
# load average at the start and end of each phase and the peak RSS of the largest process.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

python_only=0
for a in "$@"; do
  [ "$a" = "--python-only" ] && python_only=1
  if [ "$a" = "-h" ] || [ "$a" = "--help" ]; then sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0; fi
done

source "$ROOT/Benchmarks/lib/common.sh"
mkdir -p "$ROOT/Benchmarks/out"
export BENCH_PHASES="$ROOT/Benchmarks/out/pdq-phases.tsv"; : > "$BENCH_PHASES"
# What this script uses, installed before anything checks for it.
bench_apt python3 python3-venv python3-pip util-linux
if [ "$python_only" = 0 ] && [ "${VIGIL_BENCH_SKIP_BUILD:-0}" != 1 ]; then bash "$ROOT/scripts/install-deps.sh" >&2; fi

vigil_args=()
if [ "$python_only" = 0 ]; then
  flags=(-c release --product vigil)
  if [ -n "${VIGIL_BENCH_TARGET_CPU:-}" ]; then
    flags+=(-Xswiftc -target-cpu -Xswiftc "$VIGIL_BENCH_TARGET_CPU")
  fi
  if [ "${VIGIL_BENCH_SKIP_BUILD:-0}" != 1 ]; then
    echo "[run.sh] swift build ${flags[*]}" >&2
    swift build "${flags[@]}" >&2
  fi
  bin_dir="$(swift build "${flags[@]}" --show-bin-path)"
  vigil_args=(--vigil "$bin_dir/vigil")
fi

"$ROOT/scripts/setup-python.sh"
bench_phase_start "bench.py (corpus, Python and vigil runs)"
bench_measure "$ROOT/Benchmarks/out/pdq-peak-rss" "$ROOT/.venv/bin/python" "$ROOT/Benchmarks/pdq/bench.py" "${vigil_args[@]}" "$@" \
  | tee "$ROOT/Benchmarks/out/pdq-results.md"
bench_phase_end "bench.py (corpus, Python and vigil runs)" "$(cat "$ROOT/Benchmarks/out/pdq-peak-rss")" "largest process: Python or vigil"
{
  echo
  echo "Machine: $(bench_machine)"
  echo
  bench_phase_table
} | tee -a "$ROOT/Benchmarks/out/pdq-results.md"
