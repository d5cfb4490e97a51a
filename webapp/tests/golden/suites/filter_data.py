# Golden cases for the Filter Data group (run by generate.py --suite filter_data; the helpers
# json_render/render/case and the dataset names come from generate.py).
F = "fn-filterdata-"
MIXED = "retention.{s10,s15,m1}"  # 10s, 15s and 60s steps
GAPS = "test.{gaps,sparse}"  # random gaps; one value in 7
NONE = "servers.nothere.*"


def raw_render(id, targets, frm, until=None, extra=()):
    p = [("from", frm), ("now", N)]
    if until is not None:
        p.append(("until", until))
    render(id, targets, "raw", p + list(extra))


# removeAboveValue / removeBelowValue: the threshold's %g formatting, None values, ints
for fn in ("removeAboveValue", "removeBelowValue"):
    P = F + fn + "-"
    json_render(P + "plain", ["%s(servers.web01.cpu.user,40)" % fn, "%s(test.mixed_sign,-2.75)" % fn],
                "-5min")
    json_render(P + "none", ["%s(%s,100)" % (fn, GAPS), "%s(test.empty,1)" % fn], "-5min")
    json_render(P + "mixed", ["%s(%s,100.5)" % (fn, MIXED)], "-5min")
    json_render(P + "empty", ["%s(%s,3)" % (fn, NONE)], "-5min")
    json_render(P + "names", ["%s(test.constant,%s)" % (fn, n) for n in
                              ("42.5", "5.0", "0.1", "1e-5", "123456789", "1e20", "-0.0", "1234567",
                               "0.000123456789")], "-3min")
    json_render(P + "tie", ["%s(test.constant,42.5)" % fn, "%s(test.constant,42.4999)" % fn,
                            "%s(test.constant,42.5001)" % fn], "-3min")
    json_render(P + "kwarg", ["%s(test.mixed_sign,n=0)" % fn, "%s(test.negative,n=-10)" % fn],
                "-3min")
    json_render(P + "string-number", ["%s(test.mixed_sign,'12.5')" % fn], "-3min")
    json_render(P + "inf-nan", ["%s(test.mixed_sign,'inf')" % fn, "%s(test.mixed_sign,'-inf')" % fn,
                                "%s(test.mixed_sign,'nan')" % fn], "-3min")
    json_render(P + "bool", ["%s(test.mixed_sign,true)" % fn], "-3min")
    json_render(P + "ints", ["%s(isNonNull(test.gaps),0.5)" % fn, "%s(countSeries(%s),2)" % (fn, GAPS)],
                "-5min")
    raw_render(P + "raw", ["%s(test.gaps,100)" % fn], "-5min")
    json_render(P + "chained", ["removeBelowValue(%s(servers.web0*.cpu.user,45),30)" % fn], "-5min")

# removeAbovePercentile / removeBelowPercentile: _getPercentile without interpolation, the
# nPercentile tag it leaves on the series, out-of-range ranks (the series is left as it is)
for fn in ("removeAbovePercentile", "removeBelowPercentile"):
    P = F + fn + "-"
    json_render(P + "plain", ["%s(servers.web01.cpu.user,50)" % fn, "%s(test.mixed_sign,90)" % fn],
                "-10min")
    json_render(P + "none", ["%s(%s,75)" % (fn, GAPS), "%s(test.empty,50)" % fn], "-10min")
    json_render(P + "mixed", ["%s(%s,33.3)" % (fn, MIXED)], "-10min")
    json_render(P + "empty", ["%s(%s,50)" % (fn, NONE)], "-5min")
    json_render(P + "ranks", ["%s(test.mixed_sign,%s)" % (fn, n) for n in
                              ("0.1", "1", "99.9", "100", "100.5", "150", "-10", "-50", "-99",
                               "-500", "1e300", "-1e300")], "-5min")
    json_render(P + "constant", ["%s(test.constant,50)" % fn, "%s(test.constant,1)" % fn], "-3min")
    json_render(P + "kwarg", ["%s(test.mixed_sign,n=25)" % fn, "%s(test.negative,n='75')" % fn],
                "-5min")
    json_render(P + "ints", ["%s(isNonNull(test.gaps),50)" % fn, "%s(countSeries(%s),30)" % (fn, GAPS)],
                "-5min")
    # one or no point in the range: nPercentile's point count is 0, the series is kept as is
    json_render(P + "short-range", ["%s(retention.m1,50)" % fn, "%s(retention.h1,50)" % fn],
                "-90s", until="-30s")
    json_render(P + "zero-point-count", ["%s(retention.m1,50)" % fn, "%s(retention.s15,50)" % fn],
                "-50s", until="-30s")
    json_render(P + "one-point", ["%s(retention.h1,50)" % fn, "%s(retention.m5,10)" % fn], "-2h")
    json_render(P + "inf-values", ["%s(scale(test.huge,1e300),50)" % fn,
                                   "%s(scale(test.mixed_sign,1e307),20)" % fn], "-3min")
    raw_render(P + "raw", ["%s(test.gaps,60)" % fn], "-5min")
