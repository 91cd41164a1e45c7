#!/usr/bin/env bash
# HMA 2.0's own API tests, run over HTTP against Vigil and against HMA from its source, in one run:
# the parity table. The tests are extracted at run time from a ThreatExchange snapshot (never
# committed) and run with pytest plus our plugin (parity/hma_live.py), which replaces Flask's test
# client with a live HTTP client, resets the server before every test (Vigil: a fresh `vigil serve`
# on new data with a new API key; HMA: its tables emptied) and excludes, with the reason, the tests
# that patch HMA's internals or read its database directly.
#   Benchmarks/hma/parity.sh [--tx-repo DIR] [--work DIR] [--vigil PATH] [--only vigil|hma]
#                            [--pg-port PORT] [-k EXPR]
# --tx-repo: a ThreatExchange checkout or bare git dir (default: a shallow, sparse clone into --work).
# --work:    HMA's source, venv and PostgreSQL cluster, outside this repository (default: a new
#            mktemp -d folder, removed at the end; give one to keep the set-up between runs).
# --vigil:   the vigil binary (default .build/debug/vigil, built with `swift build --product vigil`
#            when missing; VIGIL_BIN works too).
# --only:    run one server only. -k: pytest's -k, to run some tests.
# Needs Python >= 3.11 (HMA_PYTHON to choose), PostgreSQL, git (installed with apt-get when missing).
# Results: Benchmarks/out/hma-parity/ (summary.md: the table; vigil.xml, hma.xml: JUnit; *.log).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
tx_repo=""; work=""; vigil="${VIGIL_BIN:-}"; only=""; pgport=""; kexpr=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tx-repo) tx_repo="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --vigil) vigil="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --pg-port) pgport="$2"; shift 2 ;;
    -k) kexpr="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
