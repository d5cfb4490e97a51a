#!/usr/bin/env python
"""Records graphite-web 1.1.10's answers to the golden requests (webapp/tests/golden.rs replays
them against our server).

Run from the workspace root:

    .venv-ref/bin/python webapp/tests/golden/generate.py

It builds the dataset (dataset.py) in a temporary directory, configures graphite-web in-process
(Django test client, no HTTP) with the settings listed in SETTINGS below (everything else is
graphite-web's default: DummyCache, the local-database TagDB, the default finders), runs every
case in CASES twice (with different random seeds, because the reference shuffles find results
internally; a case whose answer differs between the runs is an error) and writes
webapp/tests/golden/expected.json. Re-running it rewrites the same bytes: the two
wall-clock-dependent values, /metrics/find `intervals` and the `Expires` header, are recorded
with time.time() pinned to NOW and are marked as ignored. Takes about 4 seconds.

Options: --only SUBSTRING (run matching cases, print them, write nothing), --out PATH.

Fixture format (expected.json):
  {"now": NOW, "dataset": {"files", "sha256"}, "settings": {NAME: value with "{dir}"},
   "compared_headers": [...],
   "cases": [{"id", "method", "path", "params": [[k, v], ...], "query": "<exact query string>",
              "form": [[k, v], ...] | null, "body_sent": "<exact form body>" | null,
              "request_headers": {name: value},
              "status", "content_type", "headers": {name: value or null},
              "kind": "json" | "jsonp" | "text" | "pickle" | "msgpack",
              "body": "<text>" (json, jsonp, text), "decoded": <structure> (pickle, msgpack),
              "ignore_keys": ["intervals"] (object keys whose values are not compared)}]}
Decoded pickle/msgpack structures: dict -> object, tuple/list -> array, float -> number
(NaN/inf as the strings "nan"/"inf"/"-inf"), objects (find's IntervalSet) ->
{"$class": "module.Name", "$state": ...}.
"""
import argparse
import io
import json
import math
import os
import pickle
import importlib
import random
import sys
import tempfile
from urllib.parse import quote, urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dataset  # noqa: E402

NOW = dataset.NOW
N = str(NOW)

# Settings shared with the Rust harness ("{dir}" is the dataset directory).
SETTINGS = {
    "STORAGE_DIR": "{dir}",
    "WHISPER_DIR": "{dir}/whisper",
    "CARBONLINK_HOSTS": [],
    "TIME_ZONE": "UTC",
}

COMPARED_HEADERS = ["Cache-Control", "Pragma"]
RECORDED_HEADERS = ["Cache-Control", "Pragma", "Expires"]
WALL_CLOCK_HEADERS = ["Expires"]

CASES = []


def case(id, path, params=(), form=None, method=None, headers=None, enc="plus", ignore=()):
    """One request. `params` go to the query string, `form` (POST) to an
    application/x-www-form-urlencoded body. enc: "plus" = urlencode (spaces as +, everything
    else escaped), "js" = encodeURIComponent (keeps A-Za-z0-9 - _ . ! ~ * ' ( ) as they are)."""
    assert all(c["id"] != id for c in CASES), id
    CASES.append(dict(
        id=id, path=path, params=[list(p) for p in params],
        form=[list(p) for p in form] if form is not None else None,
        method=method or ("POST" if form is not None else "GET"),
        headers=headers or {}, enc=enc, ignore=list(ignore)))


def encode(pairs, enc):
    if enc == "plus":
        return urlencode([tuple(p) for p in pairs])
    assert enc == "js"
    return "&".join(quote(k, safe="-_.!~*'()") + "=" + quote(v, safe="-_.!~*'()") for k, v in pairs)


def render(id, targets, fmt="json", extra=(), **kw):
    params = [("target", t) for t in targets]
    if fmt is not None:
        params.append(("format", fmt))
    params.extend(extra)
    case(id, "/render", params, **kw)


def json_render(id, targets, frm, until=None, now=N, extra=(), **kw):
    p = [("from", frm)]
    if until is not None:
        p.append(("until", until))
    if now is not None:
        p.append(("now", now))
    render(id, targets, "json", p + list(extra), **kw)


