"""graphite-web 1.1.10 `local_settings` for the webapp benchmark (bench/webapp_vs_reference.py).

The benchmark serves the reference with gunicorn, as a production deployment does:

    GRAPHITE_SETTINGS_MODULE=reference_local_settings DJANGO_SETTINGS_MODULE=graphite.settings \
    BENCH_STORAGE_DIR=<run dir> BENCH_WHISPER_DIR=<dataset>/whisper \
    .venv-ref/bin/gunicorn -w 2 --pythonpath bench graphite.wsgi:application

Only the paths are set (and the settings our server is given too); everything else is
graphite-web's default: DummyCache (no render or find caching), the worker pool, the
local-database TagDB, the standard finder, info.log in LOG_DIR (LOG_INFO_PERFORMANCE is on by
default: a line per fetched series).

No carbon-cache is queried, on either side: CARBONLINK_HOSTS is empty. graphite-web 1.1.10 then
needs REPLICATION_FACTOR = 0 (a setting only its CarbonLink pool reads): with the default of 1
the pool's constructor raises "REPLICATION_FACTOR=1 cannot exceed servers=0" for every series
fetched, and each is logged with its traceback to exception.log (about 30 KB per series, which
made a 1,000-series render about twice as slow). With 0 the pool takes its own "not connected to
any host" path and returns no cached points, as intended.
"""
import os

SECRET_KEY = "graphite-web-benchmark"
STORAGE_DIR = os.environ["BENCH_STORAGE_DIR"]
WHISPER_DIR = os.environ["BENCH_WHISPER_DIR"]
LOG_DIR = os.path.join(STORAGE_DIR, "log")
CARBONLINK_HOSTS = []
REPLICATION_FACTOR = 0
TIME_ZONE = "UTC"
