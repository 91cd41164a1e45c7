#!/usr/bin/env bash
# HMA 2.0 (facebook/ThreatExchange hasher-matcher-actioner, Flask app "OpenMediaMatch") on the same data
# and the same wrk load as Benchmarks/server/run.sh: hash lookups/s and 1024x768 JPEG uploads
# hashed+matched/s, with N entries (the data's list.tsv, 1,000,000 by default) in one bank.
#   Benchmarks/hma/run.sh [--tx-repo DIR] [--data DIR] [--work DIR] [--workers 2] [--seconds 20]
#                         [--connections 32] [--port PORT] [--pg-port PORT] [--entries N]
#                         [--omp-threads N] [--skip-load] [--generate N] [--with-vigil N]
# --tx-repo: a ThreatExchange checkout or bare git dir (default: a shallow, sparse clone of
#            https://github.com/facebook/ThreatExchange into --work, made once);
#            its HEAD's hasher-matcher-actioner/ and python-threatexchange/ are extracted to --work.
# --data:    list.tsv, queries.txt, upload-1024x768.jpg from Benchmarks/server/run.sh
#            (default Benchmarks/out/server). --entries N loads only the first N lines of list.tsv.
# --with-vigil N: first run Benchmarks/server/run.sh --entries N (same --seconds/--connections, wrk
#            only; set VIGIL_BENCH_SKIP_BUILD=1 / VIGIL_BIN as that script reads them), then HMA on the
#            data it wrote: both servers, same data, same load, one after the other in one run.
#            VIGIL_LOOKUP_RATES / VIGIL_UPLOAD_RATES (e.g. 10000,20000 / 150) add Vigil's fixed-rate rows.
# --generate N: instead, make that data for N entries with server/run.sh's own snippet (cached in --work).
# --work:    where the HMA source, its venv and its PostgreSQL cluster live, outside this repository
#            (default: a new `mktemp -d` folder, removed at the end; give one to keep the set-up
#            between runs). Set up idempotently; the database is recreated on every run.
# --port, --pg-port: gunicorn's and PostgreSQL's ports (default: ports the kernel reports free).
# --omp-threads N: export OMP_NUM_THREADS=N to the gunicorn workers (faiss' OpenMP); default: unset,
#            as in HMA's Dockerfile. --skip-load: reuse the database and index of the previous run when
#            it holds the same number of entries (for trying worker counts; no load/index timings then).
# Installs what it uses when missing (wrk, jemalloc, PostgreSQL, libpq-dev, gcc, GNU time, git with
# apt-get, through sudo when not root). As root, PostgreSQL runs as user postgres; otherwise as you.
# Stops what it started (gunicorn, the PostgreSQL cluster). Results: Benchmarks/out/hma/; the summary
# gives the peak RSS of the index build and of gunicorn, and the load average around each phase.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
tx_repo=""
data="$ROOT/Benchmarks/out/server"
work=""
workers=2; seconds=20; connections=32; port=""; pgport=""; entries=""; omp=""; skip_load=0; generate=""; with_vigil=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tx-repo) tx_repo="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --pg-port) pgport="$2"; shift 2 ;;
    --entries) entries="$2"; shift 2 ;;
    --omp-threads) omp="$2"; shift 2 ;;
    --skip-load) skip_load=1; shift ;;
    --generate) generate="$2"; shift 2 ;;
    --with-vigil) with_vigil="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