# ---------------------------------------------------------------------------------------------
# render, format=json: path expressions (every glob form)
G = "render-json-glob-"
json_render(G + "plain", ["servers.web01.cpu.user"], "-10min")
json_render(G + "star", ["servers.*.cpu.user"], "-5min")
json_render(G + "question", ["servers.web0?.cpu.user"], "-5min")
json_render(G + "range", ["servers.db[a-z].cpu.user"], "-20min")
json_render(G + "negated", ["servers.db[!x].cpu.user"], "-20min")
json_render(G + "digit-range", ["servers.db[0-9]*.cpu.user"], "-5min")
json_render(G + "braces", ["servers.{web01,db01}.cpu.user"], "-5min")
json_render(G + "braces-wildcard", ["servers.web01.cpu.{user,sys*}"], "-5min")
json_render(G + "multi-per-node", ["servers.w*0?.cpu.*"], "-2min")
json_render(G + "star-in-middle", ["servers.*b*.cpu.user"], "-3min")
json_render(G + "every-node", ["*.*.*"], "-1h", extra=[("maxDataPoints", "3")])
json_render(G + "globstar-terminal", ["app.**"], "-10min")
json_render(G + "globstar-middle", ["servers.**.system"], "-2min")
json_render(G + "hidden-file-skipped", ["servers.web01.cpu.*"], "-2min")
json_render(G + "no-match", ["servers.nothere.*"], "-5min")
json_render(G + "branch-only", ["servers.web01.cpu"], "-5min")
json_render(G + "empty-dir", ["servers.empty.*"], "-5min")
json_render(G + "empty-file", ["test.empty"], "-5min")
json_render(G + "several-targets", ["servers.web02.cpu.system", "app.requests.*", "test.constant"], "-10min")
json_render(G + "duplicate-target", ["test.constant", "test.constant"], "-5min")

# render, format=json: time ranges
T = "render-json-time-"
json_render(T + "rel-1h", ["servers.web02.cpu.idle"], "-1h")
json_render(T + "rel-6h", ["retention.s10"], "-6h")
json_render(T + "rel-1d", ["retention.s10", "retention.m1", "retention.s15"], "-1d")
json_render(T + "rel-7d", ["test.agg.*"], "-7d", extra=[("maxDataPoints", "24")])
json_render(T + "rel-30d", ["stats.gauges.temp_c"], "-30d", extra=[("maxDataPoints", "60")])
json_render(T + "rel-1y", ["retention.h1"], "-1y", extra=[("maxDataPoints", "20")])
json_render(T + "rel-units", ["retention.m1"], "-90s", until="-30s")
json_render(T + "rel-until", ["servers.web01.cpu.system"], "-1h", until="-50min")
json_render(T + "now-minus", ["servers.web01.cpu.system"], "now-10min", until="now-5min")
json_render(T + "swapped", ["servers.web01.cpu.system"], "-50min", until="-1h")
json_render(T + "epoch", ["servers.db01.cpu.user"], str(NOW - 1800), until=str(NOW - 1200))
json_render(T + "epoch-unaligned", ["retention.s15"], str(NOW - 601), until=str(NOW - 299))
json_render(T + "hhmm-yyyymmdd", ["retention.m1"], "18:00_20231106", until="18:30_20231106")
json_render(T + "yyyymmdd", ["stats.gauges.pressure"], "20231105", until="20231106")
json_render(T + "mmddyy", ["stats.gauges.temp_c"], "11/01/23", until="11/02/23")
json_render(T + "mmddyyyy", ["stats.gauges.temp_c"], "10/28/2023", until="10/29/2023")
json_render(T + "midnight", ["retention.m1"], "midnight", until="01:00")
json_render(T + "noon-yesterday", ["app.latency.p99"], "noon yesterday", until="13:00 yesterday")
json_render(T + "today-offset", ["app.latency.mean"], "today+18h", until="today+19h")
json_render(T + "weekday", ["retention.m5"], "sunday", until="sunday+2h")
json_render(T + "month-day", ["retention.h1"], "jan5", until="jan6")
json_render(T + "6pm", ["retention.m1"], "6pm", until="7pm")
json_render(T + "until-future", ["retention.m1"], "-10min", until="+10min")
render(T + "default-from", ["retention.s15"], "json", [("now", N), ("maxDataPoints", "12")])
render(T + "default-until", ["retention.m1"], "json", [("from", "-5min"), ("now", N)])
json_render(T + "now-hhmm", ["retention.m1"], "-10min", now="19:00_20231106")
json_render(T + "now-later", ["servers.web10.cpu.user"], "-10min", now=str(NOW + 300))
json_render(T + "now-earlier", ["servers.web10.cpu.user"], "-10min", now=str(NOW - 86400 - 3600))
json_render(T + "now-archive-choice", ["retention.s10"], "-2h", now=str(NOW - 5 * 3600))
json_render(T + "before-retention", ["retention.m1"], str(NOW - 3 * 86400), until=str(NOW - 2 * 86400))
json_render(T + "partly-before-retention", ["retention.m1"], "-25h", until="-23h")
json_render(T + "stale", ["test.stale"], "-4h", until="-2h", extra=[("maxDataPoints", "16")])
for tz in ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata"]:
    slug = tz.split("/")[-1].lower()
    json_render(T + "tz-midnight-" + slug, ["retention.m5"], "midnight", extra=[("tz", tz)])
    json_render(T + "tz-hhmm-" + slug, ["retention.m1"], "12:00_20231106", until="12:20_20231106",
                extra=[("tz", tz)])
