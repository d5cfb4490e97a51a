#!/usr/bin/env python
"""Records what graphite-web 1.1.10's LineGraph (glyph.py, drawn by cairocffi with the real
fonts) computes for a set of option combinations on fixed data; webapp/tests/graph_layout.rs
draws the same inputs with our port (webapp/src/graph/line.rs) and compares.

Run from the workspace root:

    .venv-ref/bin/python webapp/tests/graph/reference_layout.py

Each case gives request parameters (turned into graphOptions by the reference's own
views.parseOptions) and series built directly as TimeSeries (name, start, end, step, values,
the options dict the Graph functions set, and an optional color; values are written as their
repr() text so that they are read back exactly). The graph is drawn and these
are recorded after drawGraph:

  area; y (yTop, yBottom, yStep, ySpan, yLabelValues, yLabels, yLabelWidth) or yLeft/yRight
  with two Y axes; x (the xAxisConfigs index, xLabelStep, xMinorGridStep, xMajorGridStep,
  xScaleFactor); every drawText call (text, x, y, align, valign, rotate); the series paths
  drawn by drawLines (their count, and the first MAX_PATH_SEGMENTS: move_to/line_to as
  ["M"|"L", x, y], the fill closing of
  fillAreaAndClip as two "L" and a "Z"); for SVG the metadata JSON text; or the exception.

Besides the written cases, seeded random combinations of options and data shapes are
generated (LAYOUT_RANDOM_CASES/LAYOUT_RANDOM_SEED, LAYOUT_WILD_CASES/LAYOUT_WILD_SEED; the
defaults give the committed fixture; other seeds are a cheap way to hunt for differences).
Every case is drawn in a forked child, because cairo's process-wide font caches make a
measurement depend on what an earlier graph drew.

The templates file is graphite's shipped graphTemplates.conf.example. Writes
webapp/tests/graph/layout.expected.json. Floats that are not finite are the strings
"nan"/"inf"/"-inf".
"""
import json
import math
import os
import sys
import tempfile
from urllib.parse import urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
TEMPLATES = os.path.join(ROOT, ".venv-ref", "conf", "graphTemplates.conf.example")
OUT = os.path.join(HERE, "layout.expected.json")

T0 = 1700000000  # 2023-11-14 22:13:20 UTC
MAX_PATH_SEGMENTS = 250


def setup_django():
    root = tempfile.mkdtemp(prefix="graph-layout-")
    with open(os.path.join(root, "layout_settings.py"), "w") as fh:
        fh.write("STORAGE_DIR = %r\n" % root)
        fh.write("TIME_ZONE = 'UTC'\n")
        fh.write("SECRET_KEY = 'layout'\n")
        fh.write("LOG_DIR = %r\n" % os.path.join(root, "log"))
        fh.write("GRAPHTEMPLATES_CONF = %r\n" % TEMPLATES)
    os.makedirs(os.path.join(root, "log"))
    sys.path.insert(0, root)
    os.environ["GRAPHITE_SETTINGS_MODULE"] = "layout_settings"
    os.environ["DJANGO_SETTINGS_MODULE"] = "graphite.settings"
    import django
    django.setup()


def wave(n, scale=100.0, phase=0.0, offset=0.0, nones=()):
    out = []
    for i in range(n):
        if i in nones:
            out.append(None)
        else:
            out.append(round(offset + scale * (1.0 + math.sin(i / 5.0 + phase)) / 2.0, 3))
    return out


def series(name, values, step=60, start=T0, options=None, color=None, end=None):
    s = dict(name=name, start=start, end=end if end is not None else start + step * len(values),
             step=step, values=values, options=options or {})
    if color is not None:
        s["color"] = color
    return s


def two(step=60, n=60, **kw):
    return [series("servers.web1.cpu", wave(n, 80, 0.0, 5, nones=(7, 8)), step=step, **kw),
            series("servers.web2.cpu", wave(n, 60, 1.3, 10), step=step, **kw)]


CASES = []


def case(id, params=(), data=None, format=None):
    assert all(c["id"] != id for c in CASES), id
    CASES.append(dict(id=id, params=[list(p) for p in params],
                      format=format, series=two() if data is None else data))


