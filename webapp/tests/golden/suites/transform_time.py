# Golden cases for the time-based Transform functions (summarize, smartSummarize, hitcount,
# timeShift, timeStack, timeSlice, integralByInterval, compressPeriodicGaps); run by
# generate.py --suite transform_time (the helpers come from generate.py).
NY = ("tz", "America/New_York")

# summarize
P = "fn-summarize-"
json_render(P + "plain", ["summarize(servers.web01.cpu.user,'1min')"], "-30min")
json_render(P + "avg-nones", ["summarize(test.gaps,'5min','avg')"], "-2h")
json_render(P + "mixed-steps", ["summarize(retention.{s10,s15,m1},'2min','max')"], "-1h")
json_render(P + "funcs", ["summarize(test.gaps,'10min','%s')" % f for f in
                          ("sum", "average", "avg_zero", "median", "min", "max", "diff", "stddev",
                           "count", "range", "multiply", "last", "rangeOf", "avg", "total",
                           "current")], "-3h")
json_render(P + "alignToFrom", ["summarize(servers.web01.cpu.user,'7min','sum',true)"], "-1h")
json_render(P + "alignToFrom-false", ["summarize(app.requests.count,'7min','sum',false)"], "-1h")
json_render(P + "empty", ["summarize(servers.nothere.*,'1h')"], "-1h")
json_render(P + "xff", ["summarize(test.sparse,'1min','sum')"], "-20min", extra=[("xFilesFactor", "0.5")])
json_render(P + "long", ["summarize(retention.m5,'1d','avg')"], "-7d")
json_render(P + "tz", ["summarize(retention.m5,'1h','max')"], "-6h", extra=[NY])
json_render(P + "interval-smaller-than-step", ["summarize(retention.m5,'1min','sum')"], "-30min")
render(P + "raw-count", ["summarize(test.gaps,'10min','count')", "summarize(test.gaps,'10min')"],
       "raw", [("from", "-1h"), ("now", N)])

# smartSummarize
P = "fn-smartSummarize-"
json_render(P + "plain", ["smartSummarize(servers.web01.cpu.user,'5min')"], "-1h")
json_render(P + "avg-nones", ["smartSummarize(test.gaps,'7min','avg')"], "-2h")
json_render(P + "mixed-steps", ["smartSummarize(retention.{s15,m1,m5},'10min','max')"], "-2h")
json_render(P + "empty", ["smartSummarize(servers.nothere.*,'1h')"], "-1h")
json_render(P + "count", ["smartSummarize(test.sparse,'2min','count')"], "-30min")
for unit in ("seconds", "minutes", "hours", "days", "weeks", "months", "years"):
    json_render(P + "alignTo-" + unit, ["smartSummarize(retention.m5,'1h','avg','%s')" % unit],
                "-3h", until="-1h")
json_render(P + "alignTo-minutes-fine", ["smartSummarize(servers.web01.cpu.user,'1min','sum','minutes')"],
            "-10min")
json_render(P + "alignTo-days-ny", ["smartSummarize(retention.m5,'1h','sum','days')"], "12:00_20231105",
            until="18:00_20231105", extra=[NY])
json_render(P + "alignTo-hours-ny", ["smartSummarize(app.requests.count,'30min','sum','hours')"],
            "-2h", extra=[NY])
json_render(P + "alignTo-weeks-ny", ["smartSummarize(retention.h1,'1d','max','weeks')"], "-2d",
            extra=[NY])
json_render(P + "alignTo-true-ignored", ["smartSummarize(servers.web01.cpu.user,'5min','sum',true)"],
            "-1h")
json_render(P + "alignTo-empty", ["smartSummarize(servers.nothere.*,'1h','sum','hours')"], "-1h")

# hitcount
P = "fn-hitcount-"
json_render(P + "plain", ["hitcount(app.requests.count,'5min')"], "-1h")
json_render(P + "nones", ["hitcount(stats.counters.misses,'10min')"], "-2h")
json_render(P + "mixed-steps", ["hitcount(retention.{s15,m5},'7min')"], "-2h")
json_render(P + "split-points", ["hitcount(retention.m5,'2min')"], "-30min")
json_render(P + "empty", ["hitcount(servers.nothere.*,'1h')"], "-1h")
json_render(P + "align-hour", ["hitcount(app.requests.count,'1h',true)"], "-6h")
json_render(P + "align-day", ["hitcount(stats.counters.hits,'1d',true)"], "-3d")
json_render(P + "align-minute", ["hitcount(servers.web01.cpu.user,'5min',true)"], "-30min")
json_render(P + "align-seconds", ["hitcount(servers.web01.cpu.user,'30s',true)"], "-5min")
json_render(P + "align-false", ["hitcount(servers.web01.cpu.user,'30s',false)"], "-5min")
json_render(P + "align-day-ny", ["hitcount(stats.counters.hits,'1d',true)"], "12:00_20231105",
            until="12:00_20231106", extra=[NY])
json_render(P + "align-empty", ["hitcount(servers.nothere.*,'1h',true)"], "-1h")