source "$ROOT/Benchmarks/lib/common.sh"
bench_apt postgresql libpq-dev gcc git curl python3 python3-venv
log() { echo "[hma-parity $(date +%T)] $*" >&2; }
if [ -z "$work" ]; then work=$(mktemp -d); remove_work=1; else mkdir -p "$work"; work="$(cd "$work" && pwd)"; remove_work=0; fi
case "$work" in "$ROOT"|"$ROOT"/*) echo "--work must be outside the repository" >&2; exit 2 ;; esac
OUT="$ROOT/Benchmarks/out/hma-parity"; rm -rf "$OUT"; mkdir -p "$OUT"
servers=(vigil hma); [ -z "$only" ] || servers=("$only")

# --- Vigil's binary.
if [[ " ${servers[*]} " == *" vigil "* ]]; then
  if [ -z "$vigil" ]; then
    vigil="$ROOT/.build/debug/vigil"
    [ -x "$vigil" ] || (cd "$ROOT" && swift build --product vigil >&2)
  fi
  [ -x "$vigil" ] || { echo "no vigil binary at $vigil" >&2; exit 1; }
fi

# --- HMA's source (and its tests) from the snapshot's HEAD, outside the repository.
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
TESTS_FROM="$HMA/src/OpenMediaMatch/tests"
TESTS="$work/tests"; rm -rf "$TESTS"; mkdir -p "$TESTS"
cp "$TESTS_FROM"/test_*.py "$TESTS/"
echo "ThreatExchange commit $commit" > "$OUT/versions.txt"

# --- venv: HMA with python-threatexchange from the same snapshot (as run.sh), plus pytest.
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
  "$VENV/bin/pip" install -q "$HMA[prod,test]" requests pillow >&2
  echo "$commit" > "$VENV/.ok"
fi
PY="$VENV/bin/python"
"$VENV/bin/pip" freeze 2>/dev/null | grep -iE '^(threatexchange|openmediamatch|flask|flask-openapi3|pydantic|pytest)[=@ ]' >> "$OUT/versions.txt" || true

GUNICORN=""; pg_started=0; VSERVE_PORT=""
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
if [ "$(id -u)" -eq 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; pg_owner() { chown postgres:postgres "$@"; }
else as_pg() { "$@"; }; pg_owner() { :; }; fi
PGDATA="$work/pgdata"; PGSOCK="$work/pgrun"
cleanup() {
  if [ -n "$GUNICORN" ]; then kill -TERM "$GUNICORN" 2>/dev/null || true; wait "$GUNICORN" 2>/dev/null || true; fi
  if [ "$pg_started" = 1 ]; then as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true; fi
  if [ "$remove_work" = 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

# --- HMA: a private PostgreSQL cluster, HMA's migrations, gunicorn (one sync worker) on a free port.
if [[ " ${servers[*]} " == *" hma "* ]]; then
  chmod 755 "$work"
  [ -n "$pgport" ] || pgport=$(bench_free_port)
  mkdir -p "$PGSOCK"; pg_owner "$PGSOCK"
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"; pg_owner "$PGDATA"; chmod 700 "$PGDATA"
    as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  fi
  if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGSOCK/postgresql.log" -w \
      -o "-p $pgport -k $PGSOCK -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    pg_started=1
  else
    pgport=$(sed -n 4p "$PGDATA/postmaster.pid")
  fi
  psql_admin() { as_pg "$PGBIN/psql" -h "$PGSOCK" -p "$pgport" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
  psql_admin -d postgres -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'media_match') THEN CREATE ROLE media_match LOGIN PASSWORD 'hunter2'; END IF; END\$\$;"
  psql_admin -d postgres -c "DROP DATABASE IF EXISTS media_match_test WITH (FORCE);" -c "CREATE DATABASE media_match_test OWNER media_match;"
  export OMM_CONFIG="$HERE/parity/omm_config.py" POSTGRES_HOST=127.0.0.1 POSTGRES_PORT="$pgport" \
    POSTGRES_USER=media_match POSTGRES_PASSWORD=hunter2 POSTGRES_DBNAME=media_match_test PYTHONDONTWRITEBYTECODE=1
  (cd "$HMA/src" && PATH="$VENV/bin:$PATH" sh "$HMA/scripts/db-migrate.sh") > "$OUT/hma-migrate.log" 2>&1 || { cat "$OUT/hma-migrate.log" >&2; exit 1; }
  hport=$(bench_free_port)
  (cd "$HMA/src" && exec "$VENV/bin/gunicorn" --bind "127.0.0.1:$hport" --workers 1 --timeout 120 "OpenMediaMatch.app:create_app()") \
    > "$OUT/hma-gunicorn.log" 2>&1 &
  GUNICORN=$!
  for _ in $(seq 1 600); do
    curl -s -o /dev/null "http://127.0.0.1:$hport/status/live" && break
    kill -0 "$GUNICORN" 2>/dev/null || { tail -30 "$OUT/hma-gunicorn.log" >&2; exit 1; }
    sleep 0.2
  done
  log "HMA (gunicorn) on 127.0.0.1:$hport, PostgreSQL on $pgport"
fi

# --- The tests, once per server.
run_tests() {  # server
  local s="$1" args=()
  [ -z "$kexpr" ] || args=(-k "$kexpr")
  log "running HMA's tests against $s"
  (cd "$TESTS" && env PARITY_TARGET="$s" PARITY_OUT="$OUT" PARITY_HMA_UTILS="$TESTS_FROM/utils.py" \
     PARITY_VIGIL_BIN="$vigil" PARITY_VIGIL_WORK="$work/vigil" PARITY_VIGIL_PORT="$(bench_free_port)" \
     PARITY_HMA_URL="http://127.0.0.1:${hport:-0}" PARITY_HMA_SRC="$HMA/src" \
     PARITY_HMA_DSN="host=127.0.0.1 port=${pgport:-0} dbname=media_match_test user=media_match password=hunter2" \
     PYTHONPATH="$HERE/parity:$HMA/src" "$PY" -m pytest -p hma_live -p no:cacheprovider --import-mode=importlib \
       --rootdir "$TESTS" -q -rA --tb=short --junitxml "$OUT/$s.xml" "${args[@]}" . ) > "$OUT/$s-pytest.log" 2>&1 || true
  tail -1 "$OUT/$s-pytest.log" >&2
}
mkdir -p "$work/vigil"
for s in "${servers[@]}"; do run_tests "$s"; done

{
  echo "# HMA's API tests over HTTP: $(date -u +%F), ThreatExchange $commit"
  echo
  python3 "$HERE/parity/report.py" "$OUT" "${servers[@]}"
} | tee "$OUT/summary.md"
