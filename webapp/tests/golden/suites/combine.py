# Golden cases for the Combine group (run by generate.py --suite combine; the helpers
# json_render/render/case and the dataset names come from generate.py).
C = "fn-"
MIXED = "servers.web01.cpu.user,retention.s15,retention.m1"
NONE = "servers.nothere.*"


def raw_render(id, targets, frm, until=None, extra=()):
    p = [("from", frm), ("now", N)]
    if until is not None:
        p.append(("until", until))
    render(id, targets, "raw", p + list(extra))


# aggregate
json_render(C + "aggregate-sum", ["aggregate(servers.*.cpu.user,'sum')"], "-5min")
json_render(C + "aggregate-each", ["aggregate(test.agg.{avg,sum,max},'%s')" % f for f in
                                    ("average", "avg_zero", "median", "min", "max", "diff", "stddev",
                                     "count", "range", "multiply", "last", "rangeOf", "avg", "total",
                                     "current")], "-10min")
json_render(C + "aggregate-gaps", ["aggregate(group(test.gaps,test.sparse,test.empty),'median')"],
            "-40min", until="-20min")
json_render(C + "aggregate-mixed", ["aggregate(group(%s),'max')" % MIXED], "-10min")
json_render(C + "aggregate-empty", ["aggregate(%s,'sum')" % NONE], "-5min")
json_render(C + "aggregate-xff", ["aggregate(test.xff.*,'sum',0.6)", "aggregate(test.xff.*,'average',0)",
                                  "aggregate(test.xff.*,'count',xFilesFactor=1)"], "-30min")
raw_render(C + "aggregate-count-raw", ["aggregate(test.gaps,'count')"], "-5min")

# aggregateSeriesLists and its shorthands
ASL = "servers.{web01,web02}.cpu.user,servers.{web01,web02}.cpu.system"
json_render(C + "aggregateSeriesLists", ["aggregateSeriesLists(%s,'sum')" % ASL], "-5min")
json_render(C + "aggregateSeriesLists-xff", ["aggregateSeriesLists(test.gaps,test.sparse,'average',0.9)",
                                             "aggregateSeriesLists(test.gaps,test.sparse,'max')"],
            "-10min")
json_render(C + "aggregateSeriesLists-mixed", ["aggregateSeriesLists(retention.s15,retention.m1,'diff')"],
            "-10min")
json_render(C + "aggregateSeriesLists-empty", ["aggregateSeriesLists(%s,%s,'sum')" % (NONE, NONE)], "-5min")
for f in ("sum", "diff", "multiply"):
    json_render(C + f + "SeriesLists", ["%sSeriesLists(%s)" % (f, ASL)], "-5min")
    json_render(C + f + "SeriesLists-gaps", ["%sSeriesLists(test.gaps,test.sparse)" % f], "-10min")
    json_render(C + f + "SeriesLists-mixed", ["%sSeriesLists(servers.web01.cpu.user,retention.s15)" % f],
                "-5min")
    json_render(C + f + "SeriesLists-empty", ["%sSeriesLists(%s,%s)" % (f, NONE, NONE)], "-5min")

# aggregateWithWildcards and its shorthands
json_render(C + "aggregateWithWildcards", ["aggregateWithWildcards(servers.web0*.cpu.*,'sum',1)"], "-3min")
json_render(C + "aggregateWithWildcards-several", ["aggregateWithWildcards(servers.*.cpu.*,'max',1,3)",
                                                   "aggregateWithWildcards(test.agg.*,'count')"], "-3min")
json_render(C + "aggregateWithWildcards-mixed", ["aggregateWithWildcards(group(%s),'average',0)" % MIXED],
            "-10min")
json_render(C + "aggregateWithWildcards-gaps", ["aggregateWithWildcards(test.{gaps,sparse},'sum',1)"],
            "-20min")
