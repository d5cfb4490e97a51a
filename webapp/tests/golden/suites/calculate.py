# Golden cases for the Calculate group (run by generate.py --suite calculate; the helpers
# json_render/render/case and the dataset names come from generate.py).
def C(name):
    return "fn-" + name + "-"

# movingWindow and its shorthands
P = C("movingWindow")
json_render(P + "points", ["movingWindow(servers.web01.cpu.user,5)"], "-10min")
json_render(P + "interval-median-xff", ["movingWindow(test.gaps,'5min','median',0.5)"], "-2h")
json_render(P + "nones", ["movingWindow(test.sparse,10,'sum')"], "-20min")
json_render(P + "mixed-steps", ["movingWindow(group(retention.s10,retention.m1),3,'max')"], "-30min")
json_render(P + "mixed-steps-interval", ["movingWindow(group(retention.s15,retention.m1),'2min','min')"], "-30min")
json_render(P + "empty", ["movingWindow(servers.nothere.*,5)"], "-10min")
json_render(P + "empty-file", ["movingWindow(test.empty,5)"], "-10min")
for f in ["average", "avg", "avg_zero", "median", "sum", "total", "min", "max", "diff", "stddev",
          "count", "range", "rangeOf", "multiply", "last", "current"]:
    json_render(P + "func-" + f, ["movingWindow(test.gaps,4,'%s')" % f], "-1h", until="-20min")
json_render(P + "xff-1", ["movingWindow(test.sparse,'1min','average',1)"], "-10min")
json_render(P + "xff-0", ["movingWindow(test.sparse,'1min','average',0)"], "-10min")
json_render(P + "kwargs", ["movingWindow(test.gaps,windowSize=3,func='max',xFilesFactor=0.3)"], "-1h")
json_render(P + "zero", ["movingWindow(servers.web01.cpu.user,0)"], "-3min")
json_render(P + "bool", ["movingWindow(servers.web01.cpu.user,true)"], "-3min")
json_render(P + "float-window", ["movingWindow(servers.web01.cpu.user,2.5)"], "-3min")
json_render(P + "interval-shorter-than-step", ["movingWindow(retention.m1,'30s')"], "-10min")
json_render(P + "nested", ["movingWindow(scale(servers.web0*.cpu.system,2),3)"], "-5min")
json_render(P + "huge-negative-tiny", ["movingWindow(test.huge,3,'sum')", "movingWindow(test.negative,3,'range')",
                                       "movingWindow(test.tiny,3,'stddev')"], "-5min")
json_render(P + "counter-sum", ["movingWindow(app.requests.count,'10min','sum')"], "-1h")
json_render(P + "maxDataPoints", ["movingWindow(servers.web01.cpu.user,6)"], "-1h", extra=[("maxDataPoints", "20")])
render(P + "raw-count", ["movingWindow(test.gaps,3,'count')"], "raw", [("from", "-10min"), ("now", N)])
render(P + "raw-identity-sum", ["movingWindow(identity('x'),3,'sum')"], "raw", [("from", "-10min"), ("now", N)])

for fn in ["movingAverage", "movingSum", "movingMin", "movingMax", "movingMedian"]:
    P = C(fn)
    json_render(P + "points", ["%s(servers.web01.cpu.user,5)" % fn], "-10min")
    json_render(P + "interval", ["%s(test.gaps,'3min')" % fn], "-2h")
    json_render(P + "nones-xff", ["%s(test.sparse,10,0.2)" % fn], "-20min")
    json_render(P + "mixed-steps", ["%s(group(retention.s15,retention.m1),'2min')" % fn], "-30min")
    json_render(P + "empty", ["%s(servers.nothere.*,5)" % fn], "-10min")
    json_render(P + "several", ["%s(servers.*.cpu.system,'1min')" % fn], "-5min")