json_render(T + "tz-unknown-ignored", ["retention.m1"], "19:00_20231106", until="19:10_20231106",
            extra=[("tz", "Mars/Olympus")])
json_render(T + "tz-dst-ny", ["stats.counters.hits"], "00:00_20231105", until="03:00_20231105",
            extra=[("tz", "America/New_York"), ("maxDataPoints", "40")])

# render, format=json: maxDataPoints, noNullPoints, pretty, xFilesFactor
M = "render-json-opt-"
json_render(M + "mdp-1", ["servers.web01.cpu.user", "test.gaps"], "-1h", extra=[("maxDataPoints", "1")])
json_render(M + "mdp-2", ["servers.web01.cpu.user"], "-1h", extra=[("maxDataPoints", "2")])
json_render(M + "mdp-7", ["servers.web01.cpu.user"], "-1h", extra=[("maxDataPoints", "7")])
json_render(M + "mdp-100", ["servers.web01.cpu.user", "servers.web02.cpu.user"], "-1d",
            extra=[("maxDataPoints", "100")])
json_render(M + "mdp-larger", ["servers.web01.cpu.user"], "-30min", extra=[("maxDataPoints", "1000")])
json_render(M + "mdp-equal", ["servers.web01.cpu.user"], "-10min", extra=[("maxDataPoints", "60")])
json_render(M + "mdp-mixed-steps", ["servers.web01.cpu.user", "retention.m5", "retention.s15"], "-3h",
            extra=[("maxDataPoints", "10")])
json_render(M + "mdp-not-digits", ["retention.m1"], "-10min", extra=[("maxDataPoints", "5.5")])
json_render(M + "mdp-consolidateBy", ["consolidateBy(test.agg.avg,'max')", "consolidateBy(test.agg.avg,'sum')"],
            "-2h", extra=[("maxDataPoints", "5")])
json_render(M + "mdp-gaps-xff-default", ["test.gaps"], "-2h", extra=[("maxDataPoints", "24")])
json_render(M + "mdp-gaps-xff-half", ["test.gaps"], "-2h", extra=[("maxDataPoints", "24"), ("xFilesFactor", "0.5")])
json_render(M + "mdp-sparse-xff-1", ["test.sparse"], "-1h", extra=[("maxDataPoints", "30"), ("xFilesFactor", "1")])
json_render(M + "noNullPoints", ["test.gaps", "test.empty", "test.sparse"], "-1h",
            extra=[("noNullPoints", "1"), ("maxDataPoints", "50")])
json_render(M + "noNullPoints-all-null", ["test.empty"], "-1h", extra=[("noNullPoints", "true")])
json_render(M + "pretty", ["servers.web01.cpu.system", "test.gaps"], "-1min", extra=[("pretty", "1")])
json_render(M + "xff-param-sum", ["sumSeries(test.xff.*)"], "-20min", extra=[("xFilesFactor", "0.7")])
json_render(M + "xff-archive", ["test.xff.*"], "-2d", until="-1d", extra=[("maxDataPoints", "12")])
json_render(M + "values-tiny-huge-negative", ["test.tiny", "test.huge", "test.negative", "test.mixed_sign"], "-2min")
json_render(M + "agg-methods-propagated", ["test.agg.*"], "-3d", until="-2d", extra=[("maxDataPoints", "8")])
json_render(M + "noCache", ["test.constant"], "-3min", extra=[("noCache", "1")])
json_render(M + "cacheTimeout-0", ["test.constant"], "-3min", extra=[("cacheTimeout", "0")])
json_render(M + "cacheTimeout-300", ["test.constant"], "-3min", extra=[("cacheTimeout", "300")])
json_render(M + "local", ["test.constant"], "-3min", extra=[("local", "1")])
render(M + "target-brackets", [], "json", [("target[]", "test.constant"), ("target[]", "retention.m1"),
                                            ("from", "-3min"), ("now", N)])
render(M + "no-target", [], "json", [("from", "-1h"), ("now", N)])
render(M + "empty-target", [""], "json", [("from", "-1h"), ("now", N)])

# render: functions
F = "render-json-fn-"
json_render(F + "alias", ['alias(servers.web01.cpu.user,"web one")'], "-2min")
json_render(F + "alias-single-quotes", ["alias(servers.*.cpu.system,'sys')"], "-1min")
json_render(F + "alias-kwarg", ['alias(servers.web01.cpu.user, newName="kw")'], "-2min")
json_render(F + "aliasByNode", ["aliasByNode(servers.*.cpu.user,1)"], "-1min")
json_render(F + "aliasByNode-negative", ["aliasByNode(servers.web0*.cpu.*,-1)"], "-1min")
json_render(F + "aliasByNode-several", ["aliasByNode(servers.web0*.cpu.*,1,-1)"], "-1min")
json_render(F + "aliasSub-backref", [r'aliasSub(servers.*.cpu.user,"^servers\.([a-z]+)(\d+)\..*$","\2-\1")'], "-1min")
json_render(F + "aliasSub-grafana", [r'aliasSub(servers.web01.cpu.user,"(^.*$)","\1 A")',
                                      r'aliasSub(sumSeries(app.requests.*),"(^.*$)","\1 B")'], "-1min")
