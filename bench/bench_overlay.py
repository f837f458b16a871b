"""bench_overlay.py: evclip.overlay.draw_detections on a numpy 1080p BGR frame (50 labelled
boxes), split into the Python part (Detection -> C structs) and the library's drawing.

Run from the repository root with Debian's python3 (numpy):
    EVCLIP_LIBRARY=build/libevclip.so PYTHONPATH=python /usr/bin/python3 bench/bench_overlay.py
"""
import argparse
import ctypes
import statistics
import sys
import time

import numpy as np

from evclip import Detection, _lib
from evclip.overlay import _painter, draw_detections
from evclip.render import _fill_detection


def scene(n, width, height):
    """n boxes of 5 labels, tracked and scored, spread over the frame (some overlapping)."""
    labels = ["car", "person", "truck", "bicycle", "dog"]
    dets = []
    for i in range(n):
        x = (i * 173) % (width - 260)
        y = (i * 97) % (height - 200)
        dets.append(Detection((x, y, x + 120 + i % 7 * 20, y + 90 + i % 5 * 20),
                              labels[i % 5], 0.5 + (i % 50) / 100, i))
    return dets


def timed(fn, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boxes", type=int, default=50)
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--reps", type=int, default=500)
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    frame = np.full((height, width, 3), 90, np.uint8)
    dets = scene(args.boxes, width, height)

    draw_detections(frame, dets)   # warm up: painter, font, glyph cache
    whole = timed(lambda: draw_detections(frame, dets), args.reps)

    c_dets = (_lib.EvclipDetection * len(dets))()

    def convert():
        for i, d in enumerate(dets):
            _fill_detection(d, c_dets[i], None, 0, "d")

    conv = timed(convert, args.reps)
    painter = _painter(width, height, _lib.PIXFMT_BGR24, None, 0, 0)
    data = (ctypes.c_void_p * 3)(frame.ctypes.data, None, None)
    sizes = (ctypes.c_int * 3)(frame.strides[0], 0, 0)
    c_only = timed(lambda: painter.lib.evclip_painter_draw(painter.handle, data, sizes, c_dets,
                                                          None, len(dets)), args.reps)
    print(f"evclip {_lib.text(_lib.load().evclip_version())}, python {sys.version.split()[0]}, "
          f"numpy {np.__version__}; {args.boxes} boxes on {width}x{height} BGR, "
          f"{args.reps} reps")
    print("| step | median ms | min ms |")
    print("|---|---:|---:|")
    for name, (med, best) in (("draw_detections (whole call)", whole),
                              ("Python: Detection -> EvclipDetection", conv),
                              ("C: evclip_painter_draw", c_only)):
        print(f"| {name} | {med:.3f} | {best:.3f} |")


if __name__ == "__main__":
    main()
