#!/usr/bin/env bash
# Runs every check and test of MINO: format, lints, the whole test suite and the Python
# bindings' pytest suite against real SQLite, Postgres and Chromium. On a fresh Debian
# machine it first installs what is missing (Chromium, chromedriver, PostgreSQL, a Python
# virtualenv) and starts Postgres when it is not running.
#
# Environment:
#   CARGO_TARGET_DIR         build output (default /var/tmp/mino-target, kept between runs)
#   MINO_TEST_DATABASE_URL   Postgres server for the tests (default the local server, db `test`)
#   CI=true                  a test whose service is missing fails instead of skipping
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

export MINO_TEST_DATABASE_URL="${MINO_TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/test}"

need_rust
need_browser
need_postgres
need_python

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "cargo test"
cargo test --workspace --all-features --no-fail-fast

step "pytest (mino-py)"
"$MINO_PYTHON" -m pytest -q mino-py/tests
