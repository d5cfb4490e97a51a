"""Records cairo's text_path() outlines (device-space copy_path after translate + rotate +
move_to(0, 0) + text_path, and the user-space current point after it) on the image surface
(hinted, as for PNG) and on an SVG surface (unhinted), for the Recorder tests.

Run with the reference venv: .venv-ref/bin/python webapp/tests/graph/cairo_text_paths.py
Writes cairo_text_paths.json beside itself.
"""
import io
import json
import math
import os

import cairocffi as cairo

CASES = [("Sans", False, False, 12, "Tg", 10.3, 20.7), ("Sans", False, True, 10, "0.5 K", 3, 40),
         ("Sans", True, False, 8, "Wi@", 0.5, 9.25), ("Sans", False, False, 11, "(x)", 100, 100),
         ("Sans", False, False, math.log(600 * 300), "No Data", 143.1, 127.3),
         ("Sans", False, False, math.log(330 * 250), "No Data", 143.1, 127.3),
         ("Sans", False, True, 7.3, "1.5 K", 3, 40)]
# Rotated text (the y-axis titles, pie labels with pieLabels=rotated): (case, angle).
ROTATED = [(("Sans", False, False, 10, "ms/s (x)", 20.5, 150.25), -math.pi / 2),
           (("Sans", False, False, 10, "%52.36", 100.3, 100.7), 0.7),
           (("Sans", True, True, 12.1, "Wog", 90, 110), 2.5)]


def main():
    out = []
    for kind in ["image", "vector"]:
        for (family, italic, bold, size, text, x, y), angle in [(c, 0) for c in CASES] + ROTATED:
            if kind == "image":
                surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 200, 200)
            else:
                surface = cairo.SVGSurface(io.BytesIO(), 200, 200)
            ctx = cairo.Context(surface)
            opts = ctx.get_font_options()
            opts.set_antialias(cairo.ANTIALIAS_NONE)
            ctx.set_font_options(opts)
            ctx.select_font_face(family, cairo.FONT_SLANT_ITALIC if italic else cairo.FONT_SLANT_NORMAL,
                                 cairo.FONT_WEIGHT_BOLD if bold else cairo.FONT_WEIGHT_NORMAL)
            ctx.set_font_size(size)
            ctx.translate(x, y)
            ctx.rotate(angle)
            ctx.move_to(0, 0)
            ctx.text_path(text)
            point = list(ctx.get_current_point())
            ctx.identity_matrix()
            path = [[kind_] + list(points) for kind_, points in ctx.copy_path()]
            out.append({"surface": kind, "family": family, "italic": italic, "bold": bold, "size": size,
                        "text": text, "x": x, "y": y, "angle": angle, "path": path,
                        "current_point": point})
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "cairo_text_paths.json"), "w") as f:
        json.dump(out, f)
        f.write("\n")


if __name__ == "__main__":
    main()