source "$ROOT/Benchmarks/lib/common.sh"
# --- System packages, installed before anything checks for them: wrk, jemalloc as in HMA's
# Dockerfile, PostgreSQL, libpq/gcc to build psycopg2, GNU time for the index build's peak RSS.
bench_apt wrk libjemalloc2 postgresql libpq-dev gcc time git curl python3 python3-venv
if [ -z "$work" ]; then work=$(mktemp -d); remove_work=1; else mkdir -p "$work"; work="$(cd "$work" && pwd)"; remove_work=0; fi
case "$work" in "$ROOT"|"$ROOT"/*) echo "--work must be outside the repository" >&2; exit 2 ;; esac
trap '[ "$remove_work" = 0 ] || rm -rf "$work"' EXIT   # replaced by cleanup() once servers start
[ -n "$port" ] || port=$(bench_free_port)
[ -n "$pgport" ] || { pgport=$(bench_free_port); [ "$pgport" != "$port" ] || pgport=$(bench_free_port); }
if [ -n "$with_vigil" ]; then
  [ -z "$generate" ] || { echo "--with-vigil and --generate exclude each other" >&2; exit 2; }
  vargs=(--entries "$with_vigil" --seconds "$seconds" --connections "$connections")
  # wrk, plus LoadGen's fixed-rate rows when VIGIL_LOOKUP_RATES / VIGIL_UPLOAD_RATES are set (none by default).
  vargs+=(--lookup-rates "${VIGIL_LOOKUP_RATES:-}" --upload-rates "${VIGIL_UPLOAD_RATES:-}")
  echo "# Vigil: Benchmarks/server/run.sh ${vargs[*]}"
  bash "$ROOT/Benchmarks/server/run.sh" "${vargs[@]}"
  data="$ROOT/Benchmarks/out/server"
  grep -q '"added":'"$with_vigil" "$data/import.json" 2>/dev/null \
    || echo "WARNING: Vigil's import did not add $with_vigil entries: $(head -c 300 "$data/import.json" 2>/dev/null)"
  echo "# HMA"
fi
if [ -z "$generate" ]; then
  for f in list.tsv queries.txt upload-1024x768.jpg; do
    [ -f "$data/$f" ] || { echo "missing $data/$f: run Benchmarks/server/run.sh first (or use --generate N)" >&2; exit 1; }
  done
fi
OUT="$ROOT/Benchmarks/out/hma"; rm -rf "$OUT"; mkdir -p "$OUT/data"
T_START=$(date +%s.%N)
log() { echo "[hma-bench $(date +%T)] $*" >&2; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
JEMALLOC=$(ldconfig -p | awk '/libjemalloc\.so\.2 / { print $NF; exit }')
[ -n "$JEMALLOC" ] || { echo "libjemalloc.so.2 not found after installing libjemalloc2" >&2; exit 1; }
# PostgreSQL refuses to run as root: as root it runs as user postgres, otherwise as the caller.
if [ "$(id -u)" -eq 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; pg_owner() { chown postgres:postgres "$@"; }
else as_pg() { "$@"; }; pg_owner() { :; }; fi
chmod 755 "$work"   # a mktemp folder is private; PostgreSQL's user must reach its data folder inside
BENCH_PHASES="$work/phases.tsv"; export BENCH_PHASES; : > "$BENCH_PHASES"

# --- HMA source from the snapshot's HEAD (outside the repo); by default a shallow, sparse clone.
if [ -z "$tx_repo" ]; then
  tx_repo="$work/ThreatExchange"
  if [ ! -d "$tx_repo/.git" ]; then
    log "cloning facebook/ThreatExchange (shallow, sparse) into $tx_repo"
    git clone -q --depth 1 --filter=blob:none --sparse https://github.com/facebook/ThreatExchange "$tx_repo" >&2
    git -C "$tx_repo" sparse-checkout set hasher-matcher-actioner python-threatexchange >&2
  fi
fi
if [ -d "$tx_repo/.git" ]; then gitdir="$tx_repo/.git"; else gitdir="$tx_repo"; fi
commit=$(git --git-dir="$gitdir" rev-parse HEAD)
if [ "$(cat "$work/src/.commit" 2>/dev/null)" != "$commit" ]; then
  log "extracting hasher-matcher-actioner + python-threatexchange at $commit to $work/src"
  rm -rf "$work/src"; mkdir -p "$work/src"
  git --git-dir="$gitdir" archive "$commit" -- hasher-matcher-actioner python-threatexchange | tar -x -C "$work/src"
  echo "$commit" > "$work/src/.commit"
fi
HMA="$work/src/hasher-matcher-actioner"

# --- venv: Python 3.13 like HMA's Dockerfile (python:3.13-bullseye) when available (>= 3.11 required).
# python-threatexchange from the same snapshot first (HMA needs threatexchange>=<its version>), then
# HMA with its [prod] extra (gunicorn), as the Dockerfile's `pip install .[prod]`; the rest from PyPI.
VENV="$work/venv"
if [ "$(cat "$VENV/.ok" 2>/dev/null)" != "$commit" ]; then
  py=""
  for c in "${HMA_PYTHON:-}" python3.13 /root/.pyenv/versions/3.13*/bin/python3 python3.12 python3.11 python3; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 || continue
    "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { py="$c"; break; }
  done
  [ -n "$py" ] || { echo "need Python >= 3.11 (set HMA_PYTHON)" >&2; exit 1; }
  log "creating $VENV with $("$py" --version)"
  rm -rf "$VENV"; "$py" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip >&2
  "$VENV/bin/pip" install -q "$work/src/python-threatexchange" >&2
  "$VENV/bin/pip" install -q "$HMA[prod]" >&2
  echo "$commit" > "$VENV/.ok"
