#!/usr/bin/env bash
# Starts the system with sensible defaults, in the foreground (Ctrl-C stops both daemons;
# carbon-cache flushes its cache to disk first):
# - carbon-cache with the example configuration, storage under the repository
#   (storage/whisper), listening on 2003 (plaintext), 2004 (pickle) and 7002 (cache query);
# - graphite-web on 8080, reading storage/whisper and carbon-cache's unflushed points.
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
cargo build --release --quiet -p carbon -p whisper -p webapp --bins
export GRAPHITE_ROOT=$root
export GRAPHITE_CONF_DIR=$root/conf
export GRAPHITE_STORAGE_DIR=$root/storage

# --nodaemon: carbon-cache's log in this terminal (without it, in storage/log/carbon-cache/).
target/release/carbon-cache --config conf/carbon.conf --nodaemon "$@" &
carbon_pid=$!
target/release/graphite-web --config conf/graphite-web.conf --bind 0.0.0.0:8080 &
web_pid=$!

stop() {
  kill -TERM "$web_pid" "$carbon_pid" 2>/dev/null || true
  wait "$web_pid" "$carbon_pid" 2>/dev/null || true
}
trap stop INT TERM
# Whichever daemon exits first (an error, or a signal) stops the other.
wait -n "$carbon_pid" "$web_pid" || true
stop
