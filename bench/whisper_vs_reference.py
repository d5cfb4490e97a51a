#!/usr/bin/env python3
"""Times the same whisper work with the Python reference (whisper 1.1.10, in this process) and
with our library (the Rust driver, whisper/examples/bench_driver.rs) in the same run, and prints
a table of both with their ratio against the targets of acceptance point 5.

Run it with the reference virtualenv's python, normally through bench/whisper.sh:

    .venv-ref/bin/python bench/whisper_vs_reference.py --driver target/release/examples/bench_driver

The workload (keep in step with bench_driver.rs, which documents it too):
- every file is 10s:6h,1m:7d,10m:5y, average, xFilesFactor 0.5, not sparse;
- prefill: one update_many of the 8 days before T0 every 10 s (point k steps back has value
  value(k)) with now = T0;
- update_many, batch b: on a prefilled file, call c (counting across rounds) writes the points
  (T0 + 10 (c b + j), value(c b + j)) for j < b with now 5 s after its last point: carbon's
  steady state, with propagation to 1m and 10m whenever enough of their window is known;
- fetch of the last 1 h / 1 day / 7 days: fetch(T0 - s, T0, now=T0) on a prefilled file;
- create: a fresh file per call, removed after the call outside the timed part.

Both sides build their argument lists before the clock starts and time only the calls. Each
operation runs in several rounds; the table shows the median round. After the runs the files
both sides wrote are compared byte for byte (and the fetched values by count and sum), which
shows the work was the same.

With strace installed it also counts the system calls of one update_many call with batches of
1, 10 and 100 (averaged over 10 hours of 10 s points, so propagation to 1m and 10m shows in its
real proportion), between marker stat() calls so start-up and set-up are not counted.
"""

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import whisper

SPEC = "10s:6h,1m:7d,10m:5y"
T0 = 1_699_999_200
PREFILL_SECONDS = 8 * 86_400
STEP = 10
MARKER = "/nonexistent-whisper-bench-marker-"

# (name, kind, parameter, calls per round, target ratio or None)
OPERATIONS = [
    ("update_many batch 1", "update", 1, 30_000, 5.0),
    ("update_many batch 10", "update", 10, 8_000, None),
    ("update_many batch 100", "update", 100, 1_500, 10.0),
    ("create", "create", None, 150, None),
    ("fetch 1 h", "fetch", 3_600, 8_000, 5.0),
    ("fetch 1 day", "fetch", 86_400, 3_000, 5.0),
    ("fetch 7 days", "fetch", 604_800, 400, 20.0),
]


def value(i):
    return ((i * 7919) % 1000) / 10.0


def archives():
    return [whisper.parseRetentionDef(d) for d in SPEC.split(",")]


