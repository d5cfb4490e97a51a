#!/usr/bin/env python
"""The golden-fixture dataset: a deterministic tree of whisper files.

Usage:  .venv-ref/bin/python webapp/tests/golden/dataset.py <dir>

Creates <dir>/whisper/... with the reference `whisper` module (1.1.10) and prints one JSON
line {"files": N, "sha256": "..."} (the digest covers every path and file content, so a
harness can check that the dataset it built is the one the fixtures were recorded from).
<dir>/whisper must not exist yet.

Every byte is a function of this file: values come from random.Random seeded per file, and
every write uses the fixed clock NOW (whisper.update_many(..., now=NOW)), and every whisper
file's mtime is set to NOW. Nothing reads the wall clock.

NOW = 1699300007 = 2023-11-06 19:46:47 UTC (14:46:47 EST, 20:46:47 CET, 01:16:47 IST the
next day). It is not aligned to a minute, the last 7 days contain the US DST change
(2023-11-05 06:00 UTC) and the last 30 days the European one (2023-10-29 01:00 UTC).
"""
import hashlib
import json
import math
import os
import random
import sys

NOW = 1699300007

# Retention schemas: lists of (secondsPerPoint, points).
S_FINE = [(10, 2160), (60, 10080), (3600, 8760)]  # 10s:6h,1m:7d,1h:1y
S_DAY = [(60, 1440)]  # 1m:1d
S_MONTH = [(300, 8640)]  # 5m:30d
S_APP = [(60, 1440), (300, 8640)]  # 1m:1d,5m:30d
S_AGG = [(60, 1440), (600, 1008), (3600, 720)]  # 1m:1d,10m:7d,1h:30d
S_15 = [(15, 480), (300, 576)]  # 15s:2h,5m:2d
S_HOUR = [(3600, 8760)]  # 1h:1y


def q(v, denom=64):
    """Rounds to a multiple of 1/denom: exactly representable, so sums stay exact."""
    return round(v * denom) / denom


# Value shapes: f(t, rng) -> float.
def wave(base, amp, period, noise=0.0, denom=64):
    def f(t, rng):
        v = base + amp * math.sin(2 * math.pi * (t % period) / period)
        if noise:
            v += rng.uniform(-noise, noise)
        return q(v, denom)
    return f


def walk(start, stepsize, lo, hi, denom=64):
    state = {"v": None}

    def f(t, rng):
        v = state["v"]
        v = start if v is None else v + rng.uniform(-stepsize, stepsize)
        v = min(hi, max(lo, v))
        state["v"] = v
        return q(v, denom)
    return f


def counter_rate(mean, spread):
    def f(t, rng):
        return float(max(0, int(rng.gauss(mean, spread))))
    return f


def tiny(t, rng):
    # multiples of 2**-40 (~9.1e-13): tiny but exact
    return rng.randint(1, 5000) * 2.0 ** -40


def huge(t, rng):
    # multiples of 2**20 up to ~1.1e15: large but exact
    return rng.randint(1, 2 ** 30) * 2.0 ** 20


def negative(t, rng):
    return -q(0.5 + rng.uniform(0, 1000), 16)


def constant(t, rng):
    return 42.5


# Gap shapes: g(t, rng) -> True to skip the point.
def no_gaps(t, rng):
    return False


def random_gaps(p):
    def g(t, rng):
        return rng.random() < p
    return g


def gaps_and_block(p, block_from_age, block_to_age):
    def g(t, rng):
        skip = rng.random() < p
        age = NOW - t
        return skip or (block_from_age <= age < block_to_age)
    return g


