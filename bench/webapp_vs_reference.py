#!/usr/bin/env python3
"""Side-by-side benchmark of our graphite-web and the Python reference (graphite-web 1.1.10
under gunicorn), both serving the same whisper directory, in one run.

Dataset (built once and kept under --data, default target/bench-data; its directory name holds
the parameters): `bench.hostHHH.metricMMM`, 100 hosts x 1,000 metrics = 100,000 whisper files,
`1m:7d,10m:1y` (average, xFilesFactor 0.5). The 1,000 files host000-host009 x metric000-metric099
hold 1,500 one-minute points ending at NOW (a few gaps; written with whisper.update_many, so
the 10-minute archive is propagated); the other 99,000 are empty sparse files (header only, as
`whisper.create(sparse=True)` makes them): finds list them, no query reads them.

Cases (every render asks `from=-1d&now=NOW&format=json`, so the answers do not depend on the
clock; whisper picks the 1-minute archive, 1,440 points per series):

  single     /render?target=bench.host000.metric000
  sum100     /render?target=sumSeries(bench.host000.metric0[0-9][0-9])      (100 series)
  glob1000   /render?target=bench.host00[0-9].metric0[0-9][0-9]               (1,000 series)
  find_all   /metrics/find?query=bench.*.*                                    (100,000 leaves)
  find_host  /metrics/find?query=bench.host042.*                              (1,000 leaves)
  find_col   /metrics/find?query=bench.*.metric042                            (100 leaves, all dirs)

(the default treejson format merges the matched leaves by name: 1,000, 1,000 and 1 entries)

A second dataset, for the render functions (built once too, in its own directory under --data):
`fn.hostHH.cpuMM`, 10 hosts x 100 metrics = 1,000 whisper files of `10s:1d` (8,640 points,
average, xFilesFactor 0.5), every one full of varied data for the day ending at NOW (a gap now
and then), written with whisper.create + update_many. Both servers search both directories
(STANDARD_DIRS). Cases over it (same `from=-1d&now=NOW&format=json`; 1,000 series of 8,640
points are fetched for each):

  fn_sum        /render?target=sumSeries(fn.*.*)                       (1 series)
  fn_group      /render?target=groupByNode(fn.*.*,1,"sum")             (10 series)
  fn_movavg     /render?target=movingAverage(fn.*.*,60)                (1,000 series; the
                window before `from` is fetched too, and is outside the 1-day retention)
  fn_summarize  /render?target=summarize(fn.*.*,"1h","sum")            (1,000 series of 24)

Graph images (PNG, `from=-1d&now=NOW`, no format): the answers are compared only by kind and
size (the images themselves are reviewed in docs/gallery):

  img_1         /render?target=bench.host000.metric000                 (330x250)
  img_10        /render?target=fn.host00.cpu0[0-9]&width=800&height=600 (10 series x 8,640)

Each server is started once; for each case the load generator (webapp/examples/http_load.rs)
runs against the reference (--ref-connections, default 2 = its workers, each a synchronous
process) and then against ours (--connections, default 4), each for a bounded time after a
warm-up. Measured: requests/s, latency percentiles, bytes; CPU seconds of the server (the whole
process tree, from /proc) and of the generator (wait4), so that a generator using more CPU than
the server it loads is flagged. Every response must be 200; the first bodies of the two sides
are compared as parsed JSON (a warning on a difference: a sanity check, the interop tests are
where answers are compared). Find latency for ours is also measured with a single connection
(no queueing): that run's p99 is checked against the 10 ms target.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
NOW = 1700006400  # a multiple of 600: minute and 10-minute archives align on it
RETENTION = [(60, 7 * 1440), (600, 365 * 144)]  # 1m:7d,10m:1y
DATA_POINTS = 1500  # one-minute points ending at NOW in the files with data
DATASET_VERSION = 1
# The render-function dataset: fn.hostHH.cpuMM, 10s:1d, every point of the day written.
FN_RETENTION = [(10, 8640)]  # 10s:1d
FN_HOSTS, FN_METRICS = 10, 100
FN_DATASET_VERSION = 1

# Targets of the issue: throughput ratio ours/reference, and find p99 latency.
TARGET_RATIO = {"single": 10, "sum100": 20, "glob1000": 20, "find_all": 20,
                "fn_sum": 20, "fn_group": 20, "fn_movavg": 20, "fn_summarize": 20,
                "img_1": 10, "img_10": 10}
FIND_P99_MS = 10.0


# 10,000 series of the main dataset (100 hosts x 100 metrics).
X10K = "bench.host0[0-9][0-9].metric0[0-9][0-9]"
MDP = "&maxDataPoints=100"


def q(s):
    return urllib.parse.quote(s, safe="")


def cases():
    r = f"&from=-1d&now={NOW}&format=json"
    return [
        ("single", "single series, 1 day", "/render?target=" + q("bench.host000.metric000") + r),
        ("sum100", "sumSeries of 100 series", "/render?target=" + q("sumSeries(bench.host000.metric0[0-9][0-9])") + r),
        ("glob1000", "1,000-series glob", "/render?target=" + q("bench.host00[0-9].metric0[0-9][0-9]") + r),
        ("find_all", "find bench.*.* (100k leaves)", "/metrics/find?query=" + q("bench.*.*")),
        ("find_host", "find bench.host042.* (1k leaves)", "/metrics/find?query=" + q("bench.host042.*")),
        ("find_col", "find bench.*.metric042 (100 leaves)", "/metrics/find?query=" + q("bench.*.metric042")),
        ("fn_sum", "sumSeries of 1,000 x 8,640", "/render?target=" + q("sumSeries(fn.*.*)") + r),
        ("fn_group", "groupByNode of 1,000 x 8,640", "/render?target=" + q('groupByNode(fn.*.*,1,"sum")') + r),
        ("fn_movavg", "movingAverage of 1,000 x 8,640", "/render?target=" + q("movingAverage(fn.*.*,60)") + r),
        ("fn_summarize", "summarize of 1,000 x 8,640", "/render?target=" + q('summarize(fn.*.*,"1h","sum")') + r),
        # Filter, sort and alias functions over 10,000 series of the main dataset (1,440 points
        # each); the lists of 10,000 are drawn at maxDataPoints=100, as a Grafana panel would.
        ("f10k_highest", "highestCurrent(10) of 10,000", "/render?target=" + q(f"highestCurrent({X10K},10)") + r),
        ("f10k_sortmax", "sortByMaxima of 10,000", "/render?target=" + q(f"sortByMaxima({X10K})") + r + MDP),
        ("f10k_aliasnode", "aliasByNode of 10,000", "/render?target=" + q(f"aliasByNode({X10K},1)") + r + MDP),
        ("f10k_aliassub", "aliasSub of 10,000", "/render?target="
         + q(f"aliasSub({X10K},'host0*([0-9]+)\\.metric','h\\1')") + r + MDP),
        # Graph images (PNG): one series of the main dataset at the default 330x250, and ten
        # series of the function dataset (8,640 points each) at 800x600.
        ("img_1", "PNG, 1 series, 330x250", "/render?target=" + q("bench.host000.metric000")
         + f"&from=-1d&now={NOW}"),
        ("img_10", "PNG, 10 series x 8,640, 800x600", "/render?target=" + q("fn.host00.cpu0[0-9]")
         + f"&from=-1d&now={NOW}&width=800&height=600"),
    ]


def fn_case(name):
    return name.startswith("fn_") or name == "img_10"


# ---------------------------------------------------------------------------------- dataset

def name_width(n):
    return max(3, len(str(n - 1)))


def build_dataset(data_root, hosts, per_host):
    """Creates (once) the whisper tree; returns (dataset dir, whisper dir)."""
    import whisper  # from the reference virtualenv

    key = f"webapp-v{DATASET_VERSION}-h{hosts}-m{per_host}-now{NOW}"
    root = os.path.join(data_root, key)
    wdir = os.path.join(root, "whisper")
    meta_path = os.path.join(root, "meta.json")
    if os.path.exists(meta_path):
        return root, wdir
    if hosts < 10 or per_host < 100:
        sys.exit("the queries need at least 10 hosts and 100 metrics per host")
    print(f"# building the dataset in {root} ({hosts} x {per_host} files, once)", flush=True)
    t0 = time.time()
    partial = root + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    template = os.path.join(partial, "template.wsp")
    whisper.create(template, RETENTION, 0.5, "average", sparse=True)
    size = os.path.getsize(template)
    with open(template, "rb") as f:
        header = f.read(16 + 12 * len(RETENTION))
    os.unlink(template)
    hw, mw = name_width(hosts), name_width(per_host)
    real = 0
    for h in range(hosts):
        d = os.path.join(partial, "whisper", "bench", f"host{h:0{hw}d}")
        os.makedirs(d)
        for m in range(per_host):
            path = os.path.join(d, f"metric{m:0{mw}d}.wsp")
            if h < 10 and m < 100:
                whisper.create(path, RETENTION, 0.5, "average", sparse=True)
                points = []
                for j in range(DATA_POINTS):
                    if (j + 7 * h + m) % 61 == 0:
                        continue  # a gap: None in the answers
                    t = NOW - 60 * (DATA_POINTS - 1 - j)
                    points.append((t, ((j * 37 + m * 11 + h * 5) % 1000) / 8 + m * 0.01))
                whisper.update_many(path, points, now=NOW)
                real += 1
            else:
                with open(path, "wb") as f:
                    f.write(header)
                    f.truncate(size)
        if h % 10 == 9:
            print(f"  {h + 1} hosts, {time.time() - t0:.0f}s", flush=True)
    with open(os.path.join(partial, "meta.json"), "w") as f:
        json.dump({"hosts": hosts, "per_host": per_host, "files": hosts * per_host, "with_data": real,
                   "retention": RETENTION, "now": NOW, "file_bytes": size}, f)
    shutil.rmtree(root, ignore_errors=True)
    os.rename(partial, root)
    print(f"# dataset built in {time.time() - t0:.0f}s", flush=True)
    return root, wdir


def build_fn_dataset(data_root):
    """Creates (once) the render-function whisper tree; returns its whisper dir."""
    import whisper  # from the reference virtualenv

    key = f"webapp-fn-v{FN_DATASET_VERSION}-h{FN_HOSTS}-m{FN_METRICS}-10s1d-now{NOW}"
    root = os.path.join(data_root, key)
    wdir = os.path.join(root, "whisper")
    if os.path.exists(os.path.join(root, "meta.json")):
        return wdir
    print(f"# building the function dataset in {root} ({FN_HOSTS} x {FN_METRICS} files, once)", flush=True)
    t0 = time.time()
    partial = root + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    step, points = FN_RETENTION[0]
    for h in range(FN_HOSTS):
        d = os.path.join(partial, "whisper", "fn", f"host{h:02d}")
        os.makedirs(d)
        for m in range(FN_METRICS):
            path = os.path.join(d, f"cpu{m:02d}.wsp")
            whisper.create(path, FN_RETENTION, 0.5, "average")
            data = []
            for j in range(points):
                if (j + 13 * h + 7 * m) % 97 == 0:
                    continue  # a gap: None in the answers
                t = NOW - step * (points - 1 - j)
                # a daily wave, a per-series level and some noise, in hundredths
                v = (m * 0.37 + h * 1.3 + 20 * ((j * 7 + m * 3) % 360 - 180) / 180
                     + ((j * 2654435761 + m * 40503 + h * 9973) % 1000) / 100)
                data.append((t, v))
            whisper.update_many(path, data, now=NOW)
    with open(os.path.join(partial, "meta.json"), "w") as f:
        json.dump({"hosts": FN_HOSTS, "per_host": FN_METRICS, "files": FN_HOSTS * FN_METRICS,
                   "retention": FN_RETENTION, "now": NOW}, f)
    shutil.rmtree(root, ignore_errors=True)
    os.rename(partial, root)
    print(f"# function dataset built in {time.time() - t0:.0f}s", flush=True)
    return wdir


# ---------------------------------------------------------------------------------- servers

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_cpu(pid):
    """User + system CPU seconds of `pid` and all its descendants (gunicorn's workers)."""
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK)
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        if p in stats:
            total += stats[p][1]
        todo.extend(c for c, (ppid, _) in stats.items() if ppid == p)
    return total


