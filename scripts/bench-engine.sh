#!/usr/bin/env bash
# The engine benchmarks of BENCHMARKS.md ("Engine"): installs the graphile-worker baseline
# from the npm registry when it is missing, then runs the engine bench (overhead on SQLite
# and Postgres against graphile-worker, retry recovery) and the end-to-end bench (Chromium,
# heuristic agent, against a bare chromiumoxide loop).
#
# Needs node 20+ with npm, Postgres (MINO_BENCH_DATABASE_URL, default
# postgres://postgres:postgres@127.0.0.1:5432/test) and Chromium. Pass `engine` or
# `end_to_end` to run only one of the two benches.
set -euo pipefail

cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/mino-target}"
export MINO_BENCH_NODE="${MINO_BENCH_NODE:-/var/tmp/mino-bench-node}"

if [ ! -f "$MINO_BENCH_NODE/node_modules/graphile-worker/package.json" ]; then
    mkdir -p "$MINO_BENCH_NODE"
    if [ ! -f "$MINO_BENCH_NODE/package.json" ]; then
        (cd "$MINO_BENCH_NODE" && npm init -y >/dev/null)
    fi
    (cd "$MINO_BENCH_NODE" && npm install --no-audit --no-fund graphile-worker@0.17)
fi

which="${1:-all}"
if [ "$which" = all ] || [ "$which" = engine ]; then
    cargo bench -p mino --features postgres --bench engine
fi
if [ "$which" = all ] || [ "$which" = end_to_end ]; then
    cargo bench -p mino --bench end_to_end
fi
