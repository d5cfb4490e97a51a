# Golden cases for the Filter Series group (run by generate.py --suite filter; the helpers
# json_render/render/case and the dataset names come from generate.py).
#
# Left out because the reference answers 500 (we answer 400, see docs/compatibility.md):
# removeBetweenPercentile over series with nulls or of different lengths, useSeriesAbove over
# series with nulls, averageOutsidePercentile over a series without values, an invalid regular
# expression in grep/exclude/useSeriesAbove, n outside [0, 100] for the percentile filters,
# mostDeviant where a squared deviation overflows, a float n for limit/mostDeviant (an
# integral float such as 2.0 is accepted here).
# Left out because the reference's 400 carries the evaluated arguments in its "func:" part
# (and our argument check words the option error differently): an unknown filterSeries
# operator or aggregation function.
# Left out as deviations of the shared argument binding: highest(x, 2.5) (the reference
# truncates n; we refuse a non-integral float), highest(x, 2, none) (the reference's 400
# "Unsupported aggregation function: None"; none means the default here), unique() with no
# argument (the reference returns []; a missing required parameter is a 400 here).


def F(name):
    return "fn-filter-" + name + "-"


USER = "servers.*.cpu.user"  # six series, 10s and 60s steps, no nulls in the last 5 minutes
GAPS = "test.{gaps,sparse,empty}"  # nulls, one value in 7, no values at all
NONE = "servers.nothere.*"
# Equal aggregates under distinct names (and one double), for the order of ties.
TIES = "group(test.constant,alias(test.constant,'b'),scale(test.constant,2),alias(test.constant,'a'))"
# Python ints (1 for every point) under distinct names: every aggregate ties.
INTS = "isNonNull(servers.web0*.cpu.*)"
# A series whose every value is NaN (inf * 0): a NaN sort key.
NAN = "scale(scale(test.huge,1e300),0)"
# Series without nulls, all 10s steps (for the percentile and maximum based functions).
FULL = "servers.{web01,web02,web10,db01}.cpu.user"
# Series without nulls, all 60s steps.
FULL_M = "group(servers.{dba,dbx}.cpu.user,test.constant,app.latency.p50)"


# Threshold filters: filterSeries with a fixed aggregation and operator.
for fn, n in [("averageAbove", 40), ("averageBelow", 40), ("currentAbove", 50), ("currentBelow", 50),
              ("maximumAbove", 60), ("maximumBelow", 60), ("minimumAbove", 20), ("minimumBelow", 20)]:
    P = F(fn)
    json_render(P + "plain", ["%s(%s,%d)" % (fn, USER, n)], "-5min")
    json_render(P + "nones", ["%s(%s,60)" % (fn, GAPS)], "-10min")
    json_render(P + "empty", ["%s(%s,1)" % (fn, NONE)], "-5min")
    json_render(P + "equal", ["%s(%s,42.5)" % (fn, TIES)], "-3min")
    json_render(P + "kwarg-negative", ["%s(%s,n=-1e300)" % (fn, USER), "%s(test.negative,-500.5)" % fn],
                "-3min")
    json_render(P + "inf", ["%s(%s,inf)" % (fn, USER)], "-3min")
    json_render(P + "ints", ["%s(%s,1)" % (fn, INTS), "%s(%s,0.5)" % (fn, INTS)], "-2min")

# filterSeries
P = F("filterSeries")
json_render(P + "plain", ["filterSeries(%s,'max','>',60)" % USER], "-5min")
for op in ["=", "!=", ">", ">=", "<", "<="]:
    slug = {"=": "eq", "!=": "ne", ">": "gt", ">=": "ge", "<": "lt", "<=": "le"}[op]
    json_render(P + "op-" + slug, ["filterSeries(%s,'average','%s',42.5)" % (TIES, op),
                                   "filterSeries(%s,'last','%s',50)" % (GAPS, op)], "-10min")