def http_get(addr, path, timeout=120):
    with urllib.request.urlopen(f"http://{addr}{path}", timeout=timeout) as r:
        return r.status, r.read()


def wait_answering(addr, proc, log_path, what, timeout=90):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}; see {log_path}")
        try:
            status, body = http_get(addr, "/metrics/find?query=bench", timeout=10)
            if status == 200 and b"bench" in body:
                return
            last = f"status {status}"
        except Exception as e:  # noqa: BLE001  (not up yet)
            last = str(e)
        time.sleep(0.2)
    raise RuntimeError(f"{what} not answering at {addr} after {timeout}s ({last}); see {log_path}")


class Server:
    def __init__(self, kind, proc, addr, log_path):
        self.kind, self.proc, self.addr, self.log_path = kind, proc, addr, log_path

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_reference(a, run_dir, wdirs):
    storage = os.path.join(run_dir, "ref")
    os.makedirs(os.path.join(storage, "log"))
    settings_module = "reference_local_settings"
    if len(wdirs) > 1:
        # bench/reference_local_settings.py plus the second tree, in a module of the run dir.
        # A render over the function dataset reads 1,000 files of 8,640 points: the default
        # FETCH_TIMEOUT (6 s) fails some of them with a 500 on a busy machine ("Timed out after
        # 6.9s for fetch for ['fn.*.*']"), so the fetch and find timeouts are raised.
        settings_module = "bench_run_settings"
        with open(os.path.join(storage, settings_module + ".py"), "w") as f:
            f.write("from reference_local_settings import *  # noqa: F401,F403\n")
            f.write(f"STANDARD_DIRS = {list(wdirs)!r}\n")
            f.write("FETCH_TIMEOUT = 300\nFIND_TIMEOUT = 300\n")
    env = dict(os.environ)
    env.update({
        "GRAPHITE_SETTINGS_MODULE": settings_module,
        "DJANGO_SETTINGS_MODULE": "graphite.settings",
        "BENCH_STORAGE_DIR": storage,
        "BENCH_WHISPER_DIR": wdirs[0],
        "PYTHONPATH": storage + os.pathsep + os.path.dirname(os.path.abspath(__file__)),
    })
    log_path = os.path.join(storage, "gunicorn.log")
    # The Django database (users, profiles, tags) is not used by these views, but a deployment
    # has one: create it as the install instructions do.
    subprocess.run([os.path.join(a.venv, "bin", "django-admin"), "migrate", "--verbosity", "0"],
                   env=env, check=True, cwd=storage, stdout=subprocess.DEVNULL)
    port = free_port()
    addr = f"127.0.0.1:{port}"
    cmd = [os.path.join(a.venv, "bin", "gunicorn"), "--workers", str(a.ref_workers), "--bind", addr,
           "--timeout", "300", "--log-level", "warning", "--error-logfile", log_path,
           "graphite.wsgi:application"]
    proc = subprocess.Popen(cmd, env=env, cwd=storage, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    srv = Server("ref", proc, addr, log_path)
    try:
        wait_answering(addr, proc, log_path, "the reference (gunicorn)")
    except BaseException:
        srv.stop()
        raise
    return srv


def start_ours(a, run_dir, wdirs):
    storage = os.path.join(run_dir, "ours")
    os.makedirs(os.path.join(storage, "log"))
    settings = os.path.join(storage, "graphite-web.conf")
    with open(settings, "w") as f:
        f.write(f"STORAGE_DIR = {storage!r}\n")
        f.write(f"WHISPER_DIR = {wdirs[0]!r}\n")
        if len(wdirs) > 1:
            f.write(f"STANDARD_DIRS = {list(wdirs)!r}\n")
        f.write(f"LOG_DIR = {os.path.join(storage, 'log')!r}\n")
        f.write("CARBONLINK_HOSTS = []\n")
        f.write("TIME_ZONE = 'UTC'\n")
    addr_file = os.path.join(storage, "listener-addr")
    log_path = os.path.join(storage, "graphite-web.log")
    env = dict(os.environ)
    env.setdefault("RUST_LOG", "warn")
    env["GRAPHITE_ROOT"] = storage
    cmd = [a.ours, "--config", settings, "--bind", "127.0.0.1:0", "--listener-addr-file", addr_file]
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, env=env, cwd=storage, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    srv = Server("ours", proc, None, log_path)
    try:
        deadline = time.time() + 60
        addr = None
        while addr is None:
            if proc.poll() is not None:
                raise RuntimeError(f"our server exited with {proc.returncode}; see {log_path}:\n"
                                   + open(log_path, errors="replace").read()[-2000:])
            if time.time() > deadline:
                raise RuntimeError(f"our server wrote no address to {addr_file} in 60s; see {log_path}")
            if os.path.exists(addr_file):
                m = re.search(r"(\d+\.\d+\.\d+\.\d+):(\d+)", open(addr_file).read())
                if m:
                    addr = f"{m.group(1)}:{m.group(2)}"
                    break
            time.sleep(0.05)
        srv.addr = addr
        wait_answering(addr, proc, log_path, "our server")
    except BaseException:
        srv.stop()
        raise
    return srv


# ---------------------------------------------------------------------------------- load

def run_load(a, srv, path, connections, duration, min_requests, warmup, save):
    cmd = [a.load, "--addr", srv.addr, "--path", path, "--connections", str(connections),
           "--duration", str(duration), "--min-requests", str(min_requests),
           "--warmup", str(warmup), "--timeout", "300", "--save-first", save]
    cpu0 = tree_cpu(srv.proc.pid)
    t0 = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    # communicate() has reaped it; the rusage of children covers the generator.
    wall = time.time() - t0
    cpu1 = tree_cpu(srv.proc.pid)
    if proc.returncode != 0:
        raise RuntimeError(f"http_load failed ({proc.returncode}): {err.strip()}")
    r = json.loads(out)
    r["server_cpu"] = cpu1 - cpu0
    r["wall"] = wall
    r["warmup_requests"] = connections * warmup
    return r


class ChildCpu:
    """CPU seconds used by reaped children since the last call (the load generator)."""

    def __init__(self):
        self.last = self._now()

    @staticmethod
    def _now():
        t = os.times()
        return t.children_user + t.children_system

    def delta(self):
        now = self._now()
        d, self.last = now - self.last, now
        return d


def png_size(data):
    """(width, height) of a PNG, or None."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def compare_bodies(ref_path, ours_path):
    try:
        with open(ref_path, "rb") as f:
            ref_png = png_size(f.read())
        with open(ours_path, "rb") as f:
            ours_png = png_size(f.read())
    except OSError as e:
        return f"not comparable ({e})"
    if ref_png or ours_png:
        # Images are compared by eye (docs/gallery); here only their kind and size.
        if ref_png == ours_png:
            return "both PNG, %dx%d" % ref_png
        return f"DIFFERS: PNG sizes {ref_png} and {ours_png}"
    try:
        with open(ref_path, "rb") as f:
            ref = json.loads(f.read())
        with open(ours_path, "rb") as f:
            ours = json.loads(f.read())
    except (OSError, ValueError) as e:
        return f"not comparable ({e})"
    if ref == ours:
        return "same"

    def key(x):
        return json.dumps(x, sort_keys=True)

    if isinstance(ref, list) and isinstance(ours, list):
        if sorted(map(key, ref)) == sorted(map(key, ours)):
            return "same (other order)"
        if len(ref) != len(ours):
            return f"DIFFERS: {len(ref)} items in the reference's, {len(ours)} in ours"
        for i, (x, y) in enumerate(zip(ref, ours)):
            if x != y:
                if isinstance(x, dict) and isinstance(y, dict):
                    keys = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
                    return f"DIFFERS: item {i}, keys {keys}"
                return f"DIFFERS: item {i}"
    return "DIFFERS"


def fmt_rate(r):
    if r >= 100:
        return f"{r:,.0f}"
    if r >= 10:
        return f"{r:.1f}"
    return f"{r:.2f}"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ours", help="our graphite-web binary")
    p.add_argument("--load", required=True, help="the http_load generator binary")
    p.add_argument("--venv", default=os.path.join(here, "..", ".venv-ref"))
    p.add_argument("--data", default=os.path.join(here, "..", "target", "bench-data"),
                   help="where the dataset is built and kept")
    p.add_argument("--hosts", type=int, default=100)
    p.add_argument("--metrics-per-host", type=int, default=1000)
    p.add_argument("--only", default=None, help="comma-separated case names")
    p.add_argument("--no-ref", action="store_true", help="run only ours")
    p.add_argument("--no-ours", action="store_true", help="run only the reference")
    p.add_argument("--ref-workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--ref-connections", type=int, default=2)
    p.add_argument("--ref-duration", type=float, default=8.0, help="seconds per case (reference)")
    p.add_argument("--ref-min-requests", type=int, default=4)
    p.add_argument("--connections", type=int, default=4, help="connections to ours")
    p.add_argument("--duration", type=float, default=5.0, help="seconds per case (ours)")
    p.add_argument("--min-requests", type=int, default=20)
    p.add_argument("--latency-duration", type=float, default=3.0,
                   help="seconds of the single-connection find latency runs (ours)")
    p.add_argument("--tmp", default=None, help="where the run's storage goes (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the run's directory (logs, bodies)")
    p.add_argument("--json", default=None, help="write every figure here")
    a = p.parse_args()
    a.venv = os.path.abspath(a.venv)
    a.load = os.path.abspath(a.load)
    a.ours = os.path.abspath(a.ours) if a.ours else None
    if a.no_ours and a.no_ref:
        sys.exit("nothing to run")
    if not a.no_ours and not (a.ours and os.access(a.ours, os.X_OK)):
        sys.exit(f"our server binary is missing ({a.ours}): build it with "
                 "`cargo build --release -p webapp --bin graphite-web`, or pass --no-ours to measure "
                 "the reference alone")
    if not os.access(a.load, os.X_OK):
        sys.exit(f"the load generator is missing: {a.load}")

    selected = cases()
    if a.only:
        names = a.only.split(",")
        unknown = set(names) - {c[0] for c in selected}
        if unknown:
            sys.exit(f"unknown cases {sorted(unknown)}; known: {[c[0] for c in selected]}")
        selected = [c for c in selected if c[0] in names]

    _, wdir = build_dataset(os.path.abspath(a.data), a.hosts, a.metrics_per_host)
    files = a.hosts * a.metrics_per_host
    wdirs = [wdir]
    if any(fn_case(c[0]) for c in selected):
        wdirs.append(build_fn_dataset(os.path.abspath(a.data)))
    run_dir = tempfile.mkdtemp(prefix="webapp-bench-", dir=a.tmp)
    with open("/proc/loadavg") as f:
        load_avg = f.read().split()[0]
    print(f"# {os.cpu_count()} CPUs, load average {load_avg}; dataset {wdir} ({files:,} files)"
          + "".join(f" + {d}" for d in wdirs[1:]) + f"; run dir {run_dir}")

    servers = {}
    results = {}
    failures = []
    child_cpu = ChildCpu()
    try:
        if not a.no_ref:
            servers["ref"] = start_reference(a, run_dir, wdirs)
            print(f"# reference: gunicorn {a.ref_workers} sync workers at {servers['ref'].addr}")
        if not a.no_ours:
            servers["ours"] = start_ours(a, run_dir, wdirs)
            print(f"# ours: {a.ours} at {servers['ours'].addr}")
        sys.stdout.flush()
        for name, label, path in selected:
            res = results.setdefault(name, {"label": label, "path": path})
            for kind, srv in servers.items():
                if kind == "ref":
                    conns, dur, minr, warm = a.ref_connections, a.ref_duration, a.ref_min_requests, 1
                else:
                    conns, dur, minr, warm = a.connections, a.duration, a.min_requests, 2
                body = os.path.join(run_dir, f"{name}.{kind}.body")
                child_cpu.delta()
                r = run_load(a, srv, path, conns, dur, minr, warm, body)
                r["gen_cpu"] = child_cpu.delta()
                r["body_file"] = body
                res[kind] = r
                lat = r["latency_ms"]
                print(f"  {name:9s} {kind:4s} {conns} conn: {fmt_rate(r['rps'])} req/s ({r['requests']} in"
                      f" {r['elapsed_secs']:.1f}s), latency mean {lat['mean']:.1f} p50 {lat['p50']:.1f}"
                      f" p99 {lat['p99']:.1f} ms, {r['body_max']:,} B/response, server CPU"
                      f" {r['server_cpu'] / r['wall']:.2f} cores, generator {r['gen_cpu'] / r['wall']:.2f}",
                      flush=True)
                if r["ok"] != r["requests"] or r["errors"] or r["first_status"] != 200:
                    failures.append(f"{name} {kind}: statuses {r['statuses']}, errors {r['errors']},"
                                    f" first error {r['first_error']}, first bad {r['first_bad_status']}")
                if r["body_min"] != r["body_max"]:
                    print(f"    warning: {kind} answered bodies of {r['body_min']} to {r['body_max']} bytes")
                if kind == "ours":
                    # The generator's ceiling for this body size: against its in-process server.
                    cmd = [a.load, "--null-server", str(r["body_max"]), "--connections", str(conns),
                           "--duration", "1", "--warmup", "1"]
                    r["ceiling_rps"] = json.loads(subprocess.run(cmd, check=True, capture_output=True,
                                                                 text=True).stdout)["rps"]
                    child_cpu.delta()
                if kind == "ours" and name.startswith("find"):
                    child_cpu.delta()
                    lr = run_load(a, srv, path, 1, a.latency_duration, 20, 5, body + ".lat")
                    lr["gen_cpu"] = child_cpu.delta()
                    res["ours_latency"] = lr
                    lat = lr["latency_ms"]
                    print(f"  {name:9s} ours 1 conn: {fmt_rate(lr['rps'])} req/s, latency p50"
                          f" {lat['p50']:.2f} p99 {lat['p99']:.2f} max {lat['max']:.2f} ms", flush=True)
                    if lr["ok"] != lr["requests"] or lr["errors"]:
                        failures.append(f"{name} ours latency run: statuses {lr['statuses']}, errors {lr['errors']}")
            if "ref" in res and "ours" in res:
                res["same"] = compare_bodies(res["ref"]["body_file"], res["ours"]["body_file"])
                if res["same"].startswith(("DIFFERS", "not")):
                    print(f"    warning: answers differ: {res['same']}")
    finally:
        for srv in servers.values():
            srv.stop()
        if not a.keep:
            shutil.rmtree(run_dir, ignore_errors=True)

    # ------------------------------------------------------------------------------- tables
    print()
    print("| case | reference req/s | ours req/s | ratio | target | result | ref latency p50 / p99 "
          "| ours latency p50 / p99 | server CPU ms per request, ref / ours | generator | same answer |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    misses = []
    for name, label, _ in selected:
        res = results[name]
        ref, ours = res.get("ref"), res.get("ours")
        cols = [f"{label}"]
        cols.append(fmt_rate(ref["rps"]) if ref else "-")
        cols.append(fmt_rate(ours["rps"]) if ours else "-")
        target = TARGET_RATIO.get(name)
        if ref and ours and ref["rps"] > 0:
            ratio = ours["rps"] / ref["rps"]
            cols.append(f"{ratio:.1f}x")
            cols.append(f"{target}x" if target else "-")
            if target:
                ok = ratio >= target
                cols.append("met" if ok else "NOT MET")
                if not ok:
                    misses.append(f"{name}: {ratio:.1f}x < {target}x")
            else:
                cols.append("-")
        else:
            cols += ["-", f"{target}x" if target else "-", "-"]
        for r in (ref, ours):
            cols.append(f"{r['latency_ms']['p50']:.1f} / {r['latency_ms']['p99']:.1f} ms" if r else "-")
        cpu = {}
        for kind, r in (("ref", ref), ("ours", ours)):
            if r:
                cpu[kind] = 1000 * r["server_cpu"] / max(r["requests"] + r["warmup_requests"], 1)
        text = " / ".join(f"{cpu[k]:.2f}" if k in cpu else "-" for k in ("ref", "ours"))
        if len(cpu) == 2 and cpu["ours"] > 0:
            text += f" ({cpu['ref'] / cpu['ours']:.0f}x)"
        cols.append(text)
        gen = []
        for kind, r in (("ref", ref), ("ours", ours)):
            if not r:
                continue
            flags = []
            if r["gen_cpu"] > r["server_cpu"]:
                flags.append("LIMIT: more CPU than the server")
            if r.get("ceiling_rps") and r["rps"] >= 0.5 * r["ceiling_rps"]:
                flags.append(f"LIMIT: at {r['rps'] / r['ceiling_rps']:.0%} of its ceiling")
            text = f"{kind} {r['gen_cpu'] / r['wall']:.2f} cores (server {r['server_cpu'] / r['wall']:.2f})"
            if r.get("ceiling_rps"):
                text += f", ceiling {fmt_rate(r['ceiling_rps'])}/s"
            gen.append(text + "".join(" " + f for f in flags))
        cols.append("; ".join(gen))
        cols.append(res.get("same", "-"))
        print("| " + " | ".join(cols) + " |")

    finds = [n for n, _, _ in selected if n.startswith("find") and "ours_latency" in results[n]]
    if finds:
        print()
        print(f"# /metrics/find latency, ours, 1 connection, {files:,} metrics (target p99 < {FIND_P99_MS:g} ms)")
        print("| find | requests | p50 ms | p99 ms | max ms | result |")
        print("|---|---|---|---|---|---|")
        for n in finds:
            lr = results[n]["ours_latency"]
            lat = lr["latency_ms"]
            ok = lat["p99"] < FIND_P99_MS
            if not ok:
                misses.append(f"{n}: find p99 {lat['p99']:.2f} ms >= {FIND_P99_MS:g} ms")
            print(f"| {results[n]['label']} | {lr['requests']} | {lat['p50']:.2f} | {lat['p99']:.2f} "
                  f"| {lat['max']:.2f} | {'met' if ok else 'NOT MET'} |")

    print()
    print("(server CPU per request: the server's process tree, warm-up requests included; generator: cores"
          " used by the load generator and by the server during the run, and the generator's ceiling for"
          " the same body against its in-process null server; LIMIT when the generator used more CPU than"
          " the server or reached half its ceiling)")
    with open("/proc/loadavg") as f:
        print(f"# load average at the end: {f.read().split()[0]} (at the start: {load_avg})")
    if misses:
        print("targets not met:", *misses, sep="\n  ")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"now": NOW, "files": files, "results": results, "misses": misses,
                       "failures": failures}, f, indent=1)
    if failures:
        print("\nFAILED checks:", *failures, sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
