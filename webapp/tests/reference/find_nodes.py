"""Runs graphite-web 1.1.10's StandardFinder for the finder interop tests.

stdin: JSON {"dirs": [...], "patterns": [...], "fnmatch": [[pattern, name], ...],
             "braces": [...]}
stdout: JSON {"finds": [{"nodes": [[path, is_leaf, real_metric_path], ...]} | {"error": msg}],
              "index": [...], "fnmatch": [bool, ...], "braces": [[...], ...]}

The environment must set GRAPHITE_STORAGE_DIR (WHISPER_DIR is its whisper/ subdirectory, which
get_index walks).
"""
import fnmatch
import json
import os
import sys
import warnings

warnings.simplefilter("ignore")

# graphite.finders' own module needs no Django settings (the finder classes do).
from graphite.finders import expand_braces  # noqa: E402


def finder_modules():
    """Sets Django up (slow) only for the requests that need the finder."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "graphite.settings")
    import django

    django.setup()
    from graphite.finders.standard import StandardFinder
    from graphite.finders.utils import FindQuery

    return StandardFinder, FindQuery


def main():
    req = json.load(sys.stdin)
    finds = []
    if req.get("patterns") or req.get("index"):
        StandardFinder, FindQuery = finder_modules()
        finder = StandardFinder(directories=req.get("dirs") or None)
    for pattern in req.get("patterns", []):
        try:
            seen = set()
            for node in finder.find_nodes(FindQuery(pattern, None, None)):
                real = node.reader.real_metric_path if node.is_leaf else None
                seen.add((node.path, bool(node.is_leaf), real))
            finds.append({"nodes": sorted([list(t) for t in seen], key=lambda t: (t[0], t[1], t[2] or ""))})
        except Exception as e:  # noqa: BLE001
            finds.append({"error": "%s: %s" % (type(e).__name__, e)})
    out = {"finds": finds}
    if req.get("index"):
        out["index"] = sorted(set(StandardFinder().get_index({})))
    out["fnmatch"] = [fnmatch.fnmatchcase(name, pat) for pat, name in req.get("fnmatch", [])]
    out["braces"] = [sorted(expand_braces(s)) for s in req.get("braces", [])]
    json.dump(out, sys.stdout)


main()
