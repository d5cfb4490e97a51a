#!/usr/bin/env bash
# Side-by-side benchmark of our graphite-web against the Python reference (graphite-web 1.1.10
# under gunicorn, 2 workers), both serving the same 100,000 whisper files: builds our server and
# the load generator (`cargo build --release -p webapp --bin graphite-web --example http_load`),
# makes sure the reference virtualenv exists (scripts/reference-venv.sh) with gunicorn in it
# (bench/requirements-bench.txt), and runs bench/webapp_vs_reference.py, which builds the dataset
# once (target/bench-data), starts both servers, loads each with the same requests and prints the
# table of docs/benchmarks.md. Extra arguments go to the Python script (--only CASES, --no-ref,
# --no-ours, --duration S, --ref-duration S, --connections N, --keep, --json FILE, ...).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=${GRAPHITE_REFERENCE_VENV:-$root/.venv-ref}
target=${CARGO_TARGET_DIR:-$root/target}
no_ours=false
for arg in "$@"; do
  [ "$arg" = "--no-ours" ] && no_ours=true
done
if $no_ours; then
  cargo build --release --quiet -p webapp --example http_load
else
  if ! cargo build --release --quiet -p webapp --bin graphite-web --example http_load; then
    echo "bench/webapp.sh: cannot build our server (cargo build --release -p webapp --bin graphite-web);" \
      "run bench/webapp.sh --no-ours to measure the reference alone" >&2
    exit 1
  fi
fi
scripts/reference-venv.sh
want=$(sed -n 's/^gunicorn==//p' bench/requirements-bench.txt)
if [ "$("$venv/bin/python" -c 'import gunicorn; print(gunicorn.__version__)' 2>/dev/null)" != "$want" ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements-bench.txt
fi
exec "$venv/bin/python" "$root/bench/webapp_vs_reference.py" --venv "$venv" \
  --ours "$target/release/graphite-web" --load "$target/release/examples/http_load" "$@"
