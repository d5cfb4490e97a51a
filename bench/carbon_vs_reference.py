#!/usr/bin/env python3
"""Side-by-side benchmark of our carbon-cache and the Python reference (carbon 1.1.10).

For each case (protocol x distinct metrics) each daemon is started on fresh storage with
MAX_CACHE_SIZE, MAX_UPDATES_PER_SECOND and MAX_CREATES_PER_MINUTE at inf, and the load
generator (carbon/examples/carbon_load.rs) sends M metrics x P points over several TCP
connections. Measured per run:

- accepted: points / time until the daemon has read every connection to its end (each
  connection is half-closed by the generator; both daemons handle what they read before reading
  more and close a connection once they have read its end, so the close marks "all received");
- persisted: points / time from the first byte sent until every point is on disk. Ours gets a
  SIGTERM as soon as everything was accepted and writes every cached point before exiting (at
  MAX_UPDATES_PER_SECOND_ON_SHUTDOWN = inf): the time is when it has exited, and its log's
  `committed=` count must equal the points sent. The reference loses its cache on SIGTERM (its
  writer thread stops as soon as the reactor stops), so it is left running until its CPU time
  stops growing (the writer has emptied the cache), and the time is when it last grew. The
  files are then counted and a few of them read back for both;
- CPU: user + system seconds of the daemon (wait4 rusage), and during the accept phase
  (from /proc/<pid>/stat);
- peak RSS: ru_maxrss (= VmHWM at exit); and VmHWM at the end of the accept phase.

The generator's own ceiling is measured against an in-process null sink first; a daemon rate
near it, or a generator using a whole core, is flagged as generator-limited.

A "memory" case holds everything in the cache (MAX_UPDATES_PER_SECOND = 1 while receiving) and
reports (VmHWM after accept - RSS before) / points: bytes per cached point.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

# Targets of issue 3, acceptance point 4 (for ours, at full size: 10M points per case).
ACCEPT_TARGET = {"plaintext": 3_000_000, "pickle": 1_500_000}
PERSIST_TARGET = {1000: 1_000_000, 10000: 1_000_000, 100000: 400_000}
BYTES_PER_POINT_TARGET = 40


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def write_conf(conf_dir, storage, ports, max_updates):
    os.makedirs(conf_dir, exist_ok=True)
    os.makedirs(storage, exist_ok=True)
    with open(os.path.join(conf_dir, "carbon.conf"), "w") as f:
        f.write(f"""[cache]
