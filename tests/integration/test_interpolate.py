"""test_interpolate.py: --interpolate: a track's box on the frames between two of its
detections (within the gap) is linear in time, exact at both ends, marked interpolated in the
SEI; untracked boxes and gaps too long are not interpolated; interpolated boxes are redacted;
boxes keyed by wallclock interpolate exactly as those keyed by ts; bad values are refused."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import (Checks, cleanup, decode_frames, ffmpeg, read_jsonl, run, tempdir,
                    write_jsonl)

C = Checks()
TMP = tempdir()
W, H = 320, 240
SRC = os.path.join(TMP, "src.mp4")
FAST = ["--preset", "ultrafast", "-q", "--start", "1", "--end", "1.6"]   # frames 25..39
EPOCH = 1772460200.123   # wall-clock origin of the wallclock-keyed log (--epoch)


def path(name):
    return os.path.join(TMP, name)


def box_at(k):
    """The track's box at its k-th detection (every 5th frame from 25)."""
    return [10 + 20 * k, 20, 60 + 20 * k, 70 + 10 * k]


def write_logs():
    by_index, by_ts, by_wall = [], [], []
    for k in range(5):
        f = 25 + 5 * k
        for rows, key in ((by_index, {"frame_idx": f}), (by_ts, {"ts": f / 25}),
                          (by_wall, {"wallclock": EPOCH + f / 25})):
            rows.append(dict(key, bbox=box_at(k), label="face", score=0.5 + 0.1 * k,
                             track_id=5))
            rows.append(dict(key, bbox=[200, 100, 250, 150], label="sign"))
    write_jsonl(path("index.jsonl"), by_index)
    write_jsonl(path("ts.jsonl"), by_ts)
    write_jsonl(path("wall.jsonl"), by_wall)


def inspect(clip):
    r = run(["inspect", clip])
    C.check(r.returncode == 0, f"inspect {clip}", r.stderr)
    return [json.loads(line) for line in r.stdout.splitlines()]


def check_linear(frames, what):
    ok = True
    for i, fr in enumerate(frames):
        faces = [d for d in fr["detections"] if d["label"] == "face"]
        k = i / 5
        want = [10 + 20 * k, 20, 60 + 20 * k, 70 + 10 * k]
        interp = i % 5 != 0
        ok &= len(faces) == 1 and all(abs(a - b) < 1e-3 for a, b in zip(faces[0]["box"], want))
        ok &= faces[0].get("extra", {}).get("interpolated", False) == interp if faces else False
        ok &= abs(faces[0].get("score", -1) - (0.5 + 0.1 * k)) < 1e-4 if faces else False
        signs = [d for d in fr["detections"] if d["label"] == "sign"]
        ok &= len(signs) == (0 if interp else 1)   # untracked: not interpolated
        if not ok:
            C.check(False, f"{what}: frame {i}", json.dumps(fr))
            return
    C.check(len(frames) == 15, f"{what}: linear in time, exact at the detections, untracked "
            "boxes left alone", str(len(frames)))


def boxes(frames):
    return [[(d["label"], d.get("track_id"), d["box"], d.get("score"), d.get("extra"))
             for d in fr["detections"]] for fr in frames]


def test_linear():
    seen = {}
    for log in ("index.jsonl", "ts.jsonl", "wall.jsonl"):
        out = path(log + ".mp4")
        epoch = ["--epoch", str(EPOCH)] if log == "wall.jsonl" else []
        r = run(["render", "-i", SRC, "-d", path(log), "-o", out, "--interpolate", "0.2"] +
                epoch + FAST)
        C.check(r.returncode == 0, f"render {log}", r.stderr)
        seen[log] = inspect(out)
        check_linear(seen[log], log)
        drawing = json.load(open(out + ".evidence.json"))["drawing"]
        C.check(drawing.get("interpolate") == 0.2, "manifest records interpolate", str(drawing))
    C.check(boxes(seen["wall.jsonl"]) == boxes(seen["ts.jsonl"]),
            "a wallclock-keyed log interpolates exactly as the same log keyed by ts")
    wall, ts = (decode_frames(path(n), W, H) for n in ("wall.jsonl.mp4", "ts.jsonl.mp4"))
    C.check(len(wall) == 15 and wall == ts, "wallclock- and ts-keyed logs draw the same pixels")


def test_gap_too_long():
    out = path("short.mp4")
    r = run(["render", "-i", SRC, "-d", path("index.jsonl"), "-o", out, "--interpolate",
             "0.19"] + FAST)
    frames = inspect(out)
    n = sum(1 for fr in frames for d in fr["detections"] if d["label"] == "face")
    C.check(r.returncode == 0 and n == 3, "detections 0.2 s apart are not joined with a 0.19 s "
            "gap", str(n))
    r = run(["render", "-i", SRC, "-d", path("index.jsonl"), "-o", path("off.mp4")] + FAST)
    C.check("interpolate" not in json.load(open(path("off.mp4.evidence.json")))["drawing"],
            "no interpolate in the manifest when off")


def test_redacted_when_interpolated():
    for log, epoch in (("index.jsonl", []), ("wall.jsonl", ["--epoch", str(EPOCH)])):
        out = path(log + ".red.mp4")
        r = run(["render", "-i", SRC, "-d", path(log), "-o", out, "--interpolate", "0.2",
                 "--redact", "track=5"] + epoch + FAST)
        rd = json.load(open(out + ".evidence.json")).get("redaction", {})
        C.check(r.returncode == 0 and rd.get("regions") == 15 and rd.get("frames") == 15,
                f"{log}: interpolated boxes are redacted on every frame", str(rd) + r.stderr)
        marks = [d.get("extra") for fr in inspect(out) for d in fr["detections"]
                 if d["label"] == "face"]
        C.check(marks[1:2] == [{"redacted": True, "interpolated": True}] and
                marks[0] == {"redacted": True}, f"{log}: SEI: redacted and interpolated bits",
                str(marks[:2]))


def test_errors():
    for value in ("-1", "61", "abc", "nan"):
        r = run(["render", "-i", SRC, "-d", path("index.jsonl"), "-o", path("e.mp4"),
                 "--interpolate", value] + FAST)
        C.check(r.returncode == 2 and "--interpolate" in r.stderr, f"--interpolate {value}",
                r.stderr)
    jobs = path("jobs.jsonl")
    write_jsonl(jobs, [{"input": SRC, "start": 1, "end": 1.4, "output": path("j1.mp4"),
                        "interpolate": "long"},
                       {"input": SRC, "start": 1, "end": 1.4, "output": path("j2.mp4"),
                        "interpolate": 100}])
    r = run(["batch", jobs, "--report", path("rep.jsonl"), "-q"])
    rep = read_jsonl(path("rep.jsonl"))
    C.check(r.returncode == 9 and "jobs.jsonl:1" in rep[0].get("error", "") and
            "'interpolate'" in rep[0].get("error", ""), "batch: bad type names the field",
            str(rep[:1]))
    C.check("jobs.jsonl:2" in rep[1].get("error", "") and "interpolate 100" in
            rep[1].get("error", ""), "batch: out of range names the value", str(rep[1:2]))


ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate=25:duration=2", "-c:v", "libx264",
       "-preset", "ultrafast", "-pix_fmt", "yuv420p", SRC)
write_logs()
test_linear()
test_gap_too_long()
test_redacted_when_interpolated()
test_errors()
cleanup(TMP)
C.close()
