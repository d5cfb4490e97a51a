#!/usr/bin/env python
"""Records what graphite-web 1.1.10's Graph functions leave on the series they return (the
drawing options, which format=json does not show) and what its pie functions compute;
webapp/tests/golden_options.rs evaluates the same targets through our library and compares.

Run from the workspace root:

    .venv-ref/bin/python webapp/tests/golden/generate_options.py

It builds the golden dataset (dataset.py) in a temporary directory, configures graphite-web with
generate.py's settings, and evaluates each case's targets with the reference's evaluator
(graphite.render.evaluator.evaluateTarget) and a requestContext shaped as the render view builds
it. For every series it records name, pathExpression, start, end, step, values, tags, the
options dict, the color attribute (when set) and the three pie functions' values; a case whose
evaluation raises records the error instead. It also records the pie functions' values for
synthetic value lists (empty, all None, NaN, consolidated). Writes
webapp/tests/golden/options.expected.json.

Fixture format:
  {"now", "dataset": {"files", "sha256"}, "settings": {...},
   "cases": [{"id", "targets", "context": {"start", "end", "now", "tz", "xFilesFactor"},
              "series": [{"name", "pathExpression", "start", "end", "step", "values", "tags",
                          "options", "color" (only when set), "pie": {mode: value}}]
              | "error": "<InputParameterError message>"
              | "exception": "<exception class name>" (the reference fails with a 500),
              "ours": "input_error" (only where we knowingly answer a 400 instead), "why"}],
   "pie_series": [{"values", "valuesPerPoint", "pie": {mode: value}}]}
Floats as in generate.py's fixtures: NaN and the infinities are the strings "nan"/"inf"/"-inf".
"""
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dataset  # noqa: E402
import generate  # noqa: E402  (its settings, Django setup and fixture encoding)

NOW = dataset.NOW
OUT = os.path.join(HERE, "options.expected.json")

CASES = []


def options_case(id, targets, frm, until=None, tz="UTC", xff=None, ours=None, why=None):
    """Evaluate `targets` over [from, until] (parsed as the render view does, at NOW).
    `ours`/`why`: where we deliberately differ (only "input_error": we answer a 400)."""
    assert all(c["id"] != id for c in CASES), id
    CASES.append(dict(id=id, targets=targets, frm=frm, until=until, tz=tz, xff=xff, ours=ours, why=why))


NONE = "servers.nothere.*"
GAPS = "test.{gaps,sparse}"

# alpha
options_case("alpha-plain", ["alpha(servers.web01.cpu.user,0.5)"], "-3min")
options_case("alpha-none-int", ["alpha(%s,1)" % GAPS, "alpha(test.empty,0)"], "-3min")
options_case("alpha-empty", ["alpha(%s,0.2)" % NONE], "-3min")
options_case("alpha-area", ["alpha(areaBetween(app.latency.{p50,p99}),0.3)"], "-5min")
options_case("alpha-bad", ["alpha(test.constant,'x')"], "-3min", ours="input_error",
             why="the reference only logs the invalid float and stores 'x' as the alpha")

# areaBetween
options_case("areaBetween-plain", ["areaBetween(servers.web0{1,2}.cpu.user)"], "-3min")
options_case("areaBetween-group", ["areaBetween(group(minSeries(servers.*.cpu.user),"
                                   "maxSeries(servers.*.cpu.user)))"], "-3min")
options_case("areaBetween-none", ["areaBetween(%s)" % GAPS], "-3min")
options_case("areaBetween-one", ["areaBetween(test.constant)"], "-3min", ours="input_error", why="the reference asserts the count (a 500)")
options_case("areaBetween-four", ["areaBetween(servers.*.cpu.system)"], "-3min", ours="input_error", why="the reference asserts the count (a 500)")
options_case("areaBetween-empty", ["areaBetween(%s)" % NONE], "-3min", ours="input_error", why="the reference asserts the count (a 500)")

# color
options_case("color-plain", ["color(servers.*.cpu.user,'red')"], "-2min")
options_case("color-none-blank", ["color(%s,'6464ffaa')" % GAPS, "color(test.empty,'')"], "-2min")
options_case("color-empty", ["color(%s,'blue')" % NONE], "-2min")
options_case("color-then-stacked", ["stacked(color(test.constant,'red'))", "color(stacked(test.constant),'red')"],
             "-3min")
options_case("color-kwarg", ["color(test.tiny,theColor='green')"], "-2min")

# dashed
options_case("dashed-default", ["dashed(servers.web01.cpu.system)"], "-2min")
options_case("dashed-lengths", ["dashed(test.gaps,3)", "dashed(test.constant,dashLength=12)", "dashed(test.tiny,-2)",
                                "dashed(test.huge,0)", "dashed(test.negative,2.0)"], "-2min")
options_case("dashed-empty", ["dashed(%s,4)" % NONE], "-2min")
options_case("dashed-bad", ["dashed(test.constant,'x')"], "-2min", ours="input_error",
             why="the reference formats 'x' with %g and fails with a 500")

