#!/usr/bin/env bash
# MINO's main job on the embedded defaults: the built-in agent runs over the bundled offline
# demo shop (examples/demo) in local headless Chromium, with SQLite in demo.db, scores the
# results against the CSV's gt_ columns and writes demo-results.xlsx. Installs Chromium first
# when it is missing (Debian). Extra arguments go to `mino run` (see `mino run --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

need_rust
need_browser

step "building mino (release)"
cargo build --release --quiet --bin mino
exec "$CARGO_TARGET_DIR/release/mino" --database sqlite:demo.db run examples/demo/sites.csv \
    --instructions "Find the product's title, its price and its brand." \
    --concurrency 4 --out demo-results.xlsx "$@"
