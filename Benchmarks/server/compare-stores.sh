#!/usr/bin/env bash
# One provider node on SQLite against one on PostgreSQL, alternately in one run (SQLite, PostgreSQL,
# SQLite, PostgreSQL...: these machines' speed drifts by ±30% over minutes, so each pair is measured
# side by side) with the same data: Benchmarks/server/run.sh's wrk phases (hash lookups, matching
# lookups only, uploads) on each, then a table of each store's figures and PostgreSQL/SQLite ratios.
#   Benchmarks/server/compare-stores.sh [--entries 100000] [--seconds 10] [--connections 16]
#       [--rounds 2] [--pg-port 55440] [--store-url URL] [--out DIR] [--vigil PATH]
# PostgreSQL: a throwaway cluster (scripts/postgres-cluster.sh, fsync on) on --pg-port, stopped at
# the end, with one new database per round; or --store-url postgres://user@host:port/db of a running
# server whose user may CREATE DATABASE (each round creates and drops bench_storeN next to db).
# The list is loaded through the API (run.sh's import) on both stores; the node runs --role provider.
# --out: results (default Benchmarks/out/compare-stores, emptied first): data/, sqlite-N/, pg-N/ (each
# a run.sh --out), table.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CALLER_PWD="$PWD"; abspath() { case "$1" in /*|"") echo "$1" ;; *) echo "$CALLER_PWD/$1" ;; esac; }
cd "$ROOT"
entries=100000; seconds=10; connections=16; rounds=2; pg_port=55440; store_url=""
out="$ROOT/Benchmarks/out/compare-stores"; vigil_bin="$(abspath "${VIGIL_BIN:-}")"
while [ $# -gt 0 ]; do
  case "$1" in
    --entries) entries="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --pg-port) pg_port="$2"; shift 2 ;;
    --store-url) store_url="$2"; shift 2 ;;
    --out) out="$(abspath "$2")"; shift 2 ;;
    --vigil) vigil_bin="$(abspath "$2")"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
