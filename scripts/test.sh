#!/usr/bin/env bash
# Runs every check and test of MINO: format, lints, and the whole test suite against real
# SQLite, Postgres and Chromium. On a fresh Debian machine it first installs what is missing
# (Chromium, chromedriver, PostgreSQL) and starts Postgres when it is not running.
#
# Environment:
#   CARGO_TARGET_DIR         build output (default /var/tmp/mino-target, kept between runs)
#   MINO_TEST_DATABASE_URL   Postgres server for the tests (default the local server, db `test`)
#   CI=true                  a test whose service is missing fails instead of skipping
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/mino-target}"
export MINO_TEST_DATABASE_URL="${MINO_TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/test}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> %s\n' "$*"; }

install_missing() {
    local packages=()
    command -v chromium >/dev/null 2>&1 || packages+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
    ls /etc/postgresql/*/main >/dev/null 2>&1 || packages+=(postgresql postgresql-contrib)
    command -v python3 >/dev/null 2>&1 || packages+=(python3 python3-venv)
    if ((${#packages[@]})); then
        step "installing ${packages[*]}"
        if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
            echo "missing ${packages[*]} and not root: install them first" >&2
            exit 1
        fi
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo=sudo
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}"
    fi
}

start_postgres() {
    if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        return
    fi
    step "starting PostgreSQL"
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 60); do
        pg_isready -q -h 127.0.0.1 -p 5432 && break
        sleep 0.5
    done
    pg_isready -h 127.0.0.1 -p 5432
}

prepare_test_database() {
    # A fresh server has neither the password nor the database the tests use. The peer-
    # authenticated superuser sets both; on a server with trust auth this changes nothing.
    if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
        runuser -u postgres -- psql -q -c "ALTER USER postgres PASSWORD 'postgres'" >/dev/null
        if ! runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1; then
            runuser -u postgres -- createdb test
        fi
        runuser -u postgres -- psql -q -d test -c "CREATE EXTENSION IF NOT EXISTS pg_trgm" >/dev/null
        # Schemas left by an interrupted earlier run.
        runuser -u postgres -- psql -q -d test -tAc \
            "SELECT 'DROP SCHEMA \"' || nspname || '\" CASCADE;' FROM pg_namespace WHERE nspname LIKE 'mino_test_%'" \
            | runuser -u postgres -- psql -q -d test >/dev/null
    fi
}

install_missing
start_postgres
prepare_test_database

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "cargo test"
cargo test --workspace --all-features --no-fail-fast
