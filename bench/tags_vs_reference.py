#!/usr/bin/env python3
"""Side-by-side benchmark of the tag database: our graphite-web against graphite-web 1.1.10
(gunicorn, 2 workers, its default LocalDatabaseTagDB on SQLite), both serving the same
graphite.db with --series tagged series (default 1,000,000).

Run it through bench/tags.sh, which builds our server and the load generator. The database is
built once under target/bench-data (the reference's schema, made by its own `migrate`, filled
with bulk inserts) and copied into each server's STORAGE_DIR.

Series: `app.metric.NN;dc=dcD;env=E;host=host-HHHHH`, 50 metric names on each of
series/50 hosts; a host is in one of 10 data centres and one of 3 environments.

Prints, per query: requests per second, mean/p50/p99 latency on each side and the ratio; and
for ours the index build time (from the server's log), the time until it answers and the
resident memory per series (RSS with the database minus RSS with an empty one).
"""
import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from hashlib import sha256
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webapp_vs_reference import (  # noqa: E402
    ChildCpu, compare_bodies, fmt_rate, run_load, start_ours, start_reference)

NAMES_PER_HOST = 50
DB_VERSION = 1
P99_TARGET_MS = 20.0


def cases(hosts):
    h = hosts // 2
    host = f"host-{h:05d}"
    return [
        ("find_one", "findSeries: name and host (1 series)",
         f"/tags/findSeries?expr=name%3Dapp.metric.07&expr=host%3D{host}"),
        ("find_host", "findSeries: one host (50 series)", f"/tags/findSeries?expr=host%3D{host}"),
        ("find_regex", "findSeries: name regex, host regex, dc (5 series)",
         "/tags/findSeries?expr=" + quote("name=~app\\.metric\\.0[0-4]") + "&expr="
         + quote(f"host=~host-{h // 10:04d}[0-9]") + "&expr=dc%3Ddc3"),
        ("find_ne", "findSeries: host and env!=prod (50 or 0 series)",
         f"/tags/findSeries?expr=host%3D{host}&expr=env%21%3Dprod"),
        ("ac_tags", "autoComplete/tags (no expr)", "/tags/autoComplete/tags"),
        ("ac_tags_expr", "autoComplete/tags?expr=host=... (Grafana's editor)",
         f"/tags/autoComplete/tags?expr=host%3D{host}"),
        ("ac_values", "autoComplete/values?tag=host&valuePrefix=host-012",
         "/tags/autoComplete/values?tag=host&valuePrefix=host-012"),
        ("ac_values_expr", "autoComplete/values?tag=name&expr=host=...",
         f"/tags/autoComplete/values?tag=name&expr=host%3D{host}"),
    ]


def migrate(venv, storage):
    """Creates graphite.db in `storage` with the reference's own migrations."""
    env = dict(os.environ)
    with open(os.path.join(storage, "bench_db_settings.py"), "w") as f:
        f.write(f"SECRET_KEY = 'bench'\nSTORAGE_DIR = {storage!r}\nLOG_DIR = {storage!r}\n")
    env.update({"GRAPHITE_SETTINGS_MODULE": "bench_db_settings",
                "DJANGO_SETTINGS_MODULE": "graphite.settings", "PYTHONPATH": storage})
    subprocess.run([os.path.join(venv, "bin", "django-admin"), "migrate", "--verbosity", "0"],
                   env=env, check=True, cwd=storage, stdout=subprocess.DEVNULL)
    return os.path.join(storage, "graphite.db")


