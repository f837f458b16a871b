"""test_drawing_record.py: the manifest records the drawing settings and style that made the
pixels (hold, title, timestamp, thickness, font size, palette), and the sparse-log warning and
the --hold default are stated (help, warning) on real footage."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import Checks, cleanup, first_frame_rgb, media, run, tempdir

C = Checks()
TMP = tempdir()
CAR = media("car-detection.mp4")
CAR_LOG = media("car-detection.detections.jsonl")
W, H = 768, 432


def path(name):
    return os.path.join(TMP, name)


def test_manifest_drawing():
    log = path("track4.jsonl")
    with open(log, "w") as f:   # frame 50 = 4.0 s; an uncoloured box of track 4
        for i in range(50, 63):
            f.write(json.dumps({"frame_idx": i, "bbox": [100, 100, 300, 250], "label": "car",
                                "track_id": 4}) + "\n")
    out = path("drawn.mp4")
    r = run(["render", "-i", CAR, "-d", log, "--start", "4", "--end", "5", "-o", out, "-q",
             "--hold", "300", "--title", "Gate 3", "--timestamp", "--thickness", "6",
             "--font-size", "20"])
    C.check(r.returncode == 0, "render", r.stderr)
    with open(out + ".evidence.json") as f:
        d = json.load(f)["drawing"]
    C.check((d["hold"], d["title"], d["timestamp"], d["thickness"], d["font_size"],
             d["thickness_requested"], d["font_size_requested"]) ==
            (0.3, "Gate 3", True, 6, 20, 6, 20), "hold, title, timestamp, thickness, font size",
            d)
    style = d.get("style", {})
    C.check(style.get("version") == 1 and style.get("color_by") == ["color", "track_id", "label"]
            and len(style.get("palette", [])) == 20 and style.get("chip", "").startswith(
                "label #track score"), "style recorded", style)
    # The recorded palette is the one drawn: track 4's box outline has palette[4].
    px = first_frame_rgb(out, W, H)
    want = bytes.fromhex(style["palette"][4][1:]) if style.get("palette") else b"\0\0\0"
    got = px(102, 180)   # inside the 6-pixel left edge, away from the chip
    C.check(all(abs(a - b) <= 16 for a, b in zip(got, want)), "box drawn in palette[4]",
            f"{got} vs {tuple(want)}")
    # Defaults are recorded as such.
    plain = path("plain.mp4")
    r = run(["render", "-i", CAR, "--start", "4", "--end", "4.5", "-o", plain, "-q"])
    with open(plain + ".evidence.json") as f:
        d = json.load(f)["drawing"]
    C.check(r.returncode == 0 and d["hold"] == 0 and d["title"] is None and
            d["thickness_requested"] == 0 and d["thickness"] >= 1 and "style" in d,
            "defaults recorded", d)


def test_hold_default_and_sparse_warning():
    r = run(["render", "--help"])
    C.check(r.returncode == 0 and "--hold MS           keep a box up to MS milliseconds after "
            "its last detection\n                          (default 0 = off; for logs sparser "
            "than the video)" in r.stdout, "render --help states the --hold default", r.stdout)
    # The real log's detections of every 5th frame (a detector at 2.5 fps): boxes blink.
    sparse = path("sparse.jsonl")
    with open(CAR_LOG) as src, open(sparse, "w") as dst:
        dst.writelines(line for line in src if json.loads(line)["frame_idx"] % 5 == 0)
    r = run(["render", "-i", CAR, "-d", sparse, "--start", "4", "--end", "10", "-o",
             path("sparse.mp4"), "--json"])
    res = json.loads(r.stdout) if r.stdout.strip() else {"warnings": []}
    text = "--hold MS keeps each box up to MS after its detection (default 0 = off)"
    C.check(r.returncode == 0 and any(text in w for w in res["warnings"]) and text in r.stderr,
            "sparse real log: warning suggests --hold and its default", r.stderr)
    r = run(["render", "-i", CAR, "-d", sparse, "--start", "4", "--end", "10", "-o",
             path("held.mp4"), "--json", "--hold", "400", "--strict"])
    res = json.loads(r.stdout) if r.stdout.strip() else {"warnings": ["?"]}
    C.check(r.returncode == 0 and res["warnings"] == [], "with --hold: no sparse warning",
            f"{r.returncode} {res.get('warnings')}")


if __name__ == "__main__":
    try:
        test_manifest_drawing()
        test_hold_default_and_sparse_warning()
    finally:
        cleanup(TMP)
    C.close()