for f in ["average", "avg", "avg_zero", "median", "sum", "total", "min", "max", "diff", "stddev",
          "count", "range", "rangeOf", "multiply", "last", "current"]:
    json_render(P + "func-" + f, ["filterSeries(group(%s,%s),'%s','>=',30)" % (USER, GAPS, f)], "-10min")
json_render(P + "empty", ["filterSeries(%s,'sum','<',1)" % NONE], "-5min")
json_render(P + "kwargs", ["filterSeries(%s,func='min',operator='<=',threshold=20)" % USER], "-5min")
json_render(P + "count-ints", ["filterSeries(%s,'count','=',12)" % INTS], "-2min")
json_render(P + "nan", ["filterSeries(group(%s,%s),'average','!=',1)" % (NAN, USER)], "-2min")

# highest, lowest
for fn in ["highest", "lowest"]:
    P = F(fn)
    json_render(P + "plain", ["%s(%s,2)" % (fn, USER)], "-5min")
    json_render(P + "default-func", ["%s(%s,3,'average')" % (fn, USER), "%s(%s,1)" % (fn, GAPS)], "-5min")
    for f in ["average", "avg", "avg_zero", "median", "sum", "total", "min", "max", "diff", "stddev",
              "count", "range", "rangeOf", "multiply", "last", "current"]:
        json_render(P + "func-" + f, ["%s(group(%s,%s),4,'%s')" % (fn, USER, GAPS, f)], "-10min")
    json_render(P + "ties", ["%s(%s,3)" % (fn, TIES), "%s(%s,3,'max')" % (fn, INTS)], "-3min")
    json_render(P + "nones", ["%s(%s,2)" % (fn, GAPS), "%s(%s,2,'last')" % (fn, GAPS)], "-10min")
    json_render(P + "empty", ["%s(%s,2)" % (fn, NONE)], "-5min")
    json_render(P + "n-zero", ["%s(%s,0)" % (fn, USER)], "-5min")
    json_render(P + "n-negative", ["%s(%s,-2)" % (fn, USER)], "-5min")
    json_render(P + "n-large", ["%s(%s,100,'sum')" % (fn, USER)], "-5min")
    json_render(P + "kwargs", ["%s(%s,n=2,func='min')" % (fn, USER)], "-5min")
    json_render(P + "nan-key", ["%s(group(%s,%s),3)" % (fn, USER, NAN),
                                "%s(group(%s,%s,test.constant),10)" % (fn, NAN, USER)], "-3min")
    json_render(P + "mdp", ["%s(%s,2,'max')" % (fn, USER)], "-1h", extra=[("maxDataPoints", "10")])

# The shorthands of highest and lowest
for fn in ["highestAverage", "highestCurrent", "highestMax", "lowestAverage", "lowestCurrent"]:
    P = F(fn)
    json_render(P + "plain", ["%s(%s,2)" % (fn, USER)], "-5min")
    json_render(P + "ties", ["%s(%s,2)" % (fn, TIES), "%s(%s,3)" % (fn, INTS)], "-3min")
    json_render(P + "nones", ["%s(%s,2)" % (fn, GAPS)], "-10min")
    json_render(P + "empty", ["%s(%s,2)" % (fn, NONE)], "-5min")
    json_render(P + "n-edges", ["%s(%s,0)" % (fn, USER), "%s(%s,-4)" % (fn, USER), "%s(%s,50)" % (fn, GAPS)],
                "-5min")
    json_render(P + "kwarg", ["%s(%s,n=1)" % (fn, USER)], "-5min")
    json_render(P + "nan-key", ["%s(group(%s,%s),3)" % (fn, NAN, USER)], "-3min")

# limit
P = F("limit")
json_render(P + "plain", ["limit(%s,2)" % USER], "-5min")
json_render(P + "zero", ["limit(%s,0)" % USER], "-5min")
json_render(P + "negative", ["limit(%s,-2)" % USER, "limit(%s,-10)" % GAPS], "-5min")
json_render(P + "large", ["limit(%s,100)" % GAPS], "-5min")
json_render(P + "empty", ["limit(%s,3)" % NONE], "-5min")
json_render(P + "kwarg", ["limit(%s,n=1)" % TIES], "-5min")

