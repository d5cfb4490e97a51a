# Golden cases for the tag database, the /tags API and seriesByTag (run by generate.py --suite
# tags). Cases run in order against one database: registrations first, then queries, then
# deletions. The dataset's tagged whisper files (dataset.TAGGED) are registered here, as carbon
# would register them.
import dataset as _ds

T = "tags-"
REG = [name for name, *_ in _ds.TAGGED]

# Registration: the first series in written order (ids follow it), then the rest in one batch.
case(T + "tagSeries-first", "/tags/tagSeries", form=[("path", REG[0])])
case(T + "tagMultiSeries", "/tags/tagMultiSeries", form=[("path", p) for p in REG[1:]])
case(T + "tagMultiSeries-brackets", "/tags/tagMultiSeries",
     form=[("path[]", "extra.metric;zone=b;app=x"), ("path[]", 'om.metric{zone="a",app="y"}')])
case(T + "tagMultiSeries-again", "/tags/tagMultiSeries", form=[("path", REG[0]), ("path", REG[1])])
case(T + "tagSeries-untagged", "/tags/tagSeries", form=[("path", "plain.metric")])
case(T + "tagSeries-repeated-tag", "/tags/tagSeries", form=[("path", "rep.metric;k=1;k=2")])
case(T + "tagSeries-openmetrics-escapes", "/tags/tagSeries",
     form=[("path", 'esc.metric{q="a\\"b",s="c\\\\d"}')])
case(T + "tagSeries-tilde-name", "/tags/tagSeries", form=[("path", "~tilde.metric;a=b")])
case(T + "tagSeries-pretty", "/tags/tagSeries", form=[("path", "pretty.metric;a=b"), ("pretty", "1")])
case(T + "tagSeries-no-path", "/tags/tagSeries", form=[("other", "x")])
case(T + "tagSeries-empty-path", "/tags/tagSeries", form=[("path", "")])
case(T + "tagSeries-get", "/tags/tagSeries", [("path", "a;b=c")])
case(T + "tagMultiSeries-none", "/tags/tagMultiSeries", form=[("x", "y")])
case(T + "tagMultiSeries-get", "/tags/tagMultiSeries", [("path", "a;b=c")])

# /tags: every tag, with ids.
case(T + "list", "/tags")
case(T + "list-slash", "/tags/")
case(T + "list-filter", "/tags", [("filter", "d")])
case(T + "list-filter-alt", "/tags", [("filter", "app|host")])
case(T + "list-filter-anchored", "/tags", [("filter", "^z")])
case(T + "list-filter-dot", "/tags", [("filter", ".*e")])
case(T + "list-filter-none", "/tags", [("filter", "nothing")])
case(T + "list-filter-empty", "/tags", [("filter", "")])
case(T + "list-limit", "/tags", [("limit", "2")])
case(T + "list-limit-zero", "/tags", [("limit", "0")])
case(T + "list-limit-negative", "/tags", [("limit", "-1")])
case(T + "list-limit-bad", "/tags", [("limit", "two")])
case(T + "list-limit-empty", "/tags", [("limit", "")])
case(T + "list-pretty", "/tags", [("pretty", "1"), ("limit", "3")])
case(T + "list-post", "/tags", form=[("filter", "d")])

# /tags/<tag>: values with counts.
case(T + "tag-dc", "/tags/dc")
case(T + "tag-name", "/tags/name")
case(T + "tag-host-filter", "/tags/host", [("filter", "web")])
case(T + "tag-host-filter-regex", "/tags/host", [("filter", "(db|web)0[12]")])
case(T + "tag-host-limit", "/tags/host", [("limit", "2")])
case(T + "tag-host-limit-bad", "/tags/host", [("limit", "x")])
case(T + "tag-unknown", "/tags/nosuchtag")
case(T + "tag-trailing-slash", "/tags/dc/")
case(T + "tag-pretty", "/tags/dc", [("pretty", "1")])
case(T + "tag-post", "/tags/dc", form=[("filter", "e")])

# findSeries: each operator, regex edge cases, combinations.
F = T + "find-"
def find(id, exprs, key="expr", post=False):
    pairs = [(key, e) for e in exprs]
    if post:
        case(F + id, "/tags/findSeries", form=pairs)
    else:
        case(F + id, "/tags/findSeries", pairs)

