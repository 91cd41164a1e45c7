#!/usr/bin/env bash
# Coverage-guided fuzzing of Vigil's parsers with libFuzzer; see docs/fuzzing.md.
#
#   Fuzz/run.sh TARGET SECONDS [LIBFUZZER FLAGS...]   build, then fuzz one target for SECONDS
#   Fuzz/run.sh all SECONDS                             each target in turn for SECONDS
#   Fuzz/run.sh smoke [SECONDS]                         CI: each target briefly (default 3 s), fail on any finding
#   Fuzz/run.sh list                                    the target names
#
# TARGET is one of: jpeg png webp gif tsv hma-csv ncmec-xml stopncii-json jsonl hex index exchange-pages.
# FUZZ_SKIP_BUILD=1 skips the build; FUZZ_TIMEOUT (default 30) is the seconds one input may take. Each target's corpus grows in Fuzz/.build-fuzz/corpus/TARGET
# (seeded from Tests/Fixtures and Fuzz/seeds on every run); crashes, timeouts and out-of-memory inputs
# land in Fuzz/.build-fuzz/findings/TARGET/ (not artifacts/: SwiftPM empties that
# folder of its scratch path when it resolves). Prints one summary line per target:
#   target=jpeg seconds=60 execs=123456 cov=1234 ft=2345 corpus=321 crashes=0
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
scratch="$here/.build-fuzz"
fixtures="$root/Tests/Fixtures"
targets=(jpeg png webp gif tsv hma-csv ncmec-xml stopncii-json jsonl hex index exchange-pages)

executable() {
    case "$1" in
        jpeg) echo FuzzJPEG ;; png) echo FuzzPNG ;; webp) echo FuzzWebP ;; gif) echo FuzzGIF ;;
        tsv) echo FuzzTSV ;; hma-csv) echo FuzzHMACSV ;; ncmec-xml) echo FuzzNCMECXML ;;
        stopncii-json) echo FuzzStopNCII ;; jsonl) echo FuzzJSONLines ;; hex) echo FuzzHex ;; index) echo FuzzIndex ;;
        exchange-pages) echo FuzzExchangePages ;;
        *) echo "unknown fuzz target '$1'; one of: ${targets[*]}" >&2; return 2 ;;
    esac
}

# The longest input libFuzzer makes: small images keep every execution in the codecs' parsers (the
# seeds are small fixtures); text formats get room for several records.
max_len() {
    case "$1" in
        jpeg | png | webp | gif) echo 8192 ;;
        index) echo 16384 ;;
        *) echo 4096 ;;
    esac
}

# Extra libFuzzer flags per target. NCMEC pages go through Foundation's XMLParser, whose error path
# leaks the CFError it builds for every malformed document (swift-corelibs-foundation,
# _structuredErrorFunc; a direct leak inside Foundation, not in Vigil), so leaks are not checked there.
extra_flags() {
    case "$1" in
        ncmec-xml | exchange-pages) echo -detect_leaks=0 ;;
    esac
}

build() {
    [ "${FUZZ_SKIP_BUILD:-0}" = 1 ] && return 0
    [ -f "$here/Package.resolved" ] || { [ -f "$root/Package.resolved" ] && cp "$root/Package.resolved" "$here/"; }
    local start=$SECONDS
    # Debug build: every module (Vigil's and its dependencies') instrumented for coverage and ASan.
    swift build --package-path "$here" --scratch-path "$scratch" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld 2>&1 \
        | grep -v -e "Cannot export local symbol" -e '^\[[0-9]*/[0-9]*\]' || true
    [ -x "$scratch/debug/FuzzIndex" ] || { echo "fuzz build failed" >&2; exit 1; }
    echo "fuzz build: $((SECONDS - start)) s"
}

# Copies the fixtures of a target's format (those under 64 KiB) into its corpus folder.
seed() {
    local target=$1 corpus=$2 pattern=""
    case "$target" in
        jpeg) pattern='.*\.jpe?g' ;; png) pattern='.*\.png' ;; webp) pattern='.*\.webp' ;; gif) pattern='.*\.gif' ;;
        tsv) pattern='.*\.tsv' ;; hma-csv) pattern='.*\.csv' ;; ncmec-xml) pattern='.*\.xml' ;;
        stopncii-json) pattern='.*stopncii.*\.json' ;; jsonl) pattern='.*\.jsonl' ;; hex) pattern='.*repo-expected\.txt' ;;
    esac
    if [ -n "$pattern" ]; then
        find "$fixtures" -type f -size -64k -regextype posix-extended -iregex "$pattern" -exec cp -n {} "$corpus/" \;
    fi
    if [ -d "$here/seeds/$target" ]; then cp -n "$here/seeds/$target"/* "$corpus/"; fi
}

# Runs one target for $2 seconds and prints its summary line; returns 1 if it found anything.
fuzz() {
    local target=$1 seconds=$2
    shift 2
    local binary corpus artifacts log
    binary="$scratch/debug/$(executable "$target")"
    corpus="$scratch/corpus/$target"
    artifacts="$scratch/findings/$target"
    log="$scratch/logs/$target.log"
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    seed "$target" "$corpus"
    local before
    # Findings: crash-, timeout-, oom- and leak- files; slow-unit- files are reported, not counted.
    before=$(find "$artifacts" -type f ! -name 'slow-unit-*' | wc -l)
    local status=0
    local asan_options="${ASAN_OPTIONS:-}"
    # Not even at exit for ncmec-xml (see extra_flags).
    [ "$target" = ncmec-xml ] || [ "$target" = exchange-pages ] && asan_options="detect_leaks=0${asan_options:+:$asan_options}"
    ASAN_OPTIONS="$asan_options" VIGIL_FUZZ_INDEX_SEEDS="$corpus" \
        "$binary" "$corpus" -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=${FUZZ_TIMEOUT:-30} -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" $(extra_flags "$target") "$@" >"$log" 2>&1 || status=$?
    local execs cov ft corp found
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corp=$(find "$corpus" -type f | wc -l)
    found=$(($(find "$artifacts" -type f ! -name 'slow-unit-*' | wc -l) - before))
    echo "target=$target seconds=$seconds execs=${execs:-0} cov=${cov:-0} ft=${ft:-0} corpus=$corp crashes=$found"
    if [ "$status" != 0 ] || [ "$found" != 0 ]; then
        echo "--- $target: libFuzzer exited $status; the end of $log:" >&2
        tail -40 "$log" >&2
        return 1
    fi
}

case "${1:-}" in
    list) printf '%s\n' "${targets[@]}" ;;
    all | smoke)
        mode=$1
        seconds=${2:-3}
        build
        failed=0
        for target in "${targets[@]}"; do
            # The smoke run starts from the seeds only, so that CI checks the same inputs every time.
            [ "$mode" = smoke ] && rm -rf "$scratch/corpus/$target"
            fuzz "$target" "$seconds" || failed=1
        done
        exit $failed
        ;;
    "" | -h | --help)
        sed -n '2,13p' "$0"
        exit 2
        ;;
    *)
        target=$1
        seconds=${2:?"Fuzz/run.sh $target SECONDS"}
        shift 2
        executable "$target" >/dev/null
        build
        fuzz "$target" "$seconds" "$@"
        ;;
esac
