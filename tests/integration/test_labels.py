"""test_labels.py: labels in every script on real footage: --label-max (render, batch, clip
spec) cuts the drawn chip and is recorded in the manifest, while the SEI keeps every label
whole (also past 255 bytes); a label too long for the SEI fails loudly; options checked."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import Checks, cleanup, media, run, tempdir, write_jsonl

C = Checks()
TMP = tempdir()
CAR = media("car-detection.mp4")
HEBREW = "\u05e9\u05dc\u05d5\u05dd " * 80        # 400 characters, 720 bytes
MIXED = "car \u0633\u0644\u0627\u0645 \u6c7d\u8f66 \U0001F697 \u0928\u092e\u0938\u094d\u0924\u0947"


def path(name):
    return os.path.join(TMP, name)


def log(name, labels):
    """Boxes of the given labels on frames 50..55 (4.0 s..), one row of boxes per frame."""
    rows = [{"frame_idx": i, "bbox": [20 + 60 * k, 200, 70 + 60 * k, 300], "label": label,
             "track_id": k} for i in range(50, 56) for k, label in enumerate(labels)]
    write_jsonl(path(name), rows)
    return path(name)


def inspect_labels(clip):
    r = run(["inspect", clip, "--only-data"])
    C.check(r.returncode == 0, "inspect", r.stderr)
    frames = [json.loads(line) for line in r.stdout.splitlines()]
    return [[d["label"] for d in f["detections"]] for f in frames if f["detections"]]


def drawing(clip):
    with open(clip + ".evidence.json") as f:
        return json.load(f)["drawing"]


def test_render_label_max():
    out = path("render.mp4")
    d = log("render.jsonl", [HEBREW, MIXED, "truck\x1b[31m\n"])
    r = run(["render", "-i", CAR, "-d", d, "--start", "4", "--end", "4.4", "-o", out, "-q",
             "--preset", "ultrafast", "--label-max", "4"])
    C.check(r.returncode == 0, "render --label-max 4", r.stderr)
    C.check(drawing(out).get("label_max") == 4, "manifest drawing.label_max", drawing(out))
    labels = inspect_labels(out)
    C.check(len(labels) >= 5 and all(ls == [HEBREW, MIXED, "truck\x1b[31m\n"] for ls in labels),
            "SEI keeps every label whole (720 bytes, mixed scripts, controls)", labels[:1])


def test_batch_label_max():
    d = log("batch.jsonl", ["elephant"])
    jobs = path("jobs.jsonl")
    write_jsonl(jobs, [
        {"input": CAR, "detections": d, "start": 4, "end": 4.3, "output": path("b1.mp4"),
         "preset": "ultrafast"},
        {"input": CAR, "detections": d, "start": 4, "end": 4.3, "output": path("b2.mp4"),
         "preset": "ultrafast", "label_max": 2},
    ])
    r = run(["batch", jobs, "-q", "--label-max", "3"])
    C.check(r.returncode == 0, "batch --label-max 3", r.stderr)
    C.check(drawing(path("b1.mp4")).get("label_max") == 3, "batch default recorded")
    C.check(drawing(path("b2.mp4")).get("label_max") == 2, "spec label_max overrides it")
    r = run(["batch", jobs, "-q", "--label-max", "-1"])
    C.check(r.returncode == 2 and "label_max -1 is outside 0..65535" in r.stderr,
            "batch --label-max -1: usage error", r.stderr)
    write_jsonl(jobs, [{"input": CAR, "start": 4, "end": 4.3, "output": path("b3.mp4"),
                        "label_max": 2.5}])
    report = path("report.jsonl")
    r = run(["batch", jobs, "-q", "--report", report])
    with open(report) as f:
        error = json.loads(f.readline()).get("error") or ""
    C.check(r.returncode != 0 and "'label_max' must be integers" in error,
            "spec label_max 2.5 refused", error)
    C.check(not os.path.exists(path("b3.mp4")), "nothing written")
    r = run(["render", "-i", CAR, "--start", "4", "--end", "4.3", "-o", path("b4.mp4"),
             "--label-max", "many"])
    C.check(r.returncode == 2 and "--label-max" in r.stderr, "--label-max many", r.stderr)


def test_label_too_long_for_sei():
    out = path("huge.mp4")
    d = log("huge.jsonl", ["x" * 70000])
    r = run(["render", "-i", CAR, "-d", d, "--start", "4", "--end", "4.3", "-o", out, "-q",
             "--preset", "ultrafast"])
    C.check(r.returncode != 0 and "70000 bytes" in r.stderr, "a label past 65535 bytes fails",
            r.stderr[-400:])
    C.check(not os.path.exists(out), "no partial clip")
    r = run(["render", "-i", CAR, "-d", d, "--start", "4", "--end", "4.3", "-o", out, "-q",
             "--preset", "ultrafast", "--no-sei"])
    C.check(r.returncode == 0, "the same label without SEI renders (chip cut to the frame)",
            r.stderr[-400:])


if __name__ == "__main__":
    try:
        test_render_label_max()
        test_batch_label_max()
        test_label_too_long_for_sei()
    finally:
        cleanup(TMP)
    C.close()
