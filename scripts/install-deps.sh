#!/usr/bin/env bash
# Installs what Vigil needs to build and test on Debian 12: SQLite's headers, the C image codecs (libjpeg-turbo's
# TurboJPEG API, libpng, libwebp, giflib), ffmpeg (the ffmpeg and ffprobe executables VigilMedia runs to decode
# video frames for vPDQ, and FFmpeg's libraries and headers for vigil-framer, its long-lived frame server), PostgreSQL's server (the store contract suite runs on a throwaway cluster of it,
# scripts/postgres-cluster.sh), Python's venv for the reference yardsticks, and checks
# that a Swift 6 toolchain is on PATH. Uses sudo only when not already root. Safe to re-run.
set -euo pipefail

packages=(
    build-essential pkg-config
    libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev libwebp-dev libgif-dev libsqlite3-dev
    ffmpeg libavformat-dev libavcodec-dev libswscale-dev libavutil-dev
    postgresql
    python3 python3-venv python3-pip
)

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    for candidate in /opt/swift/usr/bin /opt/swift/bin /usr/share/swift/usr/bin; do
        if [ -x "$candidate/swift" ]; then
            echo "install-deps: swift is at $candidate but not on PATH; add it: export PATH=$candidate:\$PATH" >&2
            exit 1
        fi
    done
    echo "install-deps: no Swift toolchain found. Install Swift 6.1 or newer (https://www.swift.org/install/linux/) and put it on PATH." >&2
    exit 1
fi
swift_version=$(swift --version 2>&1 | sed -n 's/.*Swift version \([0-9][0-9.]*\).*/\1/p' | head -n1)
case "$swift_version" in
    6.*) ;;
    *) echo "install-deps: Swift 6.1 or newer is needed, found '${swift_version:-unknown}'" >&2; exit 1 ;;
esac
echo "install-deps: ok (Swift $swift_version)"