fi
PY="$VENV/bin/python"

# --- Data. --generate N: Benchmarks/server/run.sh's own data snippet (taken from that script at run
# time, seed 7) run for N entries into $work/data-N, cached; the same bytes as that script writes.
if [ -n "$generate" ]; then
  data="$work/data-$generate"
  if [ ! -f "$data/.ok" ]; then
    sed -n '/^"$ROOT\/.venv\/bin\/python" - "$entries" "$OUT" <<.PY.$/,/^PY$/p' "$ROOT/Benchmarks/server/run.sh" | sed '1d;$d' > "$work/gen_data.py"
    [ -s "$work/gen_data.py" ] || { echo "could not find the data snippet in Benchmarks/server/run.sh" >&2; exit 1; }
    log "generating $generate entries into $data with Benchmarks/server/run.sh's data snippet"
    rm -rf "$data"; mkdir -p "$data"; "$PY" "$work/gen_data.py" "$generate" "$data"; touch "$data/.ok"
  fi
fi
# Copy the inputs: Benchmarks/server/run.sh deletes its output folder when it starts.
cp "$data/list.tsv" "$data/queries.txt" "$data/upload-1024x768.jpg" "$OUT/data/"
for f in match-hash.txt match-file.txt; do
  if [ -f "$ROOT/Benchmarks/out/server/$f" ]; then cp "$ROOT/Benchmarks/out/server/$f" "$OUT/data/vigil-$f"; fi
done
vigil_n=$(wc -l < "$ROOT/Benchmarks/out/server/list.tsv" 2>/dev/null || echo "?")
(cd "$OUT/data" && md5sum list.tsv queries.txt upload-1024x768.jpg) > "$OUT/data.md5"
data="$OUT/data"
"$VENV/bin/pip" freeze 2>/dev/null | grep -iE '^(threatexchange|openmediamatch|flask|gunicorn|faiss-cpu|numpy|pdqhash|psycopg2|sqlalchemy)[=@ ]' > "$OUT/versions.txt" || true
"$PY" --version >> "$OUT/versions.txt"; echo "ThreatExchange commit $commit" >> "$OUT/versions.txt"

# --- PostgreSQL: a private cluster under $work/pgdata on 127.0.0.1:$pgport (postgres' defaults, like
# the postgres:17-alpine image in HMA's docker-compose.yaml); database media_match recreated each run.
PGDATA="$work/pgdata"; PGSOCK="$work/pgrun"
mkdir -p "$PGSOCK"; pg_owner "$PGSOCK"
if [ ! -f "$PGDATA/PG_VERSION" ]; then
  log "initdb $PGDATA"
  mkdir -p "$PGDATA"; pg_owner "$PGDATA"; chmod 700 "$PGDATA"
  as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 >&2
