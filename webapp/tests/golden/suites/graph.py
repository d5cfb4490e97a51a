# Golden cases for the Graph group (run by
# generate.py --suite graph; the helpers json_render/render/case and the dataset names come from
# generate.py). The drawing options these functions set do not show in format=json: they are
# checked by generate_options.py / golden_options.rs.
G = "fn-graph-"
NONE = "servers.nothere.*"
GAPS = "test.{gaps,sparse}"
MIXED = "retention.{s10,s15,m1}"  # 10s, 15s and 60s steps


def raw_render(id, targets, frm, until=None, extra=()):
    p = [("from", frm), ("now", N)]
    if until is not None:
        p.append(("until", until))
    render(id, targets, "raw", p + list(extra))


# alpha
json_render(G + "alpha-plain", ["alpha(servers.web01.cpu.user,0.5)"], "-5min")
json_render(G + "alpha-none", ["alpha(%s,0.3)" % GAPS, "alpha(test.empty,1)"], "-5min")
json_render(G + "alpha-empty", ["alpha(%s,0.5)" % NONE], "-5min")
json_render(G + "alpha-kwarg-int", ["alpha(test.constant,alpha=1)", "alpha(test.tiny,0)"], "-3min")

# areaBetween
json_render(G + "areaBetween-plain", ["areaBetween(servers.web0{1,2}.cpu.user)"], "-5min")
json_render(G + "areaBetween-group", ["areaBetween(group(minSeries(servers.*.cpu.user),"
                                      "maxSeries(servers.*.cpu.user)))"], "-5min")
json_render(G + "areaBetween-none", ["areaBetween(%s)" % GAPS], "-10min")
json_render(G + "areaBetween-mixed", ["areaBetween(retention.{s15,m1})"], "-5min")
json_render(G + "areaBetween-alpha", ["alpha(areaBetween(app.latency.{p50,p99}),0.3)"], "-5min")

# color
json_render(G + "color-plain", ["color(servers.*.cpu.user,'red')"], "-2min")
json_render(G + "color-none", ["color(%s,'6464ffaa')" % GAPS, "color(test.empty,'')"], "-5min")
json_render(G + "color-empty", ["color(%s,'blue')" % NONE], "-5min")
json_render(G + "color-kwarg-number", ["color(test.constant,theColor='green')", "color(test.tiny,123)"],
            "-3min")

# dashed
json_render(G + "dashed-default", ["dashed(servers.web01.cpu.system)"], "-3min")
json_render(G + "dashed-length", ["dashed(test.gaps,3)", "dashed(test.constant,dashLength=12)",
                                  "dashed(test.tiny,-2)", "dashed(test.huge,1234567)"], "-5min")
json_render(G + "dashed-none", ["dashed(%s)" % GAPS, "dashed(test.empty,0)"], "-5min")
json_render(G + "dashed-empty", ["dashed(%s,4)" % NONE], "-5min")
# dashed(x,2.5) works in the reference (the integer check only logs): we answer 400.
json_render(G + "dashed-integral-float", ["dashed(test.constant,2.0)", "dashed(test.tiny,-3.0)"], "-3min")
json_render(G + "dashed-bool", ["dashed(test.constant,true)"], "-3min")

# drawAsInfinite
json_render(G + "drawAsInfinite-plain", ["drawAsInfinite(servers.web01.cpu.user)"], "-3min")
json_render(G + "drawAsInfinite-none", ["drawAsInfinite(%s)" % GAPS, "drawAsInfinite(test.empty)"], "-5min")
json_render(G + "drawAsInfinite-empty", ["drawAsInfinite(%s)" % NONE], "-5min")
json_render(G + "drawAsInfinite-nested", ["secondYAxis(drawAsInfinite(test.mixed_sign))",
                                          "aliasByNode(drawAsInfinite(servers.web0*.cpu.system),1)"], "-2min")

# lineWidth
json_render(G + "lineWidth-plain", ["lineWidth(servers.web01.cpu.user,5)"], "-3min")
json_render(G + "lineWidth-none", ["lineWidth(%s,0.5)" % GAPS, "lineWidth(test.empty,2)"], "-5min")
json_render(G + "lineWidth-empty", ["lineWidth(%s,1)" % NONE], "-5min")
json_render(G + "lineWidth-kwarg", ["lineWidth(test.constant,width=1e3)"], "-3min")

