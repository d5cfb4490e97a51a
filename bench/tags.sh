#!/usr/bin/env bash
# Side-by-side benchmark of the tag database (/tags/findSeries and autocomplete) over 1,000,000
# tagged series: our graphite-web against graphite-web 1.1.10 under gunicorn, both serving the
# same graphite.db. Builds our server and the load generator in release mode, makes sure the
# reference virtualenv has gunicorn, and runs bench/tags_vs_reference.py (extra arguments go to
# it: --series N, --only CASES, --no-ref, --duration S, --keep, ...).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=${GRAPHITE_REFERENCE_VENV:-$root/.venv-ref}
target=${CARGO_TARGET_DIR:-$root/target}
cargo build --release --quiet -p webapp --bin graphite-web --example http_load
scripts/reference-venv.sh
want=$(sed -n 's/^gunicorn==//p' bench/requirements-bench.txt)
if [ "$("$venv/bin/python" -c 'import gunicorn; print(gunicorn.__version__)' 2>/dev/null)" != "$want" ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements-bench.txt
fi
exec "$venv/bin/python" "$root/bench/tags_vs_reference.py" --venv "$venv" \
  --ours "$target/release/graphite-web" --load "$target/release/examples/http_load" "$@"
