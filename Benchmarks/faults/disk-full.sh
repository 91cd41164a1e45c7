#!/usr/bin/env bash
# The disk-full fault test: the node's data folder on a small tmpfs is filled by writes until SQLite
# reports SQLITE_FULL; the answers must be a clear 507 (JSON error disk_full that says what to do),
# never a 500 or a hang, /ready must report it, writes must succeed again without a restart once
# space is freed, and after a restart every acknowledged write must be there with PRAGMA
# integrity_check ok (docs/crash.md, "Disk full").
#
#   Benchmarks/faults/disk-full.sh [--size-mib 24] [--filler-mib 4] [--no-reports] [--seed 1]
#       [--out Benchmarks/out/disk-full] [--vigil PATH]
#
# Needs root (mount): it re-runs itself in a private mount namespace (unshare -m), so the tmpfs is
# seen by this script and its children only and goes away with them. The tmpfs (--size-mib) holds
# the data folder and a filler file (--filler-mib) that is deleted to free space. A provider
# organisation gets one key (curate, match, report) and an Ed25519 signing key; `vigil serve --role
# all` then takes md5 entries (100 a request) and, unless --no-reports, a signed Centre report with
# one generated JPEG (8-50 KB) every other request (Benchmarks/centre/reports.py, Python's
# `cryptography`). The driver is Benchmarks/faults/disk_full.py. Exit status 1 on any problem.
# Results in --out: summary.md, results.json, serve.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CALLER_PWD="$PWD"; abspath() { case "$1" in /*|"") echo "$1" ;; *) echo "$CALLER_PWD/$1" ;; esac; }
size_mib=24; filler_mib=4; reports=1; seed=1; out="$ROOT/Benchmarks/out/disk-full"; vigil_bin=""
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib="$2"; shift 2 ;;
    --filler-mib) filler_mib="$2"; shift 2 ;;
    --no-reports) reports=0; shift ;;
    --seed) seed="$2"; shift 2 ;;
    --out) out="$(abspath "$2")"; shift 2 ;;
    --vigil) vigil_bin="$(abspath "$2")"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
cd "$ROOT"
source "$ROOT/Benchmarks/lib/common.sh"

if [ "${VIGIL_FAULT_NAMESPACE:-0}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "the disk-full test mounts a tmpfs: run it as root (or with sudo)" >&2; exit 2; }
  command -v unshare >/dev/null || { echo "the disk-full test needs unshare (util-linux)" >&2; exit 2; }
  if [ -z "$vigil_bin" ] && [ "${VIGIL_BENCH_SKIP_BUILD:-0}" != 1 ]; then swift build -c release --product vigil >&2; fi
  if [ "$reports" = 1 ]; then
    bench_apt python3 python3-venv python3-pip
    bash scripts/setup-python.sh
    "$ROOT/.venv/bin/python" -m pip install -q -r Benchmarks/centre/requirements.txt
  fi
  exec env VIGIL_FAULT_NAMESPACE=1 unshare -m --propagation private "$0" "${args[@]}"
fi

VIGIL="${vigil_bin:-$ROOT/.build/release/vigil}"
[ -x "$VIGIL" ] || { echo "no vigil binary at $VIGIL" >&2; exit 1; }
PY=python3; [ "$reports" = 1 ] && PY="$ROOT/.venv/bin/python"
rm -rf "$out"; mkdir -p "$out"; OUT="$(cd "$out" && pwd)"
WORK=$(mktemp -d)
MOUNT="$WORK/disk"
mkdir -p "$MOUNT"
mount -t tmpfs -o size="${size_mib}m" vigil-disk-full "$MOUNT"
cleanup() { umount "$MOUNT" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
DATA="$MOUNT/data"

"$VIGIL" orgs create "Full Disk Hosting" --kind provider --data-directory "$DATA" >/dev/null
KEY=$("$VIGIL" keys create --org "Full Disk Hosting" --scopes curate,match,report --data-directory "$DATA" 2>/dev/null)
signing=()
if [ "$reports" = 1 ]; then
  PUBLIC=$("$PY" Benchmarks/centre/reports.py keygen "$WORK/provider.key")
  "$VIGIL" reports register-key --org "Full Disk Hosting" --public-key "$PUBLIC" --data-directory "$DATA" >/dev/null
  signing=(--reports --signing-key "$WORK/provider.key")
fi
dd if=/dev/zero of="$MOUNT/filler" bs=1M count="$filler_mib" status=none
port=$(bench_free_port)
echo "[disk-full] tmpfs of $size_mib MiB at $MOUNT, filler $filler_mib MiB, $(df -B1 --output=avail "$MOUNT" | tail -1) bytes free; vigil $VIGIL" >&2

status=0
VIGIL_FAULT_KEY="$KEY" "$PY" Benchmarks/faults/disk_full.py --vigil "$VIGIL" --data "$DATA" --filler "$MOUNT/filler" --out "$OUT" \
  --port "$port" --seed "$seed" "${signing[@]}" > "$OUT/driver.out" || status=$?

"$PY" - "$OUT/results.json" "$size_mib" "$filler_mib" "$reports" > "$OUT/summary.md" <<'EOF' || status=1
import json, sys
r = json.load(open(sys.argv[1]))
size, filler, reports = sys.argv[2], sys.argv[3], sys.argv[4] == "1"
fill, full, freed, restart = (r["phases"][k] for k in ("fill", "full", "freed", "restart"))
print("# Disk full: the data folder on a %s MiB tmpfs (%s MiB of it a filler file)\n" % (size, filler))
print("| | |\n|---|---|")
print("| written until full | %d requests in %.1f s: %d md5 entries%s acknowledged |" % (
    fill["requests"], fill["seconds"], fill["entries_acknowledged"],
    ", %d reports with a file" % fill["reports_acknowledged"] if reports else ""))
first = fill.get("first_refusal") or {}
print("| first refusal | request %s, %s bytes free |" % (first.get("request", "-"), first.get("free_bytes", "-")))
print("| answers | %s |" % ", ".join("%s: %d" % kv for kv in sorted(r["statuses"].items())))
print("| refusals | %s |" % ", ".join("%s: %d" % kv for kv in sorted(r["refusals"].items())))
print("| slowest answer | %s |" % ", ".join("%s: %.3f s" % kv for kv in sorted(r["slowest_seconds"].items())))
print("| refusal message | %s |" % " / ".join(r["refusal_messages"]))
print("| /ready while full | %s: %s |" % (full["ready"]["status"], "; ".join(full["ready"]["body"].get("problems", [])) if isinstance(full["ready"]["body"], dict) else full["ready"]["body"]))
print("| a match while full | %s |" % full["match_status"])
print("| filler deleted, no restart | /ready %s; entries %s%s |" % (freed["ready"], freed["entries"], ", report %s" % freed.get("report") if reports else ""))
print("| after a restart | entries %d acknowledged, %d stored, %d lost; reports %d acknowledged, %d lost |" % (
    restart["entries_acknowledged"], restart["entries_stored"], restart["entries_lost"], restart["reports_acknowledged"], restart["reports_lost"]))
print("| integrity_check | %s |" % ", ".join(restart["integrity_check"]))
print("| vigil audit verify | %s |" % restart["audit_verify"])
print("| problems | %d |" % len(r["problems"]))
for p in r["problems"]:
    print("\n- " + json.dumps(p))
EOF
cat "$OUT/summary.md"
exit "$status"
