"""test_polygons.py: a clip rendered from a log with "polygon" keys: the outline drawn on the
polygon's edges (not on its bounding box's corners), the polygons read back by `evclip inspect`
(normalised ones in pixels, as drawn), the manifest's detections hash changed by a polygon, `verify` passing,
the inspect output re-read as a log, and clear file:line errors for bad polygons."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import Checks, cleanup, decode_frames, ffmpeg, probe, run, tempdir, write_jsonl

C = Checks()
TMP = tempdir()
W, H = 320, 240
DIAMOND = [[160, 40], [240, 120], [160, 200], [80, 120]]       # a square turned 45 degrees
TRI = [[0.1, 0.1], [0.3, 0.1], [0.2, 0.3]]                      # normalised (of 320x240)
FAST = ["--preset", "ultrafast", "--crf", "0", "-q", "--start", "0", "--end", "0.4"]


def path(name):
    return os.path.join(TMP, name)


def make_source():
    """A flat grey source (lossless), so drawn pixels stand out."""
    ffmpeg("-f", "lavfi", "-i", f"color=c=0x808080:size={W}x{H}:rate=25:duration=1", "-c:v",
           "libx264", "-preset", "ultrafast", "-crf", "0", "-pix_fmt", "yuv420p",
           path("src.mp4"))


def write_logs():
    rows, boxes = [], []
    for f in range(10):
        rows.append({"frame_idx": f, "label": "ship", "polygon": DIAMOND,
                     "color": [0, 0, 255]})
        rows.append({"frame_idx": f, "label": "buoy", "polygon": TRI, "normalized": True,
                     "color": [255, 0, 0]})
        # the same detections as plain boxes: the polygons' bounding boxes
        boxes.append({"frame_idx": f, "label": "ship", "bbox": [80, 40, 240, 200],
                      "color": [0, 0, 255]})
        boxes.append({"frame_idx": f, "label": "buoy", "bbox": [0.1, 0.1, 0.3, 0.3],
                      "normalized": True, "color": [255, 0, 0]})
    write_jsonl(path("poly.jsonl"), rows)
    write_jsonl(path("box.jsonl"), boxes)


def luma(frame, x, y):
    return frame[y * W + x]


def test_render_and_inspect():
    r = run(["render", "-i", path("src.mp4"), "-d", path("poly.jsonl"), "-o",
             path("poly.mp4")] + FAST)
    C.check(r.returncode == 0, "render from a log with polygons", r.stderr)
    frames = decode_frames(path("poly.mp4"), W, H)
    C.check(len(frames) == 10, "10 frames", str(len(frames)))
    if not frames:
        return
    f = frames[0]
    grey = luma(f, 5, 230)
    # red (B, G, R = 0, 0, 255): luma ~76, far from the grey 128
    on_edges = [luma(f, 200, 80), luma(f, 120, 160), luma(f, 200, 160)]
    C.check(all(abs(v - grey) > 25 for v in on_edges), "the outline is on the polygon's edges",
            f"{on_edges} grey {grey}")
    # the bounding box's corners (the top-left one is crossed by the buoy) and a point of
    # its top edge away from the polygon
    corners = [luma(f, 238, 42), luma(f, 82, 198), luma(f, 238, 198), luma(f, 110, 41)]
    C.check(all(abs(v - grey) < 6 for v in corners),
            "nothing drawn at the bounding box's corners", f"{corners} grey {grey}")
    r = run(["inspect", "--only-data", path("poly.mp4")])
    C.check(r.returncode == 0, "inspect", r.stderr)
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    dets = lines[0]["detections"] if lines else []
    ship = [d for d in dets if d["label"] == "ship"]
    buoy = [d for d in dets if d["label"] == "buoy"]
    C.check(len(ship) == 1 and ship[0].get("polygon") == DIAMOND,
            "inspect prints the pixel polygon", json.dumps(ship))
    C.check(len(ship) == 1 and ship[0].get("box") == [80, 40, 240, 200],
            "the box is the polygon's bounding box", json.dumps(ship))
    # the SEI carries boxes as drawn: a normalised polygon comes back in pixels
    C.check(len(buoy) == 1 and buoy[0].get("polygon") == [[32, 24], [96, 24], [64, 72]] and
            "normalized" not in buoy[0] and buoy[0].get("box") == [32, 24, 96, 72],
            "inspect prints the normalised polygon in pixels", json.dumps(buoy))
    C.check(all(len(x["detections"]) == 2 for x in lines) and len(lines) == 10,
            "every frame carries both polygons", str(len(lines)))
    # the inspect output is a log again: re-rendered, it carries the same polygons
    with open(path("again.jsonl"), "w") as out:
        out.write(r.stdout)
    r = run(["render", "-i", path("src.mp4"), "-d", path("again.jsonl"), "-o",
             path("again.mp4")] + FAST)
    C.check(r.returncode == 0, "render from inspect output", r.stderr)
    r = run(["inspect", "--only-data", path("again.mp4")])
    again = [json.loads(line) for line in r.stdout.splitlines()]
    C.check(again and [d.get("polygon") for d in again[0]["detections"]] ==
            [d.get("polygon") for d in dets], "inspect output re-read keeps the polygons")


def test_manifest():
    r = run(["verify", "--json", path("poly.mp4")])
    C.check(r.returncode == 0 and json.loads(r.stdout or "{}").get("ok"),
            "verify of a clip drawn from polygons", r.stdout + r.stderr)
    r = run(["render", "-i", path("src.mp4"), "-d", path("box.jsonl"), "-o",
             path("box.mp4")] + FAST)
    C.check(r.returncode == 0, "render from the bounding boxes", r.stderr)
    a = json.load(open(path("poly.mp4.evidence.json")))["sources"][0]["detections"]
    b = json.load(open(path("box.mp4.evidence.json")))["sources"][0]["detections"]
    C.check(a.get("sha256_canonical") and a.get("sha256_canonical") !=
            b.get("sha256_canonical"), "the detections hash covers the polygon",
            f"{a} {b}")


def turned_source():
    """src.mp4 with a display matrix turning it 90 degrees (as test_rotation.py makes one)."""
    dst = path("turned.mp4")
    r = subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin", "-i", path("src.mp4"), "-c",
                        "copy", "-metadata:s:v", "rotate=90", dst], capture_output=True)
    if r.returncode != 0 or "displaymatrix" not in json.dumps(probe(dst)).lower():
        ffmpeg("-display_rotation", "90", "-i", path("src.mp4"), "-c", "copy", dst)
    return dst


def test_turned_source():
    """Boxes in the stored space of a turned source: a polygon is drawn and recorded as its
    turned bounding box; in the displayed space (the default) it stays a polygon."""
    src = turned_source()
    for space, want in (("stored", None), ("display", DIAMOND)):
        out = path(f"turned-{space}.mp4")
        r = run(["render", "-i", src, "-d", path("poly.jsonl"), "-o", out, "--box-space",
                 space] + FAST)
        C.check(r.returncode == 0, f"render a turned source, boxes {space}", r.stderr)
        r = run(["inspect", "--only-data", out])
        lines = [json.loads(line) for line in r.stdout.splitlines()]
        ship = [d for d in (lines[0]["detections"] if lines else []) if d["label"] == "ship"]
        C.check(len(ship) == 1 and ship[0].get("polygon") == want,
                f"boxes {space}: polygon {want}", json.dumps(ship))
        if space == "stored":  # the bounding box turned with the picture (240 x 320)
            C.check(len(ship) == 1 and ship[0]["box"] == [40, 80, 200, 240],
                    "the turned bounding box", json.dumps(ship))


def test_errors():
    cases = [
        ('"polygon": [[1, 2], [3, 4]]', "poly-short",
         "field 'polygon': expected [[x, y], ...] with at least 3 points"),
        ('"polygon": [[1, 2], [3, 4], [5, "6"]]', "poly-type",
         "field 'polygon': point 2: expected [x, y] (2 finite numbers)"),
        ('"polygon": {"x": 1}', "poly-obj",
         "field 'polygon': expected [[x, y], ...] with at least 3 points"),
    ]
    for poly, name, want in cases:
        with open(path(name + ".jsonl"), "w") as out:
            out.write('{"frame_idx": 0, "bbox": [1, 2, 3, 4], "label": "a"}\n')
            out.write('{"frame_idx": 1, "label": "a", ' + poly + '}\n')
        out_path = path(name + ".mp4")
        r = run(["render", "-i", path("src.mp4"), "-d", path(name + ".jsonl"), "-o",
                 out_path] + FAST)
        C.check(r.returncode != 0 and f"{name}.jsonl:2: " in r.stderr and want in r.stderr,
                f"{name}: clear error", r.stderr)
        C.check(not os.path.exists(out_path), f"{name}: no clip written")
    # a huge polygon (20 000 points on a circle) is read and drawn
    import math
    pts = [[160 + 100 * math.cos(k / 20000 * 2 * math.pi),
            120 + 100 * math.sin(k / 20000 * 2 * math.pi)] for k in range(20000)]
    write_jsonl(path("huge.jsonl"), [{"frame_idx": 0, "label": "disc", "polygon": pts}])
    r = run(["render", "-i", path("src.mp4"), "-d", path("huge.jsonl"), "-o",
             path("huge.mp4")] + FAST)
    C.check(r.returncode == 0, "a 20000-point polygon renders", r.stderr)
    r = run(["inspect", "--only-data", path("huge.mp4")])
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    C.check(lines and len(lines[0]["detections"][0].get("polygon", [])) == 20000,
            "inspect gives back its 20000 points")


try:
    make_source()
    write_logs()
    test_render_and_inspect()
    test_manifest()
    test_turned_source()
    test_errors()
finally:
    cleanup(TMP)
C.close()