find("eq", ["dc=eu"])
find("eq-name", ["name=disk.used"])
find("eq-missing-value", ["dc=mars"])
find("eq-unknown-tag", ["planet=mars"])
find("ne", ["name=disk.used", "dc!=eu"])
find("ne-empty", ["dc!="])
find("eq-empty-filter", ["name=~disk.*", "dc="])
find("match", ["host=~web"])
find("match-anchored", ["host=~^db"])
find("match-middle", ["host=~.*01"])
find("match-alternation", ["host=~(web01|db02)"])
find("match-class", ["host=~web0[2-9]"])
find("match-dot-literal", ["name=~disk\\.u"])
find("match-end", ["name=~.+free$"])
find("match-case", ["dc=~EU"])
find("match-empty-all", ["name=~disk.*", "zone=~.*"])
find("notmatch", ["name=~disk.*", "host!=~web"])
find("notmatch-all", ["dc!=~.*"])
find("notmatch-empty-regex", ["dc!=~"])
find("and-three", ["name=~(disk|cpu).*", "dc=eu", "host!=db01"])
find("ne-only", ["dc!=eu"])
find("eq-empty-only", ["dc="])
find("match-empty-only", ["dc=~.*"])
find("bad-spec", ["dc"])
find("bad-op", ["dc~eu"])
find("bad-semicolon", ["dc=eu;x"])
find("none", [], key="expr")
find("brackets", ["dc=us", "name=cpu.load"], key="expr[]")
find("post", ["dc=eu"], post=True)
find("untagged", ["name=plain.metric"])
find("repeated-tag", ["k=2"])
find("openmetrics", ["app=y"])
find("tilde", ["name=tilde.metric"])
find("value-with-equals", ["q=a\"b"])
case(F + "pretty", "/tags/findSeries", [("expr", "dc=eu"), ("pretty", "1")])

# autoComplete/tags
A = T + "ac-tags-"
case(A + "all", "/tags/autoComplete/tags")
case(A + "prefix", "/tags/autoComplete/tags", [("tagPrefix", "d")])
case(A + "prefix-none", "/tags/autoComplete/tags", [("tagPrefix", "zz")])
case(A + "prefix-regex-chars", "/tags/autoComplete/tags", [("tagPrefix", ".")])
case(A + "limit", "/tags/autoComplete/tags", [("limit", "2")])
case(A + "limit-zero", "/tags/autoComplete/tags", [("limit", "0")])
case(A + "limit-negative", "/tags/autoComplete/tags", [("limit", "-2")])
case(A + "limit-bad", "/tags/autoComplete/tags", [("limit", "many")])
case(A + "expr", "/tags/autoComplete/tags", [("expr", "name=disk.used")])
case(A + "expr-prefix", "/tags/autoComplete/tags", [("expr", "name=~disk.*"), ("tagPrefix", "h")])
case(A + "expr-two", "/tags/autoComplete/tags", [("expr", "name=~.+"), ("expr", "dc=eu")])
case(A + "expr-limit", "/tags/autoComplete/tags", [("expr", "name=~.+"), ("limit", "2")])
case(A + "expr-limit-zero", "/tags/autoComplete/tags", [("expr", "name=~.+"), ("limit", "0")])
case(A + "expr-limit-negative", "/tags/autoComplete/tags", [("expr", "name=~.+"), ("limit", "-1")])
case(A + "expr-bad", "/tags/autoComplete/tags", [("expr", "nope")])
case(A + "expr-all-empty", "/tags/autoComplete/tags", [("expr", "dc!=eu")])
case(A + "expr-all-empty-regex", "/tags/autoComplete/tags", [("expr", "name=~.*")])
case(A + "expr-brackets", "/tags/autoComplete/tags", [("expr[]", "dc=us")])
case(A + "post", "/tags/autoComplete/tags", form=[("expr", "dc=us"), ("tagPrefix", "h")])

# autoComplete/values
V = T + "ac-values-"
case(V + "dc", "/tags/autoComplete/values", [("tag", "dc")])
case(V + "name", "/tags/autoComplete/values", [("tag", "name")])
case(V + "prefix", "/tags/autoComplete/values", [("tag", "host"), ("valuePrefix", "web")])
case(V + "prefix-regex-chars", "/tags/autoComplete/values", [("tag", "name"), ("valuePrefix", "disk.")])
case(V + "limit", "/tags/autoComplete/values", [("tag", "host"), ("limit", "2")])
case(V + "limit-zero", "/tags/autoComplete/values", [("tag", "host"), ("limit", "0")])
case(V + "limit-negative", "/tags/autoComplete/values", [("tag", "host"), ("limit", "-1")])
case(V + "unknown-tag", "/tags/autoComplete/values", [("tag", "planet")])
case(V + "no-tag", "/tags/autoComplete/values", [("valuePrefix", "a")])
case(V + "expr", "/tags/autoComplete/values", [("tag", "host"), ("expr", "dc=eu")])
case(V + "expr-prefix", "/tags/autoComplete/values",
     [("tag", "host"), ("expr", "name=~.+"), ("valuePrefix", "d")])
