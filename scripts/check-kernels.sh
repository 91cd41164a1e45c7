#!/usr/bin/env bash
# Checks the C kernels of CPDQKernels and CVigilSupport as the release build compiles them: builds
# those two targets with `swift build -c release` (their objects at -O2, vectorised), links them
# into Tests/KernelCheck/check_kernels.c, built without optimisation or contraction as the
# reference, and runs it: every variant this processor can run, all 2^24 colours for the luma
# kernels, scan and verify for the Hamming ones. The Swift tests run the debug build, whose C is
# compiled at -O0. Called by scripts/test.sh (make test); exits non-zero on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
out="$(mktemp -d /tmp/vigil-kernel-check.XXXXXX)"
trap 'rm -rf "$out"' EXIT
for target in CPDQKernels CVigilSupport; do
    "$SWIFT" build -c release --target "$target" >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }
done
bin="$("$SWIFT" build -c release --show-bin-path)"
objects=("$bin/CPDQKernels.build/pdq_kernels.c.o" "$bin/CVigilSupport.build/vigil_support.c.o")
for object in "${objects[@]}"; do
    [ -f "$object" ] || { echo "check-kernels: $object was not built" >&2; exit 1; }
done
CC="${CC:-$(command -v clang || echo cc)}"
"$CC" -O0 -ffp-contract=off -I Sources/CPDQKernels/include -I Sources/CVigilSupport/include \
    Tests/KernelCheck/check_kernels.c "${objects[@]}" -o "$out/check_kernels"
"$out/check_kernels"
