"""test_live_redact.py: `evclip live --redact`: a live clip (a file read in real time) is
redacted like an offline one (manifest record, verify "redacted", SEI marks), and bad live
redaction options are usage errors."""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import Checks, cleanup, ffmpeg, run, tempdir

C = Checks()
TMP = tempdir()
EVCLIP = os.environ.get("EVCLIP_BIN", "evclip")


def path(name):
    return os.path.join(TMP, name)


def test_errors():
    for args, words in ((["--redact", "face"], ["--redact", "'face'"]),
                        (["--redact-mode", "x"], ["--redact-mode"]),
                        (["--redact-detections", "f.jsonl"], ["redact-detections"]),
                        (["--interpolate", "1"], ["interpolate"])):
        r = run(["live", "--url", path("src.mp4")] + args, timeout=20,
                stdin=subprocess.DEVNULL)
        C.check(r.returncode == 2 and all(w in r.stderr for w in words), f"live {args}",
                r.stderr)


def test_live_clip():
    proc = subprocess.Popen([EVCLIP, "live", "-q", "--url", path("src.mp4"), "--name", "f",
                             "--realtime", "--redact", "label=face", "--redact-mode", "fill",
                             "--hold", "200"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    events = []
    reader = threading.Thread(target=lambda: events.extend(json.loads(x) for x in proc.stdout),
                              daemon=True)
    reader.start()

    def wait(kind, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if any(e.get("event") == kind for e in events):
                return True
            time.sleep(0.1)
        return False

    def send(obj):
        proc.stdin.write(json.dumps(obj) + "\n")
        proc.stdin.flush()

    out = path("live.mp4")
    try:
        C.check(wait("stream_up", 10), "stream up")
        time.sleep(2.5)
        box = {"bbox": [100, 60, 220, 160], "label": "face", "track_id": 1}
        for p in (1.0, 1.2, 1.4):
            send({"type": "detections", "stream": "f", "pts": p, "detections": [box]})
        send({"type": "trigger", "stream": "f", "pre": 2, "post": 0.2, "output": out})
        C.check(wait("clip_finished", 20), "live clip finished", str(events[-2:]))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    if not os.path.exists(out + ".evidence.json"):
        C.check(False, "live manifest written")
        return
    rd = json.load(open(out + ".evidence.json")).get("redaction", {})
    C.check(rd.get("mode") == "fill" and rd.get("selectors") == ["label=face"] and
            rd.get("regions", 0) >= 10, "live manifest records the redaction", str(rd))
    v = json.loads(run(["verify", "--json", out]).stdout or "{}")
    C.check(v.get("redacted") is True, "verify: live clip is a redacted derivative", str(v))
    marks = [d.get("extra") for line in run(["inspect", "--only-data", out]).stdout.splitlines()
             for d in json.loads(line)["detections"]]
    C.check(marks and all(m == {"redacted": True} for m in marks), "SEI marks", str(marks[:3]))


ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=5", "-c:v", "libx264",
       "-g", "25", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path("src.mp4"))
test_errors()
test_live_clip()
cleanup(TMP)
C.close()