json_render(C + "aggregateWithWildcards-empty", ["aggregateWithWildcards(%s,'sum',1)" % NONE], "-5min")
for f in ("sum", "average", "multiply"):
    json_render(C + f + "SeriesWithWildcards", ["%sSeriesWithWildcards(servers.web0*.cpu.*,1)" % f], "-3min")
    json_render(C + f + "SeriesWithWildcards-several",
                ["%sSeriesWithWildcards(servers.*.cpu.{user,system},1,3)" % f], "-3min")
    json_render(C + f + "SeriesWithWildcards-gaps", ["%sSeriesWithWildcards(test.{gaps,sparse},1)" % f],
                "-20min")
    json_render(C + f + "SeriesWithWildcards-mixed",
                ["%sSeriesWithWildcards(group(%s),0)" % (f, MIXED)], "-10min")
    json_render(C + f + "SeriesWithWildcards-empty", ["%sSeriesWithWildcards(%s,1)" % (f, NONE)], "-5min")

# the aggregate shorthands
for f in ("sum", "average", "diff", "stddev", "min", "max", "rangeOf", "multiply"):
    fn = f + "Series"
    json_render(C + fn + "-plain", ["%s(servers.*.cpu.user)" % fn], "-5min")
    json_render(C + fn + "-gaps", ["%s(test.gaps,test.sparse,test.empty)" % fn], "-40min", until="-20min")
    json_render(C + fn + "-mixed", ["%s(%s)" % (fn, MIXED)], "-10min")
    json_render(C + fn + "-empty", ["%s(%s)" % (fn, NONE)], "-5min")
json_render(C + "multiplySeries-single", ["multiplySeries(test.constant)"], "-3min")
json_render(C + "sumSeries-values", ["sumSeries(test.tiny,test.huge,test.negative)"], "-2min")
json_render(C + "avg-sum-aliases", ["avg(test.agg.*)", "sum(test.agg.*)"], "-10min")
json_render(C + "averageSeries-mdp", ["averageSeries(servers.web0*.cpu.user)"], "-1h",
            extra=[("maxDataPoints", "7")])

# countSeries (Python ints)
json_render(C + "countSeries", ["countSeries(servers.*.cpu.user)"], "-3min")
json_render(C + "countSeries-mixed", ["countSeries(%s)" % MIXED, "countSeries(test.gaps,test.empty)"],
            "-10min")
json_render(C + "countSeries-empty", ["countSeries(%s)" % NONE], "-5min")
json_render(C + "countSeries-no-args", ["countSeries()"], "-5min")
raw_render(C + "countSeries-raw", ["countSeries(servers.*.cpu.user)", "countSeries()"], "-2min")
raw_render(C + "countSeries-raw-mdp", ["countSeries(app.requests.*)"], "-30min")
render(C + "countSeries-csv", ["countSeries(app.requests.*)"], "csv", [("from", "-5min"), ("now", N)])
render(C + "countSeries-pickle", ["countSeries(app.requests.*)"], "pickle", [("from", "-5min"), ("now", N)])
render(C + "countSeries-msgpack", ["countSeries(app.requests.*)"], "msgpack", [("from", "-5min"), ("now", N)])
render(C + "countSeries-rickshaw", ["countSeries(app.requests.*)"], "rickshaw", [("from", "-5min"), ("now", N)])
render(C + "countSeries-dygraph", ["countSeries(app.requests.*)"], "dygraph", [("from", "-5min"), ("now", N)])
json_render(C + "countSeries-json-mdp", ["countSeries(servers.web01.cpu.*)",
                                         "consolidateBy(countSeries(servers.web01.cpu.*),'sum')"],
            "-1h", extra=[("maxDataPoints", "7")])
raw_render(C + "countSeries-sum-raw", ["sumSeries(countSeries(app.requests.*),countSeries(test.agg.*))",
                                       "averageSeries(countSeries(app.requests.*))"], "-5min")

# asPercent / pct
json_render(C + "asPercent-plain", ["asPercent(servers.web0*.cpu.user)"], "-3min")
json_render(C + "asPercent-number", ["asPercent(servers.web01.cpu.user,200)",
                                     "asPercent(servers.web01.cpu.system,12.5)",
                                     "asPercent(test.constant,0)"], "-3min")
