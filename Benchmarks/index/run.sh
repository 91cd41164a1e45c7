#!/usr/bin/env bash
# Vigil HammingIndex vs FAISS, exact radius 31, one core: markdown table on stdout, also saved to
# Benchmarks/out/index-results.md. Datasets go to Benchmarks/out/index/<kind>-<N> (regenerated
# only when missing or different). See Benchmarks/index/README.md.
#
#   Benchmarks/index/run.sh                                   # 1 M and 10 M, random and clustered
#   Benchmarks/index/run.sh --sizes 1000000 --kinds random    # quick
#   Benchmarks/index/run.sh --hundred-million                 # also 100 M random (about 16 GiB RAM)
#   Benchmarks/index/run.sh --skip-faiss                      # reuse FAISS results already on disk
#   Benchmarks/index/run.sh --work DIR                        # datasets and results there instead
#
# Installs what it uses when missing (Python's venv with apt-get, through sudo when not root; numpy
# and faiss-cpu into .venv; the build's packages with scripts/install-deps.sh). After the table: the
# load average at the start and end of each phase and each tool's peak RSS.
#
# Environment:
#   VIGIL_BENCH_TARGET_CPU=native   also pass -Xswiftc -target-cpu -Xswiftc <value> to the build
#                                   (default: none; VigilIndex's C kernels pick POPCNT at run time)
#   VIGIL_BENCH_SKIP_BUILD=1        use the existing release IndexBench binary
#   FAISS_TIMED_LARGE=2000          queries timed for FAISS when N >= 5 M (ground truth still covers all)
#   NICE=10                         niceness for the long runs
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
HERE="$ROOT/Benchmarks/index"
OUT="$ROOT/Benchmarks/out/index"   # datasets are cached here (regenerated only when missing or different)
PY="$ROOT/.venv/bin/python"
NICE="${NICE:-10}"
TIMED_LARGE="${FAISS_TIMED_LARGE:-2000}"

sizes="1000000,10000000"
kinds="random,clustered"
hundred=0
skip_faiss=0
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
    --kinds) kinds="$2"; shift 2 ;;
    --hundred-million) hundred=1; shift ;;
    --skip-faiss) skip_faiss=1; shift ;;
    --work) mkdir -p "$2"; OUT="$(cd "$2" && pwd)"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { echo "[run.sh] $*" >&2; }

source "$ROOT/Benchmarks/lib/common.sh"
export BENCH_PHASES="$OUT/phases.tsv"; mkdir -p "$OUT"; : > "$BENCH_PHASES"
# What this script uses, installed before anything checks for it.
bench_apt python3 python3-venv python3-pip
[ "${VIGIL_BENCH_SKIP_BUILD:-0}" = 1 ] || bash "$ROOT/scripts/install-deps.sh" >&2
# Python: the repo's reference venv plus FAISS.
"$ROOT/scripts/setup-python.sh" >&2
if ! "$PY" -c 'import faiss, sys; sys.exit(faiss.__version__ != "1.15.1")' 2>/dev/null; then
  say "installing Benchmarks/index/requirements.txt into .venv"
  "$PY" -m pip install -q -r "$HERE/requirements.txt" >&2
fi

# Swift: the nested Benchmarks package (its own .build); IndexBench only needs VigilIndex.
flags=(-c release --package-path Benchmarks --product IndexBench)
if [ -n "${VIGIL_BENCH_TARGET_CPU:-}" ]; then
  flags+=(-Xswiftc -target-cpu -Xswiftc "$VIGIL_BENCH_TARGET_CPU")
fi
# Resolve the parent's remote dependencies offline from the SwiftPM cache, at the parent's pins.
[ -f Benchmarks/Package.resolved ] || cp Package.resolved Benchmarks/Package.resolved
if [ "${VIGIL_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  say "swift build ${flags[*]}"
  nice -n "$NICE" swift build "${flags[@]}" >&2
fi
BENCH="$(swift build "${flags[@]}" --show-bin-path)/IndexBench"

label() { local n=$1; if [ $((n % 1000000)) = 0 ]; then echo "$((n / 1000000))M"; else echo "$n"; fi; }

run_one() {  # N KIND [faiss args...]
  local n=$1 kind=$2; shift 2
  local dir="$OUT/$kind-$(label "$n")"
  say "== $kind N=$n -> $dir"
  bench_phase_start "$kind $(label "$n") data"
  bench_measure "$dir.gen-rss" nice -n "$NICE" "$PY" "$HERE/gen.py" "$dir" --count "$n" --kind "$kind" >&2
  bench_phase_end "$kind $(label "$n") data" "$(cat "$dir.gen-rss")" "gen.py"
  if [ "$skip_faiss" = 0 ] || [ ! -f "$dir/faiss-metrics.json" ]; then
    local t0=$SECONDS
    bench_phase_start "$kind $(label "$n") FAISS"
    bench_measure "$dir.faiss-rss" nice -n "$NICE" "$PY" "$HERE/faiss_bench.py" "$dir" "$@" > /dev/null
    bench_phase_end "$kind $(label "$n") FAISS" "$(cat "$dir.faiss-rss")" "faiss_bench.py"
    say "FAISS done in $((SECONDS - t0)) s"
  fi
  local t0=$SECONDS
  bench_phase_start "$kind $(label "$n") Vigil"
  bench_measure "$dir.vigil-rss" nice -n "$NICE" "$BENCH" "$dir" --out "$dir" | tail -n 1 > "$dir/vigil-metrics.json.tmp" || {
    say "IndexBench failed (exit $?); metrics so far:"; cat "$dir/vigil-metrics.json.tmp" >&2; }
  bench_phase_end "$kind $(label "$n") Vigil" "$(cat "$dir.vigil-rss")" "IndexBench"
  rm -f "$dir".*-rss
  mv "$dir/vigil-metrics.json.tmp" "$dir/vigil-metrics.json"
  say "Vigil done in $((SECONDS - t0)) s"
  dirs+=("$dir")
}

dirs=()
IFS=, read -r -a size_list <<< "$sizes"
IFS=, read -r -a kind_list <<< "$kinds"
for n in "${size_list[@]}"; do
  for kind in "${kind_list[@]}"; do
    if [ "$n" -ge 5000000 ]; then
      run_one "$n" "$kind" --flat-timed "$TIMED_LARGE" --mih-timed "$TIMED_LARGE"
    else
      run_one "$n" "$kind"
    fi
  done
done
if [ "$hundred" = 1 ]; then
  # FAISS MultiHash would need ~300 B/hash = ~30 GB here: not run. Flat: 3.2 GB for the index plus
  # 3.2 GB for the array; timed and used as ground truth on the first 500 queries only.
  run_one 100000000 random --methods flat --flat-timed 500 --truth-queries 500 --no-serialise
fi

mkdir -p "$ROOT/Benchmarks/out"
{
  echo "# Vigil HammingIndex vs FAISS (exact, radius 31, one core)"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores, FAISS 1.15.1 (faiss-cpu wheel), $(swift --version 2>&1 | head -1)"
  echo
  status=0
  "$PY" "$HERE/compare.py" "${dirs[@]}" || status=$?
  echo
  echo "Phases (load average at start and end; peak RSS of the largest process of each):"
  echo
  bench_phase_table
  exit "$status"
} | tee "$ROOT/Benchmarks/out/index-results.md"
exit "${PIPESTATUS[0]}"