# mostDeviant
P = F("mostDeviant")
json_render(P + "plain", ["mostDeviant(%s,2)" % USER], "-5min")
json_render(P + "all", ["mostDeviant(%s,10)" % USER], "-10min")
json_render(P + "nones", ["mostDeviant(%s,5)" % GAPS], "-10min")
json_render(P + "ties", ["mostDeviant(%s,3)" % TIES, "mostDeviant(%s,4)" % INTS], "-3min")
json_render(P + "empty", ["mostDeviant(%s,3)" % NONE], "-5min")
json_render(P + "n-edges", ["mostDeviant(%s,0)" % USER, "mostDeviant(%s,-2)" % USER], "-5min")
json_render(P + "huge-tiny", ["mostDeviant(group(test.huge,test.tiny,test.negative,test.mixed_sign),2)"], "-5min")
json_render(P + "kwarg", ["mostDeviant(%s,n=1)" % USER], "-5min")

# averageOutsidePercentile
P = F("averageOutsidePercentile")
json_render(P + "plain", ["averageOutsidePercentile(%s,90)" % USER], "-5min")
json_render(P + "folded", ["averageOutsidePercentile(%s,10)" % USER, "averageOutsidePercentile(%s,30)" % USER],
            "-5min")
json_render(P + "edges", ["averageOutsidePercentile(%s,0)" % USER, "averageOutsidePercentile(%s,50)" % USER,
                          "averageOutsidePercentile(%s,100)" % USER], "-5min")
json_render(P + "nones", ["averageOutsidePercentile(test.{gaps,sparse},75)"], "-10min")
json_render(P + "empty", ["averageOutsidePercentile(%s,90)" % NONE], "-5min")
json_render(P + "ties", ["averageOutsidePercentile(%s,60)" % TIES, "averageOutsidePercentile(%s,95)" % INTS],
            "-3min")
json_render(P + "single", ["averageOutsidePercentile(test.constant,75.5)"], "-3min")
json_render(P + "kwarg", ["averageOutsidePercentile(%s,n=80)" % USER], "-5min")
json_render(P + "nan", ["averageOutsidePercentile(group(%s,%s),80)" % (USER, NAN)], "-3min")

# removeBetweenPercentile
P = F("removeBetweenPercentile")
json_render(P + "plain", ["removeBetweenPercentile(%s,30)" % FULL], "-5min")
json_render(P + "upper", ["removeBetweenPercentile(%s,95)" % FULL, "removeBetweenPercentile(%s,70)" % FULL_M],
            "-5min")
json_render(P + "median", ["removeBetweenPercentile(%s,50)" % FULL_M], "-5min")
json_render(P + "edges", ["removeBetweenPercentile(%s,0)" % FULL, "removeBetweenPercentile(%s,100)" % FULL],
            "-5min")
json_render(P + "empty", ["removeBetweenPercentile(%s,30)" % NONE], "-5min")
json_render(P + "single", ["removeBetweenPercentile(servers.web02.cpu.user,10)"], "-3min")
json_render(P + "ties", ["removeBetweenPercentile(%s,25)" % TIES,
                         "removeBetweenPercentile(isNonNull(servers.web0*.cpu.{user,system,idle}),50)"],
            "-3min")
json_render(P + "kwarg", ["removeBetweenPercentile(%s,n=45)" % FULL_M], "-5min")

# removeEmptySeries
P = F("removeEmptySeries")
json_render(P + "plain", ["removeEmptySeries(%s)" % GAPS], "-10min")
json_render(P + "xff", ["removeEmptySeries(%s,0.5)" % GAPS, "removeEmptySeries(test.xff.*,0.3)"], "-30min")
json_render(P + "xff-1", ["removeEmptySeries(group(%s,%s),1)" % (GAPS, USER)], "-10min")
json_render(P + "xff-edges", ["removeEmptySeries(%s,0)" % GAPS, "removeEmptySeries(%s,-1)" % GAPS,
                              "removeEmptySeries(test.sparse,1.5)"], "-10min")