# timeShift
P = "fn-timeShift-"
json_render(P + "plain", ["timeShift(servers.web01.cpu.user,'1h')"], "-10min")
json_render(P + "plus", ["timeShift(retention.m1,'+1h')"], "-3h", until="-2h")
json_render(P + "minus-day", ["timeShift(retention.m5,'-1d')"], "-1h")
json_render(P + "nones", ["timeShift(test.gaps,'30min')"], "-2h")
json_render(P + "mixed-steps", ["timeShift(retention.{s15,m1},'5min')"], "-20min")
json_render(P + "empty", ["timeShift(servers.nothere.*,'1h')"], "-1h")
json_render(P + "resetEnd-false", ["timeShift(retention.m1,'1h',false)"], "-30min", until="+10min")
json_render(P + "resetEnd-true", ["timeShift(retention.m1,'1h',true)"], "-30min", until="+10min")
json_render(P + "alignDST", ["timeShift(retention.m5,'7d',true,true)"], "20231106", until="20231106+2h")
json_render(P + "alignDST-false", ["timeShift(retention.m5,'2d',true,false)"], "-1h")
json_render(P + "nested", ["timeShift(summarize(retention.m1,'10min'),'1h')"], "-1h")
json_render(P + "ny", ["timeShift(retention.m5,'1d')"], "00:00_20231106", until="02:00_20231106",
            extra=[NY])

# timeStack
P = "fn-timeStack-"
json_render(P + "default", ["timeStack(retention.m5)"], "-10min")
json_render(P + "hours", ["timeStack(servers.web01.cpu.user,'1h',0,3)"], "-5min")
json_render(P + "plus-unit", ["timeStack(retention.m1,'+10min',1,3)"], "-1h", until="-40min")
json_render(P + "start-only", ["timeStack(retention.m5,'1d',5)"], "-20min")
json_render(P + "nones", ["timeStack(test.gaps,'1h',0,2)"], "-30min")
json_render(P + "mixed-steps", ["timeStack(retention.{s15,m1},'30min',0,2)"], "-5min")
json_render(P + "empty", ["timeStack(servers.nothere.*,'1h',0,3)"], "-1h")
json_render(P + "no-shifts", ["timeStack(retention.m1,'1h',3,3)"], "-10min")

# timeSlice
P = "fn-timeSlice-"
json_render(P + "epochs", ["timeSlice(servers.web01.cpu.user,'%d','%d')" % (NOW - 400, NOW - 200)], "-10min")
json_render(P + "dates", ["timeSlice(retention.m1,'19:00_20231106','19:20_20231106')"], "-1h")
json_render(P + "yyyymmdd", ["timeSlice(retention.m1,'20231106','20231107')"], "-1h")
json_render(P + "nones", ["timeSlice(test.gaps,'%d','%d')" % (NOW - 3000, NOW - 1000)], "-1h")
json_render(P + "mixed-steps", ["timeSlice(retention.{s15,m1},'%d','%d')" % (NOW - 300, NOW - 120)], "-10min")
json_render(P + "empty", ["timeSlice(servers.nothere.*,'%d','%d')" % (NOW - 300, NOW - 120)], "-10min")
json_render(P + "inverted", ["timeSlice(retention.m1,'%d','%d')" % (NOW - 120, NOW - 300)], "-10min")

# integralByInterval
P = "fn-integralByInterval-"
json_render(P + "plain", ["integralByInterval(app.requests.count,'10min')"], "-1h")
json_render(P + "nones", ["integralByInterval(test.gaps,'15min')"], "-2h")
json_render(P + "mixed-steps", ["integralByInterval(retention.{s15,m1},'5min')"], "-20min")
json_render(P + "empty", ["integralByInterval(servers.nothere.*,'1h')"], "-1h")
json_render(P + "day", ["integralByInterval(stats.counters.hits,'1d')"], "-3d", extra=[("maxDataPoints", "50")])
json_render(P + "negative-unit", ["integralByInterval(retention.m1,'-7min')"], "-30min")

# compressPeriodicGaps
P = "fn-compressPeriodicGaps-"
json_render(P + "sparse", ["compressPeriodicGaps(test.sparse)"], "-30min")
json_render(P + "untouched", ["compressPeriodicGaps(servers.web01.cpu.user)"], "-5min")
json_render(P + "nones", ["compressPeriodicGaps(test.gaps)"], "-1h")
json_render(P + "mixed-steps", ["compressPeriodicGaps(test.sparse)", "compressPeriodicGaps(retention.m1)"], "-20min")
json_render(P + "empty", ["compressPeriodicGaps(servers.nothere.*)"], "-1h")
json_render(P + "empty-file", ["compressPeriodicGaps(test.empty)"], "-10min")
render(P + "raw", ["compressPeriodicGaps(test.sparse)"], "raw", [("from", "-10min"), ("now", N)])

# more output forms
render("fn-hitcount-raw", ["hitcount(servers.web01.cpu.user,'1min')"], "raw", [("from", "-5min"), ("now", N)])
render("fn-timeStack-raw", ["timeStack(retention.m1,'5min',0,2)"], "raw", [("from", "-5min"), ("now", N)])
json_render("fn-summarize-mdp", ["summarize(servers.web01.cpu.user,'1min','avg')"], "-2h",
            extra=[("maxDataPoints", "20")])
json_render("fn-timeShift-wildcard", ["timeShift(servers.*.cpu.user,'2h')"], "-5min")
json_render("fn-integralByInterval-xff-mdp", ["integralByInterval(test.sparse,'3min')"], "-30min",
            extra=[("maxDataPoints", "25")])
