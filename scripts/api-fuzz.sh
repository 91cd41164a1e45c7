#!/usr/bin/env bash
# API fuzzing: schemathesis against the /openapi.yaml a running node serves, once with a key of each
# scope, with every default check (no 5xx, answers that fit the document, valid requests accepted,
# invalid ones refused, declared statuses and content types, 405 with Allow for undeclared methods…).
#
#   scripts/api-fuzz.sh                      # the long run: 25 examples per operation, every phase
#   scripts/api-fuzz.sh --max-examples 100   # longer
#   scripts/api-fuzz.sh --ci                 # the bounded run .ci/run makes (see below)
#   VIGIL=.build/release/vigil scripts/api-fuzz.sh   # a given binary (default: `swift build --product vigil`)
#
# Per scope (hash, match, curate, admin, report at a provider; assess, supervise at the Centre;
# referrals at a police organisation) it starts a fresh `vigil serve --role all` on a temporary SQLite
# folder with the three organisations and one key of that scope, runs schemathesis with the key and
# prints a table: operations, test cases, requests, failures by check, 5xx. Exit 1 on any failure.
# Reports (schemathesis's JSON and HAR per key, its console output, the node's log) stay in
# --out (default a temporary folder, printed at the end).
#
# --ci: one example per operation past the coverage phase's own cases (coverage and fuzzing phases, no
# stateful), with the keys that reach every operation (admin at the provider, assess, supervise,
# referrals); any failure of any check, or any 5xx, fails it. --report-only CODES counts and shows
# the failures of those checks without failing the run (for a look at a new check).
#
# scripts/api-fuzz.toml (schemathesis's --config-file) lists, with reasons, the few operations whose
# checks OpenAPI cannot state (a hash value's length by a type given in another query parameter…):
# they accept one more status for a request the document allows.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MAX_EXAMPLES=25
PHASES="examples,coverage,fuzzing,stateful"
SEED=1
OUT=""
SCOPES="hash match curate admin report assess supervise referrals"
REPORT_ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --max-examples) MAX_EXAMPLES="$2"; shift 2 ;;
    --phases) PHASES="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --scopes) SCOPES="$2"; shift 2 ;;
    --report-only) REPORT_ONLY="$2"; shift 2 ;;
    --ci) MAX_EXAMPLES=1; PHASES="coverage,fuzzing"; SCOPES="admin assess supervise referrals"; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "api-fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

bash scripts/setup-python.sh scripts/requirements-api-fuzz.txt
ST="$ROOT/.venv/bin/schemathesis"
PY="$ROOT/.venv/bin/python"

if [ -z "${VIGIL:-}" ]; then
  swift build --product vigil 2>&1 | tail -1
  VIGIL="$(swift build --show-bin-path)/vigil"
fi
[ -x "$VIGIL" ] || { echo "api-fuzz.sh: no vigil binary at $VIGIL (build it, or set VIGIL=path)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vigil-api-fuzz.XXXXXX")"
[ -n "$OUT" ] || OUT="$WORK/reports"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
SERVER_PID=""
stop_node() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
}
trap 'stop_node; rm -rf "$WORK/data"' EXIT

# A fresh node per key (what one key's run changes, a disabled signal type say, does not reach the
# next): the three organisations, the key, `vigil serve --role all` on a free port, ready (GET /ready
# answers 200 once the index has loaded, so that no 503 of a loading node is counted).
start_node() {
  local scope="$1" org
  DATA="$WORK/data/$scope"
  v() { "$VIGIL" "$@" --data-directory "$DATA"; }
  v orgs create "Fuzz Provider" --kind provider >/dev/null
  v orgs create "Fuzz Centre" --kind centre >/dev/null
  v orgs create "Fuzz Police" --kind police --member-state DE >/dev/null
  case "$scope" in
    assess|supervise) org="Fuzz Centre" ;;
    referrals) org="Fuzz Police" ;;
    *) org="Fuzz Provider" ;;
  esac
  KEY="$(v keys create --org "$org" --scopes "$scope" --label "api fuzz" 2>/dev/null)"
  PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "$VIGIL" serve --role all --data-directory "$DATA" --host 127.0.0.1 --port "$PORT" --log-level warning >"$OUT/$scope.node.log" 2>&1 &
  SERVER_PID=$!
  BASE="http://127.0.0.1:$PORT"
  for _ in $(seq 1 150); do
    "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$BASE/ready" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "api-fuzz.sh: vigil serve did not come up for the $scope key; its log:" >&2
  tail -40 "$OUT/$scope.node.log" >&2
  exit 1
}