# Sizes, margins, colours, templates, fonts.
case("default")
case("small", [("width", "200"), ("height", "120"), ("margin", "5")])
case("negative_margin", [("margin", "-3")])
case("colors", [("bgcolor", "%23202020"), ("fgcolor", "ffcc00"),
                ("colorList", "%23ff0000,00ff0080,blue")])
case("template_solarized", [("template", "solarized-dark")])
case("template_unknown", [("template", "nosuch")])
case("font_big_bold", [("fontSize", "14"), ("fontBold", "true")])
case("font_italic_serif", [("fontName", "DejaVu Serif"), ("fontItalic", "true"), ("fontSize", "9")])
case("grid_colors", [("majorGridLineColor", "red"), ("minorGridLineColor", "%23cccccc")])
# Titles.
case("title", [("title", "CPU usage")])
case("title_multiline", [("title", "First line\nSecond line"), ("vtitle", "percent")])
case("vtitle_multiline", [("vtitle", "a\nb")])
case("title_right_axis", [("title", "Right"), ("yAxisSide", "right")])
# Line modes and widths.
case("staircase", [("lineMode", "staircase")])
case("connected", [("lineMode", "connected")])
case("connected_limit", [("lineMode", "connected"), ("connectedLimit", "1")],
     data=[series("gappy", wave(40, 50, nones=(3, 10, 11, 20, 21, 22)))])
case("one_point_forces_staircase", data=[series("single", [5.0], step=3600),
                                         series("other", [1.0], step=3600)])
case("line_width", [("lineWidth", "3")])
case("thickness_alias", [("thickness", "2.5")])
# Areas.
case("area_first", [("areaMode", "first")])
case("area_all_alpha", [("areaMode", "all"), ("areaAlpha", "0.3")])
case("area_stacked", [("areaMode", "stacked")])
case("area_stacked_alpha_bad", [("areaMode", "stacked"), ("areaAlpha", "x")])
case("draw_null_as_zero", [("drawNullAsZero", "true")])
# Y axis limits.
case("y_min_max", [("yMin", "-10"), ("yMax", "150")])
case("min_max_alias", [("min", "20"), ("max", "70.5")])
case("y_max_extremum", [("yMax", "max")])
case("y_limit", [("yLimit", "50")])
case("y_step", [("yStep", "7")])
case("y_divisors", [("yDivisors", "3,7")])
case("y_equal_data", data=[series("flat", [5.0] * 30)])
case("y_zero_data", data=[series("zero", [0.0] * 30)])
case("y_negative", data=[series("neg", wave(60, 300, offset=-400))])
case("y_min_above_data", [("yMin", "200")])
# Units.
big = [series("bytes", wave(60, 5e9, offset=1e6))]
case("units_si", data=big)
case("units_binary", [("yUnitSystem", "binary")], data=big)
case("units_sec", [("yUnitSystem", "sec")], data=[series("dur", wave(60, 200000))])
case("units_msec", [("yUnitSystem", "msec")], data=[series("dur", wave(60, 5e6))])
case("units_none", [("yUnitSystem", "none")], data=big)
case("units_invalid", [("yUnitSystem", "FOO")], data=big)
case("small_values", data=[series("tiny", wave(60, 0.003, offset=0.001))])
# Log axes and minor lines.
pos = [series("pos", wave(60, 5000, offset=2))]
case("log10", [("logBase", "10")], data=pos)
case("log_e", [("logBase", "e")], data=pos)
case("log2_minor", [("logBase", "2"), ("minorY", "2")], data=pos)
case("minor_y_3", [("minorY", "3")])
case("minor_y_0", [("minorY", "0")])
# Axis side and hiding.
case("y_axis_right", [("yAxisSide", "right")])
case("hide_axes", [("hideAxes", "true")])
case("hide_x_axis", [("hideXAxis", "true")])
case("hide_y_axis", [("hideYAxis", "true")])
case("hide_grid", [("hideGrid", "true")])
case("graph_only", [("graphOnly", "true")])
# Legends.
many = [series("metric.number.%d" % i, wave(30, 10 + i, i / 3.0)) for i in range(12)]
case("legend_auto_hidden", data=many)
case("legend_forced", [("hideLegend", "false")], data=many)
case("legend_hidden", [("hideLegend", "true")])
dup = [series("same", wave(30, 10)), series("same", wave(30, 20)),
       series("allnull", [None] * 30), series("other", wave(30, 5))]