json_render(F + "aliasSub-no-match", ['aliasSub(test.constant,"zzz","y")'], "-2min")
json_render(F + "sumSeries", ["sumSeries(servers.*.cpu.user)"], "-5min")
json_render(F + "sum-alias", ["sum(servers.web01.cpu.*, servers.web02.cpu.*)"], "-3min")
json_render(F + "sumSeries-mixed-steps", ["sumSeries(servers.web01.cpu.user,retention.s15,retention.m1)"], "-10min")
json_render(F + "sumSeries-gaps", ["sumSeries(test.gaps,test.sparse,test.empty)"], "-40min", until="-20min")
json_render(F + "sumSeries-no-match", ["sumSeries(servers.nothere.*)"], "-5min")
json_render(F + "averageSeries", ["averageSeries(servers.web0?.cpu.idle)"], "-5min")
json_render(F + "avg-alias", ["avg(test.agg.*)"], "-10min")
json_render(F + "averageSeries-xff", ["averageSeries(test.xff.*)"], "-10min", extra=[("xFilesFactor", "0.5")])
json_render(F + "scale", ["scale(servers.web01.cpu.user,2)"], "-2min")
json_render(F + "scale-float", ["scale(servers.web01.cpu.user,0.5)", "scale(test.tiny,1e3)"], "-2min")
json_render(F + "scale-negative", ["scale(test.mixed_sign,-1.5)"], "-2min")
json_render(F + "scale-kwarg", ["scale(servers.web01.cpu.user, factor=3)"], "-2min")
json_render(F + "scale-glob", ["scale(servers.*.mem.free,0.001)"], "-1min")
json_render(F + "nested", ['alias(sumSeries(scale(servers.*.cpu.user,2)),"total")'], "-3min")
json_render(F + "nested-deep", ["aliasByNode(scale(averageSeries(servers.web01.cpu.*),10),0)"], "-3min")
json_render(F + "pipe", ["servers.web01.cpu.user|scale(2)"], "-2min")
json_render(F + "pipe-chain", ['servers.*.cpu.user|sumSeries()|alias("piped")'], "-2min")
json_render(F + "pipe-spaces", ["servers.web01.cpu.user | scale(3) | aliasByNode(1)"], "-2min")
json_render(F + "whitespace-args", ["sumSeries( servers.web01.cpu.user , servers.web02.cpu.user )"], "-2min")
json_render(F + "several", ["sumSeries(app.requests.*)", "scale(app.requests.count,0.5)",
                            "aliasByNode(app.latency.*,2)"], "-5min")
json_render(F + "template-positional", ['template(servers.$1.cpu.$2,"web02","system")'], "-1min")
json_render(F + "template-keyword", ['template(servers.$host.cpu.user,host="web01")'], "-1min")
json_render(F + "template-param", ['template(servers.$host.cpu.user,host="web01")'], "-1min",
            extra=[("template[host]", "db01")])
json_render(F + "template-param-only", ["template(servers.$host.cpu.$metric)"], "-1min",
            extra=[("template[host]", "web10"), ("template[metric]", "system")])
json_render(F + "template-glob", ['template(sumSeries(servers.$1.cpu.user),"web0*")'], "-1min")

# render: the other data formats
O = "render-fmt-"
render(O + "jsonp", ["servers.web01.cpu.system", "test.gaps"], "json",
       [("from", "-1min"), ("now", N), ("jsonp", "cb_1")])
render(O + "csv", ["servers.web01.cpu.system", "test.gaps", "test.empty"], "csv", [("from", "-2min"), ("now", N)])
render(O + "csv-tz", ["retention.m1"], "csv", [("from", "-5min"), ("now", N), ("tz", "Asia/Kolkata")])
render(O + "csv-dst", ["stats.counters.hits"], "csv",
       [("from", "00:30_20231105"), ("until", "02:30_20231105"), ("now", N), ("tz", "America/New_York")])
render(O + "csv-quoting", ["sumSeries(app.requests.*)", 'alias(test.constant,"a b, \\"c\\"")'], "csv",
       [("from", "-3min"), ("now", N)])
render(O + "csv-values", ["test.tiny", "test.huge", "test.negative"], "csv", [("from", "-1min"), ("now", N)])
render(O + "raw", ["servers.web01.cpu.system", "test.gaps", "test.empty"], "raw", [("from", "-2min"), ("now", N)])
render(O + "raw-values", ["test.tiny", "test.huge", "test.negative", "retention.m5"], "raw",
       [("from", "-20min"), ("now", N)])
