"""Renders series with graphite-web 1.1.10's own /render data-format views, for
webapp/tests/output_interop.rs.

stdin: {"cases": [case, ...]} where a case is
  {"options": {"tz", "pretty", "jsonp"?, "maxDataPoints"?, "noNullPoints"?},
   "series": [{"name", "start", "end", "step", "values": [hex-of-float-bits | null],
               "consolidationFunc", "valuesPerPoint", "xFilesFactor": hex, "tags": [[k, v]],
               "pathExpression"}],
   "rust": {"pickle": hex-of-body | null, "msgpack": hex-of-body | null}}
stdout: {"results": [{format: {"ok", "content_type", "body", "error", "rust_matches",
                               "detail", "nan_bits_differ"}}]}
with bodies as hex. For pickle and msgpack the Rust bodies are decoded here and compared with
the reference's output structurally: same types, same dict key order, floats bit for bit.
"""
import json
import os
import struct
import sys
import tempfile

import django

scratch = tempfile.mkdtemp()
os.environ.setdefault("GRAPHITE_STORAGE_DIR", scratch)
os.environ["DJANGO_SETTINGS_MODULE"] = "graphite.settings"
import graphite.settings as gs  # noqa: E402

gs.LOG_DIR = scratch
gs.SECRET_KEY = "output-interop"
django.setup()

import pickle  # noqa: E402

import pytz  # noqa: E402

from graphite.render import views  # noqa: E402
from graphite.render.datalib import TimeSeries  # noqa: E402
from graphite.util import msgpack  # noqa: E402

FORMATS = {
    "json": views.renderViewJson,
    "csv": views.renderViewCsv,
    "raw": views.renderViewRaw,
    "pickle": views.renderViewPickle,
    "msgpack": views.renderViewMsgPack,
    "dygraph": views.renderViewDygraph,
    "rickshaw": views.renderViewRickshaw,
}


def unhex_float(h):
    return struct.unpack(">d", bytes.fromhex(h))[0]


def build_series(specs):
    out = []
    for spec in specs:
        values = [None if v is None else unhex_float(v) for v in spec["values"]]
        s = TimeSeries(
            spec["name"], spec["start"], spec["end"], spec["step"], values,
            consolidate=spec["consolidationFunc"],
            tags={"name": spec["name"]},
            xFilesFactor=unhex_float(spec["xFilesFactor"]),
            pathExpression=spec["pathExpression"],
        )
        s.tags = dict((k, v) for k, v in spec["tags"])
        s.valuesPerPoint = spec["valuesPerPoint"]
        out.append(s)
    return out


def request_options(opts):
    ro = {"tzinfo": pytz.timezone(opts["tz"]), "pretty": opts["pretty"]}
    if opts.get("jsonp") is not None:
        ro["jsonp"] = opts["jsonp"]
    if opts.get("maxDataPoints") is not None:
        ro["maxDataPoints"] = opts["maxDataPoints"]
    if opts.get("noNullPoints"):
        ro["noNullPoints"] = True
    return ro


NAN_BITS_DIFFER = [0]


def same(a, b, path="$"):
    """None when a and b are the same Python structure (floats bitwise), else where not.

    Two NaNs whose sign or payload differ count as equal but are counted in NAN_BITS_DIFFER:
    which NaN an addition like inf + -inf + nan returns depends on the operand order the C
    compiler picked for CPython's sum(), which no Rust code can promise to follow."""
    if type(a) is not type(b):
        return "%s: type %s != %s" % (path, type(a).__name__, type(b).__name__)
    if isinstance(a, float):
        if struct.pack(">d", a) != struct.pack(">d", b):
            if a != a and b != b:
                NAN_BITS_DIFFER[0] += 1
                return None
            return "%s: %r != %r" % (path, a, b)
        return None
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return "%s: length %d != %d" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = same(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    if isinstance(a, dict):
        if list(a.keys()) != list(b.keys()):
            return "%s: keys %r != %r" % (path, list(a.keys()), list(b.keys()))
        for k in a:
            d = same(a[k], b[k], "%s[%r]" % (path, k))
            if d:
                return d
        return None
    if a != b:
        return "%s: %r != %r" % (path, a, b)
    return None


def run_case(case):
    results = {}
    for name, view in FORMATS.items():
        data = build_series(case["series"])
        try:
            response = view(request_options(case["options"]), data)
        except Exception as e:  # the view raised: a 500 in the reference
            results[name] = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
            continue
        res = {"ok": True, "content_type": response["Content-Type"],
               "body": response.content.hex()}
        rust = case.get("rust", {}).get(name)
        if name in ("pickle", "msgpack") and rust is not None:
            raw = bytes.fromhex(rust)
            NAN_BITS_DIFFER[0] = 0
            try:
                if name == "pickle":
                    ours, theirs = pickle.loads(response.content), pickle.loads(raw)
                else:
                    ours, theirs = msgpack.unpackb(response.content), msgpack.unpackb(raw)
                detail = same(ours, theirs)
            except Exception as e:
                detail = "decoding the Rust body failed: %s: %s" % (type(e).__name__, e)
            res["rust_matches"] = detail is None
            res["detail"] = detail
            res["nan_bits_differ"] = NAN_BITS_DIFFER[0]
        results[name] = res
    return results


def main():
    cases = json.load(sys.stdin)["cases"]
    json.dump({"results": [run_case(c) for c in cases]}, sys.stdout)


main()
