# Golden cases for the Alias group and Python regular expressions (run by generate.py --suite
# alias; the helpers json_render/render/case and the dataset names come from generate.py).
A = "fn-alias-"
NONE = "servers.nothere.*"
WEB = "servers.web0*.cpu.user"

# aliasByMetric
json_render(A + "aliasByMetric", ["aliasByMetric(%s)" % WEB, "aliasByMetric(test.constant)"], "-5min")
json_render(A + "aliasByMetric-nested", ["aliasByMetric(scale(servers.web01.cpu.user,2))",
                                         "aliasByMetric(sumSeries(servers.web0*.cpu.system))",
                                         "aliasByMetric(aliasByNode(servers.web01.cpu.idle,1,2))"], "-3min")
json_render(A + "aliasByMetric-empty", ["aliasByMetric(%s)" % NONE], "-5min")

# aliasByTags
json_render(A + "aliasByTags", ["aliasByTags(%s,1,'name')" % WEB], "-3min")
json_render(A + "aliasByTags-negative-missing", ["aliasByTags(servers.*.cpu.user,-1,'missing',-4)"], "-3min")
json_render(A + "aliasByTags-out-of-range", ["aliasByTags(servers.web01.cpu.user,10,-10)"], "-3min")
json_render(A + "aliasByTags-consolidateBy", ["aliasByTags(consolidateBy(%s,'max'),'consolidateBy',1)" % WEB],
            "-3min")
json_render(A + "aliasByTags-func-name", ["aliasByTags(sumSeries(%s),1,'name')" % WEB], "-3min")
json_render(A + "aliasByTags-empty", ["aliasByTags(%s,1)" % NONE], "-5min")

# aliasQuery
json_render(A + "aliasQuery", ["aliasQuery(%s,'servers\\.(web0.)\\.cpu\\.user','servers.\\1.cpu.system','sys %%d')"
                               % WEB], "-5min")
json_render(A + "aliasQuery-formats",
            ["aliasQuery(servers.web01.cpu.user,'user','idle','%.2f')",
             "aliasQuery(servers.web01.cpu.user,'user','idle','[%s]')",
             "aliasQuery(servers.web01.cpu.user,'user','idle','%g%%')",
             "aliasQuery(servers.web01.cpu.user,'user','idle','%e|')",
             "aliasQuery(servers.web01.cpu.user,'user','idle','%10.3f|')",
             "aliasQuery(servers.web01.cpu.user,'user','idle','%-8d|')",
             "aliasQuery(servers.web01.cpu.user,'user','idle','%+d|')",
             "aliasQuery(servers.web01.cpu.user,'user','idle','%05.1f|%%')",
             "aliasQuery(servers.web01.cpu.user,'user','idle','%r %%')",
             "aliasQuery(servers.web01.cpu.user,'user','idle','%.3G')"], "-5min")
json_render(A + "aliasQuery-function", ["aliasQuery(servers.web01.cpu.user,'^(.*)\\.user$','sumSeries(\\1.*)','total %i')"],
            "-5min")
json_render(A + "aliasQuery-int", ["aliasQuery(servers.web01.cpu.user,'^.*$','countSeries(servers.*.cpu.user)','n=%s')",
                                  "aliasQuery(servers.web01.cpu.user,'^.*$','countSeries(servers.*.cpu.user)','n=%.1f')",
                                  "aliasQuery(servers.web01.cpu.user,'^.*$','countSeries(servers.*.cpu.user)','n=%x')"],
            "-5min")
json_render(A + "aliasQuery-none-found", ["aliasQuery(servers.web01.cpu.user,'web01','nothere','%d')"], "-5min")
json_render(A + "aliasQuery-empty", ["aliasQuery(%s,'x','y','%%d')" % NONE], "-5min")

# legendValue
json_render(A + "legendValue", ["legendValue(servers.web01.cpu.user,'avg','max','min','last','total')"], "-5min")
json_render(A + "legendValue-si", ["legendValue(test.huge,'avg','max','si')",
                                   "legendValue(servers.web01.mem.free,'last','sum','si')"], "-5min")