render(O + "raw-rawData", ["test.constant"], None, [("rawData", "1"), ("from", "-3min"), ("now", N)])
render(O + "pickle", ["servers.web01.cpu.system", "test.gaps", "sumSeries(test.xff.*)"], "pickle",
       [("from", "-3min"), ("now", N)])
render(O + "pickle-legacy-switch", ["test.constant"], None, [("pickle", "1"), ("from", "-3min"), ("now", N)])
render(O + "pickle-values", ["test.tiny", "test.huge", "test.empty"], "pickle", [("from", "-1min"), ("now", N)])
render(O + "pickle-cluster-style", ["servers.web0*.cpu.user"], "pickle",
       [("local", "1"), ("noCache", "1"), ("from", str(NOW - 120)), ("until", N), ("now", N)])
render(O + "msgpack", ["servers.web01.cpu.system", "test.gaps", "aliasByNode(servers.*.mem.free,1)"], "msgpack",
       [("from", "-3min"), ("now", N)])
render(O + "msgpack-values", ["test.tiny", "test.huge", "test.empty"], "msgpack", [("from", "-1min"), ("now", N)])
render(O + "dygraph", ["servers.web01.cpu.system", "test.gaps"], "dygraph", [("from", "-2min"), ("now", N)])
render(O + "dygraph-empty", ["servers.nothere"], "dygraph", [("from", "-2min"), ("now", N)])
render(O + "dygraph-jsonp", ["test.constant"], "dygraph", [("from", "-2min"), ("now", N), ("jsonp", "dg")])
render(O + "rickshaw", ["servers.web01.cpu.system", "test.gaps"], "rickshaw", [("from", "-2min"), ("now", N)])
render(O + "rickshaw-pretty", ["test.constant"], "rickshaw", [("from", "-3min"), ("now", N), ("pretty", "1")])
render(O + "rickshaw-jsonp", ["test.constant"], "rickshaw", [("from", "-3min"), ("now", N), ("jsonp", "rs")])
render(O + "json-empty-jsonp", ["servers.nothere"], "json", [("from", "-3min"), ("now", N), ("jsonp", "e")])

# render: POST (form body, as Grafana sends it), and query string + body merged
P = "render-post-"
case(P + "grafana", "/render", form=[("target", r'aliasSub(servers.web01.cpu.user,"(^.*$)","\1 A")'),
                                    ("target", "sumSeries(servers.*.cpu.system)"),
                                    ("from", str(NOW - 3600)), ("until", N), ("now", N),
                                    ("format", "json"), ("maxDataPoints", "12")])
case(P + "relative", "/render", form=[("target", "servers.web01.cpu.user"), ("from", "-5min"),
                                      ("until", "now"), ("now", N), ("format", "json")])
case(P + "merged", "/render", params=[("target", "test.constant"), ("now", N)],
     form=[("target", "retention.m1"), ("from", "-3min"), ("format", "json")])
case(P + "csv", "/render", form=[("target", "test.constant"), ("from", "-3min"), ("now", N), ("format", "csv")])
case(P + "js-encoded", "/render", form=[("target", "aliasByNode(servers.*.cpu.user,1)"), ("from", "-1min"),
                                        ("now", N), ("format", "json")], enc="js")
case("render-get-js-encoded", "/render", params=[("target", "sumSeries(servers.web0*.cpu.user)"),
                                                 ("target", "template(servers.$1.cpu.idle, 'web02')"),
                                                 ("from", "-1min"), ("now", N), ("format", "json")], enc="js")
case("render-trailing-slash", "/render/", params=[("target", "test.constant"), ("from", "-3min"), ("now", N),
                                                  ("format", "json")])

# render: errors (400)
E = "render-400-"
json_render(E + "bad-from", ["test.constant"], "garbage")
json_render(E + "bad-until", ["test.constant"], "-1h", until="2023-11-01")
json_render(E + "bad-unit", ["test.constant"], "-5m")
json_render(E + "empty-range", ["test.constant"], N, until=N)
json_render(E + "unknown-function", ["nosuchfunction(test.constant)"], "-5min")
json_render(E + "unknown-function-nested", ["sumSeries(test.constant,bogus(test.gaps))"], "-5min")
json_render(E + "bad-graphType", ["test.constant"], "-5min", extra=[("graphType", "bar")])
json_render(E + "bad-now", ["test.constant"], "-5min", now="someday")

