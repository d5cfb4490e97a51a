# Golden cases for the Special group (run by generate.py --suite special; the helpers
# json_render/render/case and the dataset names come from generate.py).
S = "fn-special-"
json_render(S + "consolidateBy-sum-mdp", ["consolidateBy(servers.web01.cpu.user,'sum')"], "-1h",
            extra=[("maxDataPoints", "7")])
json_render(S + "consolidateBy-each", ["consolidateBy(test.gaps,'%s')" % f for f in
                                       ("average", "avg", "avg_zero", "min", "max", "first", "last")],
            "-2h", extra=[("maxDataPoints", "9")])
json_render(S + "consolidateBy-empty", ["consolidateBy(servers.nothere.*,'max')"], "-1h")

NONE = "servers.nothere.*"
WEB = "servers.web0*.cpu.user"

# cactiStyle
json_render(S + "cactiStyle", ["cactiStyle(%s)" % WEB], "-5min")
json_render(S + "cactiStyle-si", ["cactiStyle(group(test.huge,servers.web01.mem.free,test.tiny),'si')",
                                  "cactiStyle(group(test.huge,test.negative),'si','b')"], "-5min")
json_render(S + "cactiStyle-binary", ["cactiStyle(group(test.huge,servers.web01.mem.free,test.negative),'binary')",
                                      "cactiStyle(servers.web01.mem.free,'binary','B/s')"], "-5min")
json_render(S + "cactiStyle-units", ["cactiStyle(group(servers.web01.cpu.user,test.tiny),units='pct')",
                                     "cactiStyle(test.negative,None,'x')"], "-5min")
json_render(S + "cactiStyle-none", ["cactiStyle(group(test.empty,test.gaps,test.constant))"], "-40min")
json_render(S + "cactiStyle-zero", ["cactiStyle(group(alias(transformNull(test.empty,0),'zeros'),test.constant),'si')"],
            "-5min")
json_render(S + "cactiStyle-empty", ["cactiStyle(%s,'si')" % NONE], "-5min")

# changed
json_render(S + "changed", ["changed(servers.web01.mem.free)", "changed(test.constant)"], "-10min")
json_render(S + "changed-gaps", ["changed(test.gaps)", "changed(test.sparse)", "changed(test.empty)"], "-40min")
json_render(S + "changed-mdp", ["changed(servers.web01.mem.free)"], "-1h", extra=[("maxDataPoints", "5")])
json_render(S + "changed-empty", ["changed(%s)" % NONE], "-5min")

# constantLine
json_render(S + "constantLine", ["constantLine(123.456)", "constantLine(1)", "constantLine(-0.5)"], "-1h")
json_render(S + "constantLine-odd-range", ["constantLine(7)"], "-61s", extra=[("xFilesFactor", "0.3")])
json_render(S + "constantLine-big", ["constantLine(1e20)", "constantLine(0.1e-5)"], "-1d", until="-2h")
json_render(S + "constantLine-mdp", ["constantLine(5)"], "-1h", extra=[("maxDataPoints", "1")])

# cumulative
json_render(S + "cumulative", ["cumulative(servers.web01.cpu.user)"], "-1h", extra=[("maxDataPoints", "7")])
json_render(S + "cumulative-gaps", ["cumulative(test.gaps)", "cumulative(%s)" % WEB], "-2h",
            extra=[("maxDataPoints", "9")])
json_render(S + "cumulative-empty", ["cumulative(%s)" % NONE], "-5min")

# events (no events are stored)
json_render(S + "events", ["events('deploy')", "events('*')"], "-1h")
json_render(S + "events-several", ["events('a','b')"], "-1h")

# fallbackSeries
json_render(S + "fallbackSeries", ["fallbackSeries(%s,constantLine(1))" % NONE,
                                   "fallbackSeries(%s,constantLine(1))" % WEB], "-5min")
json_render(S + "fallbackSeries-both-empty", ["fallbackSeries(%s,servers.nowhere.*)" % NONE], "-5min")
json_render(S + "fallbackSeries-series", ["fallbackSeries(%s,servers.web01.cpu.system)" % NONE], "-5min")

# randomWalk is random: only ranges shorter than the step (one point, 0) are deterministic;
# the rest of its shape is unit-tested. Its argument errors crash the reference (500).
for f in ("randomWalk", "randomWalkFunction"):
    json_render(S + f, ["%s('walk.one',3600)" % f], "-1h")
    json_render(S + f + "-kwarg", ["%s('tagged;dc=x',step=86400)" % f, "%s('b',86400)" % f], "-1min")
    json_render(S + f + "-mdp", ["%s('w',7200)" % f], "-1h", extra=[("maxDataPoints", "1"), ("xFilesFactor", "0.2")])

# setXFilesFactor / xFilesFactor
for f in ("setXFilesFactor", "xFilesFactor"):
    json_render(S + f, ["%s(test.xff.zero,0.5)" % f, "%s(test.xff.full,0)" % f], "-2h",
                extra=[("maxDataPoints", "9")])
    json_render(S + f + "-pipe", ["test.xff.half|consolidateBy('max')|%s(1)" % f], "-2h",
                extra=[("maxDataPoints", "13")])
    json_render(S + f + "-empty", ["%s(%s,0.5)" % (f, NONE)], "-5min")
# The reference also stores the value in the request context, where later aggregations read
# it as their default: the enclosing call, and the later targets of the same request (but not
# the earlier ones, nor calls that evaluate on a copied context such as timeShift's).
json_render(S + "xFilesFactor-context", ["sumSeries(test.xff.*)", "sumSeries(xFilesFactor(test.xff.*,0.9))",
                                         "averageSeries(test.xff.zero,test.xff.half)"], "-2h")
# (Not recorded: the reference's setXFilesFactor also changes the series objects it is given,
# which its prefetch cache shares with every other target naming the same paths, so a later
# summarize(test.xff.half,...) reads 0.9 from the series; ours gives each target its own
# series. See docs/compatibility.md.)
json_render(S + "xFilesFactor-context-copy", ["timeShift(sumSeries(xFilesFactor(test.xff.*,0.9)),'1h')",
                                              "sumSeries(test.xff.*)"], "-2h")

# substr
json_render(S + "substr", ["substr(servers.web01.cpu.user,1)", "substr(servers.web01.cpu.user,1,3)",
                           "substr(servers.web01.cpu.user)"], "-3min")
json_render(S + "substr-negative", ["substr(servers.web01.cpu.user,-2)", "substr(servers.web01.cpu.user,0,-1)",
                                    "substr(servers.web01.cpu.user,-10,10)", "substr(servers.web01.cpu.user,3,1)"],
            "-3min")
json_render(S + "substr-nested", ["substr(sumSeries(servers.web0*.cpu.user),1)",
                                  "substr(scale(servers.web01.cpu.user,2),2)",
                                  "substr(alias(test.constant,'a)b(c.d'),0)"], "-3min")
json_render(S + "substr-empty", ["substr(%s,1)" % NONE], "-3min")
json_render(S + "substr-float", ["substr(%s,1.0)" % WEB], "-3min")
json_render(S + "events-range", ["events('x')"], "-10s", until="-3s")
json_render(S + "events-mdp", ["events('a')"], "-2h", extra=[("maxDataPoints", "10")])
json_render(S + "fallbackSeries-group", ["fallbackSeries(%s,group(test.constant,constantLine(2)))" % NONE],
            "-10min")
json_render(S + "cumulative-pipe", ["servers.web01.cpu.{user,system}|cumulative()|aliasByMetric()"], "-1h",
            extra=[("maxDataPoints", "4")])