def prefill(path):
    if os.path.exists(path):
        os.unlink(path)
    whisper.create(path, archives())
    points = [(T0 - STEP * k, value(k)) for k in range(1, PREFILL_SECONDS // STEP + 1)]
    whisper.update_many(path, points, now=T0)


def marker(on, name):
    if on:
        try:
            os.stat(MARKER + name)
        except OSError:
            pass


def update_work(batch, first, calls):
    work = []
    for c in range(first, first + calls):
        points = [(T0 + STEP * (c * batch + j), value(c * batch + j)) for j in range(batch)]
        work.append((points, T0 + STEP * (c * batch + batch - 1) + 5))
    return work


def ref_update(directory, batch, calls, rounds, with_marker=False):
    path = os.path.join(directory, "ref-update-%d.wsp" % batch)
    prefill(path)
    times = []
    update_many = whisper.update_many
    for r in range(rounds):
        work = update_work(batch, r * calls, calls)
        marker(with_marker, "begin")
        start = time.perf_counter()
        for points, now in work:
            update_many(path, points, now=now)
        times.append(time.perf_counter() - start)
        marker(with_marker, "end")
    return {"rounds_s": times, "file": path}


def ref_fetch(directory, seconds, calls, rounds):
    path = os.path.join(directory, "ref-fetch.wsp")
    prefill(path)
    times = []
    fetch = whisper.fetch
    result = None
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            result = fetch(path, T0 - seconds, T0, now=T0)
        times.append(time.perf_counter() - start)
    values = result[1]
    known = 0
    total = 0.0
    for v in values:
        if v is not None:
            known += 1
            total += v
    return {"rounds_s": times, "check": {"len": len(values), "known": known, "sum": total}}


def ref_create(directory, calls, rounds):
    specs = archives()
    times = []
    path = None
    for r in range(rounds):
        total = 0.0
        for i in range(calls):
            path = os.path.join(directory, "ref-create-%d-%d.wsp" % (r, i))
            if os.path.exists(path):
                os.unlink(path)
            start = time.perf_counter()
            whisper.create(path, specs)
            total += time.perf_counter() - start
            if r + 1 < rounds or i + 1 < calls:
                os.unlink(path)
        times.append(total)
    return {"rounds_s": times, "file": path}


def ours(driver, directory, kind, param, calls, rounds, prefix=(), with_marker=False):
    cmd = list(prefix) + [driver, "--dir", directory, "--rounds", str(rounds)]
    if with_marker:
        cmd.append("--marker")
    if kind == "update":
        cmd += ["update", "--batch", str(param), "--calls", str(calls)]
    elif kind == "fetch":
        cmd += ["fetch", "--seconds", str(param), "--calls", str(calls)]
    else:
        cmd += ["create", "--calls", str(calls)]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1]) if out.strip() else {}


