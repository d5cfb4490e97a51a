# Golden cases for the Special group (run by generate.py --suite special; the helpers
# json_render/render/case and the dataset names come from generate.py).
S = "fn-special-"
json_render(S + "consolidateBy-sum-mdp", ["consolidateBy(servers.web01.cpu.user,'sum')"], "-1h",
            extra=[("maxDataPoints", "7")])
json_render(S + "consolidateBy-each", ["consolidateBy(test.gaps,'%s')" % f for f in
                                       ("average", "avg", "avg_zero", "min", "max", "first", "last")],
            "-2h", extra=[("maxDataPoints", "9")])
json_render(S + "consolidateBy-empty", ["consolidateBy(servers.nothere.*,'max')"], "-1h")
