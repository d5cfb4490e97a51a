#!/usr/bin/env python
"""Records graphite-web 1.1.10's pie graph layout (glyph.py PieGraph) for the cases below;
webapp/tests/graph_pie.rs draws the same cases with our pie code and compares.

Run from the workspace root:

    .venv-ref/bin/python webapp/tests/graph/reference_pie.py

For each case the query parameters go through the reference's views.parseOptions (so the
option coercion is the reference's), the slice data is given directly (as views.py builds it
from `name:value` targets or pieMode), and PieGraph(**graphOptions) draws on a real cairo
surface. drawText and drawRectangle are wrapped to record every text (with cairo's current
point where the glyphs start) and every legend box. Recorded per case: the area, centre,
radius, the slices (value, percent, colour, alpha, angles), the value labels, every text and
the legend boxes; or the exception class when the reference raises (a 500); and for the
SVG_CASES the whole SVG document the reference writes (format=svg). Writes
webapp/tests/graph/pie.expected.json.
"""
import json
import math
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "golden"))
import generate  # noqa: E402  (its Django setup)

OUT = os.path.join(HERE, "pie.expected.json")

CASES = []


def case(id, params, data):
    CASES.append(dict(id=id, params=[list(p) for p in params], data=[list(d) for d in data]))


THREE = [("alpha", 10.0), ("beta", 20.0), ("gamma", 30.0)]
case("basic", [], THREE)
case("number-labels", [("valueLabels", "number")], [("a", 2.5), ("b", 7.0), ("c", 123.75), ("d", 9.999)])
case("rotated", [("pieLabels", "rotated")],
     [("s%d" % i, float(v)) for i, v in enumerate([5, 9, 13, 7, 21, 3, 17, 11])])
case("title-no-legend", [("title", "Disk+usage\nper%20host"), ("hideLegend", "true")], THREE)
case("labels-min", [("valueLabelsMin", "20"), ("fontSize", "12")], THREE + [("tiny", 1.0)])
case("labels-none", [("valueLabels", "none"), ("title", "None")], THREE)
case("alpha-colors", [("areaAlpha", "0.5"), ("colorList", "ff000080,%2300ff00,blue"),
                      ("valueLabelsColor", "white"), ("bgcolor", "black"), ("fgcolor", "yellow")],
     THREE + [("delta", 15.0)])
case("no-data", [], [])
case("no-data-large", [("width", "800"), ("height", "600")], [])
case("big-legend", [("width", "600"), ("height", "400"), ("fontSize", "14"), ("fontBold", "true")],
     [("a.very.long.series.name.number%02d" % i, float(i + 1)) for i in range(15)])
case("right-title", [("yAxisSide", "right"), ("title", "Right"), ("margin", "30")], THREE)
case("negative-margin", [("margin", "-4"), ("fontItalic", "true")], THREE)
case("number-int", [("valueLabels", "number"), ("valueLabelsMin", "0")],
     [("a", 1e20), ("b", 0.0), ("c", 4.0), ("d", 12.5)])
case("single", [], [("only", 42.0)])
case("small", [("width", "120"), ("height", "90")], THREE)
case("tall", [("width", "200"), ("height", "500"), ("title", "Tall")], THREE)
case("equal-names", [], [("same", 1.0), ("same", 2.0), ("xx", 3.0), ("yy", 4.0)])
case("zero-total", [], [("a", 0.0), ("b", 0.0)])
case("bad-value-labels", [("valueLabels", "pct")], THREE)
case("bad-color", [("colorList", "nocolor")], THREE)
case("title-int", [("title", "5")], THREE)
case("labels-min-text", [("valueLabelsMin", "x")], THREE)
# A NaN or infinite slice value aborts the reference process (a cairo assertion): not recorded.
case("negative-value", [], [("a", -10.0), ("b", 30.0)])
case("font-size-zero", [("fontSize", "0")], THREE)


# Cases whose SVG output is recorded too (our SVG must be byte-identical).
SVG_CASES = ("basic", "rotated", "alpha-colors", "title-no-legend", "no-data")


