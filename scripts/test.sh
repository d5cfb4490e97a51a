#!/usr/bin/env bash
# The project's test command (README, CI): installs the Python reference used by the interop
# tests if it is missing, then checks formatting and lints and runs every test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
bash scripts/reference-venv.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The end-to-end tests (tests/) run the daemons' binaries from target/debug.
cargo build --workspace --bins --locked
cargo test --workspace --locked