source "$ROOT/Benchmarks/lib/common.sh"
VIGIL="${vigil_bin:-$ROOT/.build/release/vigil}"
if [ -z "$vigil_bin" ] && [ "${VIGIL_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  bash scripts/install-deps.sh >&2
  swift build -c release --product vigil >&2
fi
[ -x "$VIGIL" ] || { echo "no vigil binary at $VIGIL" >&2; exit 1; }
rm -rf "$out"; mkdir -p "$out"; out="$(cd "$out" && pwd)"
PGDIR=""; PGPARENT=""
cleanup() {
  if [ -n "$PGDIR" ]; then bash scripts/postgres-cluster.sh stop "$PGDIR" >/dev/null 2>&1 || true; fi
  if [ -n "$PGPARENT" ]; then rm -rf "$PGPARENT"; fi
}
trap cleanup EXIT
if [ -z "$store_url" ]; then
  PGPARENT=$(mktemp -d); chmod 755 "$PGPARENT"; PGDIR="$PGPARENT/pg"   # as root the server runs as postgres
  store_url=$(bash scripts/postgres-cluster.sh start "$PGDIR" "$pg_port" | tail -1)
fi
base="${store_url%/*}"   # postgres://user@host:port
admin_url="$store_url"
echo "machine: $(bench_machine); load average at start: $(bench_loadavg)" | tee "$out/machine.txt"
bash Benchmarks/server/run.sh --data-only --entries "$entries" --out "$out/data" >&2

common=(--entries "$entries" --seconds "$seconds" --connections "$connections" --lookup-rates "" --upload-rates ""
        --role provider --matching-phase --data "$out/data" --vigil "$VIGIL")
for r in $(seq 1 "$rounds"); do
  echo "## round $r: SQLite (load average $(bench_loadavg))" >&2
  bash Benchmarks/server/run.sh "${common[@]}" --out "$out/sqlite-$r" > "$out/sqlite-$r.log" 2>&1 \
    || { echo "the SQLite run $r failed:" >&2; tail -20 "$out/sqlite-$r.log" >&2; exit 1; }
  db="bench_store$r"
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  echo "## round $r: PostgreSQL (load average $(bench_loadavg))" >&2
  bash Benchmarks/server/run.sh "${common[@]}" --store-url "$base/$db" --out "$out/pg-$r" > "$out/pg-$r.log" 2>&1 \
    || { echo "the PostgreSQL run $r failed:" >&2; tail -20 "$out/pg-$r.log" >&2; exit 1; }
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db" >/dev/null || true
done

# The table: one row per run, then each store's mean over the rounds and the ratios.
"$ROOT/.venv/bin/python" - "$out" "$rounds" "$entries" "$seconds" "$connections" <<'PY' | tee "$out/table.md"
import sys, os
out, rounds, entries, seconds, conns = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def load(d):
    v = {}
    for line in open(os.path.join(out, d, 'summary.tsv')):
        k, _, x = line.rstrip('\n').partition('\t'); v[k] = x
    return v
def ms(x):  # wrk's "1.23ms" / "850.00us" / "1.02s"
    x = x.strip()
    for suf, f in (('ms', 1.0), ('us', 0.001), ('s', 1000.0)):
        if x.endswith(suf):
            try: return float(x[:-len(suf)]) * f
            except ValueError: return float('nan')
    return float('nan')
cols = [('lookups_per_s', 'lookups/s', float), ('lookup_p99', 'lookup p99 ms', ms),
        ('matching_lookups_per_s', 'matching lookups/s', float), ('matching_lookup_p99', 'matching p99 ms', ms),
        ('uploads_per_s', 'uploads/s', float), ('upload_p99', 'upload p99 ms', ms), ('import_s', 'import s', float)]
print(f'{entries} entries, wrk {conns} connections, {seconds} s per phase; lookups: 1 query in 10 matches '
      '(a listed hash with 1-19 bits flipped); matching lookups: only those')
print()
print('| run | ' + ' | '.join(c[1] for c in cols) + ' | non-2xx |')
print('|---|' + '--:|' * (len(cols) + 1))
runs = {'SQLite': [], 'PostgreSQL': []}
for r in range(1, rounds + 1):
    for name, d in (('SQLite', f'sqlite-{r}'), ('PostgreSQL', f'pg-{r}')):
        v = load(d); vals = [f(v.get(k, 'nan')) for k, _, f in cols]; runs[name].append(vals)
        bad = sum(int(v.get(k, '0') or 0) for k in ('lookup_non2xx', 'matching_lookup_non2xx', 'upload_non2xx'))
        print(f'| {name} {r} | ' + ' | '.join(f'{x:,.1f}' for x in vals) + f' | {bad} |')
mean = {n: [sum(c) / len(c) for c in zip(*rs)] for n, rs in runs.items()}
for n in ('SQLite', 'PostgreSQL'):
    print(f'| **{n} mean** | ' + ' | '.join(f'{x:,.1f}' for x in mean[n]) + ' | |')
print('| **PostgreSQL/SQLite** | ' + ' | '.join(f'{p / s:.2f}' if s else 'n/a' for p, s in zip(mean['PostgreSQL'], mean['SQLite'])) + ' | |')
# Per round too: the pairs measured side by side.
for r in range(rounds):
    print(f'| PostgreSQL/SQLite, round {r + 1} | ' + ' | '.join(f'{p / s:.2f}' if s else 'n/a' for p, s in zip(runs['PostgreSQL'][r], runs['SQLite'][r])) + ' | |')
# CPU per request (run.sh's cpu-* figures): the node's, and the node's plus the database's (the
# postmaster and its backends; SQLite runs inside the node). Throughput follows what share of the two
# cores the node gets, which other processes change; CPU per request hardly moves with them.
def num(x):
    try: return float(x)
    except ValueError: return float('nan')
cpu_cols = []
for phase, label in (('lookups', 'lookup'), ('matching', 'matching lookup'), ('uploads', 'upload')):
    cpu_cols.append((f'node µs/{label}', lambda v, p=phase: num(v.get(f'{p}_server_cpu_us', 'nan'))))
    cpu_cols.append((f'node+db µs/{label}', lambda v, p=phase: num(v.get(f'{p}_server_cpu_us', 'nan'))
                     + (0.0 if v.get(f'{p}_db_cpu_us', 'nan') == 'nan' else num(v[f'{p}_db_cpu_us']))))
print()
print('CPU per request (CPU seconds across the phase ÷ requests; node+db adds PostgreSQL\'s processes):')
print()
print('| run | ' + ' | '.join(c[0] for c in cpu_cols) + ' |')
print('|---|' + '--:|' * len(cpu_cols))
cpu_runs = {'SQLite': [], 'PostgreSQL': []}
for r in range(1, rounds + 1):
    for name, d in (('SQLite', f'sqlite-{r}'), ('PostgreSQL', f'pg-{r}')):
        v = load(d); vals = [f(v) for _, f in cpu_cols]; cpu_runs[name].append(vals)
        print(f'| {name} {r} | ' + ' | '.join(f'{x:,.0f}' for x in vals) + ' |')
cpu_mean = {n: [sum(c) / len(c) for c in zip(*rs)] for n, rs in cpu_runs.items()}
for n in ('SQLite', 'PostgreSQL'):
    print(f'| **{n} mean** | ' + ' | '.join(f'{x:,.0f}' for x in cpu_mean[n]) + ' |')
print('| **PostgreSQL/SQLite** | ' + ' | '.join(f'{p / s:.2f}' if s else 'n/a' for p, s in zip(cpu_mean['PostgreSQL'], cpu_mean['SQLite'])) + ' |')
PY
echo "load average at end: $(bench_loadavg)" | tee -a "$out/machine.txt"