case("unique_legend", [("uniqueLegend", "true")], data=dup)
case("hide_null_from_legend", [("hideNullFromLegend", "true")], data=dup)
case("legend_narrow", [("width", "150")])
case("legend_quoted_name", data=[series("a%20b+c", wave(30, 10))])
# Consolidation.
case("min_x_step", [("minXStep", "5")], data=[series("long", wave(2000, 100), step=10)])
case("consolidate_default", data=[series("long", wave(3000, 100), step=10)])
# Time axes, formats, zones.
for label, step, n in [("5min", 5, 60), ("30min", 30, 60), ("3h", 180, 60), ("1d", 600, 144),
                       ("5d", 3600, 120), ("2w", 3600, 336), ("3mon", 86400, 90),
                       ("2y", 86400, 730), ("10y", 86400 * 7, 520)]:
    case("range_" + label, data=[series("r", wave(n, 100), step=step)])
case("x_format", [("xFormat", "%d %b %Y")])
case("tz_berlin", [("tz", "Europe/Berlin")], data=[series("r", wave(144, 100), step=600)])
case("tz_new_york_dst", [("tz", "America/New_York")],
     data=[series("r", wave(96, 100), step=3600, start=1699070400)])
# Two Y axes and the Graph functions' options.
duo = [series("left.a", wave(60, 100)),
       series("secondYAxis(right.b)", wave(60, 5000, 1.0), options={"secondYAxis": True})]
case("second_y_axis", data=duo)
case("second_y_axis_limits", [("yMinLeft", "0"), ("yMaxLeft", "200"), ("yStepRight", "1000"),
                              ("yLimitRight", "4000"), ("vtitle", "left"),
                              ("vtitleRight", "right")], data=duo)
case("second_y_axis_styles", [("leftColor", "green"), ("rightColor", "red"),
                              ("rightDashed", "3"), ("leftWidth", "2"), ("rightWidth", "0.5")],
     data=duo)
case("second_y_axis_legend_narrow", [("width", "180")], data=duo)
case("functions_options", data=[
    series("dashed(a, 5)", wave(60, 100), options={"dashed": 5}),
    series("b", wave(60, 50), options={"lineWidth": 3}, color="ff000080"),
    series("c", wave(60, 70, 2.0), options={"alpha": 0.4}, color="purple"),
    series("drawAsInfinite(d)", [0, 1, 0, 0, 2] * 12, options={"drawAsInfinite": True})])
case("area_between", data=[
    series("areaBetween(x)", wave(60, 40), options={"stacked": True, "invisible": True}),
    series("areaBetween(x)", wave(60, 40, offset=30), options={"stacked": True})])
case("stacked_function", data=[
    series("stacked(a)", wave(60, 40), options={"stacked": True}),
    series("b", wave(60, 90, 1.0))])
case("different_starts", data=[series("early", wave(60, 10)),
                               series("late", wave(30, 20), start=T0 + 1800)])
# No Data, errors, other formats.
case("no_data", data=[])
case("no_data_small", [("width", "100"), ("height", "60")], data=[])
case("zero_range", data=[series("empty", [], step=60)])
case("error_log_negative", [("logBase", "10")], data=[series("neg", wave(30, 10, offset=-5))])
case("error_min_max", [("yMin", "10"), ("yMax", "5")])
case("error_line_mode", [("lineMode", "curvy")])
case("error_color", [("bgcolor", "zzzzzz")])
case("error_log_base_one", [("logBase", "1")], data=pos)
case("error_title_int", [("title", "5")])
case("svg_metadata", format="svg")
case("svg_metadata_log", [("logBase", "10"), ("yMin", "1")], data=pos, format="svg")
case("svg_metadata_two_axes", [("areaMode", "all"), ("areaAlpha", "0.5")], data=duo, format="svg")
case("svg_no_data", data=[], format="svg")
case("pdf", format="pdf")
# More combinations: two-column legends with two axes, types the reference trips over.
short = [series("l1", wave(60, 100)), series("l2", wave(60, 80, 0.5)),
         series("r1", wave(60, 3000, 1.0), options={"secondYAxis": True})]
case("second_y_axis_two_column_legend", data=short)
case("second_y_axis_two_column_wide", [("width", "800"), ("uniqueLegend", "true")], data=short)
case("second_y_axis_stacked_ignored", [("areaMode", "stacked"), ("yMaxRight", "5000"),
                                       ("yMinRight", "-100"), ("yLimitLeft", "70"),
                                       ("yStepLeft", "15")], data=short)
