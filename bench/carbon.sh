#!/usr/bin/env bash
# Side-by-side benchmark of our carbon-cache against the Python reference (carbon 1.1.10):
# builds the release daemon and the load generator (carbon/examples/carbon_load.rs), makes sure
# the reference virtualenv exists (scripts/reference-venv.sh) and runs
# bench/carbon_vs_reference.py, which starts both daemons on fresh storage for each case, sends
# the same kind of load, and prints the table of docs/benchmarks.md. Extra arguments go to the
# Python script (--points-ours N, --points-ref N, --metrics LIST, --protocols LIST, --rounds N,
# --no-ref, --no-memory, --tmp DIR, --keep, --json FILE).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=${GRAPHITE_REFERENCE_VENV:-$root/.venv-ref}
target=${CARGO_TARGET_DIR:-$root/target}
cargo build --release --quiet -p carbon --bin carbon-cache --example carbon_load
scripts/reference-venv.sh
exec "$venv/bin/python" "$root/bench/carbon_vs_reference.py" --venv "$venv" \
  --ours "$target/release/carbon-cache" --load "$target/release/examples/carbon_load" "$@"