STORAGE_DIR = {storage}
LOCAL_DATA_DIR = {storage}/whisper
LOG_DIR = {storage}/log
PID_DIR = {storage}
ENABLE_LOGROTATION = False
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = {max_updates}
MAX_UPDATES_PER_SECOND_ON_SHUTDOWN = 1000000000
MAX_CREATES_PER_MINUTE = inf
USE_FLOW_CONTROL = False
CACHE_WRITE_STRATEGY = sorted
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = {ports[0]}
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = {ports[1]}
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = {ports[2]}
ENABLE_UDP_LISTENER = False
ENABLE_TAGS = False
CARBON_METRIC_INTERVAL = 0
LOG_UPDATES = False
LOG_CREATES = False
LOG_CACHE_HITS = False
LOG_LISTENER_CONNECTIONS = False
WHISPER_AUTOFLUSH = False
""")
    with open(os.path.join(conf_dir, "storage-schemas.conf"), "w") as f:
        # One archive of 1 s points, long enough for every point sent plus 10 minutes of slack:
        # files stay small, so the work measured is the daemon's, not the disk's.
        f.write(f"[bench]\npattern = .*\nretentions = 1s:{ports[3]}\n")


def wait_listening(port, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited early with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} not listening after {timeout}s")


def start_daemon(kind, a, conf_dir, storage, ports):
    log = open(os.path.join(storage, "daemon.log"), "w")
    env = dict(os.environ)
    conf = os.path.join(conf_dir, "carbon.conf")
    if kind == "ours":
        addr_file = os.path.join(storage, "addrs")
        # --nodaemon: the log (with the shutdown counts read below) on stdout, not in LOG_DIR.
        cmd = [a.ours, "--config", conf, "--listener-addr-file", addr_file, "--free-ports", "--nodaemon"]
        env["RUST_LOG"] = "warn,carbon::daemon=info"
        env["GRAPHITE_ROOT"] = storage
    else:
        addr_file = None
        cmd = [os.path.join(a.venv, "bin", "python"), os.path.join(a.venv, "bin", "carbon-cache.py"),
               "--config", conf, "--debug", "start"]
        env["GRAPHITE_ROOT"] = storage
        env["GRAPHITE_CONF_DIR"] = conf_dir
        env["GRAPHITE_STORAGE_DIR"] = storage
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=storage)
    if kind == "ours":
        deadline = time.time() + 30
        while not (os.path.exists(addr_file) and os.path.getsize(addr_file) > 0):
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"our daemon did not start: see {log.name}")
            time.sleep(0.02)
        addrs = dict(line.split() for line in open(addr_file))
        return proc, log, {"plaintext": addrs["line"], "pickle": addrs["pickle"]}
    wait_listening(ports[0], proc)
    wait_listening(ports[1], proc)
    return proc, log, {"plaintext": f"127.0.0.1:{ports[0]}", "pickle": f"127.0.0.1:{ports[1]}"}


def run_load(a, addr, protocol, metrics, points, null_sink=False):
    cmd = [a.load, "--protocol", protocol, "--metrics", str(metrics), "--points", str(points),
           "--connections", str(a.connections)]
    cmd += ["--null-sink"] if null_sink else ["--addr", addr]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def check_files(data_dir, metrics, points, base):
    """Counts the .wsp files and reads a few: each must hold all `points` points."""
    import whisper  # from the reference virtualenv

    files = 0
    for _, _, names in os.walk(data_dir):
        files += sum(1 for n in names if n.endswith(".wsp"))
    bad = 0
    for m in sorted({0, metrics // 2, metrics - 1}):
        path = os.path.join(data_dir, "bench", f"host{m // 100}", f"cpu{m % 100}.wsp")
        try:
            (_, _, _), values = whisper.fetch(path, base - 1, base + points, now=base + points + 1)
            got = sum(v is not None for v in values)
        except Exception:
            got = -1
        if got != points:
            bad += 1
    return files, bad


def wait_idle(pid, quiet=2.5, poll=0.05):
    """The reference cannot be stopped to flush: SIGTERM ends its writer thread as soon as the
    cache is empty once, or at once if the writer was in its 1 s sleep, and the rest of the cache
    is lost. So wait until its CPU time stops growing for `quiet` seconds (the writer has
    emptied the cache) and return when it last grew."""
    last_cpu, last_change = proc_cpu(pid), time.time()
    while time.time() - last_change < quiet:
        time.sleep(poll)
        cpu = proc_cpu(pid)
        if cpu > last_cpu:
            last_cpu, last_change = cpu, time.time()
    return last_change


def mount_fresh_fs(storage, size_mb):
    """A new ext4 file system (a loop-mounted image file) at `storage`: file creation on a file
    system that has just freed many inodes is slower (ext4's recently-deleted inode handling),
    so each case starts on a fresh one. Needs root. Returns the cleanup function."""
    image = storage + ".img"
    with open(image, "wb") as f:
        f.truncate(size_mb << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", image],
                   check=True)
    os.makedirs(storage, exist_ok=True)
    subprocess.run(["mount", "-o", "loop", image, storage], check=True)

    def cleanup():
        subprocess.run(["umount", storage], check=False)
        try:
            os.unlink(image)
        except OSError:
            pass
    return cleanup


def one_run(kind, a, protocol, metrics, points, root, label, hold=False):
    case_dir = tempfile.mkdtemp(prefix=f"{label}-{kind}-", dir=root)
    conf_dir, storage = os.path.join(case_dir, "conf"), os.path.join(case_dir, "storage")
    cleanup = mount_fresh_fs(storage, a.fresh_fs) if a.fresh_fs else None
    try:
        return one_run_in(kind, a, protocol, metrics, points, label, hold, case_dir, conf_dir, storage)
    finally:
        if cleanup and not a.keep:
            cleanup()


def one_run_in(kind, a, protocol, metrics, points, label, hold, case_dir, conf_dir, storage):
    retention = points + 600
    ports = (free_port(), free_port(), free_port(), retention)
    write_conf(conf_dir, storage, ports, 1 if hold else "inf")
    proc, log, addrs = start_daemon(kind, a, conf_dir, storage, ports)
    try:
        time.sleep(0.3)
        cpu0 = proc_cpu(proc.pid)
        rss0 = proc_status_kb(proc.pid, "VmRSS")
        load = run_load(a, addrs[protocol], protocol, metrics, points)
        cpu_accept = proc_cpu(proc.pid) - cpu0
        hwm_accept = proc_status_kb(proc.pid, "VmHWM")
        persisted_at = None
        if kind == "ref" and not hold:
            persisted_at = wait_idle(proc.pid)
        proc.send_signal(signal.SIGTERM)
        _, status, ru = os.wait4(proc.pid, 0)
        t_exit = time.time()
        proc.returncode = status
        if persisted_at is None:
            persisted_at = t_exit
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        log.close()
    total = load["points"]
    persisted_secs = persisted_at - load["start_unix"]
    log_text = open(log.name, errors="replace").read()
    committed = None
    m = re.search(r"shutdown complete.*?received=(\d+).*?committed=(\d+)", log_text)
    if m:
        committed = int(m.group(2))
    if hold and kind == "ref":
        files, bad = metrics, 0  # the reference drops its cache on SIGTERM: nothing to check
    else:
        files, bad = check_files(os.path.join(storage, "whisper"), metrics, points, load["base"])
    return {
        "daemon": kind, "protocol": protocol, "metrics": metrics, "points_per_metric": points,
        "points": total, "accept_secs": load["done_secs"], "sent_secs": load["sent_secs"],
        "accepted_rate": total / load["done_secs"], "persisted_secs": persisted_secs,
        "persisted_rate": total / persisted_secs,
        "cpu_accept": cpu_accept, "cpu_total": ru.ru_utime + ru.ru_stime,
        "peak_rss_kb": ru.ru_maxrss, "hwm_accept_kb": hwm_accept, "rss_start_kb": rss0,
        "bytes_per_point": (hwm_accept - rss0) * 1024 / total,
        "gen_cpu": load["send_cpu_secs"], "files": files, "bad_samples": bad,
        "committed": committed, "exit_status": status, "dir": case_dir,
    }


def fmt_rate(r):
    return f"{r / 1e6:.2f}M" if r >= 1e6 else f"{r / 1e3:.0f}k"


def median_run(runs):
    out = dict(runs[len(runs) // 2])
    for k in ("accepted_rate", "persisted_rate", "cpu_accept", "cpu_total", "peak_rss_kb",
              "bytes_per_point", "gen_cpu", "accept_secs", "persisted_secs"):
        out[k] = statistics.median(r[k] for r in runs)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ours", required=True, help="our carbon-cache binary")
    p.add_argument("--load", required=True, help="the carbon_load generator binary")
    p.add_argument("--venv", default=os.path.join(os.path.dirname(__file__), "..", ".venv-ref"))
    p.add_argument("--metrics", default="1000,10000,100000")
    p.add_argument("--protocols", default="plaintext,pickle")
    p.add_argument("--points-ours", type=int, default=2_000_000, help="points per case for ours")
    p.add_argument("--points-ref", type=int, default=500_000, help="points per case for the reference")
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--rounds", type=int, default=1, help="runs per case (the median is shown)")
    p.add_argument("--no-ref", action="store_true", help="run only ours")
    p.add_argument("--no-memory", action="store_true", help="skip the memory case")
    p.add_argument("--tmp", default=None, help="where the fresh storage goes (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the storage afterwards")
    p.add_argument("--fresh-fs", type=int, default=0, metavar="MB",
                   help="give each run a new ext4 file system of this size (a loop-mounted image; "
                        "needs root)")
    p.add_argument("--json", default=None, help="write every run's figures here")
    a = p.parse_args()
    a.venv = os.path.abspath(a.venv)
    root = tempfile.mkdtemp(prefix="carbon-bench-", dir=a.tmp)
    kinds = ["ours"] if a.no_ref else ["ref", "ours"]
    protocols = a.protocols.split(",")
    metric_counts = [int(m) for m in a.metrics.split(",")]
    results = []
    failures = []

    print(f"# load generator ceiling (null sink, {a.connections} connections, {a.points_ours} points)")
    ceiling = {}
    for proto in protocols:
        r = run_load(a, None, proto, 10000, max(1, a.points_ours // 10000), null_sink=True)
        ceiling[proto] = r["done_rate"]
        print(f"  {proto:9s} {fmt_rate(r['done_rate'])} points/s, {r['bytes'] / r['points']:.1f} bytes/point,"
              f" render {r['render_secs']:.2f}s")
    sys.stdout.flush()

    try:
        cases = [(proto, m, False) for proto in protocols for m in metric_counts]
        if not a.no_memory:
            cases.append((protocols[0], 10000, True))
        for proto, m, hold in cases:
            label = f"{'memory' if hold else proto}-{m}"
            for kind in kinds:
                total = a.points_ours if kind == "ours" else a.points_ref
                points = max(1, total // m)
                runs = []
                for _ in range(a.rounds):
                    r = one_run(kind, a, proto, m, points, root, label, hold=hold)
                    r["case"] = label
                    r["hold"] = hold
                    runs.append(r)
                    print(f"  {label:16s} {kind:4s} {m}x{points}: accepted {fmt_rate(r['accepted_rate'])}/s in"
                          f" {r['accept_secs']:.2f}s, persisted {fmt_rate(r['persisted_rate'])}/s in"
                          f" {r['persisted_secs']:.2f}s, cpu {r['cpu_total']:.1f}s,"
                          f" peak {r['peak_rss_kb'] / 1024:.0f} MiB, files {r['files']}, committed {r['committed']}",
                          flush=True)
                    results.append(r)
                    if r["files"] != m or r["bad_samples"] or (
                            kind == "ours" and (r["committed"] != r["points"] or r["exit_status"] != 0)):
                        failures.append(f"{label} {kind}: files {r['files']}/{m}, bad samples {r['bad_samples']},"
                                        f" committed {r['committed']}, exit {r['exit_status']} ({r['dir']})")
    finally:
        if not a.keep:
            shutil.rmtree(root, ignore_errors=True)

    medians = {}
    for r in results:
        medians.setdefault((r["case"], r["daemon"]), []).append(r)
    medians = {k: median_run(v) for k, v in medians.items()}

    print()
    print(f"| case | daemon | load | accepted pts/s | persisted pts/s | CPU s (accept / total) "
          f"| peak RSS | generator |")
    print("|---|---|---|---|---|---|---|---|")
    for proto, m, hold in cases:
        label = f"{'memory' if hold else proto}-{m}"
        for kind in kinds:
            r = medians[(label, kind)]
            limited = []
            if r["accepted_rate"] >= 0.8 * ceiling[r["protocol"]]:
                limited.append("near its ceiling")
            if r["gen_cpu"] >= 0.9 * r["accept_secs"]:
                limited.append(f"used {r['gen_cpu'] / r['accept_secs']:.1f} cores")
            gen = "LIMIT: " + ", ".join(limited) if limited else f"{r['gen_cpu'] / r['accept_secs']:.2f} cores"
            extra = f" ({r['bytes_per_point']:.0f} B/cached pt)" if hold else ""
            print(f"| {label} | {kind} | {m}x{r['points_per_metric']} | {fmt_rate(r['accepted_rate'])} "
                  f"| {'-' if hold else fmt_rate(r['persisted_rate'])} "
                  f"| {r['cpu_accept']:.1f} / {r['cpu_total']:.1f} | {r['peak_rss_kb'] / 1024:.0f} MiB{extra} | {gen} |")

    if not a.no_ref:
        print()
        print("| case | accepted ours/ref | persisted ours/ref | CPU per point ref/ours | peak RSS per point ref/ours |")
        print("|---|---|---|---|---|")
        for proto, m, hold in cases:
            label = f"{'memory' if hold else proto}-{m}"
            o, r = medians[(label, "ours")], medians[(label, "ref")]
            cpu_ratio = (r["cpu_total"] / r["points"]) / max(o["cpu_total"] / o["points"], 1e-12)
            rss_ratio = (r["peak_rss_kb"] / r["points"]) / max(o["peak_rss_kb"] / o["points"], 1e-12)
            persisted = "-" if hold else f"{o['persisted_rate'] / r['persisted_rate']:.1f}x"
            print(f"| {label} | {o['accepted_rate'] / r['accepted_rate']:.1f}x "
                  f"| {persisted} "
                  f"| {cpu_ratio:.1f}x | {rss_ratio:.1f}x |")

    print()
    print(f"# targets (ours; they are set for 10M points per case, this run sent {a.points_ours})")
    for proto, m, hold in cases:
        label = f"{'memory' if hold else proto}-{m}"
        o = medians[(label, "ours")]
        if hold:
            ok = o["bytes_per_point"] < BYTES_PER_POINT_TARGET
            print(f"  {label}: {o['bytes_per_point']:.1f} bytes per cached point (target < {BYTES_PER_POINT_TARGET}):"
                  f" {'pass' if ok else 'MISS'}")
            continue
        acc_ok = o["accepted_rate"] >= ACCEPT_TARGET[proto]
        per_t = PERSIST_TARGET.get(m)
        per_ok = per_t is None or o["persisted_rate"] >= per_t
        print(f"  {label}: accepted {fmt_rate(o['accepted_rate'])} (target {fmt_rate(ACCEPT_TARGET[proto])}):"
              f" {'pass' if acc_ok else 'MISS'}; persisted {fmt_rate(o['persisted_rate'])}"
              f" (target {fmt_rate(per_t) if per_t else '-'}): {'pass' if per_ok else 'MISS'}")

    if a.json:
        with open(a.json, "w") as f:
            json.dump({"ceiling": ceiling, "runs": results}, f, indent=1)
    if failures:
        print("\nFAILED checks:", *failures, sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