json_render(P + "empty", ["removeEmptySeries(%s)" % NONE], "-5min")
json_render(P + "old-range", ["removeEmptySeries(test.{stale,gaps,constant})"], "-4h", until="-3h")
json_render(P + "kwarg", ["removeEmptySeries(%s,xFilesFactor=0.2)" % GAPS], "-10min")
json_render(P + "ints", ["removeEmptySeries(isNonNull(test.empty))"], "-2min")

# unique
P = F("unique")
json_render(P + "plain", ["unique(%s,servers.web0*.cpu.user)" % USER], "-3min")
json_render(P + "duplicates", ["unique(test.constant,test.constant,test.gaps,test.constant)"], "-3min")
json_render(P + "renamed", ["unique(%s,alias(test.gaps,'a'),test.constant)" % TIES], "-3min")
json_render(P + "empty", ["unique(%s)" % NONE, "unique(%s,test.empty)" % NONE], "-3min")
json_render(P + "nested", ["unique(highest(%s,2),lowest(%s,5))" % (USER, USER)], "-3min")

# grep and exclude: regular expressions searched anywhere in the name
for fn in ["grep", "exclude"]:
    P = F(fn)
    json_render(P + "plain", ["%s(%s,'web')" % (fn, USER)], "-3min")
    json_render(P + "anchors", ["%s(%s,'^servers\\.db')" % (fn, USER), "%s(%s,'x\\.cpu')" % (fn, USER)], "-3min")
    json_render(P + "end-anchor", ["%s(servers.web01.cpu.*,'s[a-z]+$')" % fn], "-2min")
    json_render(P + "class-alternation", ["%s(%s,'(db|web)0[12]')" % (fn, USER)], "-3min")
    json_render(P + "digits-repeat", ["%s(%s,'\\d{2}')" % (fn, USER), "%s(%s,'b\\w\\.')" % (fn, USER)], "-3min")
    json_render(P + "case-flag", ["%s(%s,'(?i)WEB0')" % (fn, USER)], "-3min")
    json_render(P + "empty-pattern", ["%s(%s,'')" % (fn, USER)], "-3min")
    json_render(P + "dot", ["%s(%s,'web.1')" % (fn, USER)], "-3min")
    json_render(P + "named-group", ["%s(%s,'(?P<host>db.)\\.')" % (fn, USER)], "-3min")
    json_render(P + "word-boundary", ["%s(test.*,'\\bgaps\\b')" % fn], "-3min")
    json_render(P + "function-names", ["%s(%s,'^scale\\(')" % (fn, TIES)], "-3min")
    json_render(P + "nones", ["%s(%s,'s')" % (fn, GAPS)], "-3min")
    json_render(P + "empty", ["%s(%s,'.')" % (fn, NONE)], "-3min")
    json_render(P + "kwarg", ["%s(%s,pattern='0')" % (fn, USER)], "-3min")

# useSeriesAbove: renames with re.sub and fetches the results
P = F("useSeriesAbove")
json_render(P + "plain", ["useSeriesAbove(%s,50,'user','system')" % FULL], "-5min")
json_render(P + "groups", ["useSeriesAbove(%s,0,'^servers\\.(\\w+)\\.cpu\\.user$','servers.\\1.cpu.idle')" % USER],
            "-5min")
json_render(P + "wildcard", ["useSeriesAbove(%s,40,'user','sys*')" % FULL], "-5min")
json_render(P + "none-above", ["useSeriesAbove(%s,1000,'user','system')" % FULL], "-5min")
json_render(P + "missing-target", ["useSeriesAbove(%s,0,'user','nothere')" % FULL], "-5min")
json_render(P + "empty", ["useSeriesAbove(%s,0,'a','b')" % NONE], "-5min")
json_render(P + "equal-not-above", ["useSeriesAbove(test.constant,42.5,'constant','gaps')",
                                    "useSeriesAbove(test.constant,42.4,'constant','gaps')"], "-5min")
