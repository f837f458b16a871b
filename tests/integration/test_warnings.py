"""test_warnings.py: a clip that rendered but may be wrong says so (stderr, --json, manifest),
--strict exits 8; a missing --end runs to the end of the input; window errors name the fix."""
import json
import os

from common import Checks, cleanup, media, run, tempdir

C = Checks()
T = tempdir()
VIDEO = media("walk.mkv")  # 640x480, 2.966 s
try:
    epoch = os.path.join(T, "epoch.jsonl")
    with open(epoch, "w") as f:
        for i in range(10):
            f.write(json.dumps({"ts": 1700000000.0 + i * 0.1, "bbox": [10, 10, 50, 50],
                                "label": "car"}) + "\n")
    out = os.path.join(T, "epoch.mp4")
    r = run(["render", "-i", VIDEO, "-d", epoch, "--start", "1", "-o", out, "--json",
             "--strict"])
    want = "no detection of '%s' falls in the window [1.000, 2.966) s" % epoch
    C.check(r.returncode == 8, "--strict with a warning exits 8", r.stderr)
    C.check(want in r.stderr and "epoch seconds?" in r.stderr, "warning on stderr", r.stderr)
    s = json.loads(r.stdout)
    C.check(any(want in w for w in s["warnings"]), "warning in --json", r.stdout)
    C.check(s["to_end"] is True and abs(s["last_time"] - 2.933) < 0.01, "no --end: to the end",
            r.stdout)
    C.check(s["manifest"] == out + ".evidence.json" and len(s["sha256"]) == 64 and
            s["elapsed"] > 0, "--json: manifest path, sha256, elapsed", r.stdout)
    m = json.load(open(out + ".evidence.json"))
    C.check(any(want in w for w in m["warnings"]), "warning in the manifest", str(m))
    C.check(m["output"]["sha256"] == s["sha256"], "--json sha256 = manifest's")
    C.check(m["drawing"]["hold"] == 0 and m["drawing"]["thickness"] >= 1 and
            m["drawing"]["title"] is None, "manifest records drawing settings", str(m))
    r = run(["render", "-i", VIDEO, "-d", epoch, "--start", "1", "-o",
             os.path.join(T, "b.mp4")])
    C.check(r.returncode == 0 and "to the end of the input" in r.stderr and
            "1 warning" in r.stderr, "without --strict: exit 0, summary", r.stderr)
    r = run(["render", "-i", VIDEO, "--start", "1", "--end", "4", "-o",
             os.path.join(T, "c.mp4")])
    C.check(r.returncode == 5 and "use --clamp to cut at 2.966 s" in r.stderr,
            "window error names the fix", r.stderr)

    def log(name, step, box):
        path = os.path.join(T, name)
        with open(path, "w") as f:
            for i in range(0, 89, step):
                f.write(json.dumps({"frame_idx": i, "bbox": box, "label": "car"}) + "\n")
        return path

    cases = [
        ("norm.jsonl", 1, [0.1, 0.1, 0.5, 0.5], "has coordinates <= 1 (89 boxes): if they are "
         "fractions of the frame size, use --normalized"),
        ("big.jsonl", 1, [1200, 600, 1800, 1000], "89 of 89 boxes of"),
        ("big.jsonl", 1, [1200, 600, 1800, 1000], "past the 640x480 frame"),
        ("sparse.jsonl", 6, [10, 10, 100, 100], "boxes blink; --hold MS keeps each box"),
    ]
    for name, step, box, text in cases:
        path = log(name, step, box)
        o = os.path.join(T, name + ".mp4")
        r = run(["render", "-i", VIDEO, "-d", path, "--start", "0", "-o", o, "--json",
                 "--strict", "--overwrite"])
        s = json.loads(r.stdout)
        m = json.load(open(o + ".evidence.json"))
        C.check(r.returncode == 8 and text in r.stderr and any(text in w for w in s["warnings"])
                and any(text in w for w in m["warnings"]), "warning: " + text, r.stderr)
    colour = os.path.join(T, "colour.jsonl")
    with open(colour, "w") as f:
        f.write(json.dumps({"frame_idx": 3, "bbox": [10, 10, 90, 90], "label": "car",
                            "colour": [0, 0, 255]}) + "\n")
    o = os.path.join(T, "colour.mp4")
    r = run(["render", "-i", VIDEO, "-d", colour, "--start", "0", "--end", "1", "-o", o,
             "--json", "--strict"])
    text = "unknown key 'colour' (did you mean 'color'?) ignored (first at line 1)"
    s = json.loads(r.stdout) if r.stdout.strip() else {"warnings": []}
    C.check(r.returncode == 8 and text in r.stderr and any(text in w for w in s["warnings"]),
            "unknown key warning names the key and suggests the right one", r.stderr)
    r = run(["render", "-i", VIDEO, "-d", VIDEO, "--start", "0", "-o",
             os.path.join(T, "v.mp4")])
    C.check(r.returncode == 4 and "this is a video (Matroska/WebM container), not a detection "
            "log: give videos with -i and logs with -d" in r.stderr, "video given as -d",
            r.stderr)
    r = run(["render", "-i", VIDEO, "-d", media("car-detection.mp4"), "--start", "0", "-o",
             os.path.join(T, "v.mp4")])
    C.check(r.returncode == 4 and "(MP4/MOV container)" in r.stderr, "MP4 given as -d",
            r.stderr)
    jobs = os.path.join(T, "jobs.jsonl")
    with open(jobs, "w") as f:
        f.write(json.dumps({"input": VIDEO, "detections": epoch, "start": 1, "end": 2,
                            "output": os.path.join(T, "j.mp4")}) + "\n")
    rep = os.path.join(T, "report.jsonl")
    r = run(["batch", jobs, "--report", rep])
    line = json.loads(open(rep).readline())
    C.check(r.returncode == 0 and any(want[:40] in w for w in line["warnings"]) and
            want[:40] in r.stderr, "batch report and stderr carry the warning", r.stderr)
finally:
    cleanup(T)
C.close()