# drawAsInfinite
options_case("drawAsInfinite-plain", ["drawAsInfinite(servers.web01.cpu.user)"], "-2min")
options_case("drawAsInfinite-none", ["drawAsInfinite(%s)" % GAPS, "drawAsInfinite(test.empty)"], "-2min")
options_case("drawAsInfinite-empty", ["drawAsInfinite(%s)" % NONE], "-2min")
options_case("drawAsInfinite-nested", ["secondYAxis(drawAsInfinite(test.mixed_sign))",
                                       "aliasByNode(drawAsInfinite(servers.web0*.cpu.system),1)"], "-2min")

# lineWidth
options_case("lineWidth-plain", ["lineWidth(servers.web01.cpu.user,5)"], "-2min")
options_case("lineWidth-float", ["lineWidth(%s,0.5)" % GAPS, "lineWidth(test.empty,width=1e3)"], "-2min")
options_case("lineWidth-empty", ["lineWidth(%s,1)" % NONE], "-2min")
options_case("lineWidth-combined", ["dashed(lineWidth(alpha(color(test.constant,'ff0000'),0.4),2),7)",
                                    "stacked(lineWidth(test.constant,3))"], "-3min")
options_case("lineWidth-bad", ["lineWidth(test.constant,'wide')"], "-2min", ours="input_error",
             why="the reference only logs the invalid float and stores 'wide' as the width")

# secondYAxis
options_case("secondYAxis-plain", ["secondYAxis(servers.web01.cpu.user)"], "-2min")
options_case("secondYAxis-none", ["secondYAxis(%s)" % GAPS, "secondYAxis(test.empty)"], "-2min")
options_case("secondYAxis-empty", ["secondYAxis(%s)" % NONE], "-2min")
options_case("secondYAxis-then-sum", ["sumSeries(secondYAxis(servers.*.cpu.user))",
                                      "alias(secondYAxis(test.constant),'c')"], "-2min")

# stacked
options_case("stacked-default", ["stacked(servers.web0*.cpu.user)"], "-2min")
options_case("stacked-across-targets", ["stacked(servers.web01.cpu.user)", "stacked(servers.web02.cpu.user)",
                                        "servers.web10.cpu.user", "stacked(servers.web10.cpu.user)"], "-2min")
options_case("stacked-named", ["stacked(app.requests.*,'rx')", "stacked(app.requests.count,'tx')",
                               "stacked(app.requests.count,'rx')", "stacked(app.requests.errors)"], "-5min")
options_case("stacked-none", ["stacked(%s)" % GAPS, "stacked(test.empty)"], "-2min")
options_case("stacked-mixed", ["stacked(retention.{s10,s15,m1})"], "-3min")
options_case("stacked-empty", ["stacked(%s)" % NONE, "stacked(%s,'x')" % NONE], "-2min")
options_case("stacked-ints", ["stacked(isNonNull(test.gaps))", "stacked(isNonNull(test.sparse))"], "-2min")
options_case("stacked-options-dropped", ["stacked(secondYAxis(dashed(test.constant)))"], "-3min")
options_case("stacked-kwarg", ["stacked(test.constant,stack='s')"], "-3min", ours="series",
             why="the catalog names the parameter 'stack' but the function's argument is 'stackName': "
                 "the reference fails with a 500, we use it as the stack name")

# threshold
options_case("threshold-plain", ["threshold(123.456)"], "-5min")
options_case("threshold-label-color", ['threshold(5,"omgwtfbbq","red")', "threshold(-7,'','')",
                                       "threshold(1e3,color='blue')"], "-7min")
options_case("threshold-special", ["threshold(7)", "threshold(inf)", "threshold(-0.0)", "threshold(1e20)"], "-1h",
             until="-10min", xff=0.25)
options_case("threshold-odd-range", ["threshold(2.5,label='x')"], str(NOW - 601), until=str(NOW - 298))

# verticalLine
options_case("verticalLine-epoch", ["verticalLine('%d','deploy','blue')" % (NOW - 300)], "-10min", xff=0.5)
options_case("verticalLine-absolute", ['verticalLine("19:40_20231106","event")',
                                       "verticalLine('19:45 20231106',label='b',color='')"], "-10min")
options_case("verticalLine-edges", ["verticalLine('%d','start')" % (NOW - 600),
                                    "verticalLine('%d','end')" % NOW], "-10min")
options_case("verticalLine-no-label", ["verticalLine('%d')" % (NOW - 60)], "-10min")
options_case("verticalLine-before", ["verticalLine('%d','x')" % (NOW - 601)], "-10min")
options_case("verticalLine-after", ["verticalLine('19:50_20231106','x')"], "-10min")
options_case("verticalLine-garbage", ["verticalLine('garbage')"], "-10min", ours="input_error",
             why="parseATTime raises a plain exception (500); we answer 400 with the parse error")
options_case("verticalLine-number", ["verticalLine(1699299900)"], "-10min", ours="input_error",
             why="the reference calls .strip() on the int (500)")

