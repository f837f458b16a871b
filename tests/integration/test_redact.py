"""test_redact.py: redaction: detail gone inside a redacted box (variance of the Laplacian
down >= 10x on a detailed texture), every pixel outside it as in an unredacted render, a missed
detection between two redacted frames still redacted (--hold), the separate redaction log,
manifest / verify / SEI / inspect records, and clear errors for bad selectors and options."""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import Checks, cleanup, decode_frames, ffmpeg, read_jsonl, run, tempdir, write_jsonl

C = Checks()
TMP = tempdir()
W, H = 320, 240
FACE = [100, 60, 220, 160]
CAR_BOX = [10, 10, 60, 50]
SRC = os.path.join(TMP, "src.mp4")
FIRST = 25                      # first frame of the window
MISSED = 34                     # frame with no detection of the face (between two that have)
# lossless output (--crf 0), so pixels outside the box compare exactly
FAST = ["--preset", "ultrafast", "--crf", "0", "-q", "--start", "1", "--end", "1.8"]
FRAMES = 20                     # 1.0 .. 1.8 s at 25 fps: frames 25..44


def path(name):
    return os.path.join(TMP, name)


def make_source():
    """2.5 s of a smooth scene under fine texture (a face's or a plate's detail), lossless."""
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate=25:duration=2.5", "-vf",
           "gblur=sigma=10,noise=alls=60:allf=t+u", "-c:v", "libx264", "-preset", "ultrafast",
           "-crf", "0", "-pix_fmt", "yuv420p", path("src.mp4"))


def write_log():
    rows = []
    for f in range(FIRST, FIRST + 25):
        if f != MISSED:
            rows.append({"frame_idx": f, "bbox": FACE, "label": "face", "score": 0.9,
                         "track_id": 3})
        rows.append({"frame_idx": f, "bbox": CAR_BOX, "label": "car", "score": 0.8})
    write_jsonl(path("log.jsonl"), rows)
    write_jsonl(path("faces.jsonl"), [r for r in rows if r["label"] == "face"])
    write_jsonl(path("cars.jsonl"), [r for r in rows if r["label"] == "car"])


def luma(frame, x, y):
    return frame[y * W + x]


def lap_var(frame, box, margin=8):
    """Variance of the 4-neighbour Laplacian of luma inside box (minus a margin: the outline)."""
    x1, y1, x2, y2 = box[0] + margin, box[1] + margin, box[2] - margin, box[3] - margin
    vals = []
    for y in range(y1, y2):
        row = y * W
        for x in range(x1, x2):
            i = row + x
            vals.append(frame[i - 1] + frame[i + 1] + frame[i - W] + frame[i + W] - 4 * frame[i])
    mean = sum(vals) / len(vals)
    return sum((v - mean) ** 2 for v in vals) / len(vals)