json_render(C + "asPercent-total-one", ["asPercent(servers.*.cpu.user,servers.web01.cpu.idle)"], "-3min")
json_render(C + "asPercent-total-same", ["asPercent(servers.web0*.cpu.user,servers.web0*.cpu.idle)"], "-3min")
json_render(C + "asPercent-gaps", ["asPercent(test.{gaps,sparse})", "asPercent(test.gaps,test.sparse)"],
            "-20min")
json_render(C + "asPercent-mixed", ["asPercent(group(%s))" % MIXED,
                                    "asPercent(servers.web01.cpu.user,retention.s15)"], "-5min")
json_render(C + "asPercent-empty", ["asPercent(%s)" % NONE, "asPercent(%s,test.constant)" % NONE], "-5min")
json_render(C + "asPercent-nodes", ["asPercent(servers.*.cpu.*,None,1)"], "-2min")
json_render(C + "asPercent-nodes-total", ["asPercent(servers.web0*.cpu.{user,system},servers.*.cpu.idle,1)"],
            "-2min")
json_render(C + "asPercent-nodes-missing", ["asPercent(servers.{web01,web10}.cpu.user,"
                                            "servers.{web01,db01}.cpu.idle,1)"], "-2min")
json_render(C + "asPercent-nodes-several", ["asPercent(servers.web0*.cpu.*,None,1,3)"], "-2min")
json_render(C + "pct", ["pct(servers.web0*.cpu.user)", "pct(servers.web01.cpu.user,50)"], "-2min")

# divideSeries / divideSeriesLists
json_render(C + "divideSeries", ["divideSeries(servers.*.cpu.user,servers.web01.cpu.idle)"], "-3min")
json_render(C + "divideSeries-gaps", ["divideSeries(test.gaps,test.sparse)"], "-20min")
json_render(C + "divideSeries-mixed", ["divideSeries(retention.s15,retention.m1)",
                                       "divideSeries(servers.web01.cpu.user,retention.s15)"], "-10min")
json_render(C + "divideSeries-missing", ["divideSeries(servers.web01.cpu.user,%s)" % NONE], "-2min")
json_render(C + "divideSeries-empty", ["divideSeries(%s,test.constant)" % NONE], "-2min")
json_render(C + "divideSeries-zero", ["divideSeries(test.constant,diffSeries(test.constant,test.constant))"],
            "-3min")
json_render(C + "divideSeriesLists", ["divideSeriesLists(servers.web0*.cpu.user,servers.web0*.cpu.idle)"],
            "-3min")
json_render(C + "divideSeriesLists-gaps", ["divideSeriesLists(test.gaps,test.sparse)"], "-20min")
json_render(C + "divideSeriesLists-mixed", ["divideSeriesLists(retention.s10,retention.s15)"], "-5min")
json_render(C + "divideSeriesLists-empty", ["divideSeriesLists(%s,%s)" % (NONE, NONE)], "-5min")

# group
json_render(C + "group", ["group(servers.web01.cpu.user,test.constant,servers.web02.cpu.*)"], "-2min")
json_render(C + "group-gaps-mixed", ["group(test.gaps,retention.s15,test.empty)"], "-5min")
json_render(C + "group-empty", ["group(%s)" % NONE, "group()"], "-5min")

# groupByNode / groupByNodes
json_render(C + "groupByNode", ["groupByNode(servers.*.cpu.*,1)"], "-3min")
json_render(C + "groupByNode-callbacks", ["groupByNode(servers.*.cpu.*,3,'%s')" % f for f in
                                          ("sum", "sumSeries", "max", "maxSeries", "median", "count",
                                           "countSeries", "diffSeries", "multiply", "last", "stddev",
                                           "rangeOfSeries", "avg_zero", "powSeries", "asPercent")],
            "-2min")