def sha256(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def count_syscalls(trace_path):
    """System calls between the begin and end markers of an `strace -f` log, by name."""
    counts = {}
    inside = False
    with open(trace_path) as fh:
        for line in fh:
            if MARKER + "begin" in line:
                inside = True
                continue
            if MARKER + "end" in line:
                inside = False
                continue
            if not inside or "resumed>" in line or line.startswith("+++") or "---" in line:
                continue
            rest = line.split(None, 1)[1] if line[:1].isdigit() else line
            name = rest.split("(", 1)[0].strip()
            counts[name] = counts.get(name, 0) + 1
    return counts


def syscall_probe(driver, directory, batch, calls):
    strace = shutil.which("strace")
    if not strace:
        return None
    result = {}
    for side in ("reference", "ours"):
        trace = os.path.join(directory, "%s-%d.strace" % (side, batch))
        prefix = [strace, "-f", "-qq", "-o", trace]
        if side == "ours":
            ours(driver, directory, "update", batch, calls, 1, prefix=prefix, with_marker=True)
        else:
            subprocess.run(
                prefix + [sys.executable, os.path.abspath(__file__), "--probe-child",
                          "--dir", directory, "--probe-batch", str(batch),
                          "--probe-calls", str(calls)],
                check=True)
        counts = count_syscalls(trace)
        result[side] = {
            "per_call": sum(counts.values()) / calls,
            "by_name": {k: v / calls for k, v in sorted(counts.items(), key=lambda kv: -kv[1])},
        }
    return result


def fmt_time(seconds):
    if seconds >= 1e-3:
        return "%.3f ms" % (seconds * 1e3)
    return "%.2f us" % (seconds * 1e6)


def fmt_rate(points_per_s):
    if points_per_s >= 1e6:
        return "%.2fM pts/s" % (points_per_s / 1e6)
    return "%.0fk pts/s" % (points_per_s / 1e3)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--driver", help="the bench_driver binary (release build)")
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds per operation")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every operation's calls per round by this")
    parser.add_argument("--only", help="run only operations whose name contains this")
    parser.add_argument("--dir", help="work directory (default: a fresh temporary one)")
    parser.add_argument("--json", help="also write all measurements to this file")
    parser.add_argument("--no-syscalls", action="store_true", help="skip the strace count")
    parser.add_argument("--probe-hours", type=int, default=10,
                        help="hours of 10 s points written by each strace count")
    parser.add_argument("--probe-batch", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--probe-calls", type=int, default=360, help=argparse.SUPPRESS)
    parser.add_argument("--probe-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.probe_child:
        ref_update(args.dir, args.probe_batch, args.probe_calls, 1, with_marker=True)
        return 0
    sys.stdout.reconfigure(line_buffering=True)
    if not args.driver:
        parser.error("--driver is required")
    driver = os.path.abspath(args.driver)

    owned = None
    if args.dir:
        directory = args.dir
        os.makedirs(directory, exist_ok=True)
    else:
        owned = tempfile.TemporaryDirectory(prefix="whisper-bench-")
        directory = owned.name

    print("machine: %d CPUs (nproc), %s; %s, python %s; load average at start %.2f %.2f %.2f"
          % ((os.cpu_count() or 0, cpu_model(), platform.platform(), platform.python_version())
             + os.getloadavg()))
    print("work directory: %s; %d rounds per operation, median round shown" % (directory, args.rounds))
    print()

    rows = []
    everything = {"rounds": args.rounds, "operations": []}
    for name, kind, param, calls, target in OPERATIONS:
        if args.only and args.only not in name:
            continue
        calls = max(1, int(calls * args.scale))
        if kind == "update":
            ref = ref_update(directory, param, calls, args.rounds)
        elif kind == "fetch":
            ref = ref_fetch(directory, param, calls, args.rounds)
        else:
            ref = ref_create(directory, calls, args.rounds)
        our = ours(driver, directory, kind, param, calls, args.rounds)

        ref_op = statistics.median(ref["rounds_s"]) / calls
        our_op = statistics.median(our["rounds_s"]) / calls
        ratio = ref_op / our_op
        if kind == "fetch":
            same = ref["check"] == our["check"]
        else:
            same = sha256(ref["file"]) == sha256(our["file"])
        if kind == "update":
            ref_txt = "%s (%s)" % (fmt_time(ref_op), fmt_rate(param / ref_op))
            our_txt = "%s (%s)" % (fmt_time(our_op), fmt_rate(param / our_op))
        elif kind == "fetch":
            n = ref["check"]["len"]
            ref_txt = "%s (%s)" % (fmt_time(ref_op), fmt_rate(n / ref_op))
            our_txt = "%s (%s)" % (fmt_time(our_op), fmt_rate(n / our_op))
        else:
            ref_txt, our_txt = fmt_time(ref_op), fmt_time(our_op)
        if target is None:
            verdict = "-"
        else:
            verdict = "pass" if ratio >= target else "FAIL"
        rows.append((name, ref_txt, our_txt, "%.1fx" % ratio,
                     "%gx" % target if target else "-", verdict,
                     "yes" if same else "NO"))
        everything["operations"].append({
            "name": name, "calls": calls, "target": target, "ratio": ratio,
            "reference": ref, "ours": our, "same_result": same,
            "ref_s_per_op": ref_op, "ours_s_per_op": our_op,
        })
        print("  %-22s ref %-28s ours %-28s %s" % (name, ref_txt, our_txt, rows[-1][3]),
              file=sys.stderr)

    headers = ("operation", "reference (per call)", "ours (per call)", "ratio", "target",
               "result", "same bytes/values")
    widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    print(line(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))

    if not args.no_syscalls and not args.only:
        print()
        if not shutil.which("strace"):
            print("system calls: strace not installed, not counted")
        else:
            print("system calls per update_many call (strace -f, mean over %d h of 10 s points "
                  "written as above):" % args.probe_hours)
        everything["syscalls_update_many"] = {}
        for batch in (1, 10, 100):
            calls = args.probe_hours * 360 // batch
            probe = syscall_probe(driver, directory, batch, calls)
            if probe is None:
                break
            everything["syscalls_update_many"][batch] = probe
            for side in ("reference", "ours"):
                p = probe[side]
                detail = ", ".join("%s %.2f" % kv for kv in p["by_name"].items())
                print("  batch %-3d %-9s %6.2f  (%s)" % (batch, side, p["per_call"], detail))

    print()
    print("load average at end: %.2f %.2f %.2f" % os.getloadavg())
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(everything, fh, indent=1)
    if owned:
        owned.cleanup()
    failed = [r[0] for r in rows if r[5] == "FAIL" or r[6] != "yes"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