def differs_outside(a, b, boxes):
    """Luma and chroma samples that differ outside every box of `boxes` (x1, y1, x2, y2)."""
    bad = 0
    for plane, (pw, ph, off, s) in enumerate(((W, H, 0, 1), (W // 2, H // 2, W * H, 2),
                                              (W // 2, H // 2, W * H * 5 // 4, 2))):
        for y in range(ph):
            ra = a[off + y * pw:off + (y + 1) * pw]
            rb = b[off + y * pw:off + (y + 1) * pw]
            if ra == rb:
                continue
            for x in range(pw):
                if ra[x] != rb[x] and not any(bx[0] // s <= x < -(-bx[2] // s) and
                                              bx[1] // s <= y < -(-bx[3] // s) for bx in boxes):
                    bad += 1
    return bad


def render(out, *extra, log="log.jsonl"):
    r = run(["render", "-i", SRC, "-d", path(log), "-o", path(out), "--hold", "200"] + FAST +
            list(extra))
    C.check(r.returncode == 0, f"render {out}", r.stderr)
    return decode_frames(path(out), W, H)


def test_selector_redaction():
    plain = render("plain.mp4")
    red = render("red.mp4", "--redact", "label=face")
    C.check(len(plain) == FRAMES and len(red) == FRAMES, "frame counts", f"{len(red)}")
    # every frame, the missed one (index MISSED - FIRST, held by --hold) included
    for i in (0, MISSED - FIRST, FRAMES - 1):
        before, after = lap_var(plain[i], FACE), lap_var(red[i], FACE)
        C.check(after * 10 <= before, f"frame {i}: Laplacian variance drops >= 10x",
                f"{before:.1f} -> {after:.1f}")
    # outside the face box, only the chip differs (the redacted box has none): the chip sits
    # above the box's top-left corner
    chip = [FACE[0], FACE[1] - 30, FACE[0] + 150, FACE[1]]
    for i in (0, MISSED - FIRST):
        n = differs_outside(plain[i], red[i], [FACE, chip])
        C.check(n == 0, f"frame {i}: outside the box the frame equals the unredacted render",
                f"{n} samples differ")
    # the box outline is still drawn: a grey frame line on the box's left edge
    C.check(abs(luma(red[0], FACE[0], (FACE[1] + FACE[3]) // 2) - 150) < 40,
            "redacted box keeps a neutral outline")
    m = json.load(open(path("red.mp4.evidence.json")))
    rd = m.get("redaction", {})
    C.check(rd.get("selectors") == ["label=face"] and rd.get("mode") == "pixelate", "manifest "
            "selectors and mode", json.dumps(rd)[:300])
    C.check(rd.get("regions") == FRAMES and rd.get("frames") == FRAMES, "manifest: the held "
            "frame counts as redacted", f"{rd.get('regions')} {rd.get('frames')}")
    C.check(rd.get("ranges") == [{"first_frame": 0, "last_frame": FRAMES - 1,
                                  "regions": FRAMES}], "manifest ranges", str(rd.get("ranges")))
    C.check(rd.get("log") is None, "no redaction log recorded")
    C.check("redaction" not in json.load(open(path("plain.mp4.evidence.json"))),
            "an unredacted clip's manifest has no redaction")
    # without --hold the missed frame is not covered: the rule is stated, and the count says so
    r = run(["render", "-i", SRC, "-d", path("log.jsonl"), "-o", path("nohold.mp4"),
             "--redact", "label=face"] + FAST)
    rd = json.load(open(path("nohold.mp4.evidence.json"))).get("redaction", {})
    C.check(r.returncode == 0 and rd.get("regions") == FRAMES - 1 and
            len(rd.get("ranges", [])) == 2, "without hold the gap is visible in the ranges",
            str(rd.get("ranges")))


def test_verify_inspect():
    r = run(["verify", "--json", path("red.mp4")])
    v = json.loads(r.stdout or "{}")
    C.check(r.returncode == 0 and v.get("ok") and v.get("redacted") is True,
            "verify --json: redacted", r.stdout)
    r = run(["verify", path("red.mp4")])
    C.check("redacted derivative" in r.stdout, "verify says 'redacted derivative'", r.stdout)
    r = run(["verify", "--json", path("plain.mp4")])
    C.check(json.loads(r.stdout or "{}").get("redacted") is False, "plain clip: not redacted")
    r = run(["inspect", path("red.mp4")])
    frames = [json.loads(line) for line in r.stdout.splitlines()]
    marks = [(d["label"], d.get("extra", {}).get("redacted", False))
             for f in frames for d in f["detections"]]
    C.check(len(frames) == FRAMES and ("face", True) in marks and ("car", False) in marks and
            ("face", False) not in marks and ("car", True) not in marks,
            "inspect marks the redacted boxes only", str(marks[:4]))
    held = frames[MISSED - FIRST]["detections"]
    C.check(any(d["label"] == "face" and d.get("extra") == {"redacted": True} for d in held),
            "inspect: the held box on the missed frame is marked redacted")


def test_redaction_log():
    plain = render("cars.mp4", log="cars.jsonl")
    red = render("faces.mp4", "--redact-detections", path("faces.jsonl"),
                 "--redact-mode", "blur", "--redact-pad", "6", log="cars.jsonl")
    padded = [FACE[0] - 6, FACE[1] - 6, FACE[2] + 6, FACE[3] + 6]
    for i in (0, MISSED - FIRST):
        before, after = lap_var(plain[i], FACE), lap_var(red[i], FACE)
        C.check(after * 10 <= before, f"log frame {i}: blurred detail drops >= 10x",
                f"{before:.1f} -> {after:.1f}")
        n = differs_outside(plain[i], red[i], [padded])
        C.check(n == 0, f"log frame {i}: boxes of the redaction log are not drawn, nothing "
                "else changes", f"{n} samples differ")
    C.check(differs_outside(plain[0], red[0], [FACE]) > 0, "the pad is redacted too")
    rd = json.load(open(path("faces.mp4.evidence.json"))).get("redaction", {})
    want = hashlib.sha256(open(path("faces.jsonl"), "rb").read()).hexdigest()
    C.check(rd.get("log", {}).get("sha256") == want and rd.get("mode") == "blur" and
            rd.get("pad") == 6 and rd.get("selectors") == [] and rd.get("regions") == FRAMES,
            "manifest records the redaction log's hash", json.dumps(rd)[:300])
    r = run(["inspect", path("faces.mp4")])
    first = json.loads(r.stdout.splitlines()[0])["detections"]
    C.check({"label": "face", "score": 0.9, "track_id": 3, "box": FACE,
             "extra": {"redacted": True}} in first, "SEI carries the log's boxes, redacted")


def test_batch_and_label():
    jobs = path("jobs.jsonl")
    write_jsonl(jobs, [
        {"input": SRC, "detections": path("log.jsonl"), "start": 1, "end": 1.6,
         "output": path("b1.mp4"), "preset": "ultrafast", "redact": ["track=3"],
         "redact_mode": "fill", "redact_label": "hidden"},
        {"input": SRC, "detections": path("log.jsonl"), "start": 1, "end": 1.6,
         "output": path("b2.mp4"), "preset": "ultrafast", "redact": "label="},
        {"input": SRC, "detections": path("log.jsonl"), "start": 1, "end": 1.6,
         "output": path("b3.mp4"), "preset": "ultrafast", "redact": 7},
        {"input": SRC, "detections": path("log.jsonl"), "start": 1, "end": 1.6,
         "output": path("b4.mp4"), "preset": "ultrafast"},
    ])
    r = run(["batch", jobs, "--report", path("report.jsonl"), "-q", "--redact", "label=car",
             "--jobs", "2"])
    rep = read_jsonl(path("report.jsonl"))
    C.check(r.returncode == 9 and len(rep) == 4, "batch: bad jobs fail alone", r.stderr)
    errs = [x.get("error", "") for x in rep]
    C.check("jobs.jsonl:2" in errs[1] and "'label='" in errs[1], "bad selector names the line "
            "and the selector", errs[1])
    C.check("jobs.jsonl:3" in errs[2] and "'redact'" in errs[2], "bad type names the field",
            errs[2])
    m1 = json.load(open(path("b1.mp4.evidence.json")))["redaction"]
    C.check(m1["selectors"] == ["track=3"] and m1["mode"] == "fill" and m1["label"] == "hidden",
            "a job's redact keys replace the command line's", json.dumps(m1)[:200])
    m4 = json.load(open(path("b4.mp4.evidence.json"))).get("redaction", {})
    C.check(m4.get("selectors") == ["label=car"], "--redact is every job's default", str(m4))
    f = decode_frames(path("b1.mp4"), W, H)[0]
    inner = [luma(f, x, y) for x in range(FACE[0] + 10, FACE[2] - 10, 7)
             for y in range(FACE[1] + 10, FACE[3] - 10, 7)]
    C.check(max(inner) - min(inner) <= 6, "fill: the box is one flat grey", str(inner[:8]))


def test_errors():
    base = ["render", "-i", SRC, "-d", path("log.jsonl"), "-o", path("err.mp4")] + FAST
    for extra, words in (
            (["--redact", "face"], ["--redact", "'face'", "label=NAME"]),
            (["--redact", "track=-2"], ["'track=-2'"]),
            (["--redact", "label=face", "--redact", "tracks=1"], ["selector 2", "'tracks=1'"]),
            (["--redact-mode", "smudge"], ["--redact-mode", "'smudge'"]),
            (["--redact-pad", "-1"], ["--redact-pad", "'-1'"]),
            (["--redact-pad", "1001"], ["--redact-pad"]),
            (["--redact-detections", ""], ["--redact-detections", "empty path"])):
        r = run(base + extra)
        C.check(r.returncode == 2 and all(w in r.stderr for w in words),
                f"usage error for {extra}", r.stderr)
        C.check(not os.path.exists(path("err.mp4")), f"nothing written for {extra}")
    r = run(base + ["--redact-detections", path("missing.jsonl")])
    C.check(r.returncode in (3, 4) and "missing.jsonl" in r.stderr and "redaction log" in
            r.stderr, "missing redaction log named", r.stderr)
    bad = path("bad.jsonl")
    open(bad, "w").write('{"frame_idx": 1, "bbox": [1, 2]}\n')
    r = run(base + ["--redact-detections", bad])
    C.check(r.returncode == 4 and "bad.jsonl:1" in r.stderr, "malformed redaction log: file and "
            "line", r.stderr)
    # two inputs cannot share one redaction log's timeline
    r = run(["render", "-i", SRC, "--start", "1", "--end", "1.5", "-i", SRC, "--start", "1.5",
             "--end", "2", "-o", path("err.mp4"), "--redact-detections", path("faces.jsonl"),
             "-q", "--preset", "ultrafast"])
    C.check(r.returncode != 0 and "2 sources" in r.stderr, "multi-source redaction log refused",
            r.stderr)
    # the output may never replace the redaction log, even with --overwrite
    victim = path("victim.jsonl")
    open(victim, "w").write(open(path("faces.jsonl")).read())
    r = run(["render", "-i", SRC, "-o", victim, "--overwrite", "--redact-detections", victim]
            + FAST)
    C.check(r.returncode == 6 and "redaction log" in r.stderr and
            open(victim).read() == open(path("faces.jsonl")).read(),
            "output over the redaction log refused", r.stderr)
    # huge pad and boxes far outside the frame: rendered, nothing outside the frame touched
    write_jsonl(path("wild.jsonl"), [{"frame_idx": FIRST, "bbox": [-1e6, -1e6, 1e7, 50],
                                      "label": "face"},
                                     {"frame_idx": FIRST + 1, "bbox": [5000, 5000, 6000, 6000],
                                      "label": "face"}])
    r = run(["render", "-i", SRC, "-d", path("wild.jsonl"), "-o", path("wild.mp4"),
             "--redact", "all", "--redact-pad", "1000"] + FAST)
    rd = json.load(open(path("wild.mp4.evidence.json"))).get("redaction", {}) \
        if r.returncode == 0 else {}
    C.check(r.returncode == 0 and rd.get("regions") == 1, "wild boxes: clipped, the one off "
            "the frame not counted", r.stderr + str(rd))


def test_redaction_that_hides_nothing():
    # A mistyped selector or a redaction log of another window hides nothing: said (stderr,
    # the manifest's warnings, --strict exits 8), never passed off silently as a redacted clip.
    window = ["-i", SRC, "-d", path("cars.jsonl"), "--preset", "ultrafast", "--start", "1",
              "--end", "1.8"]
    r = run(["render", "-o", path("none.mp4"), "--redact", "label=fase", "--redact",
             "label=car"] + window)
    C.check(r.returncode == 0 and "--redact 'label=fase' selected no box in this clip: it hid "
            "nothing" in r.stderr and "'label=car'" not in r.stderr,
            "a selector that matched nothing is warned of, one that matched is not", r.stderr)
    warnings = json.load(open(path("none.mp4.evidence.json"))).get("warnings", [])
    C.check(any("'label=fase' selected no box" in w for w in warnings),
            "the manifest's warnings say it", str(warnings))
    r = run(["render", "-o", path("none2.mp4"), "--redact", "track=99", "--strict", "-q"] + window)
    C.check(r.returncode == 8, "--strict: a redaction that hid nothing exits 8",
            f"{r.returncode} {r.stderr}")
    write_jsonl(path("early.jsonl"), [{"frame_idx": 5, "bbox": FACE, "label": "face"}])
    r = run(["render", "-o", path("none3.mp4"), "--redact-detections", path("early.jsonl")] +
            window)
    C.check(r.returncode == 0 and "has no box in this clip's window: it hid nothing" in r.stderr,
            "a redaction log with no box in the window is warned of", r.stderr)


def test_native_original_beside():
    # With --native the unredacted original is kept beside the redacted clip: the source's own
    # packets (verify --sources proves it), while the clip hides the face.
    r = run(["render", "-i", SRC, "-d", path("log.jsonl"), "-o", path("both.mp4"), "--redact",
             "label=face", "--native"] + FAST)
    C.check(r.returncode == 0, "render --redact --native", r.stderr)
    m = json.load(open(path("both.mp4.evidence.json"))) if r.returncode == 0 else {}
    C.check(m.get("redaction", {}).get("regions", 0) > 0 and len(m.get("native", [])) == 1,
            "the manifest records the redaction and the native copy", str(m.keys()))
    v = run(["verify", "--sources", path("both.mp4")])
    C.check(v.returncode == 0 and "redacted derivative" in v.stdout,
            "verify --sources: the copy is the source's footage, the clip a redacted derivative",
            v.stdout + v.stderr)
    red = decode_frames(path("both.mp4"), W, H)
    orig = decode_frames(path("both.native.mp4"), W, H)
    src = decode_frames(SRC, W, H)
    k = len(orig) - len(red)  # the copy starts at the keyframe before the window
    C.check(k >= 0 and lap_var(orig[k], FACE) == lap_var(src[FIRST], FACE) and
            lap_var(red[0], FACE) * 10 <= lap_var(orig[k], FACE),
            "the copy shows the face as the source does; the clip hides it",
            f"{k} {lap_var(orig[max(k, 0)], FACE):.1f} {lap_var(red[0], FACE):.1f}")


make_source()
write_log()
test_selector_redaction()
test_verify_inspect()
test_redaction_log()
test_batch_and_label()
test_errors()
test_redaction_that_hides_nothing()
test_native_original_beside()
cleanup(TMP)
C.close()
