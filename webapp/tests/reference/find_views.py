"""Runs graphite-web 1.1.10's /metrics views for the find_output interop test.

stdin: JSON {"whisper": dir, "requests": [{"view": "find"|"expand"|"index",
             "query": [[k, v], ...], "form": [[k, v], ...] | null, "accept": str | null}],
             "ours": [{"content_type": str, "body_hex": str}]}
stdout: JSON [{"status", "content_type", "pragma", "cache_control", "body_hex",
               "decoded", "starts", "ours_decoded", "ours_starts"}]

`decoded` is the pickle or msgpack body unpickled (with graphite's SafeUnpickler, as a cluster
peer reads it) or unpacked, with interval starts (time-dependent) replaced by "START" and listed
in `starts`. The environment must set GRAPHITE_STORAGE_DIR.
"""
import json
import os
import sys
import warnings
from urllib.parse import urlencode

warnings.simplefilter("ignore")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "graphite.settings")
import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402

req = json.load(sys.stdin)
# Without the trailing slash, so that a leading `**` works (see finder_interop.rs).
settings.STANDARD_DIRS = [req["whisper"].rstrip("/")]

from django.test import RequestFactory  # noqa: E402
import graphite.storage  # noqa: E402
import graphite.metrics.views as views  # noqa: E402
from graphite.intervals import Interval, IntervalSet  # noqa: E402
from graphite.util import unpickle, msgpack  # noqa: E402


class Profile:
    advancedUI = False


views.getProfile = lambda request: Profile()
for finder in graphite.storage.STORE.finders:
    if hasattr(finder, "directories"):
        finder.directories = settings.STANDARD_DIRS
# The Store shuffles nodes before the views sort them by name; ties then come out in random
# order. Sorting by path instead picks the order the Rust views use.
graphite.storage.random.shuffle = lambda items: items.sort(key=lambda kv: kv[0])


def norm(o, starts):
    if isinstance(o, IntervalSet):
        return {"IntervalSet": [norm(i, starts) for i in o.intervals],
                "size_ok": o.size == sum(i.size for i in o.intervals)}
    if isinstance(o, Interval):
        starts.append(o.start)
        return {"Interval": True, "start": "START", "end": o.end,
                "floats": isinstance(o.start, float) and isinstance(o.end, float),
                "tuple_ok": o.tuple == (o.start, o.end),
                "size_ok": o.size == o.end - o.start}
    if isinstance(o, dict):
        out = {}
        for k, v in o.items():
            if k == "intervals" and isinstance(v, list):
                iv = []
                for pair in v:
                    starts.append(pair[0])
                    iv.append(["START", pair[1], isinstance(pair[0], float)])
                out[k] = iv
            else:
                out[k] = norm(v, starts)
        return out
    if isinstance(o, (list, tuple)):
        return [norm(x, starts) for x in o]
    return o


def decode(content_type, body):
    starts = []
    if content_type.startswith("application/pickle"):
        return norm(unpickle.loads(body), starts), starts
    if content_type.startswith("application/x-msgpack"):
        return norm(msgpack.loads(body), starts), starts
    return None, starts


rf = RequestFactory()
fns = {"find": views.find_view, "expand": views.expand_view, "index": views.index_json}
out = []
for i, r in enumerate(req["requests"]):
    extra = {}
    if r.get("accept") is not None:
        extra["HTTP_ACCEPT"] = r["accept"]
    path = "/metrics/%s?%s" % (r["view"], urlencode([tuple(p) for p in r["query"]]))
    if r.get("form") is not None:
        request = rf.generic("POST", path, urlencode([tuple(p) for p in r["form"]]),
                             content_type="application/x-www-form-urlencoded", **extra)
    else:
        request = rf.get(path, **extra)
    try:
        resp = fns[r["view"]](request)
    except Exception as e:  # noqa: BLE001  (Django turns these into a 500 page)
        out.append({"status": 500, "exception": "%s: %s" % (type(e).__name__, e)})
        continue
    body = resp.content
    decoded, starts = decode(resp["Content-Type"], body)
    ours = req["ours"][i]
    ours_decoded, ours_starts = None, []
    if decoded is not None and ours["content_type"] == resp["Content-Type"]:
        try:
            ours_decoded, ours_starts = decode(ours["content_type"], bytes.fromhex(ours["body_hex"]))
        except Exception as e:  # noqa: BLE001
            ours_decoded = "undecodable: %s: %s" % (type(e).__name__, e)
    out.append({
        "status": resp.status_code,
        "content_type": resp["Content-Type"],
        "pragma": resp.get("Pragma"),
        "cache_control": resp.get("Cache-Control"),
        "body_hex": body.hex(),
        "decoded": decoded,
        "starts": starts,
        "ours_decoded": ours_decoded,
        "ours_starts": ours_starts,
    })
json.dump(out, sys.stdout)
