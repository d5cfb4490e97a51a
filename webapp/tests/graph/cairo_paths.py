"""Records cairo's copy_path() after sequences of path operations, for the Recorder tests.

Run with the reference venv: .venv-ref/bin/python webapp/tests/graph/cairo_paths.py
It writes cairo_paths.json beside itself: [{"ops": [[name, args...]...], "path": [[kind,
coords...]...], "current_point": [x, y] or null}], kind 0 move, 1 line, 2 curve, 3 close.
"""
import json
import math
import os

import cairocffi as cairo

CASES = [
    [["rectangle", 1.3, 2.7, 10, 5]],
    [["move_to", 1, 1], ["move_to", 2, 2]],
    [["move_to", 0, 0], ["line_to", 5, 0], ["line_to", 10, 0], ["line_to", 10, 0], ["close_path"],
     ["line_to", 3, 3]],
    [["move_to", 50, 50], ["arc", 50, 50, 20, 0, 1.0], ["line_to", 50, 50]],
    [["arc", 50, 50, 40, -1.5, 5.0]],
    [["arc", 50, 50, 40, 1.0, 0.5]],
    [["arc", 50, 50, 0, 1.0, 2.0]],
    [["move_to", 400, 300], ["arc", 400, 300, 250, -1.5707963267948966, 0.7]],
    [["move_to", 10, 10], ["rel_move_to", 0.3, 7.1], ["line_to", 20, 20], ["line_to", 30, 30],
     ["line_to", 40, 35]],
    [["translate", 10.5, 20.25], ["rotate", -1.5707963267948966], ["move_to", 0, 0],
     ["rel_move_to", 3, 4], ["line_to", 10, 0], ["rectangle", 1, 1, 2, 3]],
    [["line_to", 1, 2], ["line_to", 1, 2], ["line_to", 3, 4], ["close_path"], ["close_path"]],
    [["move_to", 0, 0], ["line_to", 10, 0], ["line_to", 5, 0], ["line_to", 20, 0]],
    [["move_to", 0, 0], ["line_to", 0, 0], ["line_to", 4, 4]],
]


def run(ctx, ops):
    for op in ops:
        name, args = op[0], op[1:]
        getattr(ctx, name)(*args)


def main():
    out = []
    for ops in CASES:
        surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 800, 600)
        ctx = cairo.Context(surface)
        run(ctx, ops)
        ctx.identity_matrix()
        path = [[kind] + list(points) for kind, points in ctx.copy_path()]
        point = ctx.get_current_point() if ctx.has_current_point() else None
        out.append({"ops": ops, "path": path, "current_point": point})
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "cairo_paths.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
