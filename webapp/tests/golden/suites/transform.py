# Golden cases for the point-by-point Transform functions (run by generate.py --suite transform;
# the helpers json_render/render/case and the dataset names come from generate.py).
T = "fn-"
MIXED = "retention.{s10,s15,m1}"  # 10s, 15s and 60s steps
GAPS = "test.{gaps,sparse}"  # random gaps; one value in 7
NONE = "servers.nothere.*"


def raw_render(id, targets, frm, until=None, extra=()):
    p = [("from", frm), ("now", N)]
    if until is not None:
        p.append(("until", until))
    render(id, targets, "raw", p + list(extra))


def simple(fn, plain, frm="-5min", extra_targets=()):
    """plain use, None values, mixed steps and empty input of a one-argument function."""
    json_render(T + fn + "-plain", ["%s(%s)" % (fn, plain)] + list(extra_targets), frm)
    json_render(T + fn + "-none", ["%s(%s)" % (fn, GAPS), "%s(test.empty)" % fn], frm)
    json_render(T + fn + "-mixed", ["%s(%s)" % (fn, MIXED)], frm)
    json_render(T + fn + "-empty", ["%s(%s)" % (fn, NONE)], frm)


# absolute
simple("absolute", "test.mixed_sign", extra_targets=["absolute(test.negative)"])
raw_render(T + "absolute-raw", ["absolute(test.mixed_sign)"], "-3min")

# add
json_render(T + "add-plain", ["add(servers.web01.cpu.user,10)", "add(test.mixed_sign,-2.75)"], "-5min")
json_render(T + "add-none", ["add(%s,1.5)" % GAPS, "add(test.empty,1)"], "-5min")
json_render(T + "add-mixed", ["add(%s,-100)" % MIXED], "-5min")
json_render(T + "add-empty", ["add(%s,3)" % NONE], "-5min")
json_render(T + "add-kwarg-huge", ["add(test.huge,constant=1e20)", "add(test.tiny,0.9)"], "-3min")
raw_render(T + "add-raw", ["add(test.gaps,7)"], "-5min")

# delay
json_render(T + "delay-plain", ["delay(servers.web01.cpu.system,3)"], "-5min")
json_render(T + "delay-negative", ["delay(servers.web01.cpu.system,-4)", "delay(test.gaps,-1)"], "-5min")
json_render(T + "delay-none", ["delay(%s,2)" % GAPS, "delay(test.empty,2)"], "-5min")
json_render(T + "delay-mixed", ["delay(%s,5)" % MIXED], "-5min")
json_render(T + "delay-empty", ["delay(%s,1)" % NONE], "-5min")
json_render(T + "delay-beyond", ["delay(retention.m1,100)", "delay(retention.m1,-100)"], "-5min")
json_render(T + "delay-kwarg", ["delay(retention.s15,steps=1)"], "-3min")
raw_render(T + "delay-raw", ["delay(isNonNull(test.sparse),2)"], "-3min")

# derivative
simple("derivative", "servers.web01.mem.free", extra_targets=["derivative(stats.counters.hits)"])
raw_render(T + "derivative-raw-ints", ["derivative(isNonNull(test.gaps))"], "-5min")

# exp
simple("exp", "app.latency.p50", extra_targets=["exp(test.negative)", "exp(test.mixed_sign)"])

# integral
simple("integral", "app.requests.count", frm="-15min")
raw_render(T + "integral-raw", ["integral(test.gaps)"], "-5min")

# interpolate
json_render(T + "interpolate-plain", ["interpolate(test.gaps)"], "-20min")
json_render(T + "interpolate-none", ["interpolate(%s)" % GAPS, "interpolate(test.empty)"], "-10min")
json_render(T + "interpolate-mixed", ["interpolate(%s)" % MIXED, "interpolate(app.requests.errors)"], "-30min")
json_render(T + "interpolate-empty", ["interpolate(%s)" % NONE], "-5min")
json_render(T + "interpolate-limit", ["interpolate(test.sparse,3)", "interpolate(test.sparse,6)",
                                      "interpolate(test.gaps,limit=1)", "interpolate(test.sparse,0)"], "-5min")
