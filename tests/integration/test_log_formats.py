"""test_log_formats.py: a first log line of no format names every format and why it fails;
`evclip inspect` output is a detection log (round trip: same boxes, same pixels)."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import Checks, cleanup, media, run, tempdir

C = Checks()
TMP = tempdir()
CAR = media("car-detection.mp4")
CAR_LOG = media("car-detection.detections.jsonl")


def path(name):
    return os.path.join(TMP, name)


def write(name, text):
    with open(path(name), "w") as f:
        f.write(text)
    return path(name)


def render(log, out, *extra, window=("4", "6")):
    return run(["render", "-i", CAR, "-d", log, "--start", window[0], "--end", window[1],
                "-o", out, "-q", "--overwrite", *extra])


def framemd5(clip):
    """Per-frame MD5 of the decoded pixels (header lines dropped)."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", clip, "-map", "0:v",
                          "-f", "framemd5", "-"], capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if not line.startswith("#")]


def test_no_format():
    out = path("never.mp4")
    log = write("box.jsonl", '{"frame_idx": 0, "box": [1, 2, 30, 40], "label": "car"}\n')
    r = render(log, out)
    want = (f"evclip: error: {log}:1: not a detection log line: native: field 'bbox': missing "
            "(found 'box': did you mean 'bbox'?); grouped: no 'detections' array; ultralytics: "
            "field 'box': expected {\"x1\", \"y1\", \"x2\", \"y2\"}; inspect: no 'source_time' "
            "and 'detections'; mot: not comma-separated numbers (a JSON line)\n")
    C.check(r.returncode == 4 and r.stderr == want, "'box' for 'bbox': every format and why",
            f"{r.returncode} {r.stderr!r}")
    C.check(not os.path.exists(out), "nothing written")
    log = write("grp.jsonl", '\n{"frame_idx": 0, "detection": []}\n')
    r = render(log, out)
    C.check(r.returncode == 4 and f"{log}:2: not a detection log line:" in r.stderr and
            "grouped: no 'detections' array (found 'detection': did you mean 'detections'?)"
            in r.stderr, "'detection' for 'detections'", r.stderr)
    log = write("hdr.txt", "frame,id,left,top,width,height\n1,1,10,10,50,50\n")
    r = render(log, out)
    C.check(r.returncode == 4 and "native, grouped, ultralytics, inspect: invalid JSON at "
            "column" in r.stderr and "mot: not comma-separated numbers (first field 'frame': a "
            "header line? MOT logs have none)" in r.stderr, "MOT log with a header line",
            r.stderr)
    # A line whose shape names one format keeps that format's precise message.
    log = write("native.jsonl", '{"frame_idx": 0, "bbox": [1, 2, 30], "label": "car"}\n')
    r = render(log, out)
    C.check(r.returncode == 4 and r.stderr == f"evclip: error: {log}:1: field 'bbox': expected "
            "[x1, y1, x2, y2] (4 numbers)\n", "native line keeps its field error", r.stderr)


def test_inspect_round_trip():
    # First clip: the shared log, boxes held 200 ms, one explicit colour, a track id.
    rows = [json.loads(line) for line in open(CAR_LOG) if line.strip()]
    for i, row in enumerate(rows):
        row["track_id"] = 3
        if i % 2:
            row["color"] = "#00ff80"
    log = write("car.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    first = path("first.mp4")
    r = render(log, first, "--hold", "200")
    C.check(r.returncode == 0, "first render", r.stderr)
    ins = run(["inspect", first])
    C.check(ins.returncode == 0, "inspect", ins.stderr)
    lines = [json.loads(line) for line in ins.stdout.splitlines()]
    boxes = sum(len(f["detections"]) for f in lines)
    C.check(boxes > 20 and any("color" in d for f in lines for d in f["detections"]),
            "the clip carries boxes, some coloured", boxes)
    inspect_log = write("first.inspect.jsonl", ins.stdout)
    # Second clip from the same source and window, the inspect output as its log: what was
    # drawn is already in the log (held boxes included), so --hold 0.
    second = path("second.mp4")
    r = render(inspect_log, second)
    C.check(r.returncode == 0, "render from inspect output (auto-detected)", r.stderr)
    again = run(["inspect", second])
    C.check(again.stdout == ins.stdout, "same boxes on every frame",
            f"{len(again.stdout)} vs {len(ins.stdout)}")
    C.check(framemd5(first) == framemd5(second), "same pixels on every frame")
    r = render(inspect_log, second, "--format", "inspect")
    C.check(r.returncode == 0, "--format inspect", r.stderr)
    h = run(["inspect", "--help"])
    C.check("The output is a detection log (format inspect): render -d takes it" in h.stdout,
            "inspect --help says its output is a log", h.stdout)
    # A narrower window reads the same log (boxes keyed by source_time, not the clip's frame).
    part = path("part.mp4")
    r = render(inspect_log, part, window=("5", "6"))
    sub = run(["inspect", part])
    want = [f["detections"] for f in lines if f["source_time"] >= 5 - 1e-6]
    got = [json.loads(line)["detections"] for line in sub.stdout.splitlines()]
    C.check(r.returncode == 0 and got == want, "boxes follow the source time", r.stderr)

    # A clip of two inputs: one log per input, said plainly.
    two = path("two.mp4")
    r = run(["render", "-i", CAR, "-d", log, "--from", "4", "--to", "4.5",
             "-i", CAR, "-d", log, "--from", "5", "--to", "5.5", "-o", two, "-q"])
    C.check(r.returncode == 0, "two-input clip", r.stderr)
    both = write("two.inspect.jsonl", run(["inspect", two]).stdout)
    r = render(both, path("never.mp4"))
    C.check(r.returncode == 4 and "field 'source_index': 1, but earlier lines are of source 0: "
            "a clip of several inputs gives one log per input" in r.stderr,
            "inspect log of two sources refused", r.stderr)


if __name__ == "__main__":
    try:
        test_no_format()
        test_inspect_round_trip()
    finally:
        cleanup(TMP)
    C.close()
