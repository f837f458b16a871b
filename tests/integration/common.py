"""common.py: helpers for evclip's integration tests (CLI runs, ffprobe, raw frame decoding)."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

EVCLIP = os.environ.get("EVCLIP_BIN", "evclip")
MEDIA = os.environ.get("EVCLIP_MEDIA", os.path.join(os.path.dirname(__file__), "../../../shared/media"))


class Checks:
    """Collects named checks; prints failures and the closing 'N passed, N failed' line."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what} {detail}", flush=True)
        return cond

    def run_all(self, tests):
        """Runs each test function in order; an exception fails that test (traceback
        printed) and the next one still runs."""
        for test in tests:
            print(f"== {test.__name__}", flush=True)
            try:
                test()
            except Exception as e:
                import traceback
                traceback.print_exc()
                self.check(False, test.__name__, repr(e))

    def close(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed else 0)


def media(name):
    return os.path.join(MEDIA, name)


def tempdir():
    d = tempfile.mkdtemp(prefix="evclip-test-")
    return d


def cleanup(d):
    shutil.rmtree(d, ignore_errors=True)


SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer")


def run(args, timeout=300, **kw):
    """Runs evclip with args; returns CompletedProcess (text). A sanitizer report in its
    stderr is printed to the test's log whatever the test checks (a rare report then shows
    its stack, not only the exit code it caused)."""
    r = subprocess.run([EVCLIP] + list(args), capture_output=True, text=True,
                       timeout=timeout, **kw)
    if isinstance(r.stderr, str) and any(s in r.stderr for s in SANITIZER_REPORTS):
        print(f"sanitizer report from evclip {' '.join(map(str, args))}:\n{r.stderr}",
              file=sys.stderr)
    return r


def ffmpeg(*args, timeout=300):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin"] + list(args), check=True,
                   timeout=timeout)


def probe(path, extra=()):
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                          "-show_streams"] + list(extra) + [path],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def video_stream(info):
    return next(s for s in info["streams"] if s["codec_type"] == "video")


def audio_stream(info):
    return next((s for s in info["streams"] if s["codec_type"] == "audio"), None)


def frame_times(path):
    """Presentation times (seconds) of every video frame, in order."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "frame=pts_time,best_effort_timestamp_time", "-of", "json", path],
                         capture_output=True, text=True, check=True).stdout
    frames = json.loads(out)["frames"]
    times = []
    for f in frames:
        t = f.get("pts_time", f.get("best_effort_timestamp_time"))
        times.append(float(t))
    return times


def decode_frames(path, width, height, select=None, pix_fmt="yuv420p"):
    """Decodes video frames to raw planes; returns a list of bytes objects (one per frame)."""
    args = ["ffmpeg", "-v", "error", "-nostdin", "-i", path]
    if select:
        args += ["-vf", f"select='{select}'"]
    # passthrough: one raw frame per decoded frame, whatever the (variable) frame rate
    args += ["-vsync", "passthrough", "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"]
    raw = subprocess.run(args, capture_output=True, check=True).stdout
    size = width * height * 3 // 2 if pix_fmt == "yuv420p" else width * height
    return [raw[i:i + size] for i in range(0, len(raw) - size + 1, size)]


def first_frame_rgb(path, width, height):
    """The first frame of `path` as RGB24; returns a function (x, y) -> (r, g, b)."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True,
                         check=True).stdout
    return lambda x, y: tuple(raw[(y * width + x) * 3:(y * width + x) * 3 + 3])


def yuv_at(frame, width, height, x, y):
    """(Y, U, V) of pixel (x, y) in a yuv420p frame."""
    cw, ch = width // 2, height // 2
    yv = frame[y * width + x]
    u = frame[width * height + (y // 2) * cw + x // 2]
    v = frame[width * height + cw * ch + (y // 2) * cw + x // 2]
    return yv, u, v


def top_level_atoms(path):
    """Names of the top-level MP4 boxes, in file order."""
    names = []
    with open(path, "rb") as f:
        while True:
            head = f.read(8)
            if len(head) < 8:
                break
            size, name = struct.unpack(">I4s", head)
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0]
                f.seek(size - 16, 1)
            elif size == 0:
                names.append(name.decode("latin1"))
                break
            else:
                f.seek(size - 8, 1)
            names.append(name.decode("latin1"))
    return names


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def leftovers(directory, keep=()):
    """Files in directory except those named in keep (temp files must never remain)."""
    return sorted(n for n in os.listdir(directory) if n not in keep)


def psnr_y(a, b, width, height):
    """PSNR of the luma planes of two yuv420p frames."""
    n = width * height
    se = 0
    for i in range(0, n, 7):  # sampled: fast enough in pure Python and still discriminating
        d = a[i] - b[i]
        se += d * d
    mse = se / len(range(0, n, 7))
    if mse == 0:
        return 99.0
    import math
    return 10 * math.log10(255 * 255 / mse)