case("second_y_axis_log", [("logBase", "10"), ("yMinLeft", "1")],
     data=[series("l", wave(60, 100, offset=1)),
           series("r", wave(60, 9000, offset=5), options={"secondYAxis": True})])
case("stacked_with_infinite", [("areaMode", "stacked")], data=[
    series("a", wave(60, 40)), series("inf", [0, 0, 1] * 20, options={"drawAsInfinite": True}),
    series("b", wave(60, 40, 2.0, nones=(5, 6, 30)))])
case("staircase_stacked", [("lineMode", "staircase"), ("areaMode", "stacked")])
case("connected_all", [("lineMode", "connected"), ("areaMode", "all")])
case("y_max_max_limit", [("yMax", "max"), ("yLimit", "30")])
case("y_min_int_type_svg", [("yMin", "0"), ("yMax", "120")], format="svg")
case("y_min_only_svg", [("yMin", "-5")], format="svg")
case("color_list_spaces", [("colorList", "red, blue")])
case("colors_alpha_hex", [("colorList", "ff000080,%2300ff00"), ("bgcolor", "black"),
                          ("fgcolor", "white")])
case("tz_dst_format", [("tz", "Europe/London"), ("xFormat", "%a %d %H:%M %Z")],
     data=[series("r", wave(72, 100), step=3600, start=1698537600)])
case("negative_null_as_zero", [("drawNullAsZero", "true")],
     data=[series("neg", wave(30, 50, offset=-80, nones=(2, 3)))])
case("title_vtitle_graph_only", [("graphOnly", "true"), ("title", "x"), ("vtitle", "y")])
case("pdf_two_axes", data=short, format="pdf")
case("svg_two_axes_stacked", [("areaMode", "all")], data=short, format="svg")
case("error_width_text", [("width", "abc")])
case("error_font_size_zero", [("fontSize", "0")])
case("error_tz", [("tz", "Not/AZone")])
case("error_line_width_text", [("lineWidth", "wide")])
case("error_y_step_zero", [("yStep", "0")])
case("error_y_divisors_zero", [("yDivisors", "0,4")])
case("error_y_min_text", [("yMin", "low")])
case("error_log_null_as_zero", [("logBase", "10"), ("drawNullAsZero", "true"), ("yMin", "1")])


# Seeded random combinations: data shapes and options drawn from pools, so that interactions
# nobody wrote a case for are compared too.
def random_cases(count, seed=20231114):
    import random
    rnd = random.Random(seed)
    pools = [
        ("width", ["120", "250", "330", "600"]), ("height", ["90", "180", "400"]),
        ("margin", ["0", "4", "25"]), ("lineMode", ["slope", "staircase", "connected"]),
        ("areaMode", ["none", "first", "all", "stacked"]), ("areaAlpha", ["0.2", "1"]),
        ("drawNullAsZero", ["true", "false"]), ("yMin", ["0", "-50", "12.5"]),
        ("yMax", ["100", "max", "1000"]), ("yLimit", ["60", "500"]), ("yStep", ["5", "25"]),
        ("yDivisors", ["2,3", "4,5,6", "10"]), ("minorY", ["0", "2", "5"]),
        ("yUnitSystem", ["si", "binary", "sec", "msec", "none"]), ("logBase", ["10", "2"]),
        ("yAxisSide", ["left", "right"]), ("hideLegend", ["true", "false"]),
        ("uniqueLegend", ["true"]), ("hideNullFromLegend", ["true"]), ("hideAxes", ["true"]),
        ("hideXAxis", ["true"]), ("hideYAxis", ["true"]), ("hideGrid", ["true"]),
        ("graphOnly", ["true"]), ("minXStep", ["0.5", "3", "10"]),
        ("fontSize", ["6", "8", "13", "20"]), ("fontBold", ["true"]), ("fontItalic", ["true"]),
        ("title", ["T", "Two\nlines"]), ("vtitle", ["V"]), ("vtitleRight", ["R"]),
        ("tz", ["UTC", "Asia/Kolkata", "America/Los_Angeles"]), ("xFormat", ["%H:%M %d"]),
        ("lineWidth", ["0.5", "2", "4"]), ("connectedLimit", ["0", "2"]),
        ("yMinLeft", ["0"]), ("yMaxRight", ["20000"]), ("leftDashed", ["2"]),
        ("rightWidth", ["3"]), ("template", ["noc", "classic", "solarized-light"]),
    ]
    steps = [1, 10, 60, 300, 3600, 86400]
    for i in range(count):
        step = rnd.choice(steps)
        n = rnd.choice([1, 2, 5, 30, 200, 600])
        start = T0 + rnd.choice([0, 17, 3600 * 5])
        data = []
        for j in range(rnd.choice([0, 1, 1, 2, 3, 4, 12])):
            scale = rnd.choice([1.0, 100.0, 1e4, 3e9])
            offset = rnd.choice([0.0, 1.0, -scale / 2])
            nones = set(rnd.sample(range(n), k=min(n, rnd.choice([0, 0, 1, 5]))))
            values = wave(n, scale, rnd.random() * 6, offset, nones)
            options = {}
            r = rnd.random()
            if r < 0.15:
                options["secondYAxis"] = True
            elif r < 0.22:
                options["stacked"] = True
            elif r < 0.27:
                options["drawAsInfinite"] = True
            elif r < 0.32:
                options["dashed"] = 3
            name = rnd.choice(["a.b.c", "servers.host-%d.load" % j, "x", "a%%2Fb %d" % j])
            data.append(series(name, values, step=step,
                               start=start + rnd.choice([0, 0, step * 3]),
                               color=rnd.choice([None, None, "orange", "00ff00"])))
        params = [(k, rnd.choice(v)) for k, v in pools if rnd.random() < 0.12]
        fmt = rnd.choice([None, None, None, "svg", "pdf"])
        case("random_%02d" % i, params, data=data, format=fmt)


