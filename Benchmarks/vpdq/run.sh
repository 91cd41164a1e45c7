#!/usr/bin/env bash
# vPDQ benchmark: Vigil's VideoHasher (release build; Swift PDQ on frames from vigil-framer, the
# long-lived frame server, or from ffprobe and ffmpeg started per video) against PyPI vpdq 0.2.5
# (Meta's C++ vPDQ, in-process libavcodec), in the same run, on the three sample videos of
# Tests/Fixtures/vpdq and a longer generated clip (30 s of lavfi testsrc2 at 1280x720, 30 fps, made
# once into Benchmarks/out/vpdq). One frame per second and every frame; Vigil with both colour paths
# (portable = plain C, the default; native = SIMD, as vpdq). Markdown table on stdout, also saved to
# Benchmarks/out/vpdq-results.md, with a second table of decoding alone (the framer's frames read and
# dropped: how far faster hashing could go); the load average before and after on stderr.
#
#   Benchmarks/vpdq/run.sh [--reps 3]
#
# Environment: VIGIL_BENCH_SKIP_BUILD=1 uses the existing release binary as is.
# Installs what it uses when missing (apt-get, through sudo when not root: ffmpeg, and cmake with
# FFmpeg's development packages to compile vpdq's sdist; vpdq into .venv beside the reference set).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/Benchmarks/vpdq"
OUT="$ROOT/Benchmarks/out"
cd "$ROOT"
reps=3
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

source "$ROOT/Benchmarks/lib/common.sh"
bench_apt python3 python3-venv python3-pip ffmpeg cmake pkg-config \
  libavcodec-dev libavformat-dev libavdevice-dev libavutil-dev libswscale-dev libswresample-dev libavfilter-dev
bash "$ROOT/scripts/setup-python.sh" >&2
PY="$ROOT/.venv/bin/python"
if ! "$PY" -c 'import vpdq' 2>/dev/null; then
  echo "[vpdq] installing Benchmarks/vpdq/requirements.txt into .venv (compiles vpdq)" >&2
  "$PY" -m pip install -q -r "$HERE/requirements.txt" >&2
fi

if [ "${VIGIL_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  swift build -c release --package-path Benchmarks --product VPDQBench >&2
  swift build -c release --product vigil-framer >&2
fi
FRAMER="$(swift build -c release --show-bin-path)/vigil-framer"
BIN="$(swift build -c release --package-path Benchmarks --show-bin-path)/VPDQBench"

mkdir -p "$OUT/vpdq"
long="$OUT/vpdq/testsrc2-hd-30s.mp4"
if [ ! -s "$long" ]; then
  ffmpeg -nostdin -hide_banner -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=30" -t 30 \
    -c:v libx264 -preset veryfast -pix_fmt yuv420p "$long"
fi
videos=("$ROOT"/Tests/Fixtures/vpdq/*.mp4 "$long")

load_before="$(bench_loadavg)"
echo "load average before: $load_before" >&2
"$BIN" --reps "$reps" --modes 1,0 --colour portable,native --backends framer,ffmpeg --framer "$FRAMER" \
  "${videos[@]}" > "$OUT/vpdq-vigil.tsv"
# Decoding alone: the framer's frames read and dropped (the bound on what faster hashing can give).
"$BIN" --reps "$reps" --modes 1,0 --colour native --backends framer-decode --framer "$FRAMER" "${videos[@]}" \
  | tail -n +2 >> "$OUT/vpdq-vigil.tsv"
"$PY" "$HERE/bench_vpdq.py" --reps "$reps" --modes 1,0 "${videos[@]}" > "$OUT/vpdq-python.tsv"
load_after="$(bench_loadavg)"
echo "load average after: $load_after" >&2
cpu="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//')"
{
  echo "vPDQ hashing on $(nproc) cores (${cpu:-unknown CPU}), $(ffmpeg -version | head -n1 | cut -d' ' -f1-3), median of $reps runs;"
  echo "load average (1, 5, 15 min) $load_before before, $load_after after (above the core count, other work shared the machine)."
  echo "Vigil: release build, hashing tasks = cores, the decoders' default threads (vigil-framer: libavcodec's frame"
  echo "and slice threads, one per core; it skips unhashed non-reference frames; its processes started by the first run"
  echo "and kept); vpdq: its defaults (hashing threads = cores), in one Python process."
  echo
  python3 "$HERE/table.py" "$OUT/vpdq-vigil.tsv" "$OUT/vpdq-python.tsv" "${videos[@]}"
} | tee "$OUT/vpdq-results.md"