# pie functions over dataset series (every case above records them too)
options_case("pie-dataset", ["test.{gaps,sparse,empty,negative,mixed_sign,tiny,huge,constant}",
                             "isNonNull(test.gaps)"], "-30min")
options_case("pie-mixed", ["retention.{s10,s15,m1}", "stats.counters.*"], "-2h")

# Synthetic series for the pie functions: (values, valuesPerPoint).
NAN, INF = float("nan"), float("inf")
PIE_SERIES = [
    ([], 1),
    ([None], 1),
    ([None, None, None], 1),
    ([1.0, None, 3.0, 8.0], 1),
    ([1, 2, 4], 1),
    ([NAN, 1.0, 2.0], 1),
    ([1.0, NAN, 2.0], 1),
    ([INF, -INF], 1),
    ([INF, 1.0], 1),
    ([-0.0, 0.0], 1),
    ([0.0, -0.0], 1),
    ([1e308, 1e308], 1),
    ([0.1, 0.2, 0.3], 1),
    ([1.0, 3.0, 10.0, None, None, 7.0, 2.0], 2),
    ([1.0, 3.0, 10.0, None, None, 7.0, 2.0], 3),
]


def evaluate(c):
    import pytz
    from django.conf import settings
    from graphite.errors import InputParameterError
    from graphite.functions import PieFunctions
    from graphite.render.attime import parseATTime
    from graphite.render.evaluator import evaluateTarget

    tzinfo = pytz.timezone(c["tz"])
    now = parseATTime(str(NOW), tzinfo)
    start = parseATTime(c["frm"], tzinfo, now)
    end = parseATTime(c["until"] or "now", tzinfo, now)
    xff = c["xff"] if c["xff"] is not None else settings.DEFAULT_XFILES_FACTOR
    ctx = {
        "startTime": start, "endTime": end, "now": now, "localOnly": False, "template": {},
        "tzinfo": tzinfo, "forwardHeaders": {}, "sourceIdHeaders": {}, "data": [], "prefetched": {},
        "xFilesFactor": xff, "maxDataPoints": None, "targets": c["targets"], "maxStep": None,
    }
    out = dict(id=c["id"], targets=c["targets"],
               context=dict(start=int(start.timestamp()), end=int(end.timestamp()), now=int(now.timestamp()),
                            tz=c["tz"], xFilesFactor=xff))
    if c["ours"]:
        out["ours"] = c["ours"]
        out["why"] = c["why"]
    try:
        result = evaluateTarget(ctx, c["targets"])
    except InputParameterError as e:
        out["error"] = str(e.args[0])
        return out
    except Exception as e:  # the reference's 500s
        out["exception"] = type(e).__name__
        return out
    series = []
    for s in result:
        rec = dict(name=s.name, pathExpression=s.pathExpression, start=s.start, end=s.end, step=s.step,
                   values=generate.to_fixture(list(s)), tags=dict(s.tags),
                   options=generate.to_fixture(s.options))
        if hasattr(s, "color"):
            rec["color"] = s.color
        rec["pie"] = {mode: generate.to_fixture(f(ctx, s)) for mode, f in PieFunctions().items()}
        series.append(rec)
    out["series"] = series
    return out


def pie_synthetic():
    from graphite.functions import PieFunctions
    from graphite.render.datalib import TimeSeries

    out = []
    for values, vpp in PIE_SERIES:
        s = TimeSeries("synthetic", 0, 10 * len(values), 10, values, xFilesFactor=0.0)
        if vpp > 1:
            s.consolidate(vpp)
        out.append(dict(values=generate.to_fixture(values), valuesPerPoint=vpp,
                        pie={mode: generate.to_fixture(f({}, s)) for mode, f in PieFunctions().items()}))
    return out


def main():
    with tempfile.TemporaryDirectory(prefix="graphite-options-") as root:
        ds = dataset.build(root)
        generate.freeze_clock()
        generate.setup_django(root)
        cases = [evaluate(c) for c in CASES]
        again = [evaluate(c) for c in CASES]
        if json.dumps(cases) != json.dumps(again):
            raise SystemExit("the reference answers differently on two runs")
        pie = pie_synthetic()
    fixture = {
        "comment": "Generated by webapp/tests/golden/generate_options.py from graphite-web 1.1.10; do not edit.",
        "now": NOW,
        "dataset": ds,
        "settings": generate.SETTINGS,
        "cases": cases,
        "pie_series": pie,
    }
    with open(OUT, "w") as fh:
        json.dump(fixture, fh, indent=1, allow_nan=False)
        fh.write("\n")
    kinds = {}
    for c in cases:
        k = "error" if "error" in c else "exception" if "exception" in c else "series"
        kinds[k] = kinds.get(k, 0) + 1
    print("%d cases, %d synthetic pie series -> %s %s" % (len(cases), len(pie), os.path.relpath(OUT), kinds))


if __name__ == "__main__":
    main()