json_render(P + "named-group", ["useSeriesAbove(%s,90,'(?P<h>dbx)','dba')" % FULL_M], "-5min")
json_render(P + "kwargs", ["useSeriesAbove(%s,value=20,search='user',replace='idle')" % FULL], "-5min")
json_render(P + "duplicates", ["useSeriesAbove(servers.{web02,web10}.cpu.user,0,'web\\d+','web01')"], "-3min")

# Numbers given as booleans or strings (the reference converts or compares them as numbers)
P = "fn-filter-coerced-"
json_render(P + "bool-n", ["highest(%s,true)" % USER, "limit(%s,true)" % USER, "mostDeviant(%s,false)" % USER,
                           "lowestCurrent(%s,true)" % USER], "-3min")
json_render(P + "bool-threshold", ["averageAbove(%s,true)" % USER, "minimumBelow(%s,false)" % GAPS], "-3min")
json_render(P + "string-numbers", ["averageAbove(%s,'40')" % USER, "highest(%s,'2')" % USER,
                                   "filterSeries(%s,'max','>','60')" % USER], "-3min")
json_render(P + "none-default", ["removeEmptySeries(%s,none)" % GAPS], "-3min")

# Regular expression syntax shared by Python and the regex crate
P = "fn-filter-regex-"
json_render(P + "start-of-text", ["grep(%s,'\\Aservers\\.web')" % USER, "exclude(%s,'\\Aservers\\.web')" % USER],
            "-3min")
json_render(P + "end-of-text", ["grep(%s,'0\\.cpu\\.user\\Z')" % USER], "-3min")
json_render(P + "non-greedy-class", ["grep(%s,'^s.*?[^a-z]b')" % USER, "exclude(%s,'[[:digit:]]')" % USER], "-3min")
json_render(P + "escaped-specials", ["grep(%s,'\\(')" % TIES, "exclude(%s,'\\$|\\)$')" % TIES], "-3min")
json_render(P + "use-series-above-escapes", ["useSeriesAbove(%s,0,'\\.user$','.idle')" % FULL], "-3min")
json_render(P + "lookaround", ["grep(%s,'(?<=\\.)web(?=1)')" % USER, "exclude(%s,'b(?!0)')" % USER], "-3min")
json_render(P + "backreference", ["grep(%s,'(e)r\\w\\1')" % USER, "exclude(%s,'(\\d)\\1')" % GAPS], "-3min")

# NaN keys in lists of more than 64 series (timsort merges and gallops)
P = "fn-filter-long-nan-"
LONG = ("group(servers.*.cpu.*,app.*.*,%s,test.*,scale(servers.*.cpu.*,2),stats.*.*,offset(test.*,1),"
        "retention.*,scale(%s,3),servers.*.mem.free,scale(app.*.*,0.5),isNonNull(test.*))" % (NAN, NAN))
json_render(P + "highest", ["highest(%s,200)" % LONG], "-3min")
json_render(P + "lowest", ["lowest(%s,200,'max')" % LONG], "-3min")
json_render(P + "mostDeviant", ["mostDeviant(%s,200)" % LONG], "-3min")
json_render(P + "highestCurrent", ["highestCurrent(%s,70)" % LONG], "-3min")

# Medians of series holding NaN values (Python's sorted() places them)
P = "fn-filter-nan-median-"
HALF_NAN = "scale(scale(scale(test.tiny,1e308),7.9e8),0)"  # NaN where the product overflowed, else 0
json_render(P + "highest", ["highest(group(%s,%s,test.mixed_sign),4,'median')" % (USER, HALF_NAN)], "-10min")
json_render(P + "filterSeries", ["filterSeries(group(%s,%s),'median','<',30)" % (USER, HALF_NAN),
                                 "filterSeries(%s,'median','!=',0)" % HALF_NAN], "-10min")
json_render(P + "lowest", ["lowest(group(%s,%s),3,'median')" % (HALF_NAN, USER)], "-5min")
