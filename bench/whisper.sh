#!/usr/bin/env bash
# Side-by-side benchmark of our whisper library against the Python reference (whisper 1.1.10):
# builds the release driver (whisper/examples/bench_driver.rs), makes sure the reference
# virtualenv exists (scripts/reference-venv.sh) and runs bench/whisper_vs_reference.py, which
# times both in the same run and prints the table of docs/benchmarks.md. Extra arguments go to
# the Python script (--rounds N, --scale F, --only NAME, --json FILE, --no-syscalls).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=${GRAPHITE_REFERENCE_VENV:-$root/.venv-ref}
target=${CARGO_TARGET_DIR:-$root/target}
cargo build --release --quiet -p whisper --example bench_driver
scripts/reference-venv.sh
exec "$venv/bin/python" "$root/bench/whisper_vs_reference.py" \
  --driver "$target/release/examples/bench_driver" "$@"