# secondYAxis
json_render(G + "secondYAxis-plain", ["secondYAxis(servers.web01.cpu.user)"], "-3min")
json_render(G + "secondYAxis-none", ["secondYAxis(%s)" % GAPS, "secondYAxis(test.empty)"], "-5min")
json_render(G + "secondYAxis-empty", ["secondYAxis(%s)" % NONE], "-5min")
json_render(G + "secondYAxis-mixed-mdp", ["secondYAxis(%s)" % MIXED], "-30min", extra=[("maxDataPoints", "7")])
json_render(G + "secondYAxis-then-sum", ["sumSeries(secondYAxis(servers.*.cpu.user))"], "-2min")

# stacked
json_render(G + "stacked-default", ["stacked(servers.web0*.cpu.user)"], "-5min")
json_render(G + "stacked-across-targets", ["stacked(servers.web01.cpu.user)", "stacked(servers.web02.cpu.user)",
                                           "servers.web10.cpu.user", "stacked(servers.web10.cpu.user)"], "-3min")
json_render(G + "stacked-named", ["stacked(app.requests.*,'rx')", "stacked(app.requests.count,'tx')",
                                  "stacked(app.requests.count,'rx')", "stacked(app.requests.errors)"], "-10min")
json_render(G + "stacked-none", ["stacked(%s)" % GAPS, "stacked(test.empty)"], "-5min")
json_render(G + "stacked-mixed", ["stacked(%s)" % MIXED], "-5min")
json_render(G + "stacked-empty", ["stacked(%s)" % NONE, "stacked(%s,'x')" % NONE], "-5min")
json_render(G + "stacked-ints", ["stacked(isNonNull(test.gaps))", "stacked(isNonNull(test.sparse))"], "-3min")
json_render(G + "stacked-empty-name", ["stacked(test.constant,'')", "stacked(test.constant,'')"], "-3min")
json_render(G + "stacked-mdp", ["stacked(servers.web01.cpu.*)"], "-1h", extra=[("maxDataPoints", "9")])
raw_render(G + "stacked-raw", ["stacked(test.gaps)", "stacked(test.gaps)"], "-5min")

# threshold
json_render(G + "threshold-plain", ["threshold(123.456)"], "-5min")
json_render(G + "threshold-label-color", ['threshold(5,"omgwtfbbq","red")', "threshold(-7,'')",
                                          "threshold(1e3,color='blue')"], "-7min")
json_render(G + "threshold-int-inf", ["threshold(7)", "threshold(inf)", "threshold(-0.0)"], "-1h",
            until="-10min")
json_render(G + "threshold-odd-range", ["threshold(2.5,label='x')"], str(NOW - 601), until=str(NOW - 298))
json_render(G + "threshold-mdp", ["threshold(1)", "servers.web01.cpu.user"], "-1h", extra=[("maxDataPoints", "4")])

# verticalLine
json_render(G + "verticalLine-epoch", ["verticalLine('%d','deploy')" % (NOW - 300)], "-10min")
json_render(G + "verticalLine-absolute", ['verticalLine("19:40_20231106","event","blue")',
                                          "verticalLine('19:45 20231106',label='b')"], "-10min")
# Only tz=UTC (TIME_ZONE): with another zone the reference converts the wall-clock time with
# time.mktime in the server's zone, which misplaces the line (a documented deviation).
json_render(G + "verticalLine-tz", ["verticalLine('7:40pm_20231106','utc')"], "-10min", extra=[("tz", "UTC")])
json_render(G + "verticalLine-edges", ["verticalLine('%d','start')" % (NOW - 600),
                                       "verticalLine('%d','end')" % NOW], "-10min")
json_render(G + "verticalLine-before", ["verticalLine('%d','x')" % (NOW - 601)], "-10min")
json_render(G + "verticalLine-after", ["verticalLine('19:50_20231106','x')"], "-10min")
json_render(G + "verticalLine-after-until", ["verticalLine('%d','x')" % (NOW - 60)], "-10min", until="-2min")
json_render(G + "verticalLine-with-data", ["verticalLine('%d','x')" % (NOW - 120), "test.constant"], "-5min")

# stacked under functions that evaluate their argument again (the running totals are shared
# with the re-evaluation, in the reference as here)
json_render(G + "stacked-reevaluated", ["movingAverage(stacked(servers.web01.cpu.user),3)",
                                        "timeShift(stacked(test.constant),'2min')"], "-3min")
