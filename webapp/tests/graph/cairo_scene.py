"""Draws cairo_scene.json (a list of cairo context calls: text, clip, dashes, an arc, a
rotation) with cairo as glyph.py sets it up: on an ARGB32 image surface, writing
cairo_scene.png (webapp's raster test draws the same calls on the Recorder and compares the
pixels within a stated tolerance: anti-aliasing differs between cairo and tiny-skia), and on
an SVG surface, writing cairo_scene.svg with glyph.py's edits applied (the svg test compares
it byte for byte).

Run with the reference venv: .venv-ref/bin/python webapp/tests/graph/cairo_scene.py
"""
import io
import json
import os
import re

import cairocffi as cairo

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    with open(os.path.join(HERE, "cairo_scene.json")) as f:
        ops = json.load(f)
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 300, 200)
    draw(surface, ops)
    surface.write_to_png(os.path.join(HERE, "cairo_scene.png"))

    data = io.BytesIO()
    surface = cairo.SVGSurface(data, 300, 200)
    draw(surface, ops)
    surface.finish()
    svg = data.getvalue().decode("utf-8")
    # glyph.py's edits (Graph.output), with metaData = {} as for a graph without data.
    svg = svg.replace('pt"', 'px"', 2)
    svg = svg.replace('</svg>\n', '', 1)
    svg = svg.replace('</defs>\n<g', '</defs>\n<g class="graphite"', 1)
    svg += "<script>\n  <![CDATA[\n    metadata = {}\n  ]]>\n</script>\n</svg>"
    # cairo numbers its surfaces per process.
    svg = re.sub(r'id="surface\d+"', 'id="surface1"', svg)
    with open(os.path.join(HERE, "cairo_scene.svg"), "w") as f:
        f.write(svg)


def draw(surface, ops):
    ctx = cairo.Context(surface)
    opts = ctx.get_font_options()
    opts.set_antialias(cairo.ANTIALIAS_NONE)
    ctx.set_font_options(opts)
    for op in ops:
        name, args = op[0], op[1:]
        if name == "select_font_face":
            ctx.select_font_face(args[0], args[1], args[2])
        else:
            getattr(ctx, name)(*args)


if __name__ == "__main__":
    main()
