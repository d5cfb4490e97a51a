# Golden cases for the Sorting group (run by generate.py --suite sort; the helpers
# json_render/render/case and the dataset names come from generate.py).
S = "fn-sort-"
NONE = "servers.nothere.*"
# ties: equal keys (two copies of the constant series, all-null series, the same counts)
TIES = "group(test.constant,alias(test.constant,'b'),test.empty,alias(test.empty,'a'),alias(test.constant,'c'))"
MIXED = "group(test.negative,test.empty,servers.web01.cpu.user,test.gaps,test.constant,test.mixed_sign)"
# inf values: scaled far beyond the float range (their range and stddev are NaN)
INF = ("group(servers.web01.cpu.user,scale(test.huge,1e300),test.constant,scale(test.negative,1e307),"
       "alias(scale(test.huge,-1e300),'neg'),test.gaps,test.empty)")

AGGS = ("average", "avg_zero", "median", "sum", "min", "max", "diff", "stddev", "count", "range",
        "multiply", "last", "rangeOf", "avg", "total", "current")

# sortBy
json_render(S + "sortBy-default", ["sortBy(servers.*.cpu.user)"], "-5min")
for f in AGGS:
    json_render(S + "sortBy-" + f, ["sortBy(%s,'%s')" % (MIXED, f), "sortBy(%s,'%s',true)" % (MIXED, f)],
                "-10min")
json_render(S + "sortBy-ties", ["sortBy(%s,'%s')" % (TIES, f) for f in ("average", "count", "sum")]
            + ["sortBy(%s,'max',true)" % TIES, "sortBy(%s,reverse=true)" % TIES], "-3min")
json_render(S + "sortBy-count-ties", ["sortBy(servers.*.cpu.*,'count')", "sortBy(servers.*.cpu.*,'count',true)"],
            "-5min")
json_render(S + "sortBy-nan-keys", ["sortBy(%s,'%s')" % (INF, f) for f in ("range", "stddev", "sum", "max")]
            + ["sortBy(%s,'range',true)" % INF, "sortBy(%s,'average',true)" % INF], "-3min")
json_render(S + "sortBy-empty", ["sortBy(%s,'max')" % NONE, "sortBy(%s)" % NONE], "-5min")
json_render(S + "sortBy-kwargs", ["sortBy(servers.*.cpu.user,func='min',reverse=True)",
                                  "sortBy(servers.*.cpu.user,reverse='true')",
                                  "sortBy(servers.*.cpu.user,'last',reverse=0)",
                                  "sortBy(servers.*.cpu.user,'last',1)"], "-5min")
# An unknown func is a 400 in both, but the reference's message ("Unsupported aggregation
# function: bogus", with the repr of the evaluated arguments) is not reproduced: unit-tested.
json_render(S + "sortBy-ints", ["sortBy(group(countSeries(test.gaps,test.sparse),isNonNull(test.gaps),"
                                 "countSeries(servers.*.cpu.user)),'sum')"], "-5min")

# sortByName
json_render(S + "sortByName-plain", ["sortByName(servers.*.cpu.*)"], "-3min")
json_render(S + "sortByName-natural", ["sortByName(servers.*.cpu.*,true)", "sortByName(servers.*.cpu.*,natural=True)"],
            "-3min")
json_render(S + "sortByName-reverse", ["sortByName(servers.*.cpu.user,false,true)",
                                       "sortByName(servers.*.cpu.user,reverse=true)",
                                       "sortByName(servers.*.cpu.user,true,true)"], "-3min")
NAT = ",".join("alias(test.constant,'%s')" % n for n in
               ("srv10", "srv9", "srv007", "srv7", "srv01a2", "srv1a10", "srv12345678901", "srv2345678901",
                "srv", "SRV3", "srv-1", "srv\u0663", "srv\u0661\u0660", "a1b2c3", "a1b02c3", "10", "9", ""))
json_render(S + "sortByName-natural-keys", ["sortByName(group(%s),true)" % NAT,
                                            "sortByName(group(%s),true,true)" % NAT,
                                            "sortByName(group(%s))" % NAT], "-2min")
json_render(S + "sortByName-ties", ["sortByName(group(test.constant,alias(test.gaps,'test.constant'),"
                                    "alias(test.empty,'test.constant')),reverse=true)",
                                    "sortByName(group(alias(test.gaps,'x7'),alias(test.constant,'x07'),"
                                    "alias(test.empty,'x007')),true)",
                                    "sortByName(group(alias(test.gaps,'x7'),alias(test.constant,'x07'),"
                                    "alias(test.empty,'x007')),true,true)"], "-2min")
json_render(S + "sortByName-empty", ["sortByName(%s)" % NONE, "sortByName(%s,true,true)" % NONE], "-3min")
json_render(S + "sortByName-unicode", ["sortByName(group(alias(test.constant,'\u00e9'),alias(test.constant,'z'),"
                                       "alias(test.constant,'\u4e2d'),alias(test.constant,'Z'),"
                                       "alias(test.constant,'\U0001d7d8')),true)"], "-2min")

# sortByTotal, sortByMaxima, sortByMinima
for fn in ("sortByTotal", "sortByMaxima", "sortByMinima"):
    P = S + fn + "-"
    json_render(P + "plain", ["%s(servers.*.cpu.*)" % fn], "-5min")
    json_render(P + "none", ["%s(%s)" % (fn, MIXED)], "-10min")
    json_render(P + "ties", ["%s(%s)" % (fn, TIES)], "-3min")
    json_render(P + "empty", ["%s(%s)" % (fn, NONE)], "-5min")
    json_render(P + "inf", ["%s(%s)" % (fn, INF)], "-3min")
    json_render(P + "ints", ["%s(group(countSeries(test.gaps,test.sparse),isNonNull(test.gaps),"
                             "countSeries(servers.*.cpu.user)))" % fn], "-5min")
json_render(S + "sortByMinima-nonpositive", ["sortByMinima(group(test.negative,scale(test.constant,0),"
                                             "offset(test.mixed_sign,-1000),test.mixed_sign))"], "-5min")
