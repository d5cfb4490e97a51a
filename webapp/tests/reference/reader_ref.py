"""Reference side of webapp/tests/reader_reference.rs.

Reads a JSON list of cases on stdin:
  {"path": whisper file, "from": int, "until": int, "now": int,
   "cached": [[ts_bits, value_bits], ...]}      # floats as 16 hex digits of their bits
and writes a JSON list of results:
  {"none": true}                               WhisperReader.fetch returned None
  {"error": "ExceptionName: text"}             it raised
  {"start": s, "end": e, "step": st, "values": [bits or null, ...]}
The carbonlink query is replaced by one returning the case's cached points in order, so the
real WhisperReader.fetch and merge_with_cache run.
"""
import json
import os
import struct
import sys
import warnings

warnings.simplefilter("ignore")
# graphite.settings wants GRAPHITE_STORAGE_DIR (with a log/webapp dir) from the caller.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "graphite.settings")

import graphite.readers.utils as utils  # noqa: E402
from graphite.readers.whisper import WhisperReader  # noqa: E402


def unbits(h):
    return struct.unpack(">d", bytes.fromhex(h))[0]


def bits(x):
    return struct.pack(">d", x).hex()


class FakeLink:
    points = []

    def query(self, metric):
        return list(FakeLink.points)


utils.CarbonLink = FakeLink


def run(case):
    FakeLink.points = [(unbits(t), unbits(v)) for (t, v) in case["cached"]]
    reader = WhisperReader(case["path"], "some.metric")
    try:
        result = reader.fetch(case["from"], case["until"], now=case["now"])
    except Exception as e:  # noqa: BLE001
        return {"error": "%s: %s" % (type(e).__name__, e)}
    if result is None:
        return {"none": True}
    (start, end, step), values = result
    return {
        "start": start,
        "end": end,
        "step": step,
        "values": [None if v is None else bits(float(v)) for v in values],
    }


json.dump([run(c) for c in json.load(sys.stdin)], sys.stdout)