json_render(C + "groupByNode-gaps", ["groupByNode(test.{gaps,sparse,empty},0,'sum')"], "-20min")
json_render(C + "groupByNode-mixed", ["groupByNode(group(%s),0,'average')" % MIXED], "-10min")
json_render(C + "groupByNode-negative", ["groupByNode(servers.*.cpu.*,-1,'sum')"], "-2min")
json_render(C + "groupByNode-function-name", ["groupByNode(sumSeries(servers.*.cpu.user),1)"], "-2min")
json_render(C + "groupByNode-empty", ["groupByNode(%s,1,'sum')" % NONE], "-5min")
json_render(C + "groupByNodes", ["groupByNodes(servers.*.cpu.*,'sum',1)",
                                 "groupByNodes(servers.*.cpu.*,'average',1,3)"], "-2min")
json_render(C + "groupByNodes-none", ["groupByNodes(servers.web0*.cpu.*,'max')"], "-2min")
json_render(C + "groupByNodes-tag", ["groupByNodes(servers.web0*.cpu.*,'sum','name')"], "-2min")
json_render(C + "groupByNodes-gaps-mixed", ["groupByNodes(group(%s,test.gaps),'sumSeries',0)" % MIXED],
            "-10min")
json_render(C + "groupByNodes-empty", ["groupByNodes(%s,'sum',1)" % NONE], "-5min")

# groupByTags (the dataset's series carry only the `name` tag)
json_render(C + "groupByTags", ["groupByTags(servers.web0*.cpu.user,'sum','name')"], "-2min")
json_render(C + "groupByTags-series-func", ["groupByTags(test.{gaps,sparse},'sumSeries','name')"], "-10min")
json_render(C + "groupByTags-mixed", ["groupByTags(group(%s),'average','name')" % MIXED], "-10min")
json_render(C + "groupByTags-empty", ["groupByTags(%s,'sum','name')" % NONE], "-5min")

# mapSeries / reduceSeries
# (a mapSeries result as a whole target makes the reference fail: only through reduceSeries)
json_render(C + "mapSeries-empty", ["mapSeries(%s,1)" % NONE], "-5min")
json_render(C + "reduceSeries", ["reduceSeries(mapSeries(servers.web0*.cpu.*,1),'asPercent',3,'user','idle')"],
            "-2min")
json_render(C + "reduceSeries-divide", ["reduce(map(servers.web*.cpu.*,1),'divideSeries',3,'system','user')"],
            "-2min")
json_render(C + "reduceSeries-gaps-mixed", ["reduceSeries(mapSeries(group(test.gaps,test.sparse,"
                                            "retention.s15,retention.m1),0),'sumSeries',1,'gaps','sparse')",
                                            "reduceSeries(mapSeries(retention.*,0),'diffSeries',1,'s15','m1')"],
            "-10min")
json_render(C + "reduceSeries-empty", ["reduceSeries(mapSeries(%s,1),'sumSeries',3,'a','b')" % NONE], "-5min")
json_render(C + "reduceSeries-negative-node", ["reduceSeries(mapSeries(servers.web0*.cpu.*,1),"
                                               "'sumSeries',-1,'user','system')"], "-2min")

# applyByNode
json_render(C + "applyByNode", ["applyByNode(servers.*.cpu.user,1,'sumSeries(%.cpu.*)')"], "-2min")
json_render(C + "applyByNode-newName", ["applyByNode(servers.web0*.cpu.user,1,"
                                        "'divideSeries(%.cpu.user,sumSeries(%.cpu.*))','%.pct_user')"],
            "-2min")
json_render(C + "applyByNode-gaps-mixed", ["applyByNode(group(test.gaps,retention.s15),0,'sumSeries(%.*)')"],
            "-5min")
json_render(C + "applyByNode-empty", ["applyByNode(%s,1,'sumSeries(%%.cpu.*)')" % NONE], "-5min")

# percentileOfSeries
json_render(C + "percentileOfSeries", ["percentileOfSeries(servers.*.cpu.user,50)",
                                       "percentileOfSeries(servers.*.cpu.user,90)",
                                       "percentileOfSeries(servers.*.cpu.user,1)"], "-3min")
json_render(C + "percentileOfSeries-interpolate", ["percentileOfSeries(servers.*.cpu.user,75,true)",
                                                   "percentileOfSeries(servers.*.cpu.user,12.5,interpolate=true)",
                                                   "percentileOfSeries(servers.*.cpu.user,50,False)"], "-3min")
