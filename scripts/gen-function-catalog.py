"""Writes webapp/src/functions/catalog.json: the interface of every render function of
graphite-web 1.1.10 (name, Python signature, group, parameter specs, docstring), as
`/functions` reports it.

The reference's own `/functions` view fails on Python 3.11 (it calls `inspect.getargspec`);
this script builds the same `functionInfo` dicts with `inspect.signature`. The webapp uses the
parameter specs to validate arguments and serves the entries of the functions it implements.

Run: .venv-ref/bin/python scripts/gen-function-catalog.py
"""
import inspect
import json
import os
import sys

import tempfile

import django

# graphite.settings reads its paths from the environment; keep its log files out of the way.
scratch = tempfile.mkdtemp()
os.environ.setdefault("GRAPHITE_STORAGE_DIR", scratch)
os.environ["DJANGO_SETTINGS_MODULE"] = "graphite.settings"
import graphite.settings as gs  # noqa: E402

gs.LOG_DIR = scratch
gs.SECRET_KEY = "catalog"
django.setup()

from graphite.functions import SeriesFunctions, PieFunctions  # noqa: E402


def signature(name, func):
    sig = inspect.signature(func)
    params = list(sig.parameters.values())[1:]  # drop requestContext
    parts = []
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            parts.append("*" + p.name)
        elif p.kind is p.VAR_KEYWORD:
            parts.append("**" + p.name)
        elif p.default is not p.empty:
            parts.append("%s=%r" % (p.name, p.default))
        else:
            parts.append(p.name)
    return "%s(%s)" % (name, ", ".join(parts))


def info(name, func):
    return {
        "name": name,
        "function": signature(name, func),
        "description": inspect.getdoc(func),
        "module": inspect.getmodule(func).__name__,
        "group": getattr(func, "group", "Ungrouped"),
        "params": [p.toJSON() for p in getattr(func, "params", None) or []],
        "aggregator": bool(getattr(func, "aggregator", False)),
    }


def main():
    out = {
        "series": {n: info(n, f) for n, f in sorted(SeriesFunctions().items())},
        "pie": {n: info(n, f) for n, f in sorted(PieFunctions().items())},
    }
    text = json.dumps(out, indent=1, sort_keys=True, default=str)
    # JSON has no infinity; the server writes 1e9999 where this marker is, as the reference
    # encoder does.
    text = text.replace(": Infinity", ": \"__Infinity__\"")
    path = os.path.join(os.path.dirname(__file__), "..", "webapp", "src", "functions", "catalog.json")
    with open(path, "w") as f:
        f.write(text + "\n")
    print("%d series functions, %d pie functions" % (len(out["series"]), len(out["pie"])), file=sys.stderr)


main()