# exponentialMovingAverage
P = C("exponentialMovingAverage")
json_render(P + "points", ["exponentialMovingAverage(servers.web01.cpu.user,5)"], "-10min")
json_render(P + "interval", ["exponentialMovingAverage(test.gaps,'1min')"], "-2h")
json_render(P + "nones", ["exponentialMovingAverage(test.sparse,4)"], "-10min")
json_render(P + "mixed-steps", ["exponentialMovingAverage(group(retention.s15,retention.m1),3)"], "-20min")
json_render(P + "empty", ["exponentialMovingAverage(servers.nothere.*,5)"], "-10min")
json_render(P + "empty-file", ["exponentialMovingAverage(test.empty,5)"], "-10min")
json_render(P + "zero", ["exponentialMovingAverage(servers.web01.cpu.user,0)"], "-3min")
render(P + "raw", ["exponentialMovingAverage(app.latency.p50,'5min')"], "raw", [("from", "-30min"), ("now", N)])

# holtWinters*
for fn in ["holtWintersForecast", "holtWintersConfidenceBands", "holtWintersAberration", "holtWintersConfidenceArea"]:
    P = C(fn)
    d = "" if fn == "holtWintersForecast" else "3,"
    json_render(P + "default", ["%s(%s)" % (fn, "stats.gauges.pressure" if fn == "holtWintersAberration"
                                            else "servers.web01.cpu.user")], "-1h")
    json_render(P + "bootstrap", ["%s(servers.web01.cpu.user,%s'2h','10min')" % (fn, d)], "-1h")
    json_render(P + "nones", ["%s(test.gaps,%s'1h','20min')" % (fn, d)], "-2h")
    json_render(P + "empty", ["%s(servers.nothere.*)" % fn], "-1h") if fn != "holtWintersConfidenceArea" else None
    json_render(P + "month", ["%s(stats.gauges.temp_c)" % fn], "-2d")
    if fn != "holtWintersConfidenceArea":
        json_render(P + "mixed-steps", ["%s(group(retention.m1,retention.m5),%s'1h','30min')" % (fn, d)], "-3h")
    if fn != "holtWintersForecast":
        json_render(P + "delta", ["%s(app.latency.p99,1,'12h','2h')" % fn], "-6h")
        json_render(P + "kwargs", ["%s(app.latency.mean,delta=2,seasonality='1h',bootstrapInterval='3h')" % fn], "-3h")
    else:
        json_render(P + "kwargs", ["%s(app.latency.mean,seasonality='1h',bootstrapInterval='3h')" % fn], "-3h")

# identity
P = C("identity")
json_render(P + "plain", ["identity('the.time')"], "-10min")
json_render(P + "tagged", ["identity('the.time;a=b')"], "-5min")
json_render(P + "unaligned", ["identity('x')"], str(NOW - 601), until=str(NOW - 1))
json_render(P + "nested", ["scale(identity('x'),2)"], "-3min")
render(P + "raw", ["identity('x')"], "raw", [("from", "-5min"), ("now", N)])

# linearRegression
P = C("linearRegression")
json_render(P + "plain", ["linearRegression(servers.web01.cpu.user)"], "-30min")
json_render(P + "source-range", ["linearRegression(retention.m1,'18:00_20231106','19:00_20231106')"], "-20min")
json_render(P + "start-only", ["linearRegression(stats.counters.hits,'19:00_20231106')"], "-30min")
json_render(P + "nones", ["linearRegression(test.gaps)"], "-2h")
json_render(P + "mixed-steps", ["linearRegression(group(retention.s15,retention.m5))"], "-1h")
json_render(P + "empty", ["linearRegression(servers.nothere.*)"], "-1h")
json_render(P + "empty-file", ["linearRegression(test.empty)"], "-1h")
json_render(P + "one-point", ["linearRegression(retention.h1)"], "-90min")

# nPercentile
P = C("nPercentile")
json_render(P + "plain", ["nPercentile(servers.web01.cpu.user,50)"], "-10min")
json_render(P + "nones", ["nPercentile(test.gaps,95)"], "-2h")
json_render(P + "mixed-steps", ["nPercentile(group(retention.s15,retention.m5),10.5)"], "-1h")
json_render(P + "empty", ["nPercentile(servers.nothere.*,50)"], "-1h")
json_render(P + "empty-file", ["nPercentile(test.empty,50)"], "-1h")
json_render(P + "hundred", ["nPercentile(servers.*.cpu.user,100)"], "-5min")
json_render(P + "tiny", ["nPercentile(app.latency.p50,0.1)"], "-1h")
render(P + "raw", ["nPercentile(identity('x'),30)"], "raw", [("from", "-10min"), ("now", N)])