def build_db(a):
    """The bench database (kept between runs); returns its path."""
    out = os.path.join(a.data, f"tags-{a.series}-v{DB_VERSION}.db")
    if os.path.exists(out):
        return out
    os.makedirs(a.data, exist_ok=True)
    work = tempfile.mkdtemp(prefix="tags-db-", dir=a.data)
    t0 = time.time()
    db = migrate(a.venv, work)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA journal_mode = MEMORY")
    hosts = a.series // NAMES_PER_HOST
    tags = ["name", "host", "dc", "env"]
    conn.executemany("INSERT INTO tags_tag (id, tag) VALUES (?, ?)", enumerate(tags, 1))
    names = [f"app.metric.{i:02d}" for i in range(NAMES_PER_HOST)]
    hostnames = [f"host-{h:05d}" for h in range(hosts)]
    dcs = [f"dc{d}" for d in range(10)]
    envs = ["prod", "staging", "dev"]
    values = names + hostnames + dcs + envs
    value_id = {v: i for i, v in enumerate(values, 1)}
    conn.executemany("INSERT INTO tags_tagvalue (id, value) VALUES (?, ?)",
                     ((i, v) for v, i in value_id.items()))

    def series():
        sid = 0
        for h, host in enumerate(hostnames):
            dc, env = dcs[h % 10], envs[h % 3]
            for name in names:
                sid += 1
                path = f"{name};dc={dc};env={env};host={host}"
                yield sid, path, ((name, 1), (host, 2), (dc, 3), (env, 4))

    def series_rows():
        for sid, path, _ in series():
            yield sid, sha256(path.encode()).hexdigest(), path

    def tag_rows():
        for sid, _, pairs in series():
            for value, tag_id in pairs:
                yield sid, tag_id, value_id[value]

    conn.executemany("INSERT INTO tags_series (id, hash, path) VALUES (?, ?, ?)", series_rows())
    conn.executemany("INSERT INTO tags_seriestag (series_id, tag_id, value_id) VALUES (?, ?, ?)",
                     tag_rows())
    conn.commit()
    conn.close()
    os.replace(db, out)
    shutil.rmtree(work)
    print(f"# built {out} ({a.series:,} series) in {time.time() - t0:.0f}s", flush=True)
    return out


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start_ours_timed(a, run_dir, wdir, db):
    storage = os.path.join(run_dir, "ours")
    os.makedirs(storage, exist_ok=True)
    if db:
        shutil.copy(db, os.path.join(storage, "graphite.db"))
    os.environ["RUST_LOG"] = "warn,webapp::tags=info"
    t0 = time.time()
    srv = start_ours(a, run_dir, [wdir])
    ready = time.time() - t0
    build_ms = None
    with open(srv.log_path, errors="replace") as f:
        m = re.search(r"tag database loaded.*?series=(\d+).*?elapsed_ms=(\d+)", f.read())
        if m:
            build_ms = int(m.group(2))
    return srv, ready, build_ms


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ours", help="our graphite-web binary")
    p.add_argument("--load", required=True, help="the http_load generator binary")
    p.add_argument("--venv", default=os.path.join(here, "..", ".venv-ref"))
    p.add_argument("--data", default=os.path.join(here, "..", "target", "bench-data"))
    p.add_argument("--series", type=int, default=1_000_000)
    p.add_argument("--only", default=None, help="comma-separated case names")
    p.add_argument("--no-ref", action="store_true")
    p.add_argument("--ref-workers", type=int, default=2)
    p.add_argument("--ref-connections", type=int, default=2)
    p.add_argument("--ref-duration", type=float, default=5.0)
    p.add_argument("--ref-min-requests", type=int, default=3)
    p.add_argument("--connections", type=int, default=1,
                   help="connections to ours (1: latency as one client sees it)")
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--min-requests", type=int, default=200)
    p.add_argument("--keep", action="store_true")
    a = p.parse_args()
    a.venv, a.load, a.data = os.path.abspath(a.venv), os.path.abspath(a.load), os.path.abspath(a.data)
    a.ours = os.path.abspath(a.ours)
    a.tmp = None
    selected = cases(a.series // NAMES_PER_HOST)
    if a.only:
        selected = [c for c in selected if c[0] in a.only.split(",")]

    db = build_db(a)
    run_dir = tempfile.mkdtemp(prefix="tags-bench-")
    wdir = os.path.join(run_dir, "whisper")
    # The servers' readiness check finds `bench`.
    os.makedirs(os.path.join(wdir, "bench"))
    with open("/proc/loadavg") as f:
        load_avg = f.read().split()[0]
    print(f"# {os.cpu_count()} CPUs, load average {load_avg}; {a.series:,} tagged series; run dir {run_dir}")

    servers = {}
    results = {}
    failures = []
    child_cpu = ChildCpu()
    try:
        # Our memory per series: RSS with the database minus RSS with an empty one.
        empty_dir = os.path.join(run_dir, "empty")
        os.makedirs(empty_dir)
        empty, _, _ = start_ours_timed(a, empty_dir, wdir, None)
        empty_rss = rss_kib(empty.proc.pid)
        empty.stop()
        ours, ready, build_ms = start_ours_timed(a, run_dir, wdir, db)
        servers["ours"] = ours
        rss = rss_kib(ours.proc.pid)
        per_series = (rss - empty_rss) * 1024 / a.series
        print(f"# ours: index of {a.series:,} series built in {build_ms} ms (answering after"
              f" {ready:.1f} s); RSS {rss / 1024:.0f} MiB, empty {empty_rss / 1024:.0f} MiB:"
              f" {per_series:.0f} bytes per series", flush=True)
        if not a.no_ref:
            os.makedirs(os.path.join(run_dir, "ref"))
            shutil.copy(db, os.path.join(run_dir, "ref", "graphite.db"))
            servers["ref"] = start_reference(a, run_dir, [wdir])
            print(f"# reference: gunicorn {a.ref_workers} sync workers at {servers['ref'].addr}", flush=True)
        for name, label, path in selected:
            res = results.setdefault(name, {"label": label, "path": path})
            for kind in ("ref", "ours"):
                srv = servers.get(kind)
                if srv is None:
                    continue
                if kind == "ref":
                    conns, dur, minr, warm = a.ref_connections, a.ref_duration, a.ref_min_requests, 1
                else:
                    conns, dur, minr, warm = a.connections, a.duration, a.min_requests, 5
                body = os.path.join(run_dir, f"{name}.{kind}.body")
                child_cpu.delta()
                r = run_load(a, srv, path, conns, dur, minr, warm, body)
                r["body_file"] = body
                res[kind] = r
                lat = r["latency_ms"]
                print(f"  {name:15s} {kind:4s} {conns} conn: {fmt_rate(r['rps'])} req/s ({r['requests']}),"
                      f" latency mean {lat['mean']:.2f} p50 {lat['p50']:.2f} p99 {lat['p99']:.2f} ms,"
                      f" {r['body_max']:,} B", flush=True)
                if r["ok"] != r["requests"] or r["first_status"] != 200:
                    failures.append(f"{name} {kind}: statuses {r['statuses']}")
            if "ref" in res and "ours" in res:
                res["same"] = compare_bodies(res["ref"]["body_file"], res["ours"]["body_file"])
    finally:
        for srv in servers.values():
            srv.stop()
        if not a.keep:
            shutil.rmtree(run_dir, ignore_errors=True)

    print()
    print("| query | reference req/s | reference p99 ms | ours req/s | ours p50 ms | ours p99 ms |"
          " p99 < 20 ms | same answer |")
    print("|---|---|---|---|---|---|---|---|")
    for name, label, _ in selected:
        res = results.get(name, {})
        ref, ours = res.get("ref"), res.get("ours")
        cell = lambda r, k: f"{r['latency_ms'][k]:.2f}" if r else "-"  # noqa: E731
        met = ("met" if ours and ours["latency_ms"]["p99"] < P99_TARGET_MS else "NOT met") if ours else "-"
        print(f"| {label} | {fmt_rate(ref['rps']) if ref else '-'} | {cell(ref, 'p99')} |"
              f" {fmt_rate(ours['rps']) if ours else '-'} | {cell(ours, 'p50')} | {cell(ours, 'p99')} |"
              f" {met} | {res.get('same', '-')} |")
    if failures:
        print("\nFAILURES:\n" + "\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
