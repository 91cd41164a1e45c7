#!/usr/bin/env bash
# The test suite (`make test`): builds the tests, checks the C kernels' release build
# (scripts/check-kernels.sh), starts a throwaway PostgreSQL cluster for the
# store contract suite on PostgreSQL (scripts/postgres-cluster.sh: its own data folder and port,
# stopped and removed at the end), and runs every test.
#
# VIGIL_TEST_POSTGRES_URL set: that server is used and no cluster is started.
# VIGIL_REQUIRE_POSTGRES=1 (CI): a missing PostgreSQL server is an error, not a skipped half.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"

"$SWIFT" build --build-tests
# The C kernels as the release build compiles them (vectorised; the debug tests see -O0 code).
SWIFT="$SWIFT" bash scripts/check-kernels.sh

cluster=""
cleanup() { [ -z "$cluster" ] || bash scripts/postgres-cluster.sh stop "$cluster"; }
trap cleanup EXIT
if [ -z "${VIGIL_TEST_POSTGRES_URL:-}" ]; then
    if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        cluster="$(mktemp -d /tmp/vigil-test-pg.XXXXXX)"
        port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
        VIGIL_TEST_POSTGRES_URL="$(VIGIL_PG_FSYNC=off bash scripts/postgres-cluster.sh start "$cluster" "$port")"
        export VIGIL_TEST_POSTGRES_URL
        echo "test: PostgreSQL for the store contract suite at $VIGIL_TEST_POSTGRES_URL"
    elif [ "${VIGIL_REQUIRE_POSTGRES:-0}" = 1 ]; then
        echo "test: VIGIL_REQUIRE_POSTGRES=1 but no PostgreSQL server is installed (scripts/install-deps.sh installs it)" >&2
        exit 1
    else
        echo "test: no PostgreSQL server installed: the store contract suite runs on SQLite only (scripts/install-deps.sh installs it)"
    fi
fi

"$SWIFT" test --skip-build