case(V + "expr-limit", "/tags/autoComplete/values", [("tag", "host"), ("expr", "name=~.+"), ("limit", "1")])
case(V + "expr-bad-tag", "/tags/autoComplete/values", [("tag", "a=b"), ("expr", "dc=eu")])
case(V + "expr-name", "/tags/autoComplete/values", [("tag", "name"), ("expr", "dc=us")])
case(V + "post", "/tags/autoComplete/values", form=[("tag", "dc"), ("valuePrefix", "e")])

# seriesByTag in renders: names, tags and values of the tagged whisper files.
R = T + "render-"
json_render(R + "eq", ["seriesByTag('dc=eu')"], "-10min")
json_render(R + "two-exprs", ["seriesByTag('name=disk.used','dc=us')"], "-10min")
json_render(R + "double-quotes", ['seriesByTag("name=~cpu.*")'], "-5min")
json_render(R + "regex", ["seriesByTag('host=~web0[12]')"], "-5min")
json_render(R + "none", ["seriesByTag('dc=mars')"], "-5min")
json_render(R + "nested", ["sumSeries(seriesByTag('name=disk.used'))"], "-10min")
json_render(R + "alias-by-tags", ["aliasByTags(seriesByTag('name=disk.used'),'host','dc')"], "-5min")
json_render(R + "alias-by-tags-name", ["aliasByTags(seriesByTag('dc=eu'),'name',1)"], "-5min")
json_render(R + "group-by-tags", ["groupByTags(seriesByTag('name=~disk.*'),'sum','dc')"], "-10min")
json_render(R + "group-by-tags-name", ["groupByTags(seriesByTag('name=~.+'),'max','name')"], "-5min")
json_render(R + "alias-by-node-tag", ["aliasByNode(seriesByTag('name=cpu.load'),'host',0)"], "-5min")
json_render(R + "two-targets", ["seriesByTag('dc=eu')", "seriesByTag('dc=us')"], "-5min")
json_render(R + "same-twice", ["seriesByTag('dc=eu')", "sumSeries(seriesByTag('dc=eu'))"], "-5min")
json_render(R + "tagged-path", ["disk.used;dc=eu;host=web01"], "-5min")
json_render(R + "not-string-arg", ["seriesByTag('dc=eu',1)"], "-5min")
json_render(R + "ne", ["seriesByTag('name=cpu.load','dc!=eu')"], "-5min")
json_render(R + "ne-empty", ["seriesByTag('name=~disk','host!=')"], "-5min")
json_render(R + "eq-empty", ["seriesByTag('name=cpu.load','dc=')"], "-5min")
json_render(R + "notmatch", ["seriesByTag('name=~disk.*','host!=~web')"], "-5min")
json_render(R + "notmatch-nonempty", ["seriesByTag('name=~.+','dc!=~.*')"], "-5min")
json_render(R + "match-anchored", ["seriesByTag('host=~^db')"], "-5min")
json_render(R + "match-end", ["seriesByTag('name=~.*free$')"], "-5min")
json_render(R + "match-alternation", ["seriesByTag('host=~(web02|db01)','name=~(cpu|mem)')"], "-5min")
json_render(R + "match-lookahead", ["seriesByTag('host=~web(?!01)')"], "-5min")
json_render(R + "piped", ["seriesByTag('dc=us')|aliasByTags('host')"], "-5min")
json_render(R + "kwarg-ignored", ["seriesByTag('dc=us',x='dc=eu')"], "-5min")
json_render(R + "maxdatapoints", ["seriesByTag('name=disk.used')"], "-1h", extra=[("maxDataPoints", "5")])

# Deletion, then the same queries again.
case(T + "del", "/tags/delSeries", form=[("path", REG[0]), ("path", "never.registered;a=b")])
case(T + "del-brackets", "/tags/delSeries", form=[("path[]", "extra.metric;app=x;zone=b")])
case(T + "del-none", "/tags/delSeries", form=[("x", "y")])
case(T + "del-get", "/tags/delSeries", [("path", "a;b=c")])
find("after-del", ["dc=eu"])
case(T + "list-after-del", "/tags")
case(T + "tag-after-del", "/tags/app")
case(A + "after-del", "/tags/autoComplete/tags", [("expr", "name=~.+")])
json_render(R + "after-del", ["seriesByTag('dc=eu')"], "-5min")
