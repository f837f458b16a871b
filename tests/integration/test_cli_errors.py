"""test_cli_errors.py: every bad input to `evclip render` gets a clear message naming what and
where, the documented non-zero exit code, and leaves no output or temp file behind."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import EVCLIP, Checks, cleanup, ffmpeg, leftovers, media, run, tempdir

C = Checks()
TMP = tempdir()
CAR = media("car-detection.mp4")
CAR_LOG = media("car-detection.detections.jsonl")


def expect_fail(name, args, code, *needles, out="out.mp4", keep=()):
    """Runs render with args; checks the exit code, message, and that nothing was written."""
    outdir = os.path.join(TMP, name)
    os.makedirs(outdir, exist_ok=True)
    for k in keep:
        open(os.path.join(outdir, k), "wb").write(b"precious")
    r = run(["render", "-o", os.path.join(outdir, out)] + args)
    C.check(r.returncode == code, f"{name}: exit {code}", f"got {r.returncode}: {r.stderr}")
    for n in needles:
        C.check(n in r.stderr, f"{name}: message names {n!r}", r.stderr)
    C.check(leftovers(outdir) == sorted(keep), f"{name}: nothing written", leftovers(outdir))
    for k in keep:
        C.check(open(os.path.join(outdir, k), "rb").read() == b"precious",
                f"{name}: existing file untouched")
    return r


def window(s="5", e="8"):
    return ["--start", s, "--end", e]


def test_inputs():
    missing = os.path.join(TMP, "nope.mp4")
    expect_fail("missing-input", ["-i", missing] + window(), 3, missing,
                "No such file or directory")
    expect_fail("directory-input", ["-i", TMP] + window(), 3, TMP)
    text = os.path.join(TMP, "notes.mp4")
    open(text, "w").write("this is not a video\n" * 100)
    expect_fail("not-video", ["-i", text] + window(), 3, text)
    data = open(CAR, "rb").read()
    trunc = os.path.join(TMP, "truncated.mp4")
    open(trunc, "wb").write(data[: len(data) // 3])
    expect_fail("truncated", ["-i", trunc] + window("5", "25"), 3, trunc)
    audio_only = os.path.join(TMP, "audio.m4a")
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", "-c:a", "aac", audio_only)
    expect_fail("no-video", ["-i", audio_only] + window("0", "1"), 3, "no video stream")


def test_windows():
    expect_fail("start-after-end", ["-i", CAR] + window("8", "5"), 2, "--start")
    expect_fail("start-equals-end", ["-i", CAR] + window("5", "5"), 2, "--start")
    expect_fail("bad-time", ["-i", CAR] + window("abc", "5"), 2, "--start", "abc")
    expect_fail("negative-time", ["-i", CAR] + window("-1", "5"), 2, "--start")
    expect_fail("past-end", ["-i", CAR] + window("25", "40"), 5, "30.160", "40.000")
    expect_fail("start-past-end", ["-i", CAR] + window("100", "110"), 5, "30.160")
    outdir = os.path.join(TMP, "clamp")
    os.makedirs(outdir)
    out = os.path.join(outdir, "c.mp4")
    r = run(["render", "-i", CAR, "--start", "25", "--end", "40", "--clamp", "-o", out,
             "--json", "-q"])
    C.check(r.returncode == 0, "clamp: exit 0", r.stderr)
    if r.returncode == 0:
        res = json.loads(r.stdout)
        C.check(abs(res["duration"] - 5.16) < 0.09, "clamp: clamped to the video end",
                res["duration"])


def test_detections():
    bad = {
        "syntax": ('{"frame_idx": 1, "bbox": [1, 2, 3, 4], "label": "a"}\n{"frame_idx": 2,\n',
                   ":2", None),
        "bbox-missing": ('{"frame_idx": 1, "label": "a"}\n', ":1", "bbox"),
        "bbox-short": ('{"frame_idx": 1, "bbox": [1, 2, 3], "label": "a"}\n', ":1", "bbox"),
        "bbox-text": ('{"frame_idx": 1, "bbox": [1, 2, "x", 4], "label": "a"}\n', ":1", "bbox"),
        "label-missing": ('\n\n{"frame_idx": 1, "bbox": [1, 2, 3, 4]}\n', ":3", "label"),
        "label-number": ('{"frame_idx": 1, "bbox": [1, 2, 3, 4], "label": 5}\n', ":1", "label"),
        "no-key": ('{"bbox": [1, 2, 3, 4], "label": "a"}\n', ":1", "frame_idx"),
        "frame-negative": ('{"frame_idx": -3, "bbox": [1, 2, 3, 4], "label": "a"}\n', ":1",
                           "frame_idx"),
        "ts-text": ('{"ts": "soon", "bbox": [1, 2, 3, 4], "label": "a"}\n', ":1", "ts"),
        "score-text": ('{"ts": 1, "bbox": [1, 2, 3, 4], "label": "a", "score": "hi"}\n', ":1",
                       "score"),
        "color-range": ('{"ts": 1, "bbox": [1, 2, 3, 4], "label": "a", "color": [0, 0, 300]}\n',
                        ":1", "color"),
        "track-float": ('{"ts": 1, "bbox": [1, 2, 3, 4], "label": "a", "track_id": 1.5}\n', ":1",
                        "track_id"),
        "not-object": ('[1, 2, 3]\n', ":1", None),
    }
    for name, (text, line, field) in bad.items():
        path = os.path.join(TMP, f"bad-{name}.jsonl")
        open(path, "w").write(text)
        needles = [path + line] + ([field] if field else [])
        expect_fail(f"jsonl-{name}", ["-i", CAR, "-d", path] + window(), 4, *needles)
    expect_fail("jsonl-missing", ["-i", CAR, "-d", os.path.join(TMP, "none.jsonl")] + window(),
                4, "none.jsonl")
    # Nonsense boxes are skipped with a count, not fatal.
    path = os.path.join(TMP, "nonsense.jsonl")
    open(path, "w").write('{"frame_idx": 70, "bbox": [50, 50, 10, 10], "label": "rev"}\n'
                          '{"frame_idx": 71, "bbox": [NaN, 1, 2, 3], "label": "nan"}\n'
                          '{"frame_idx": 72, "bbox": [10, 10, 50, 50], "label": "ok"}\n')
    outdir = os.path.join(TMP, "nonsense")
    os.makedirs(outdir)
    r = run(["render", "-i", CAR, "-d", path, "-o", os.path.join(outdir, "n.mp4")] + window())
    C.check(r.returncode == 0, "nonsense boxes: not fatal", r.stderr)
    C.check("skipped 2" in r.stderr, "nonsense boxes: count logged", r.stderr)


def test_outputs():
    missing_dir = os.path.join(TMP, "no", "such", "dir")
    r = run(["render", "-i", CAR, "-o", os.path.join(missing_dir, "x.mp4")] + window())
    C.check(r.returncode == 6 and missing_dir in r.stderr, "missing output dir: exit 6",
            r.stderr)
    C.check(not os.path.exists(missing_dir), "missing output dir: not created")
    expect_fail("exists", ["-i", CAR] + window(), 6, "exists", "out.mp4", keep=("out.mp4",))
    outdir = os.path.join(TMP, "exists")
    r = run(["render", "-i", CAR, "-o", os.path.join(outdir, "out.mp4"), "--overwrite", "-q"]
            + window())
    C.check(r.returncode == 0, "overwrite: exit 0", r.stderr)
    C.check(open(os.path.join(outdir, "out.mp4"), "rb").read(8) != b"precious",
            "overwrite: replaced")
    C.check(leftovers(outdir) in (["out.mp4"], ["out.mp4", "out.mp4.evidence.json"]),
            "overwrite: no temp left", leftovers(outdir))


def test_encoder_and_options():
    expect_fail("bad-encoder", ["-i", CAR, "--encoder", "h264_nosuch"] + window(), 7,
                "h264_nosuch")
    expect_fail("audio-encoder", ["-i", CAR, "--encoder", "aac"] + window(), 7, "aac")
    expect_fail("bad-crf", ["-i", CAR, "--crf", "99"] + window(), 2, "--crf")
    expect_fail("bad-font", ["-i", CAR, "-d", CAR_LOG, "--font", "/nonexistent/font.ttf"]
                + window(), 7, "font")
    expect_fail("unknown-option", ["-i", CAR, "--frobnicate"] + window(), 2)
    outdir = os.path.join(TMP, "auto")
    os.makedirs(outdir)
    r = run(["render", "-i", CAR, "--encoder", "auto", "-o", os.path.join(outdir, "a.mp4"),
             "--json"] + window())
    C.check(r.returncode == 0, "encoder auto: falls back", r.stderr)
    C.check(r.stderr.count("using libx264") == 1, "encoder auto: one log line", r.stderr)
    if r.returncode == 0:
        C.check(json.loads(r.stdout)["encoder"] == "libx264", "encoder auto: libx264 used")
    for cmd in (["render", "--help"], ["demo", "--help"], ["--help"], ["--version"]):
        r = run(cmd)
        C.check(r.returncode == 0 and r.stdout, f"{' '.join(cmd)}: exit 0 with text")


def test_signals():
    for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        outdir = os.path.join(TMP, f"signal-{sig}")
        os.makedirs(outdir)
        out = os.path.join(outdir, "slow.mp4")
        p = subprocess.Popen([EVCLIP, "render", "-i", media("bottle-detection.mp4"), "--start",
                              "0", "--end", "39", "--preset", "veryslow", "-o", out, "-q"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 20
        while time.time() < deadline and not any(n.endswith(".evclip-tmp")
                                                 for n in os.listdir(outdir)):
            time.sleep(0.05)
        time.sleep(0.5)
        p.send_signal(sig)
        try:
            _, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
        C.check(p.returncode == code, f"signal {sig}: exit {code}", f"{p.returncode} {err}")
        C.check("interrupted" in err, f"signal {sig}: says interrupted", err)
        C.check(leftovers(outdir) == [], f"signal {sig}: temp removed, no output",
                leftovers(outdir))


C.run_all((test_inputs, test_windows, test_detections, test_outputs, test_encoder_and_options,
             test_signals))
cleanup(TMP)
C.close()