json_render(T + "interpolate-leading-gap", ["interpolate(test.gaps)"], "-100min", until="-85min")
json_render(T + "interpolate-inf", ["interpolate(test.sparse,inf)"], "-3min")

# invert
simple("invert", "test.mixed_sign", extra_targets=["invert(test.tiny)"])

# isNonNull
simple("isNonNull", "test.gaps")
raw_render(T + "isNonNull-raw", ["isNonNull(test.sparse)", "isNonNull(test.empty)"], "-3min")

# keepLastValue
json_render(T + "keepLastValue-plain", ["keepLastValue(test.gaps)"], "-20min")
json_render(T + "keepLastValue-none", ["keepLastValue(%s)" % GAPS, "keepLastValue(test.empty)"], "-10min")
json_render(T + "keepLastValue-mixed", ["keepLastValue(%s)" % MIXED, "keepLastValue(app.requests.errors)"],
            "-30min")
json_render(T + "keepLastValue-empty", ["keepLastValue(%s)" % NONE], "-5min")
json_render(T + "keepLastValue-limit", ["keepLastValue(test.sparse,3)", "keepLastValue(test.sparse,6)",
                                        "keepLastValue(test.gaps,limit=2)", "keepLastValue(test.sparse,0)"],
            "-5min")
json_render(T + "keepLastValue-trailing", ["keepLastValue(test.stale)", "keepLastValue(test.stale,100)"],
            str(NOW - 11400), until=str(NOW - 10200))
raw_render(T + "keepLastValue-raw", ["keepLastValue(isNonNull(test.sparse))", "keepLastValue(test.sparse)"],
           "-3min")

# log
simple("log", "servers.web01.cpu.user", extra_targets=["log(test.mixed_sign)", "log(test.tiny)"])
json_render(T + "log-base", ["log(servers.web01.cpu.user,2)", "log(test.huge,base=16)",
                             "log(app.latency.p50,3)"], "-3min")
raw_render(T + "log-raw", ["log(test.gaps,2)"], "-3min")

# logit
simple("logit", "app.latency.p50", extra_targets=["logit(test.tiny)", "logit(test.mixed_sign)"])

# minMax
simple("minMax", "servers.web01.cpu.user", extra_targets=["minMax(test.constant)", "minMax(test.huge)"])

# nonNegativeDerivative
simple("nonNegativeDerivative", "servers.web01.mem.free", frm="-10min",
       extra_targets=["nonNegativeDerivative(stats.counters.hits)"])
json_render(T + "nonNegativeDerivative-maxValue",
            ["nonNegativeDerivative(servers.web01.mem.free,5000)",
             "nonNegativeDerivative(stats.counters.hits,maxValue=1000)"], "-10min")
json_render(T + "nonNegativeDerivative-minValue",
            ["nonNegativeDerivative(servers.web01.mem.free,minValue=3000)",
             "nonNegativeDerivative(stats.counters.hits,minValue=450)"], "-10min")
json_render(T + "nonNegativeDerivative-both",
            ["nonNegativeDerivative(servers.web01.mem.free,5000,3000)",
             "nonNegativeDerivative(stats.counters.hits,700,400)",
             "nonNegativeDerivative(servers.web02.mem.free,maxValue=4000,minValue=0)"], "-10min")

# offset
json_render(T + "offset-plain", ["offset(servers.web01.cpu.user,10)", "offset(test.mixed_sign,-2.75)"], "-5min")
json_render(T + "offset-none", ["offset(%s,1.5)" % GAPS, "offset(test.empty,1)"], "-5min")
json_render(T + "offset-mixed", ["offset(%s,-100)" % MIXED], "-5min")
json_render(T + "offset-empty", ["offset(%s,3)" % NONE], "-5min")
json_render(T + "offset-kwarg-g", ["offset(test.tiny,factor=1234567.5)", "offset(test.tiny,0.0001)",
                                   "offset(test.tiny,0.00001)"], "-2min")