# stdev
P = C("stdev")
json_render(P + "plain", ["stdev(servers.web01.cpu.user,5)"], "-10min")
json_render(P + "nones", ["stdev(test.gaps,10)"], "-2h")
json_render(P + "tolerance", ["stdev(test.sparse,7,0.0)", "stdev(test.sparse,7,0.5)"], "-10min")
json_render(P + "mixed-steps", ["stdev(group(retention.s15,retention.m1),4)"], "-20min")
json_render(P + "empty", ["stdev(servers.nothere.*,5)"], "-1h")
json_render(P + "zero", ["stdev(servers.web01.cpu.user,0)"], "-3min")
json_render(P + "huge", ["stdev(test.huge,3)", "stdev(test.tiny,3)"], "-5min")

# aggregateLine
P = C("aggregateLine")
json_render(P + "default", ["aggregateLine(servers.web01.cpu.user)"], "-10min")
json_render(P + "nones", ["aggregateLine(test.gaps,'max')"], "-2h")
json_render(P + "keepStep", ["aggregateLine(servers.*.cpu.system,'sum',true)"], "-5min")
json_render(P + "mixed-steps", ["aggregateLine(group(retention.s15,retention.m1),'min')"], "-20min")
json_render(P + "empty", ["aggregateLine(servers.nothere.*)"], "-1h")
json_render(P + "empty-file", ["aggregateLine(test.empty)", "aggregateLine(test.empty,'avg',true)"], "-10min")
for f in ["median", "count", "diff", "stddev", "range", "multiply", "last", "avg_zero"]:
    json_render(P + "func-" + f, ["aggregateLine(test.sparse,'%s')" % f], "-10min")
render(P + "raw-count", ["aggregateLine(test.gaps,'count')"], "raw", [("from", "-10min"), ("now", N)])
render(P + "raw-keep", ["aggregateLine(test.gaps,'average',true)"], "raw", [("from", "-10min"), ("now", N)])

# more optional parameters, piping, templates
json_render(C("movingAverage") + "piped", ["servers.web01.cpu.user|movingAverage(4)"], "-5min")
json_render(C("movingSum") + "xff-kwarg", ["movingSum(test.gaps,'2min',xFilesFactor=0.9)"], "-1h")
json_render(C("movingMax") + "tagged-name", ["movingMax(seriesByTag('name=servers.web01.cpu.system'),3)"], "-5min")
json_render(C("exponentialMovingAverage") + "interval-short", ["exponentialMovingAverage(retention.m1,'30s')"], "-10min")
json_render(C("exponentialMovingAverage") + "tiny-huge", ["exponentialMovingAverage(test.tiny,3)",
                                                          "exponentialMovingAverage(test.huge,3)"], "-5min")
json_render(C("holtWintersForecast") + "seasonality-kwarg", ["holtWintersForecast(retention.m5,seasonality='2h')"], "-6h")
json_render(C("holtWintersConfidenceBands") + "delta-kwarg", ["holtWintersConfidenceBands(retention.m5,delta=5)"], "-6h")
json_render(C("stdev") + "tolerance-kwarg", ["stdev(test.gaps,points=6,windowTolerance=0.9)"], "-1h")
json_render(C("linearRegression") + "end-kwarg", ["linearRegression(retention.m1,endSourceAt='19:40_20231106')"], "-20min")
json_render(C("linearRegression") + "epoch-dates", ["linearRegression(retention.m5,'%d','%d')" % (NOW - 86400, NOW - 3600)], "-1h")
json_render(C("aggregateLine") + "keepStep-kwarg", ["aggregateLine(test.sparse,func='sum',keepStep=true)"], "-5min")
json_render(C("aggregateLine") + "identity", ["aggregateLine(identity('x'),'max')", "aggregateLine(identity('y'),'count',true)"], "-5min")
render(C("aggregateLine") + "raw-identity", ["aggregateLine(identity('x'),'max')", "aggregateLine(identity('y'),'sum',true)"], "raw", [("from", "-5min"), ("now", N)])
json_render(C("nPercentile") + "identity", ["nPercentile(identity('x'),50)"], "-5min")
json_render(C("identity") + "mdp", ["identity('x')"], "-1h", extra=[("maxDataPoints", "7")])