echo "schemathesis $("$ST" --version | awk '{print $NF}'), every default check: --max-examples $MAX_EXAMPLES --phases $PHASES --seed $SEED"
STARTED=$SECONDS
for scope in $SCOPES; do
  start_node "$scope"
  # Exit status 1 means failures, which the table reports; anything else is schemathesis itself failing.
  rc=0
  # From the work folder: schemathesis keeps its cache (.schemathesis/) in the current one.
  (cd "$WORK" && "$ST" --config-file "$ROOT/scripts/api-fuzz.toml" run "$BASE/openapi.yaml" -H "Authorization: Bearer $KEY" \
    --max-examples "$MAX_EXAMPLES" --phases "$PHASES" --seed "$SEED" --workers 1 \
    --no-color --warnings off --report json,har --report-json-path "$OUT/$scope.json" --report-har-path "$OUT/$scope.har" \
    >"$OUT/$scope.log" 2>&1) || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "api-fuzz.sh: schemathesis failed for the $scope key (exit $rc); its output:" >&2
    tail -40 "$OUT/$scope.log" >&2
    exit 1
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "api-fuzz.sh: vigil serve died during the $scope run; its log:" >&2; tail -40 "$OUT/$scope.node.log" >&2; exit 1; }
  stop_node
  echo "  $scope: $((SECONDS - STARTED)) s"
done

status=0
"$PY" - "$OUT" "$REPORT_ONLY" $SCOPES <<'PYEOF' || status=$?
import json, sys
from collections import Counter
out, report_only, scopes = sys.argv[1], set(filter(None, sys.argv[2].split(","))), sys.argv[3:]
titles = {}
rows, totals, failures = [], Counter(), Counter()
for scope in scopes:
    report = json.load(open(f"{out}/{scope}.json"))
    entries = json.load(open(f"{out}/{scope}.har"))["log"]["entries"]
    five = sum(1 for e in entries if e["response"]["status"] >= 500)
    by = Counter()
    for f in report["failures"]:
        by[f["code"]] += f["count"]
        titles[f["code"]] = f["title"]
    n = sum(by.values()) + len(report["errors"])
    rows.append((scope, report["operations"]["tested"], report["test_cases"]["generated"], len(entries), five, n,
                 ", ".join(f"{k} {v}" for k, v in sorted(by.items())) + (f" errors {len(report['errors'])}" if report["errors"] else "")))
    totals.update(cases=report["test_cases"]["generated"], requests=len(entries), five=five, failures=n)
    failures.update(by)
print(f"{'key scope':<10} {'operations':>10} {'test cases':>10} {'requests':>9} {'5xx':>4} {'failures':>8}  by check")
for r in rows:
    print(f"{r[0]:<10} {r[1]:>10} {r[2]:>10} {r[3]:>9} {r[4]:>4} {r[5]:>8}  {r[6]}")
print(f"{'all':<10} {rows[0][1] if rows else 0:>10} {totals['cases']:>10} {totals['requests']:>9} {totals['five']:>4} {totals['failures']:>8}  "
      + ", ".join(f"{k} {v}" for k, v in sorted(failures.items())))
for code, title in sorted(titles.items()):
    note = " (reported, not failing this run)" if code in report_only else ""
    print(f"  {code}: {title} (.venv/bin/schemathesis explain {code}){note}")
failing = sum(n for code, n in failures.items() if code not in report_only)
print(f"api fuzz: {totals['five']} 5xx, {sum(failures.values())} failures, {failing} failing the run")
sys.exit(1 if failing or totals["five"] else 0)
PYEOF
echo "api fuzz: $((SECONDS - STARTED)) s; reports in $OUT"
exit $status
