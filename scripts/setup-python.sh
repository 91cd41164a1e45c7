#!/usr/bin/env bash
# Create/refresh the Python reference environment (.venv in the repo root) used by
# scripts/pdq_reference.py and Benchmarks/pdq/. Idempotent; fast when up to date.
#   scripts/setup-python.sh          # uses python3 (override with PYTHON=/path/to/python3)
#   scripts/setup-python.sh scripts/requirements-api-fuzz.txt   # another pinned set into the same .venv
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="${1:-$ROOT/scripts/requirements-reference.txt}"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

# Exit 0 if every "name==version" line of $REQ is installed in the venv.
satisfied() {
  [ -x "$VENV/bin/python" ] || return 1
  "$VENV/bin/python" - "$REQ" <<'PYEOF' >/dev/null 2>&1
import sys
from importlib.metadata import version, PackageNotFoundError
ok = True
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, want = line.partition("==")
    try:
        ok &= (version(name.strip()) == want.strip())
    except PackageNotFoundError:
        ok = False
sys.exit(0 if ok else 1)
PYEOF
}

if satisfied; then
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  if ! command -v "$PY" >/dev/null 2>&1; then
    echo "setup-python.sh: '$PY' not found; install Python 3.9+ (or set PYTHON=...)" >&2
    exit 1
  fi
  rm -rf "$VENV"
  if ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    echo "setup-python.sh: '$PY -m venv' failed. On Debian/Ubuntu install the venv module:" >&2
    echo "    apt-get install python3-venv" >&2
    exit 1
  fi
fi

if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"; then
  echo "setup-python.sh: pip install -r $REQ failed (network? no wheel for this platform?)" >&2
  exit 1
fi

if ! satisfied; then
  echo "setup-python.sh: $VENV still does not satisfy $REQ" >&2
  exit 1
fi
