#!/usr/bin/env bash
# Creates (or reuses) the virtualenv holding the Python reference, Graphite 1.1.10, at
# $GRAPHITE_REFERENCE_VENV (default: .venv-ref at the repository root). Interop tests, fixture
# generators and bench/ scripts run the reference from there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${GRAPHITE_REFERENCE_VENV:-$root/.venv-ref}
req=$root/reference/requirements.txt
stamp=$venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
"$python" -m venv "$venv"
# GRAPHITE_NO_PREFIX keeps carbon and graphite-web inside the virtualenv instead of /opt/graphite.
GRAPHITE_NO_PREFIX=True "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
echo "reference installed in $venv"