# ---------------------------------------------------------------------------------------------
# /metrics/find
D = "find-"
IG = ["intervals"]
case(D + "treejson-root", "/metrics/find", [("query", "*")])
case(D + "treejson-servers", "/metrics/find", [("query", "servers.*")])
case(D + "treejson-leaves", "/metrics/find", [("query", "servers.web01.cpu.*")])
case(D + "treejson-mixed", "/metrics/find", [("query", "test.*")])
case(D + "treejson-question", "/metrics/find", [("query", "servers.web0?")])
case(D + "treejson-range", "/metrics/find", [("query", "servers.db[a-z]")])
case(D + "treejson-negated", "/metrics/find", [("query", "servers.[!w]*")])
case(D + "treejson-braces", "/metrics/find", [("query", "servers.web01.{cpu,mem}.{user,free}")])
case(D + "treejson-multi-wildcard", "/metrics/find", [("query", "app.*.*e*")])
case(D + "treejson-exact-leaf", "/metrics/find", [("query", "servers.web01.cpu.user")])
case(D + "treejson-exact-branch", "/metrics/find", [("query", "servers.web01")])
case(D + "treejson-empty-dir", "/metrics/find", [("query", "servers.empty.*")])
case(D + "treejson-no-match", "/metrics/find", [("query", "nothere.*")])
case(D + "treejson-wildcards", "/metrics/find", [("query", "servers.web01.cpu.*"), ("wildcards", "1")])
case(D + "treejson-wildcards-branches", "/metrics/find", [("query", "servers.*"), ("wildcards", "1")])
case(D + "treejson-wildcards-single", "/metrics/find", [("query", "servers.web01"), ("wildcards", "1")])
case(D + "treejson-explicit", "/metrics/find", [("query", "stats.*"), ("format", "treejson")])
case(D + "treejson-leavesOnly", "/metrics/find", [("query", "servers.web01.*"), ("leavesOnly", "1")])
case(D + "treejson-leavesOnly-leaves", "/metrics/find", [("query", "app.latency.*"), ("leavesOnly", "1")])
case(D + "treejson-from-until", "/metrics/find", [("query", "app.*"), ("from", "-1h"), ("until", "now"),
                                                  ("now", N)])
case(D + "treejson-from-unbounded", "/metrics/find", [("query", "app.*"), ("from", "-1"), ("until", "-1")])
case(D + "treejson-tz", "/metrics/find", [("query", "stats.*"), ("from", "midnight"), ("tz", "Europe/Berlin"),
                                          ("now", N)])
case(D + "treejson-jsonp", "/metrics/find", [("query", "stats.*"), ("jsonp", "cb")])
case(D + "treejson-pretty", "/metrics/find", [("query", "stats.*"), ("pretty", "1")])
case(D + "treejson-accept-any", "/metrics/find", [("query", "stats.*")], headers={"Accept": "*/*"})
case(D + "treejson-accept-json", "/metrics/find", [("query", "stats.*")],
     headers={"Accept": "application/json"})
case(D + "treejson-slash", "/metrics/find/", [("query", "stats.*")])
case(D + "treejson-metrics-root", "/metrics", [("query", "stats.*")])
case(D + "post", "/metrics/find", form=[("query", "servers.web02.*")])
case(D + "completer", "/metrics/find", [("query", "servers.web"), ("format", "completer")])
case(D + "completer-dotdot", "/metrics/find", [("query", "servers.web01.."), ("format", "completer")])
case(D + "completer-star", "/metrics/find", [("query", "servers.web01.cpu.*"), ("format", "completer")])
case(D + "completer-wildcards", "/metrics/find", [("query", "servers.web01.cpu."), ("format", "completer"),
                                                  ("wildcards", "1")])
case(D + "completer-variants", "/metrics/find", [("query", "servers.web01,db01.cpu"), ("format", "completer"),
                                                 ("automatic_variants", "1")])
case(D + "nodelist", "/metrics/find", [("query", "servers.*.cpu.*"), ("format", "nodelist")])
case(D + "nodelist-position", "/metrics/find", [("query", "servers.*.cpu.*"), ("format", "nodelist"),
                                                ("position", "1")])
case(D + "nodelist-position-0", "/metrics/find", [("query", "*.*"), ("format", "nodelist"), ("position", "0")])
case(D + "json", "/metrics/find", [("query", "servers.web01.*"), ("format", "json")])
case(D + "json-leaves", "/metrics/find", [("query", "servers.*.cpu.user"), ("format", "json")], ignore=IG)
case(D + "json-mixed", "/metrics/find", [("query", "test.*"), ("format", "json"), ("from", "-1h"), ("now", N)],
     ignore=IG)
case(D + "json-jsonp", "/metrics/find", [("query", "test.agg.a*"), ("format", "json"), ("jsonp", "f")],
     ignore=IG)
case(D + "pickle-branches", "/metrics/find", [("query", "servers.web01.*"), ("format", "pickle")])
case(D + "pickle-leaves", "/metrics/find", [("query", "servers.web01.cpu.*"), ("format", "pickle"),
                                            ("local", "1")], ignore=IG)