def random_cases_wild(count, seed):
    """Like random_cases, with NaN and infinite values, two axes, colours, DST zones and
    more options at once."""
    import random
    rnd = random.Random(seed)
    pools = [
        ("width", ["90", "330", "1000"]), ("height", ["60", "250", "700"]),
        ("colorList", ["red,%23112233", "ff00ff80,green,aqua"]), ("fgcolor", ["%23336699"]),
        ("bgcolor", ["white", "000000"]), ("lineMode", ["slope", "staircase", "connected"]),
        ("areaMode", ["first", "all", "stacked"]), ("areaAlpha", ["0.5", "abc"]),
        ("drawNullAsZero", ["true"]), ("yMax", ["max", "75"]), ("yMin", ["1", "-1.5"]),
        ("yMinLeft", ["0", "5"]), ("yMaxLeft", ["max", "300"]), ("yLimitLeft", ["40"]),
        ("yStepLeft", ["10"]), ("yMinRight", ["-10"]), ("yMaxRight", ["1e4", "8000"]),
        ("yLimitRight", ["100"]), ("yStepRight", ["250"]), ("yDivisors", ["1,2", "7"]),
        ("minorY", ["1", "4"]), ("yUnitSystem", ["binary", "msec"]), ("logBase", ["e", "3"]),
        ("hideLegend", ["false"]), ("uniqueLegend", ["true"]), ("hideNullFromLegend", ["true"]),
        ("hideYAxis", ["true"]), ("hideGrid", ["true"]), ("minXStep", ["0", "2", "50"]),
        ("fontSize", ["7", "11", "16"]), ("fontBold", ["true"]), ("fontName", ["DejaVu Serif"]),
        ("title", ["A title that is long enough to matter"]), ("vtitle", ["left\nside"]),
        ("vtitleRight", ["right side"]), ("tz", ["Europe/Berlin", "Australia/Sydney"]),
        ("xFormat", ["%b %d %Hh", "%s"]), ("lineWidth", ["1", "3"]), ("thickness", ["2"]),
        ("connectedLimit", ["1", "5"]), ("leftColor", ["blue"]), ("rightColor", ["%23ff8800"]),
        ("leftWidth", ["2.5"]), ("rightDashed", ["4"]), ("leftDashed", ["1"]),
        ("margin", ["0", "30"]), ("yAxisSide", ["right"]), ("graphOnly", ["true"]),
        ("majorGridLineColor", ["green"]), ("minorGridLineColor", ["%23eeeeee"]),
    ]
    for i in range(count):
        step = rnd.choice([1, 30, 60, 600, 3600, 86400])
        n = rnd.choice([2, 3, 40, 300, 700])
        # Around the 2023-10-29 DST change in Europe and Australia's 2023-10-01.
        start = rnd.choice([T0, 1698537600, 1696089600, 1698537600 + 3600 * 20])
        data = []
        for j in range(rnd.choice([1, 2, 3, 5, 11])):
            scale = rnd.choice([1.0, 50.0, 1e5, 2e12])
            offset = rnd.choice([0.0, 0.5, -scale])
            nones = set(rnd.sample(range(n), k=min(n, rnd.choice([0, 1, 3, n // 2]))))
            values = wave(n, scale, rnd.random() * 6, offset, nones)
            if rnd.random() < 0.2:
                values[rnd.randrange(n)] = float("nan")
            if rnd.random() < 0.1:
                values[rnd.randrange(n)] = float("inf")
            options = {}
            for key, p in [("secondYAxis", 0.3), ("stacked", 0.15), ("drawAsInfinite", 0.05),
                           ("invisible", 0.05)]:
                if rnd.random() < p:
                    options[key] = True
            if rnd.random() < 0.1:
                options["lineWidth"] = rnd.choice([1, 2.5])
            if rnd.random() < 0.1:
                options["alpha"] = 0.3
            name = rnd.choice(["m.%d" % j, "a%%20long%%20metric%%20name.%d" % j, "dup", ""])
            data.append(series(name, values, step=step, start=start + rnd.choice([0, step * 5]),
                               color=rnd.choice([None, None, "blue", "ff000040"])))
        params = [(k, rnd.choice(v)) for k, v in pools if rnd.random() < 0.15]
        fmt = rnd.choice([None, None, "svg", "pdf"])
        case("wild_%02d" % i, params, data=data, format=fmt)


random_cases_wild(int(os.environ.get("LAYOUT_WILD_CASES", "40")),
                  int(os.environ.get("LAYOUT_WILD_SEED", "1029")))
random_cases(int(os.environ.get("LAYOUT_RANDOM_CASES", "80")),
             int(os.environ.get("LAYOUT_RANDOM_SEED", "20231114")))

def fixture_float(v):
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
    return v


def fix(v):
    if isinstance(v, dict):
        return {k: fix(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [fix(x) for x in v]
    return fixture_float(v)


class Recording:
    """A cairo context proxy recording the path calls of drawLines."""

    def __init__(self, ctx, log):
        self._ctx = ctx
        self._log = log
        self.active = False
        self.in_fill = False

    def __getattr__(self, name):
        return getattr(self._ctx, name)

    def move_to(self, x, y):
        if self.active and not self.in_fill:
            self._log.append(["M", x, y])
        return self._ctx.move_to(x, y)

    def line_to(self, x, y):
        if self.active and not self.in_fill:
            self._log.append(["L" if self._ctx.has_current_point() else "M", x, y])
        return self._ctx.line_to(x, y)


def run(c):
    from django.test import RequestFactory
    from graphite.render import glyph, views
    from graphite.render.datalib import TimeSeries

    params = [tuple(p) for p in c["params"]]
    if c["format"]:
        params.append(("format", c["format"]))
    request = RequestFactory().get("/render?" + urlencode(params))
    graph_options, _ = views.parseOptions(request)
    data = []
    for s in c["series"]:
        ts = TimeSeries(s["name"], s["start"], s["end"], s["step"], list(s["values"]),
                        tags={"name": s["name"]})
        ts.options = dict(s["options"])
        if "color" in s:
            ts.color = s["color"]
        data.append(ts)
    graph_options["data"] = data

    texts, paths = [], []
    orig_draw_text = glyph.Graph.drawText
    orig_setup = glyph.Graph.setupCairo
    orig_lines = glyph.LineGraph.drawLines
    orig_fill = glyph.LineGraph.fillAreaAndClip

    def draw_text(self, text, x, y, font={}, color={}, align='left', valign='top', border=False,
                  rotate=0):
        texts.append([text, x, y, align, valign, rotate])
        return orig_draw_text(self, text, x, y, font, color, align, valign, border, rotate)

    def setup(self, outputFormat='png'):
        orig_setup(self, outputFormat)
        self.ctx = Recording(self.ctx, paths)

    def lines(self, *a, **kw):
        self.ctx.active = True
        try:
            return orig_lines(self, *a, **kw)
        finally:
            self.ctx.active = False

    def fill(self, x, y, startX=None, areaYFrom=None):
        sx = startX or self.area['xmin']
        yf = areaYFrom or self.area['ymax']
        paths.append(["L", x, yf])
        paths.append(["L", sx, yf])
        paths.append(["Z"])
        self.ctx.in_fill = True
        try:
            return orig_fill(self, x, y, startX, areaYFrom)
        finally:
            self.ctx.in_fill = False

    glyph.Graph.drawText = draw_text
    glyph.Graph.setupCairo = setup
    glyph.LineGraph.drawLines = lines
    glyph.LineGraph.fillAreaAndClip = fill
    out = {}
    try:
        g = glyph.LineGraph(**graph_options)
    except Exception as e:  # the reference answers these with a 500
        out["error"] = {"exception": type(e).__name__, "message": str(e)}
        out["texts"] = texts
        return out
    finally:
        glyph.Graph.drawText = orig_draw_text
        glyph.Graph.setupCairo = orig_setup
        glyph.LineGraph.drawLines = orig_lines
        glyph.LineGraph.fillAreaAndClip = orig_fill

    out["width"] = g.width
    out["height"] = g.height
    out["no_data"] = not hasattr(g, "startTime")
    out["area"] = dict(g.area)
    if hasattr(g, "startTime"):
        def axis(suffix):
            return {
                "top": getattr(g, "yTop" + suffix), "bottom": getattr(g, "yBottom" + suffix),
                "step": getattr(g, "yStep" + suffix), "span": getattr(g, "ySpan" + suffix),
                "labelValues": getattr(g, "yLabelValues" + suffix),
                "labels": getattr(g, "yLabels" + suffix),
                "labelWidth": getattr(g, "yLabelWidth" + suffix),
            }
        if g.secondYAxis:
            out["yLeft"] = axis("L")
            out["yRight"] = axis("R")
        else:
            out["y"] = axis("")
        out["x"] = {
            "config": glyph.xAxisConfigs.index(g.xConf),
            "labelStep": g.xLabelStep, "minorGridStep": g.xMinorGridStep,
            "majorGridStep": g.xMajorGridStep, "scaleFactor": g.xScaleFactor,
            "startTime": g.startTime, "endTime": g.endTime,
        }
    out["texts"] = texts
    # The first segments are enough to catch a difference; the count checks the rest.
    out["path_count"] = len(paths)
    out["paths"] = paths[:MAX_PATH_SEGMENTS]
    if c["format"] == "svg":
        import io
        buf = io.BytesIO()
        g.ctx = g.ctx._ctx
        g.output(buf)
        svg = buf.getvalue().decode("utf-8")
        start = svg.index("metadata = ") + len("metadata = ")
        end = svg.index("\n  ]]>", start)
        out["metadata"] = svg[start:end]
    return out


def run_isolated(c):
    """run(c) in a forked child: cairo's process-wide font and glyph caches carry hinting
    state from one drawing to the next (a label measured after an earlier SVG or PDF case
    can come out a pixel wider), so every case starts from the same fresh state."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            data = json.dumps(fix(run(c)), allow_nan=False).encode("utf-8")
        except BaseException as e:  # report instead of dying silently
            data = json.dumps({"harness_error": repr(e)}).encode("utf-8")
        with os.fdopen(write, "wb") as fh:
            fh.write(data)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    out = json.loads(data)
    assert "harness_error" not in out, (c["id"], out)
    return out


def main():
    setup_django()
    results = []
    for c in CASES:
        r = dict(c)
        r["expected"] = run_isolated(c)
        # Values as repr() text: the Rust side parses them exactly (serde_json's default
        # number parsing can be an ulp off).
        r["series"] = [dict(s, values=[None if v is None else repr(float(v)) for v in s["values"]])
                       for s in c["series"]]
        results.append(r)
    # One case per line, compact: the paths make the file large.
    with open(OUT, "w") as fh:
        fh.write('{"t0": %d, "templates": %s, "cases": [\n' % (
            T0, json.dumps(os.path.relpath(TEMPLATES, ROOT))))
        fh.write(",\n".join(json.dumps(r, separators=(",", ":"), allow_nan=False)
                            for r in results))
        fh.write("\n]}\n")
    print("wrote %d cases to %s" % (len(results), OUT))


if __name__ == "__main__":
    main()
