#!/usr/bin/env bash
# Starts the system with sensible defaults, in the foreground (Ctrl-C stops it and flushes the
# cache to disk): carbon-cache with the example configuration, storage under the repository
# (storage/whisper, storage/carbon-cache-a.pid), listening on 2003 (plaintext), 2004 (pickle)
# and 7002 (cache query). The webapp (8080) joins when it exists.
#
# The configuration is conf/*.conf, copied from conf/*.conf.example on first run (as with
# Graphite, edit the copies, not the examples).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
for example in conf/*.conf.example; do
  conf=${example%.example}
  [ -e "$conf" ] || cp "$example" "$conf"
done
cargo build --release --quiet -p carbon -p whisper --bins
export GRAPHITE_ROOT=$root
exec target/release/carbon-cache --config conf/carbon.conf "$@"
