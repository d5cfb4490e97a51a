"""Runs carbon 1.1.10's own config loaders for tests/reference.rs.

Reads one JSON request on stdin and prints one JSON answer as the last line of stdout.
Requests: {"mode": "settings", "path", "sections"}, {"mode": "read_config", "path",
"instance", "root"}, {"mode": "schemas" | "aggregation" | "list" | "rewrite", "path",
"metrics"}.
Any exception becomes {"error": "<class name>: <message>"}.
"""
import json
import os
import sys

for var in ("GRAPHITE_ROOT", "GRAPHITE_CONF_DIR", "GRAPHITE_STORAGE_DIR"):
    os.environ.pop(var, None)

import carbon.conf as conf  # noqa: E402

conf.settings["CONF_DIR"] = "/nonexistent"
conf.settings["LOCAL_DATA_DIR"] = "/nonexistent"

import carbon.storage as storage  # noqa: E402
from carbon import state  # noqa: E402
from carbon.database import TimeSeriesDatabase  # noqa: E402
from carbon.regexlist import RegexList  # noqa: E402

state.database = TimeSeriesDatabase.plugins["whisper"](conf.settings)


def typed(v):
    if v is None:
        return ["none"]
    if isinstance(v, bool):
        return ["bool", v]
    if isinstance(v, int):
        return ["int", str(v)]
    if isinstance(v, float):
        return ["float", repr(v)]
    if isinstance(v, list):
        return ["list", v]
    return ["str", v]


def run(req):
    mode = req["mode"]
    if mode == "settings":
        s = conf.Settings()
        for section in req["sections"]:
            s.readFrom(req["path"], section)
        return {k: typed(v) for k, v in s.items()}
    if mode == "read_config":
        opts = {"config": req["path"], "instance": req["instance"], "pidfile": None, "logdir": None}
        s = conf.read_config("carbon-cache", opts, ROOT_DIR=req["root"])
        keys = ["STORAGE_DIR", "LOCAL_DATA_DIR", "WHITELISTS_DIR", "CONF_DIR", "LOG_DIR", "PID_DIR", "pidfile"]
        return {k: s[k] for k in keys}
    if mode == "schemas":
        storage.STORAGE_SCHEMAS_CONFIG = req["path"]
        schemas = storage.loadStorageSchemas()
        return {
            "schemas": [[x.name, [list(a.getTuple()) for a in x.archives]] for x in schemas],
            "matches": [next(x.name for x in schemas if x.matches(m)) for m in req["metrics"]],
        }
    if mode == "aggregation":
        storage.STORAGE_AGGREGATION_CONFIG = req["path"]
        schemas = storage.loadAggregationSchemas()
        return {
            "schemas": [[x.name, typed(x.archives[0]), typed(x.archives[1])] for x in schemas],
            "matches": [next(x.name for x in schemas if x.matches(m)) for m in req["metrics"]],
        }
    if mode == "list":
        lst = RegexList()
        lst.list_file = req["path"]
        lst.read_list()
        return {"count": len(lst.regex_list), "matches": [m in lst for m in req["metrics"]]}
    if mode == "rewrite":
        from carbon.rewrite import _RewriteRuleManager
        manager = _RewriteRuleManager()
        manager.rules_file = req["path"]
        manager.read_rules()
        out = {"counts": {}}
        for section in ("pre", "post"):
            out["counts"][section] = len(manager.rules(section))
            names = []
            for metric in req["metrics"]:
                for rule in manager.rules(section):
                    metric = rule.apply(metric)
                names.append(metric)
            out[section] = names
        return out
    raise ValueError("unknown mode " + mode)


req = json.load(sys.stdin)
try:
    out = run(req)
except BaseException as e:  # SystemExit and AssertionError included: both are "fatal"
    out = {"error": "%s: %s" % (type(e).__name__, e)}
sys.stdout.write("\n" + json.dumps(out) + "\n")