def every_nth(n, step):
    def g(t, rng):
        return (t // step) % n != 0
    return g


def stale(age_cutoff):
    def g(t, rng):
        return NOW - t < age_cutoff
    return g


# (metric path, archives, xFilesFactor, aggregationMethod, values, gaps)
# A None `values` creates the file with no data at all.
SPECS = [
    # servers: the glob playground (web01 web02 web10 db01 dba dbx, a hidden file, empty dirs)
    ("servers.web01.cpu.user", S_FINE, 0.5, "average", wave(40, 20, 3600, 5), random_gaps(0.02)),
    ("servers.web01.cpu.system", S_FINE, 0.5, "average", wave(10, 5, 1800, 2), no_gaps),
    ("servers.web01.cpu.idle", S_FINE, 0.5, "average", wave(50, 20, 7200, 3), no_gaps),
    ("servers.web01.mem.free", S_FINE, 0.0, "last", walk(4096, 64, 512, 8192), no_gaps),
    ("servers.web02.cpu.user", S_FINE, 0.5, "average", wave(30, 25, 5400, 5), no_gaps),
    ("servers.web02.cpu.system", S_FINE, 0.5, "average", wave(12, 6, 900, 2), random_gaps(0.1)),
    ("servers.web02.cpu.idle", S_FINE, 0.5, "average", wave(58, 25, 5400, 4), no_gaps),
    ("servers.web02.mem.free", S_FINE, 0.0, "min", walk(2048, 32, 256, 4096), no_gaps),
    ("servers.web10.cpu.user", S_FINE, 0.5, "average", wave(70, 10, 600, 5), no_gaps),
    ("servers.web10.cpu.system", S_FINE, 0.5, "max", wave(20, 10, 600, 3), no_gaps),
    ("servers.db01.cpu.user", S_FINE, 0.5, "average", wave(55, 30, 86400, 8), no_gaps),
    ("servers.db01.cpu.system", S_FINE, 0.5, "average", wave(15, 5, 43200, 2), no_gaps),
    ("servers.db01.mem.free", S_FINE, 0.0, "last", walk(16384, 128, 1024, 32768), no_gaps),
    ("servers.dba.cpu.user", S_APP, 0.5, "average", wave(5, 2, 3600, 1), no_gaps),
    ("servers.dbx.cpu.user", S_APP, 0.5, "average", wave(95, 3, 3600, 1), no_gaps),
    ("servers.web01.cpu.nice", S_DAY, 0.5, "average", wave(1, 1, 600), no_gaps),
    # hidden: a hidden file is never a match; a hidden directory is not listed at its own level
    # (but the reference walks into it when a wildcard matches it: kept out of the servers tree)
    ("servers.web01.cpu..steal", S_DAY, 0.5, "average", wave(3, 1, 600), no_gaps),
    ("test..hiddendir.value", S_DAY, 0.5, "average", wave(7, 1, 600), no_gaps),
    # app: counters and latencies, coarser schemas
    ("app.requests.count", S_APP, 0.0, "sum", counter_rate(120, 30), random_gaps(0.05)),
    ("app.requests.errors", S_APP, 0.0, "sum", counter_rate(3, 2), random_gaps(0.3)),
    ("app.latency.p50", S_APP, 0.5, "average", wave(0.125, 0.0625, 1800, 0.01, 1024), no_gaps),
    ("app.latency.p99", S_APP, 0.5, "max", wave(1.5, 0.75, 1800, 0.2, 1024), no_gaps),
    ("app.latency.mean", S_APP, 0.5, "average", wave(0.25, 0.125, 1800, 0.02, 1024), random_gaps(0.05)),
    ("app.queue.depth", S_15, 0.0, "absmax", wave(0, 40, 1200, 10), no_gaps),
    # stats: sum-aggregated counters, 5-minute gauges with negative values
    ("stats.counters.hits", S_APP, 0.0, "sum", counter_rate(500, 100), no_gaps),
    ("stats.counters.misses", S_APP, 0.0, "sum", counter_rate(50, 20), random_gaps(0.1)),
    ("stats.gauges.temp_c", S_MONTH, 0.5, "average", wave(-3, 12, 86400, 1.5, 16), no_gaps),
    ("stats.gauges.pressure", S_MONTH, 0.5, "average", walk(1013, 2, 950, 1050, 16), random_gaps(0.05)),
    # test: value and gap edge cases
    ("test.negative", S_FINE, 0.5, "average", negative, no_gaps),
    ("test.mixed_sign", S_FINE, 0.5, "average", wave(0, 50, 1200, 5, 16), no_gaps),
    ("test.tiny", S_FINE, 0.5, "average", tiny, no_gaps),
    ("test.huge", S_FINE, 0.5, "sum", huge, no_gaps),
    ("test.gaps", S_FINE, 0.5, "average", wave(100, 50, 3600, 10), gaps_and_block(0.3, 1800, 5400)),
    ("test.sparse", S_FINE, 0.0, "average", wave(10, 5, 3600), every_nth(7, 10)),
    ("test.empty", S_FINE, 0.5, "average", None, no_gaps),
    ("test.stale", S_FINE, 0.5, "average", wave(20, 10, 3600, 2), stale(3 * 3600)),
    ("test.constant", S_DAY, 0.5, "average", constant, no_gaps),
    ("test.xff.zero", S_AGG, 0.0, "average", wave(10, 4, 1800, 1), random_gaps(0.6)),
    ("test.xff.half", S_AGG, 0.5, "average", wave(10, 4, 1800, 1), random_gaps(0.6)),
    ("test.xff.full", S_AGG, 1.0, "average", wave(10, 4, 1800, 1), random_gaps(0.1)),
    ("test.agg.avg", S_AGG, 0.3, "average", wave(0, 30, 2400, 10), random_gaps(0.2)),
    ("test.agg.sum", S_AGG, 0.3, "sum", wave(0, 30, 2400, 10), random_gaps(0.2)),
    ("test.agg.last", S_AGG, 0.3, "last", wave(0, 30, 2400, 10), random_gaps(0.2)),
    ("test.agg.max", S_AGG, 0.3, "max", wave(0, 30, 2400, 10), random_gaps(0.2)),
    ("test.agg.min", S_AGG, 0.3, "min", wave(0, 30, 2400, 10), random_gaps(0.2)),
    ("test.agg.avg_zero", S_AGG, 0.3, "avg_zero", wave(0, 30, 2400, 10), random_gaps(0.2)),
    ("test.agg.absmax", S_AGG, 0.3, "absmax", wave(0, 30, 2400, 10), random_gaps(0.2)),
    ("test.agg.absmin", S_AGG, 0.3, "absmin", wave(0, 30, 2400, 10), random_gaps(0.2)),
    # retention: one file per schema, same shape
    ("retention.s10", S_FINE, 0.5, "average", wave(100, 10, 7200, 1), no_gaps),
    ("retention.s15", S_15, 0.5, "average", wave(100, 10, 7200, 1), no_gaps),
    ("retention.m1", S_DAY, 0.5, "average", wave(100, 10, 7200, 1), no_gaps),
    ("retention.m5", S_MONTH, 0.5, "average", wave(100, 10, 7200, 1), no_gaps),
    ("retention.h1", S_HOUR, 0.5, "average", wave(100, 10, 7200, 1), no_gaps),
]

# Tagged series, as carbon stores them (TAG_HASH_FILENAMES = True): the file of the canonical
# name is _tagged/<h[0:3]>/<h[3:6]>/<h>.wsp with h = sha256(canonical name). The names are
# written here in the order a client sent them (the tags suite registers them so).
TAGGED = [
    ("disk.used;host=web01;dc=eu", S_DAY, 0.5, "average", wave(70, 5, 3600, 1), no_gaps),
    ("disk.used;host=web02;dc=eu", S_DAY, 0.5, "average", wave(40, 5, 3600, 1), random_gaps(0.1)),
    ("disk.used;host=db01;dc=us", S_DAY, 0.5, "average", wave(90, 2, 3600, 1), no_gaps),
    ("disk.free;host=web01;dc=eu", S_DAY, 0.5, "average", wave(30, 5, 3600, 1), no_gaps),
    ("cpu.load;host=web01;dc=eu;rack=r1", S_FINE, 0.5, "average", wave(2, 1, 600, 0.5), no_gaps),
    ("cpu.load;host=db02;dc=us", S_FINE, 0.5, "average", wave(4, 1, 600, 0.5), random_gaps(0.1)),
    ("cpu.load;host=web02", S_FINE, 0.5, "average", wave(1, 1, 600, 0.5), no_gaps),
    ("mem.free;host=db01;dc=us;zone=a", S_DAY, 0.0, "last", walk(2048, 32, 256, 4096), no_gaps),
]
# The digest covers these files: turning this off needs every fixture regenerated.
WRITE_TAGGED = True


def canonical(name):
    """graphite's TaggedSeries.format: the name, then ;tag=value sorted."""
    metric, *pairs = name.split(";")
    return metric + "".join(";" + p for p in sorted(pairs))


def tagged_file(whisper_dir, name):
    h = hashlib.sha256(canonical(name).encode("utf-8")).hexdigest()
    return os.path.join(whisper_dir, "_tagged", h[0:3], h[3:6], h + ".wsp")


# Empty directories (branches with no leaves) and a non-whisper file the finder must ignore.
EMPTY_DIRS = ["servers/empty", "servers/web02/disk", "test/emptydir"]
OTHER_FILES = {"test/README.txt": "not a whisper file\n", "servers/web01/notes.txt": "x\n"}


def points_for(archives, values, gaps, rng):
    """Points from NOW back to just inside the longest retention; each age band is written at
    the step of the archive that stores it, as carbon would have written it over time."""
    bands = [(step, step * n) for step, n in archives]
    max_ret = bands[-1][1]
    pts = []
    t = NOW - NOW % bands[0][0]
    while True:
        age = NOW - t
        band = next((b for b in bands if age <= b[1]), None)
        if band is None or age > max_ret - bands[-1][0]:
            break
        step = band[0]
        if t % step:
            t -= t % step
            continue
        skip = gaps(t, rng)
        v = values(t, rng)
        if not skip:
            pts.append((t, v))
        t -= step
    return pts


def fs_parts(path):
    """Path components; an empty node ("a..b") makes the next one hidden ("a/.b")."""
    parts, hide = [], False
    for p in path.split("."):
        if not p:
            hide = True
            continue
        parts.append("." + p if hide else p)
        hide = False
    return parts


def build(root):
    whisper_dir = os.path.join(root, "whisper")
    if os.path.exists(whisper_dir):
        raise SystemExit("%s already exists" % whisper_dir)
    import whisper

    specs = [(p, os.path.join(whisper_dir, *fs_parts(p)) + ".wsp") + tuple(rest)
             for p, *rest in SPECS]
    if WRITE_TAGGED:
        specs += [(p, tagged_file(whisper_dir, p)) + tuple(rest) for p, *rest in TAGGED]
    for path, fs, archives, xff, agg, values, gaps in specs:
        os.makedirs(os.path.dirname(fs), exist_ok=True)
        whisper.create(fs, archives, xFilesFactor=xff, aggregationMethod=agg)
        if values is not None:
            rng = random.Random("golden:" + path)
            pts = points_for(archives, values, gaps, rng)
            whisper.update_many(fs, pts, now=NOW)
        os.utime(fs, (NOW, NOW))
    for d in EMPTY_DIRS:
        os.makedirs(os.path.join(whisper_dir, d), exist_ok=True)
    for rel, text in OTHER_FILES.items():
        with open(os.path.join(whisper_dir, rel), "w") as fh:
            fh.write(text)
    return digest(whisper_dir)


def digest(whisper_dir):
    h = hashlib.sha256()
    n = 0
    for dirpath, dirnames, filenames in os.walk(whisper_dir):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, whisper_dir)
        h.update(b"D" + rel_dir.encode() + b"\0")
        for name in sorted(filenames):
            n += 1
            h.update(b"F" + os.path.join(rel_dir, name).encode() + b"\0")
            with open(os.path.join(dirpath, name), "rb") as fh:
                h.update(hashlib.sha256(fh.read()).digest())
    return {"files": n, "sha256": h.hexdigest()}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(json.dumps(build(sys.argv[1])))