json_render(C + "percentileOfSeries-gaps", ["percentileOfSeries(test.{gaps,sparse,empty},50)"], "-20min")
json_render(C + "percentileOfSeries-mixed", ["percentileOfSeries(group(%s),95)" % MIXED], "-10min")
json_render(C + "percentileOfSeries-empty", ["percentileOfSeries(%s,50)" % NONE], "-5min")
json_render(C + "percentileOfSeries-100", ["percentileOfSeries(test.agg.*,100)"], "-5min")

# powSeries
json_render(C + "powSeries", ["powSeries(test.constant,test.constant)",
                              "powSeries(servers.web01.cpu.system,test.constant)"], "-2min")
json_render(C + "powSeries-gaps", ["powSeries(test.gaps,test.sparse)"], "-20min")
json_render(C + "powSeries-mixed", ["powSeries(%s)" % MIXED], "-5min")
json_render(C + "powSeries-negative", ["powSeries(test.mixed_sign,test.tiny)", "powSeries(test.huge,test.constant)"],
            "-3min")
json_render(C + "powSeries-mixed-steps", ["powSeries(app.latency.p50,retention.s15)",
                                          "powSeries(retention.s15,app.latency.p50)"], "-10min")
json_render(C + "powSeries-single", ["powSeries(test.constant)"], "-2min")
json_render(C + "powSeries-empty", ["powSeries(%s)" % NONE], "-5min")

# weightedAverage
json_render(C + "weightedAverage", ["weightedAverage(servers.web*.cpu.user,servers.web*.cpu.system,1)"], "-3min")
json_render(C + "weightedAverage-no-nodes", ["weightedAverage(servers.web01.cpu.user,servers.web01.cpu.idle)"],
            "-3min")
json_render(C + "weightedAverage-gaps", ["weightedAverage(test.gaps,test.sparse,0)"], "-20min")
json_render(C + "weightedAverage-mixed", ["weightedAverage(servers.web01.cpu.user,retention.s15,0)"], "-5min")
json_render(C + "weightedAverage-mixed-steps", ["weightedAverage(group(servers.web01.cpu.user,retention.s15),"
                                              "group(retention.s15,app.latency.p50))"], "-10min")
json_render(C + "weightedAverage-several", ["weightedAverage(servers.web0*.cpu.user,servers.web0*.cpu.idle,0,1)"],
            "-3min")
json_render(C + "weightedAverage-empty", ["weightedAverage(%s,%s,1)" % (NONE, NONE)], "-5min")

# Python ints through the combiners (raw shows int vs float)
raw_render(C + "countSeries-through-raw", ["percentileOfSeries(group(countSeries(app.requests.*),"
                                           "countSeries(test.agg.*)),50)",
                                           "maxSeries(countSeries(app.requests.*),countSeries(test.agg.*))",
                                           "diffSeries(countSeries(app.requests.*),countSeries(test.agg.*))",
                                           "multiplySeries(countSeries(app.requests.*),countSeries(test.agg.*))",
                                           "groupByNode(countSeries(app.requests.*),0,'last')",
                                           "sumSeries(countSeries(app.requests.*),countSeries(servers.web01.cpu.user))"],
           "-5min")

# the short aliases
for a, t in (("sum", "sum(%s)"), ("avg", "avg(%s)"), ("pct", "pct(group(%s))")):
    json_render(C + a + "-gaps", [t % "test.gaps,test.sparse,test.empty"], "-40min", until="-20min")
    json_render(C + a + "-mixed", [t % MIXED], "-10min")
    json_render(C + a + "-empty", [t % NONE], "-5min")
json_render(C + "map-reduce-gaps", ["reduce(map(test.{gaps,sparse},0),'sumSeries',1,'gaps','sparse')"], "-20min")
json_render(C + "map-reduce-mixed", ["reduce(map(retention.*,0),'divideSeries',1,'s15','m1')"], "-10min")
json_render(C + "map-reduce-empty", ["reduce(map(%s,1),'sumSeries',3,'a')" % NONE], "-5min")