# offsetToZero
simple("offsetToZero", "servers.web01.cpu.user", extra_targets=["offsetToZero(test.negative)"])
raw_render(T + "offsetToZero-raw", ["offsetToZero(test.gaps)"], "-3min")

# perSecond
simple("perSecond", "servers.web01.mem.free", frm="-10min", extra_targets=["perSecond(stats.counters.hits)"])
json_render(T + "perSecond-maxValue", ["perSecond(servers.web01.mem.free,5000)",
                                       "perSecond(stats.counters.hits,maxValue=1000)"], "-10min")
json_render(T + "perSecond-minValue", ["perSecond(servers.web01.mem.free,minValue=3000)",
                                       "perSecond(stats.counters.hits,minValue=450)"], "-10min")
json_render(T + "perSecond-both", ["perSecond(stats.counters.hits,700,400)",
                                   "perSecond(servers.web02.mem.free,maxValue=4000,minValue=0)"], "-10min")
raw_render(T + "perSecond-raw", ["perSecond(servers.web01.mem.free)"], "-3min")

# pow
json_render(T + "pow-plain", ["pow(servers.web01.cpu.user,2)", "pow(test.mixed_sign,0.5)",
                              "pow(test.mixed_sign,-1)", "pow(test.huge,30)"], "-5min")
json_render(T + "pow-none", ["pow(%s,1.5)" % GAPS, "pow(test.empty,2)"], "-5min")
json_render(T + "pow-mixed", ["pow(%s,-0.25)" % MIXED], "-5min")
json_render(T + "pow-empty", ["pow(%s,3)" % NONE], "-5min")
json_render(T + "pow-kwarg", ["pow(test.tiny,factor=0)", "pow(test.tiny,factor=1e-7)"], "-2min")

# round
json_render(T + "round-plain", ["round(servers.web01.cpu.user)", "round(test.mixed_sign)"], "-5min")
json_render(T + "round-none", ["round(%s,1)" % GAPS, "round(test.empty)"], "-5min")
json_render(T + "round-mixed", ["round(%s,2)" % MIXED], "-5min")
json_render(T + "round-empty", ["round(%s,3)" % NONE], "-5min")
json_render(T + "round-precision", ["round(app.latency.p50,2)", "round(app.latency.p50,precision=0)",
                                    "round(servers.web01.mem.free,-2)", "round(test.huge,-7)",
                                    "round(test.tiny,13)", "round(test.negative,-1)"], "-3min")
raw_render(T + "round-raw", ["round(app.latency.p99,1)", "round(test.negative,-2)",
                             "round(isNonNull(test.gaps),-1)"], "-3min")

# scale (the base fixture has more)
json_render(T + "scale-none", ["scale(%s,1.5)" % GAPS, "scale(test.empty,2)"], "-5min")
json_render(T + "scale-mixed", ["scale(%s,-0.5)" % MIXED], "-5min")
json_render(T + "scale-empty", ["scale(%s,3)" % NONE], "-5min")

# scaleToSeconds
json_render(T + "scaleToSeconds-plain", ["scaleToSeconds(app.requests.count,1)",
                                         "scaleToSeconds(servers.web01.cpu.user,7.9)"], "-5min")
json_render(T + "scaleToSeconds-none", ["scaleToSeconds(%s,60)" % GAPS, "scaleToSeconds(test.empty,1)"], "-5min")
json_render(T + "scaleToSeconds-mixed", ["scaleToSeconds(%s,seconds=3)" % MIXED], "-5min")
json_render(T + "scaleToSeconds-empty", ["scaleToSeconds(%s,3)" % NONE], "-5min")
json_render(T + "scaleToSeconds-odd", ["scaleToSeconds(test.tiny,1)", "scaleToSeconds(test.huge,0.1)"], "-2min")

# sigmoid
simple("sigmoid", "test.mixed_sign", extra_targets=["sigmoid(test.tiny)", "sigmoid(app.latency.p99)"])

