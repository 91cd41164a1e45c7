#!/usr/bin/env bash
# Text indicators: conversations (one message each) assessed per second on one thread by
# VigilText's ConversationAssessor, with the shipped English, German and French sets plus generated
# indicators up to --indicators (10,000 by default), over a seeded corpus of 200,000 chat messages of
# 8-20 words (one in 20 carries an indicator phrase, half of those disguised). Release build.
# First precision and recall per language and per stage on the held-back conversations in
# Tests/Fixtures/text (written by another session without seeing the indicator sets). Then the speed.
# Prints markdown tables (also saved to Benchmarks/out/text-results.md) and the load average.
#
#   Benchmarks/text/run.sh [--indicators 10000] [--messages 200000] [--rounds 5]
#
# The issue's target: at least 100,000 messages per second per core with 10,000 indicators loaded.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
if [ "${VIGIL_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  swift build -c release --package-path Benchmarks --product TextBench >&2
fi
BIN="$(swift build -c release --package-path Benchmarks --show-bin-path)/TextBench"
mkdir -p Benchmarks/out
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
{
  echo "Precision and recall on the held-back conversations (Tests/Fixtures/text, written without seeing the sets):"
  echo
  "$BIN" --root "$ROOT" --evaluate "$ROOT/Tests/Fixtures/text"
  echo
  echo "Speed (one thread):"
  echo
  "$BIN" --root "$ROOT" "$@"
} | tee Benchmarks/out/text-results.md
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