case(D + "msgpack-branches", "/metrics/find", [("query", "servers.*"), ("format", "msgpack")])
case(D + "msgpack-leaves", "/metrics/find", [("query", "app.latency.*"), ("format", "msgpack")], ignore=IG)
case(D + "400-no-query", "/metrics/find", [("format", "treejson")])
case(D + "400-empty-query", "/metrics/find", [("query", "")])
case(D + "400-bad-format", "/metrics/find", [("query", "servers.*"), ("format", "xml")])
case(D + "400-bad-leavesOnly", "/metrics/find", [("query", "servers.*"), ("leavesOnly", "yes")])
case(D + "400-bad-from", "/metrics/find", [("query", "servers.*"), ("from", "garbage"), ("now", N)])

# /metrics/expand
X = "expand-"
case(X + "single", "/metrics/expand", [("query", "servers.*.cpu")])
case(X + "leaves", "/metrics/expand", [("query", "servers.web0*.cpu.*")])
case(X + "several", "/metrics/expand", [("query", "servers.web01.*"), ("query", "app.*"), ("query", "app.*")])
case(X + "groupByExpr", "/metrics/expand", [("query", "servers.web01.*"), ("query", "app.{requests,queue}.*"),
                                            ("groupByExpr", "1")])
case(X + "leavesOnly", "/metrics/expand", [("query", "test.*"), ("leavesOnly", "1")])
case(X + "leavesOnly-grouped", "/metrics/expand", [("query", "test.*"), ("query", "servers.*"),
                                                   ("leavesOnly", "1"), ("groupByExpr", "1")])
case(X + "no-match", "/metrics/expand", [("query", "nothere.*")])
case(X + "no-query", "/metrics/expand", [])
case(X + "jsonp", "/metrics/expand", [("query", "stats.*.*"), ("jsonp", "cb")])
case(X + "pretty", "/metrics/expand", [("query", "stats.*.*"), ("groupByExpr", "1"), ("pretty", "1")])
case(X + "post", "/metrics/expand", form=[("query", "app.latency.*"), ("query", "stats.gauges.*")])

# /metrics/index.json
case("index-json", "/metrics/index.json")
case("index-json-jsonp", "/metrics/index.json", [("jsonp", "idx")])
case("index-json-local", "/metrics/index.json", [("local", "1")])


# ---------------------------------------------------------------------------------------------
class Opaque(object):
    """Stands in for any class a pickle names (find's IntervalSet/Interval)."""
    name = None

    def __setstate__(self, state):
        self.state = state


class FixtureUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        return type(name, (Opaque,), {"name": module + "." + name})


def to_fixture(v):
    if isinstance(v, bool) or v is None or isinstance(v, int) or isinstance(v, str):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(v, (list, tuple)):
        return [to_fixture(x) for x in v]
    if isinstance(v, dict):
        return {str(k): to_fixture(x) for k, x in v.items()}
    if isinstance(v, bytes):
        return {"$bytes": v.hex()}
    if isinstance(v, Opaque):
        return {"$class": v.name, "$state": to_fixture(getattr(v, "state", None))}
    raise TypeError("cannot record %r" % (v,))


def freeze_clock():
    """The reference reads the wall clock in two places that reach the output: find's
    `intervals` (time.time() - maxRetention .. file mtime) and the Expires header. Pinning
    time.time() to NOW (the dataset's mtimes are NOW too) records them as if the requests ran
    at NOW, so regenerating rewrites the same bytes; both stay marked as ignored."""
    import time
    time.time = lambda: float(NOW)


def setup_django(root):
    settings_py = os.path.join(root, "golden_settings.py")
    with open(settings_py, "w") as fh:
        for k, v in SETTINGS.items():
            fh.write("%s = %r\n" % (k, json.loads(json.dumps(v).replace("{dir}", root))))
        fh.write("SECRET_KEY = 'golden'\n")
        fh.write("LOG_DIR = %r\n" % os.path.join(root, "log"))
    os.makedirs(os.path.join(root, "log"))
    sys.path.insert(0, root)
    os.environ["GRAPHITE_SETTINGS_MODULE"] = "golden_settings"
    os.environ["DJANGO_SETTINGS_MODULE"] = "graphite.settings"
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0, interactive=False)
    from django.test import Client
    return Client()