json_render(A + "legendValue-binary", ["legendValue(test.huge,'avg','count','binary')",
                                       "legendValue(servers.web01.mem.free,'last','binary')",
                                       "legendValue(test.tiny,'median','stddev','binary')"], "-5min")
json_render(A + "legendValue-each", ["legendValue(test.gaps,'%s')" % f for f in
                                     ("average", "avg_zero", "median", "sum", "min", "max", "diff", "stddev",
                                      "count", "range", "multiply", "last", "rangeOf", "avg", "total", "current")],
            "-40min")
json_render(A + "legendValue-unknown", ["legendValue(servers.web01.cpu.user,'avgSeries','si','sumSeries')",
                                        "legendValue(servers.web01.cpu.user,'maxSeries','si')"], "-5min")
json_render(A + "legendValue-none", ["legendValue(test.empty,'last','avg')", "legendValue(test.empty,'max','si')"],
            "-5min")
json_render(A + "legendValue-ints", ["legendValue(countSeries(servers.*.cpu.user),'last','sum','avg','count')",
                                     "legendValue(test.negative,'min','max','si')"], "-5min")
json_render(A + "legendValue-mdp", ["legendValue(servers.web01.cpu.user,'last','avg')"], "-1h",
            extra=[("maxDataPoints", "7")])
json_render(A + "legendValue-empty", ["legendValue(%s,'avg')" % NONE], "-5min")

# lower / upper
for f in ("lower", "upper"):
    json_render(A + f, ["%s(%s)" % (f, WEB), "%s(alias(test.constant,'MiXeD.Case-ß'))" % f], "-3min")
    json_render(A + f + "-pos", ["%s(alias(test.constant,'MiXeD.Case'),0,-1,3)" % f,
                                 "%s(alias(test.constant,'ab'),5,-7)" % f], "-3min")
    json_render(A + f + "-empty", ["%s(%s,1)" % (f, NONE)], "-3min")

# aliasSub with the Python regular expression syntax
json_render(A + "aliasSub-lookahead", ["aliasSub(servers.web01.cpu.*,'\\.(?=idle|user)','#')",
                                       "aliasSub(servers.web01.cpu.*,'^servers\\.(?!web02)(\\w+)','[\\1]')"], "-3min")
json_render(A + "aliasSub-lookbehind", ["aliasSub(%s,'(?<=web)0','O')" % WEB,
                                        "aliasSub(%s,'(?<!s)e','E')" % WEB], "-3min")
json_render(A + "aliasSub-backref", ["aliasSub(test.xff.*,'(\\w)\\1','<\\1\\1>')",
                                     "aliasSub(test.xff.*,'(?P<c>f)(?P=c)','\\g<c>=\\g<0>')"], "-3min")
json_render(A + "aliasSub-python-syntax", ["aliasSub(test.constant,'t\\Z','T')",
                                           "aliasSub(test.constant,'t{,1}\\.','_')",
                                           "aliasSub(test.constant,'(?#comment)c','C')",
                                           "aliasSub(test.constant,'[[.]','(')",
                                           "aliasSub(test.constant,'s{','x')",
                                           "aliasSub(test.constant,'\\056','/')"], "-3min")
json_render(A + "aliasSub-empty-matches", ["aliasSub(test.constant,'x*','-')",
                                           "aliasSub(test.constant,'t*','-')",
                                           "aliasSub(test.constant,'$','!')"], "-3min")
json_render(A + "aliasSub-unicode", ["aliasSub(alias(test.constant,'żółw.ab'),'\\w+','<\\g<0>>')",
                                     "aliasSub(alias(test.constant,'żółw.ab'),'(?i)Ż','Z')"], "-3min")
json_render(A + "aliasQuery-mdp", ["aliasQuery(servers.web01.cpu.user,'user','system','%f')"], "-1h",
            extra=[("maxDataPoints", "7")])
json_render(A + "aliasByMetric-pipe-tags", ["servers.web01.cpu.user|scale(2)|aliasByMetric()",
                                            "aliasByMetric(alias(test.constant,'a.b;x=y'))"], "-3min")
for f in ("lower", "upper"):
    json_render(A + f + "-pipe", ["servers.web0*.cpu.user|aliasByNode(1)|%s(0,2)" % f], "-3min")