def svg_of(factory, c):
    from graphite.render import glyph, views
    from urllib.parse import urlencode
    req = factory.get("/render?" + urlencode([("graphType", "pie"), ("format", "svg")]
                                             + [tuple(p) for p in c["params"]]))
    graph_options, _ = views.parseOptions(req)
    graph_options["data"] = [tuple(d) for d in c["data"]]
    import io
    buf = io.BytesIO()
    glyph.PieGraph(**graph_options).output(buf)
    return buf.getvalue().decode("utf-8")


def run_case(factory, c):
    from graphite.render import glyph, views
    from urllib.parse import urlencode
    req = factory.get("/render", dict(c["params"]) if False else None)
    req = factory.get("/render?" + urlencode([("graphType", "pie")] + [tuple(p) for p in c["params"]]))
    graph_options, _ = views.parseOptions(req)
    graph_options["data"] = [tuple(d) for d in c["data"]]
    texts = []
    boxes = []
    orig_text = glyph.Graph.drawText
    orig_rect = glyph.Graph.drawRectangle

    def draw_text(self, text, x, y, font={}, color={}, align="left", valign="top", border=False, rotate=0):
        # Recompute the origin as drawText does (the current point before text_path).
        ctx = self.ctx
        if font:
            self.setFont(**font)
        ext = self.getExtents(text)
        angle = math.radians(rotate)
        m = ctx.get_matrix()
        horizontal = {"left": 0, "center": ext["width"] / 2, "right": ext["width"]}[align.lower()]
        vertical = {"top": ext["maxAscent"], "middle": ext["maxHeight"] / 2 - ext["maxDescent"],
                    "bottom": -ext["maxDescent"], "baseline": 0}[valign.lower()]
        ctx.move_to(x, y)
        ctx.rel_move_to(math.sin(angle) * -vertical, math.cos(angle) * vertical)
        ctx.rotate(angle)
        ctx.rel_move_to(-horizontal, 0)
        origin = ctx.get_current_point()
        ctx.new_path()
        ctx.set_matrix(m)
        texts.append(dict(text=text, x=x, y=y, rotate=rotate, origin=list(origin)))
        return orig_text(self, text, x, y, font, color, align, valign, border, rotate)

    def draw_rect(self, x, y, w, h, fill=True, dash=False):
        if fill and not (x == 0 and y == 0):
            boxes.append(dict(x=x, y=y, size=w))
        return orig_rect(self, x, y, w, h, fill, dash)

    glyph.Graph.drawText = draw_text
    glyph.Graph.drawRectangle = draw_rect
    try:
        g = glyph.PieGraph(**graph_options)
    except Exception as e:  # the reference answers a 500
        return dict(id=c["id"], params=c["params"], data=c["data"], exception=type(e).__name__)
    finally:
        glyph.Graph.drawText = orig_text
        glyph.Graph.drawRectangle = orig_rect
    out = dict(id=c["id"], params=c["params"], data=c["data"], texts=texts)
    if not c["data"]:
        out["no_data"] = True
        return out
    out["no_data"] = False
    out["area"] = g.area
    out["center"] = [g.x0, g.y0]
    out["radius"] = g.radius
    slices = []
    theta = 3.0 * math.pi / 2.0
    for s in g.slices:
        phi = theta + (2 * math.pi) * s["percent"]
        slices.append(dict(name=s["name"], value=s["value"], percent=s["percent"], color=s["color"],
                           alpha=s["alpha"], start=theta, end=phi, mid_angle=s["midAngle"]))
        theta = phi
    out["slices"] = slices
    legend = []
    for b, s in zip(boxes, g.slices if not graph_options.get("hideLegend") else []):
        legend.append(dict(name=s["name"], color=s["color"], x=b["x"], y=b["y"], size=b["size"]))
    out["legend"] = legend
    return out


def main():
    root = tempfile.mkdtemp(prefix="pie-ref-")
    generate.setup_django(root)
    from django.test import RequestFactory
    factory = RequestFactory()
    cases = [run_case(factory, c) for c in CASES]
    for out, c in zip(cases, CASES):
        if c["id"] in SVG_CASES:
            out["svg"] = svg_of(factory, c)
    with open(OUT, "w") as fh:
        json.dump(dict(cases=cases), fh, indent=1, sort_keys=True)
        fh.write("\n")
    print("wrote %d cases to %s" % (len(cases), OUT))


if __name__ == "__main__":
    main()