def run_case(client, c):
    query = encode(c["params"], c["enc"])
    url = c["path"] + ("?" + query if query else "")
    extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in c["headers"].items()}
    body_sent = None
    if c["method"] == "POST":
        body_sent = encode(c["form"], c["enc"])
        resp = client.post(url, data=body_sent, content_type="application/x-www-form-urlencoded", **extra)
    else:
        resp = client.get(url, **extra)
    ctype = resp["Content-Type"]
    out = dict(
        id=c["id"], method=c["method"], path=c["path"], params=c["params"], query=query,
        form=c["form"], body_sent=body_sent, request_headers=c["headers"],
        status=resp.status_code, content_type=ctype,
        headers={h: (resp[h] if resp.has_header(h) else None) for h in RECORDED_HEADERS},
    )
    raw = resp.content
    base = ctype.split(";")[0].strip()
    if base == "application/pickle":
        out["kind"] = "pickle"
        out["decoded"] = to_fixture(FixtureUnpickler(io.BytesIO(raw)).load())
    elif base == "application/x-msgpack":
        from graphite import umsgpack
        out["kind"] = "msgpack"
        out["decoded"] = to_fixture(umsgpack.loads(raw))
    else:
        text = raw.decode("utf-8")
        if base == "application/json":
            out["kind"] = "json"
        elif base == "text/javascript":
            out["kind"] = "jsonp"
        else:
            out["kind"] = "text"
        out["body"] = text
    if c["ignore"]:
        out["ignore_keys"] = c["ignore"]
    return out


def comparable(rec):
    """The parts of a recording that must not change between runs."""
    r = dict(rec)
    r["headers"] = {k: (v if k not in WALL_CLOCK_HEADERS else v is not None) for k, v in rec["headers"].items()}
    if rec.get("ignore_keys"):
        def strip(v):
            if isinstance(v, dict):
                return {k: (None if k in rec["ignore_keys"] else strip(x)) for k, x in v.items()}
            if isinstance(v, list):
                return [strip(x) for x in v]
            return v
        if "decoded" in r:
            r["decoded"] = strip(r["decoded"])
        if "body" in r:
            text = r["body"]
            if r["kind"] == "jsonp":
                text = text[text.index("(") + 1:-1]
            r["body"] = strip(json.loads(text))
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only")
    ap.add_argument("--out", default=os.path.join(HERE, "expected.json"))
    ap.add_argument("--decode-pickle", action="store_true",
                    help="read a pickle on stdin and print it in fixture form (the harness uses "
                         "it for bodies that name classes, such as find's IntervalSet)")
    ap.add_argument("--suite", action="append", default=[],
                    help="record suites/<NAME>.py into suites/<NAME>.expected.json instead of "
                         "the base cases (repeatable; 'all' records every suite)")
    args = ap.parse_args()
    if args.suite:
        names = args.suite
        if names == ["all"]:
            names = sorted(f[:-3] for f in os.listdir(os.path.join(HERE, "suites"))
                           if f.endswith(".py") and not f.startswith("_"))
        if len(names) > 1:
            # One process per suite: Django and graphite's loggers are set up once per process
            # and keep the first suite's (deleted) directories.
            import subprocess
            for name in names:
                subprocess.run([sys.executable, os.path.abspath(__file__), "--suite", name], check=True)
            return
        for name in names:
            CASES[:] = []
            path = os.path.join(HERE, "suites", name + ".py")
            with open(path) as fh:
                exec(compile(fh.read(), path, "exec"), globals())
            record(args, os.path.join(HERE, "suites", name + ".expected.json"))
        return
    if args.decode_pickle:
        value = FixtureUnpickler(io.BytesIO(sys.stdin.buffer.read())).load()
        print(json.dumps(to_fixture(value), allow_nan=False))
        return

    record(args, args.out)


def record(args, out):
    cases = [c for c in CASES if not args.only or args.only in c["id"]]
    with tempfile.TemporaryDirectory(prefix="graphite-golden-") as root:
        # A fresh module: the value shapes keep state between points (walk), so a second
        # build in the same process would not reproduce the first.
        importlib.reload(dataset)
        ds = dataset.build(root)
        freeze_clock()
        client = setup_django(root)
        records = []
        problems = []
        for c in cases:
            random.seed(1)
            first = run_case(client, c)
            random.seed(2)
            second = run_case(client, c)
            if comparable(first) != comparable(second):
                problems.append("%s: the reference answers differently on two runs" % c["id"])
            if first["status"] >= 500:
                problems.append("%s: status %d" % (c["id"], first["status"]))
            records.append(first)
        if args.only:
            for r in records:
                print(json.dumps(r, indent=1)[:3000])
        if problems:
            raise SystemExit("\n".join(problems))
        if args.only:
            return

    fixture = {
        "comment": "Generated by webapp/tests/golden/generate.py from graphite-web 1.1.10; do not edit.",
        "now": NOW,
        "dataset": ds,
        "settings": SETTINGS,
        "compared_headers": COMPARED_HEADERS,
        "cases": records,
    }
    with open(out, "w") as fh:
        json.dump(fixture, fh, indent=1, sort_keys=False, allow_nan=False)
        fh.write("\n")
    kinds = {}
    for r in records:
        key = "%s %s %d" % (r["path"].rstrip("/"), r["kind"], r["status"])
        kinds[key] = kinds.get(key, 0) + 1
    print("%d cases -> %s" % (len(records), os.path.relpath(out)))
    for k in sorted(kinds):
        print("  %4d  %s" % (kinds[k], k))


if __name__ == "__main__":
    main()