# squareRoot
simple("squareRoot", "servers.web01.cpu.user", extra_targets=["squareRoot(test.mixed_sign)",
                                                              "squareRoot(test.huge)"])

# transformNull
json_render(T + "transformNull-plain", ["transformNull(test.gaps)"], "-10min")
json_render(T + "transformNull-none", ["transformNull(%s,-1)" % GAPS, "transformNull(test.empty)"], "-5min")
json_render(T + "transformNull-mixed", ["transformNull(%s,2.5)" % MIXED], "-5min")
json_render(T + "transformNull-empty", ["transformNull(%s)" % NONE, "transformNull(test.sparse,1,%s)" % NONE],
            "-5min")
json_render(T + "transformNull-default", ["transformNull(test.sparse,default=1e6)",
                                          "transformNull(test.gaps,0)"], "-3min")
json_render(T + "transformNull-reference", ["transformNull(test.sparse,-1,test.gaps)",
                                            "transformNull(test.empty,5,test.{sparse,gaps})",
                                            "transformNull(test.gaps,referenceSeries=test.sparse)"], "-5min")
# (transformNull(retention.m1,7,test.sparse), reference series longer than the series, is left
# out: the reference keeps the tail of a longer list, see docs/compatibility.md)
json_render(T + "transformNull-reference-shorter", ["transformNull(test.sparse,7,retention.m1)",
                                                    "transformNull(test.gaps,7,retention.{m1,s15})"], "-5min")
raw_render(T + "transformNull-raw", ["transformNull(test.empty)", "transformNull(test.sparse,-1)"], "-3min")

# sin / sinFunction
json_render(T + "sin-plain", ["sin('wave')"], "-10min")
json_render(T + "sin-amplitude", ["sin('wave.a',3)", "sinFunction('wave.b',amplitude=-2)"], "-10min")
json_render(T + "sin-step", ["sin('wave.c',1,17)", "sinFunction('wave.d',step=300)"], "-30min")
json_render(T + "sin-range", ["sin('wave.e',5,7)"], str(NOW - 100), until=str(NOW - 30))
json_render(T + "sin-with-series", ["sin('w;tag=x',2,15)", "retention.s15"], "-2min",
            extra=[("xFilesFactor", "0.3"), ("maxDataPoints", "3")])

# time / timeFunction
json_render(T + "time-plain", ["time('clock')"], "-10min")
json_render(T + "time-step", ["time('clock.a',7)", "timeFunction('clock.b',step=120)"], "-10min")
json_render(T + "time-range", ["timeFunction('clock.c')"], str(NOW - 3600), until=str(NOW - 3300))
raw_render(T + "time-raw", ["time('clock.d',45)"], "-5min")
json_render(T + "time-empty-range", ["time('clock.e',30)"], str(NOW - 300), until=str(NOW - 300))

# chains
json_render(T + "chain-counter", ["scaleToSeconds(nonNegativeDerivative(servers.web01.mem.free),60)",
                                  "integral(perSecond(stats.counters.hits))"], "-10min")
json_render(T + "chain-gaps", ["keepLastValue(interpolate(test.gaps,2))", "absolute(offset(test.gaps,-100))"],
            "-10min")

# other formats: Python ints print as ints
render(T + "isNonNull-csv", ["isNonNull(test.gaps)"], "csv", [("from", "-2min"), ("now", N)])
render(T + "transformNull-pickle", ["transformNull(test.empty)", "transformNull(test.gaps,-1)"], "pickle",
       [("from", "-2min"), ("now", N)])
json_render(T + "round-tiny-precision", ["round(test.huge,-308)", "round(test.huge,-15)"], "-1min")
json_render(T + "sinFunction-plain", ["sinFunction('wave.f')", "sinFunction('wave.g',4,30)"], "-5min")
json_render(T + "timeFunction-plain", ["timeFunction('clock.f')", "timeFunction('clock.g',45)"], "-5min",
            extra=[("maxDataPoints", "4")])