fi
pg_started=0; GUNICORN=""
cleanup() {
  if [ -n "$GUNICORN" ]; then kill -TERM "$GUNICORN" 2>/dev/null || true; wait "$GUNICORN" 2>/dev/null || true; fi
  if [ "$pg_started" = 1 ]; then as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true; fi
  if [ "$remove_work" = 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGSOCK/postgresql.log" -w \
    -o "-p $pgport -k $PGSOCK -c listen_addresses=127.0.0.1" start >&2
  pg_started=1
fi
psql_admin() { as_pg "$PGBIN/psql" -h "$PGSOCK" -p "$pgport" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
psql_admin -d postgres -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'media_match') THEN CREATE ROLE media_match LOGIN PASSWORD 'hunter2'; END IF; END\$\$;"
list="$data/list.tsv"
if [ -n "$entries" ]; then head -n "$entries" "$data/list.tsv" > "$OUT/list.tsv"; list="$OUT/list.tsv"; fi
n=$(wc -l < "$list")
if [ "$skip_load" = 1 ]; then
  have=$(psql_admin -d media_match -c "SELECT signal_count FROM signal_index WHERE signal_type = 'pdq'" 2>/dev/null || true)
  [ "$have" = "$n" ] || { log "--skip-load: no index of $n entries in the database (found '${have}'), loading"; skip_load=0; }
fi
[ "$skip_load" = 1 ] || psql_admin -d postgres -c "DROP DATABASE IF EXISTS media_match WITH (FORCE);" -c "CREATE DATABASE media_match OWNER media_match;"
DSN="host=127.0.0.1 port=$pgport dbname=media_match user=media_match password=hunter2"

export OMM_CONFIG="$HERE/omm_config.py" POSTGRES_HOST=127.0.0.1 POSTGRES_PORT="$pgport" \
  POSTGRES_USER=media_match POSTGRES_PASSWORD=hunter2 POSTGRES_DBNAME=media_match
export PATH="$VENV/bin:$PATH" PYTHONDONTWRITEBYTECODE=1

load_s=skipped; index_s=skipped; index_rss="?"; index_size=""
if [ "$skip_load" = 0 ]; then
# --- Schema: HMA's own migration script (alembic via flask-migrate), as the compose "migrations" service.
(cd "$HMA/src" && sh "$HMA/scripts/db-migrate.sh") > "$OUT/migrate.log" 2>&1 || { cat "$OUT/migrate.log" >&2; exit 1; }

# --- Load: COPY into bank/bank_content/content_signal in the format bank_add_content writes.
bench_phase_start "COPY load"
t0=$(date +%s.%N)
"$PY" "$HERE/load_bank.py" "$DSN" "$list" BENCH 2> "$OUT/load.log" || { cat "$OUT/load.log" >&2; exit 1; }
load_s="$(elapsed "$t0") s"
bench_phase_end "COPY load"
log "$(cat "$OUT/load.log")"

# --- Index build: HMA's indexer task through the flask CLI (the cron role): reads all content_signal
# rows, builds the PDQ faiss multi-hash index, pickles it into a PostgreSQL large object.
bench_phase_start "index build"
t0=$(date +%s.%N)
(cd "$HMA/src" && LD_PRELOAD="$JEMALLOC" /usr/bin/time -v flask --app OpenMediaMatch.app build_indices) > "$OUT/build_index.log" 2>&1 \
  || { tail -30 "$OUT/build_index.log" >&2; exit 1; }
index_s="$(elapsed "$t0") s"
index_rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$OUT/build_index.log")
bench_phase_end "index build" "$index_rss" "flask build_indices"
index_size=$(grep -o 'signals [0-9.]*[MG]iB' "$OUT/build_index.log" | head -1 | awk '{print $2}' || true)
log "index built in ${index_s} (peak RSS ${index_rss} MiB, serialized ${index_size:-?})"
fi
db_size=$(psql_admin -d media_match -c "SELECT pg_size_pretty(pg_database_size('media_match'))")

# --- Serve: gunicorn, on a port nothing else answers on (another server there would be measured instead).
if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then echo "port $port is already in use" >&2; exit 1; fi
# gunicorn, the Dockerfile's entrypoint (sync workers), with jemalloc preloaded as there.
bench_phase_start "gunicorn start, index load"
t0=$(date +%s.%N)
if [ -n "$omp" ]; then export OMP_NUM_THREADS="$omp"; fi
(cd "$HMA/src" && LD_PRELOAD="$JEMALLOC" exec gunicorn --bind "127.0.0.1:$port" --workers "$workers" \
   "OpenMediaMatch.app:create_app()") > "$OUT/gunicorn.log" 2>&1 &
GUNICORN=$!
log "gunicorn ($workers workers) started, waiting for every worker to load the index"
for _ in $(seq 1 1200); do
  [ "$(grep -c 'CachedIndex\[pdq\] Updated checkpoint' "$OUT/gunicorn.log" || true)" -ge "$workers" ] && break
  kill -0 "$GUNICORN" 2>/dev/null || { tail -30 "$OUT/gunicorn.log" >&2; exit 1; }
  sleep 0.5
done
ready_s=$(elapsed "$t0")
bench_phase_end "gunicorn start, index load"
curl -sf "http://127.0.0.1:$port/status" >/dev/null || { echo "HMA /status not ready" >&2; tail -30 "$OUT/gunicorn.log" >&2; exit 1; }
log "all workers serving the index after ${ready_s}s"

mem() {  # RSS and PSS (MiB) of gunicorn master+workers and of PostgreSQL
  local pids pg
  pids="$GUNICORN $(pgrep -P "$GUNICORN" | tr '\n' ' ')"
  local pm; pm=$(head -1 "$PGDATA/postmaster.pid")
  pg="$pm $(pgrep -P "$pm" | tr '\n' ' ')"
  for what in hma pg; do
    local list="$pids"; [ "$what" = pg ] && list="$pg"
    local rss=0 pss=0 per=""
    for p in $list; do
      local r s; r=$(awk '/^Rss:/ {print $2}' /proc/$p/smaps_rollup 2>/dev/null || echo 0)
      s=$(awk '/^Pss:/ {print $2}' /proc/$p/smaps_rollup 2>/dev/null || echo 0)
      rss=$((rss + ${r:-0})); pss=$((pss + ${s:-0})); [ "$what" = hma ] && per="$per $((${r:-0} / 1024))"
    done
    if [ "$what" = hma ]; then echo -n "gunicorn RSS per process (MiB, master first):$per; total PSS $((pss / 1024)) MiB"
    else echo "; PostgreSQL total PSS $((pss / 1024)) MiB"; fi
  done
}
cpu_ticks() {  # CPU ticks (1/100 s) used so far by gunicorn (master+workers) and PostgreSQL (incl. exited backends)
  local pm; pm=$(head -1 "$PGDATA/postmaster.pid")
  local h=0 g=0 p
  for p in $GUNICORN $(pgrep -P "$GUNICORN"); do h=$((h + $(awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || echo 0))); done
  for p in $(pgrep -P "$pm"); do g=$((g + $(awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || echo 0))); done
  g=$((g + $(awk '{print $14 + $15 + $16 + $17}' /proc/$pm/stat)))
  echo "$h $g"
}
cpu_per_req() {  # before-ticks after-ticks wrk-output: CPU ms per request of HMA and PostgreSQL
  local req; req=$(awk '/requests in/ {print $1}' "$3")
  echo "$1 $2" | awk -v r="$req" '{printf "CPU per request: HMA %.1f ms + PostgreSQL %.1f ms", ($3-$1)*10/r, ($4-$2)*10/r}'
}
gunicorn_peak() {  # the sum of gunicorn's processes' peak RSS (VmHWM), MiB: an upper bound of its peak
  local p total=0
  for p in $GUNICORN $(pgrep -P "$GUNICORN"); do total=$((total + $(awk '/^VmHWM:/ {print $2}' /proc/$p/status 2>/dev/null || echo 0))); done
  echo $((total / 1024))
}
mem_ready=$(mem); log "memory after index load: $mem_ready"

# --- Check the answers are real matches before measuring.
"$PY" "$HERE/verify.py" "http://127.0.0.1:$port" "$list" "$data/queries.txt" "$data/upload-1024x768.jpg" BENCH 100 \
  | tee "$OUT/verify.txt" >&2

# --- wrk: 1 thread, same connections/duration as Benchmarks/server/run.sh. --timeout 30s (gunicorn's
# own worker timeout) instead of wrk's 2 s so slow responses are measured, not dropped as timeouts.
export HMA_QUERIES="$data/queries.txt" HMA_IMAGE="$data/upload-1024x768.jpg"
echo "## load: $n entries COPYed into bank BENCH in ${load_s}; index build (flask build_indices) ${index_s}, peak RSS ${index_rss} MiB; workers serving after ${ready_s}s; database $db_size"
wrk -t 1 -c 8 -d 3s --timeout 30s -s "$HERE/lookup-hash.lua" "http://127.0.0.1:$port" >/dev/null  # warm-up
echo "## hash lookups (GET /m/lookup?signal_type=pdq&signal=...), $n entries, $connections connections, ${seconds}s, gunicorn $workers sync workers${omp:+, OMP_NUM_THREADS=$omp}"
c0=$(cpu_ticks)
bench_phase_start "wrk lookups"
wrk -t 1 -c "$connections" -d "${seconds}s" --timeout 30s --latency -s "$HERE/lookup-hash.lua" "http://127.0.0.1:$port" | tee "$OUT/match-hash.txt"
bench_phase_end "wrk lookups" "$(gunicorn_peak)" "gunicorn, sum of processes"
cpu_hash=$(cpu_per_req "$c0" "$(cpu_ticks)" "$OUT/match-hash.txt"); echo "$cpu_hash; load average $(cut -d' ' -f1 /proc/loadavg)"
echo "## uploads (POST /m/lookup multipart, 1024x768 JPEG), $n entries, $connections connections, ${seconds}s, gunicorn $workers sync workers${omp:+, OMP_NUM_THREADS=$omp}"
c0=$(cpu_ticks)
bench_phase_start "wrk uploads"
wrk -t 1 -c "$connections" -d "${seconds}s" --timeout 30s --latency -s "$HERE/lookup-file.lua" "http://127.0.0.1:$port" | tee "$OUT/match-file.txt"
bench_phase_end "wrk uploads" "$(gunicorn_peak)" "gunicorn, sum of processes"
cpu_file=$(cpu_per_req "$c0" "$(cpu_ticks)" "$OUT/match-file.txt"); echo "$cpu_file; load average $(cut -d' ' -f1 /proc/loadavg)"
mem_after=$(mem)

# --- For scale: HMA's one-hash-at-a-time API (POST /c/bank/<bank>/signal) into a separate bank.
curl -sf -H 'Content-Type: application/json' -d '{"name":"API_SAMPLE","enabled_ratio":1.0}' "http://127.0.0.1:$port/c/banks" >/dev/null || true  # exists with --skip-load
echo "## one-at-a-time adds (POST /c/bank/API_SAMPLE/signal), $connections connections, 10s"
bench_phase_start "wrk one-at-a-time adds"
HMA_ADD_BANK=API_SAMPLE wrk -t 1 -c "$connections" -d 10s --timeout 30s --latency -s "$HERE/add-signal.lua" "http://127.0.0.1:$port" | tee "$OUT/add-signal.txt"
bench_phase_end "wrk one-at-a-time adds" "$(gunicorn_peak)" "gunicorn, sum of processes"

# --- Summary.
field() { awk -v k="$2" '$1 == k {print $2}' "$1"; }
errs() { local e; e=$(grep -E 'Non-2xx|Socket errors' "$1" | tr -s ' ' | tr '\n' ';'); echo "${e:-none}"; }
add_rate=$(awk '/Requests\/sec/ {print $2}' "$OUT/add-signal.txt")
{
  echo "## HMA summary ($n entries, gunicorn $workers sync workers${omp:+, OMP_NUM_THREADS=$omp}, ${connections} connections, ${seconds}s)"
  echo "hash lookups: $(awk '/Requests\/sec/ {print $2}' "$OUT/match-hash.txt")/s  p50 $(field "$OUT/match-hash.txt" 50%)  p99 $(field "$OUT/match-hash.txt" 99%)  errors: $(errs "$OUT/match-hash.txt"); $cpu_hash"
  echo "uploads:      $(awk '/Requests\/sec/ {print $2}' "$OUT/match-file.txt")/s  p50 $(field "$OUT/match-file.txt" 50%)  p99 $(field "$OUT/match-file.txt" 99%)  errors: $(errs "$OUT/match-file.txt"); $cpu_file"
  echo "load (COPY): ${load_s}; index build: ${index_s} (peak RSS ${index_rss} MiB, index ${index_size:-?}); index load into workers: ${ready_s}s"
  echo "one-at-a-time API adds: ${add_rate}/s (1,000,000 would take ~$(awk -v r="${add_rate:-1}" 'BEGIN { printf "%.0f", 1000000 / r / 60 }') min)"
  echo "memory after load: $mem_ready"
  echo "memory after wrk:  $mem_after"
  echo "answers checked against brute force (verify.py): $(tail -1 "$OUT/verify.txt")"
  echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg); end-to-end $(elapsed "$T_START")s"
  echo "peak RSS: gunicorn $(gunicorn_peak) MiB (sum of its processes' peaks), index build ${index_rss} MiB; machine: $(bench_machine)"
  vh="$data/vigil-match-hash.txt"; vf="$data/vigil-match-file.txt"
  if [ -f "$vh" ] && [ -f "$vf" ]; then
    echo "Vigil (Benchmarks/server/run.sh's last wrk results in Benchmarks/out/server, $vigil_n entries): hash lookups $(awk '/Requests\/sec/ {print $2}' "$vh")/s p50 $(field "$vh" 50%) p99 $(field "$vh" 99%) errors: $(errs "$vh"); uploads $(awk '/Requests\/sec/ {print $2}' "$vf")/s p50 $(field "$vf" 50%) p99 $(field "$vf" 99%) errors: $(errs "$vf")"
  fi
  [ ! -f "$ROOT/Benchmarks/out/server/summary.txt" ] || [ -z "$with_vigil" ] || { echo; echo "Vigil's run:"; sed -n '/^machine:/,$p' "$ROOT/Benchmarks/out/server/summary.txt"; }
  echo
  echo "HMA's phases:"
  echo
  bench_phase_table
} | tee "$OUT/summary.txt"
