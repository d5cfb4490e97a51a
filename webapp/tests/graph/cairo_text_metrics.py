"""Records cairo's font and text extents for the graph text-metrics test.

Run with the reference venv (cairocffi + libcairo + fontconfig's DejaVu):
    .venv-ref/bin/python webapp/tests/graph/cairo_text_metrics.py
It writes cairo_text_metrics.json beside itself. The contexts are set up as glyph.py sets
them up (setupCairo + ANTIALIAS_NONE): an ARGB32 image surface for PNG (hinted metrics) and
an SVG surface for the vector outputs (unhinted metrics).
"""
import io
import json
import math
import os

import cairocffi as cairo

SIZES = [8, 10, 11, 12, 20, 10.5, math.log(330 * 250), math.log(600 * 300), 7.3]
FACES = [("Sans", False, False), ("Sans", False, True), ("Sans", True, False),
         ("Sans", True, True), ("DejaVu Sans", False, False), ("NoSuchFamilyXyz", False, False),
         ("Serif", False, False), ("Monospace", False, True)]
STRINGS = ["", " ", "0", "1.0", "100 K", "-1.5M", "Hello World", "AV", "Wi", "12:00",
           "Thu 01:00", "servers.web01.cpu.load", "avg(x)", "Current: 42.00", "Max:",
           "(1,000)%", "\u00c4\u00d6\u00fc \u00e9", "jgyq|", "No Data"]


def context(kind):
    if kind == "image":
        surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 100, 100)
    else:
        surface = cairo.SVGSurface(io.BytesIO(), 100, 100)
    ctx = cairo.Context(surface)
    opts = ctx.get_font_options()
    opts.set_antialias(cairo.ANTIALIAS_NONE)
    ctx.set_font_options(opts)
    return ctx


def main():
    out = []
    for kind in ["image", "vector"]:
        ctx = context(kind)
        for family, italic, bold in FACES:
            for size in SIZES:
                ctx.select_font_face(family, cairo.FONT_SLANT_ITALIC if italic else cairo.FONT_SLANT_NORMAL,
                                     cairo.FONT_WEIGHT_BOLD if bold else cairo.FONT_WEIGHT_NORMAL)
                ctx.set_font_size(size)
                out.append({
                    "surface": kind, "family": family, "italic": italic, "bold": bold, "size": size,
                    "font_extents": list(ctx.font_extents()),
                    "text_extents": {s: list(ctx.text_extents(s)) for s in STRINGS},
                })
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cairo_text_metrics.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
