#!/usr/bin/env python3
"""Applies a JSON list of whisper operations with the Python reference (whisper 1.1.10).

Usage: ops.py DIR [OPS.json]   (the operations are read from stdin without OPS.json)

Each operation is an object with an "op" key; file names are joined to DIR, or to the
operation's own "dir" when it has one. An "options" object sets whisper's module flags
(lock, cache_headers, autoflush, fadvise_random; all false by default) for the operation. One JSON result per operation is printed, as a list:
{"ok": <value>} or {"error": "<exception class>", "message": str(exc)}.

Floats travel as the 16 hex digits of their IEEE 754 bit pattern (big-endian), so every value,
NaN payloads and -0.0 included, round-trips exactly; None is null.

Operations (optional keys in brackets):
  create        file archives [xff method sparse]
  update        file value [timestamp] now
  update_many   file points=[[ts, value], ...] now
  fetch         file from [until] now [archive]       -> null or {start, end, step, values}
  info          file                                  -> null or the header dict
  set_aggregation_method  file method [xff]           -> the old method
  set_xfilesfactor        file xff                    -> the old xff
  merge         from to [time_from time_to] now
  diff          from to [ignore_empty until] now      -> [[index, [[ts, a, b], ...], total]]
  fill          from to now                           (whisper-fill.py's functions)
  resize        file archives [xff method aggregate newfile nobackup] now
                                                      (whisper-resize.py run as a script)
                                                      -> {"log": what it printed}
  pyset         values                                -> list(set(values))
"""

import contextlib
import io
import json
import os
import runpy
import struct
import sys
import time

import whisper

BIN_DIR = os.path.dirname(os.path.abspath(sys.executable))


def f2h(value):
    return None if value is None else struct.pack(">d", value).hex()


def h2f(text):
    return None if text is None else struct.unpack(">d", bytes.fromhex(text))[0]


@contextlib.contextmanager
def clock(now):
    """Makes time.time() return `now` (the reference scripts read the clock themselves)."""
    real = time.time
    time.time = lambda: now
    try:
        yield
    finally:
        time.time = real


_fill_module = None


def fill_module():
    global _fill_module
    if _fill_module is None:
        _fill_module = runpy.run_path(
            os.path.join(BIN_DIR, "whisper-fill.py"), run_name="whisper_fill")
    return _fill_module


def encode_info(info):
    if info is None:
        return None
    return {
        "aggregationMethod": info["aggregationMethod"],
        "maxRetention": info["maxRetention"],
        "xFilesFactor": f2h(info["xFilesFactor"]),
        "archives": [
            {k: a[k] for k in ("offset", "secondsPerPoint", "points", "retention", "size")}
            for a in info["archives"]
        ],
    }


def apply(op, default_dir):
    base = op.get("dir", default_dir)
    flags = op.get("options", {})
    whisper.LOCK = flags.get("lock", False)
    whisper.CACHE_HEADERS = flags.get("cache_headers", False)
    whisper.AUTOFLUSH = flags.get("autoflush", False)
    whisper.FADVISE_RANDOM = flags.get("fadvise_random", False)

    def path(key="file"):
        return os.path.join(base, op[key])

    kind = op["op"]
    if kind == "create":
        whisper.create(path(), [tuple(a) for a in op["archives"]],
                       xFilesFactor=h2f(op.get("xff")),
                       aggregationMethod=op.get("method"),
                       sparse=op.get("sparse", False))
        return None
    if kind == "update":
        whisper.update(path(), h2f(op["value"]), op.get("timestamp"), now=op["now"])
        return None
    if kind == "update_many":
        points = [(t, h2f(v)) for t, v in op["points"]]
        whisper.update_many(path(), points, now=op["now"])
        return None
    if kind == "fetch":
        result = whisper.fetch(path(), op["from"], op.get("until"), now=op["now"],
                               archiveToSelect=op.get("archive"))
        if result is None:
            return None
        (start, end, step), values = result
        return {"start": start, "end": end, "step": step, "values": [f2h(v) for v in values]}
    if kind == "info":
        return encode_info(whisper.info(path()))
    if kind == "set_aggregation_method":
        return whisper.setAggregationMethod(path(), op["method"], h2f(op.get("xff")))
    if kind == "set_xfilesfactor":
        return f2h(whisper.setXFilesFactor(path(), h2f(op["xff"])))
    if kind == "merge":
        whisper.merge(path("from"), path("to"), op.get("time_from"), op.get("time_to"),
                      now=op["now"])
        return None
    if kind == "diff":
        result = whisper.diff(path("from"), path("to"), op.get("ignore_empty", False),
                              op.get("until"), now=op["now"])
        return [[index, [[t, f2h(a), f2h(b)] for t, a, b in diffs], total]
                for index, diffs, total in result]
    if kind == "fill":
        with clock(op["now"]):
            fill_module()["fill_archives"](path("from"), path("to"), time.time())
        return None
    if kind == "resize":
        argv = ["whisper-resize.py", path()]
        argv += ["%d:%d" % tuple(a) for a in op["archives"]]
        if op.get("xff") is not None:
            argv.append("--xFilesFactor=%r" % h2f(op["xff"]))
        if op.get("method") is not None:
            argv.append("--aggregationMethod=" + op["method"])
        if op.get("aggregate"):
            argv.append("--aggregate")
        if op.get("newfile") is not None:
            argv.append("--newfile=" + path("newfile"))
        if op.get("nobackup"):
            argv.append("--nobackup")
        out = io.StringIO()
        saved_argv = sys.argv
        sys.argv = argv
        try:
            with clock(op["now"]), contextlib.redirect_stdout(out):
                try:
                    runpy.run_path(os.path.join(BIN_DIR, "whisper-resize.py"),
                                   run_name="__main__")
                except SystemExit as e:
                    if e.code not in (None, 0):
                        raise
        finally:
            sys.argv = saved_argv
        return {"log": out.getvalue()}
    if kind == "pyset":
        return list(set(op["values"]))
    raise KeyError("unknown op %r" % kind)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    default_dir = sys.argv[1]
    if len(sys.argv) == 3:
        with open(sys.argv[2]) as f:
            ops = json.load(f)
    else:
        ops = json.load(sys.stdin)
    results = []
    for op in ops:
        try:
            results.append({"ok": apply(op, default_dir)})
        except Exception as exc:  # every failure is a result to compare
            results.append({"error": type(exc).__name__, "message": str(exc)})
    json.dump(results, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
