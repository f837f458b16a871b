"""test_frame_identity.py: boxes land on the frames the detector saw. Each generated input
carries its frame number as a barcode; a real OpenCV loop and a PyAV loop read the barcodes and
log one box per frame whose slot and colour encode that number; every rendered frame's barcode
must then carry the box logged for it (frame_idx and ts keys, every container case of issue 18)."""
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import EVCLIP, Checks, cleanup, probe, run, tempdir, video_stream  # noqa: E402

C = Checks()
TMP = tempdir()
W, H = 160, 120           # stored size of the generated inputs
BITS = 10                 # barcode: BITS blocks of 16x16 at the top, white = 1
COLS, ROWS = 4, 2         # box slots below the barcode
COLOURS = {"green": [0, 255, 0], "red": [0, 0, 255], "blue": [255, 0, 0], "yellow": [0, 255, 255]}
NAMES = list(COLOURS)
PERIOD = COLS * ROWS * len(NAMES)  # a box identifies its frame number modulo PERIOD

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # quiet on the cut inputs
try:
    import cv2
except ImportError:  # pragma: no cover - install-deps.sh installs python3-opencv
    cv2 = None
try:
    import av
    import av.logging
    av.logging.set_level(av.logging.PANIC)
except ImportError:  # pragma: no cover - install-deps.sh installs python3-av
    av = None


# ---- barcode frames -------------------------------------------------------------------------

def barcode_frame(n, width, height):
    """Grey frame (luma plane) with n's bits as black/white blocks along the top."""
    img = np.full((height, width), 128, np.uint8)
    for b in range(BITS):
        img[0:16, b * 16:(b + 1) * 16] = 235 if (n >> b) & 1 else 16
    return img


def read_barcode(luma):
    """Frame number from an upright luma plane (numpy array, rows first)."""
    n = 0
    for b in range(BITS):
        if luma[4:12, b * 16 + 4:b * 16 + 12].mean() > 128:
            n |= 1 << b
    return n


def slot_box(n):
    """Box [x1, y1, x2, y2] and colour name that stand for frame number n."""
    s = n % (COLS * ROWS)
    col, row = s % COLS, s // COLS
    x1, y1 = 8 + col * 36, 48 + row * 36
    return [x1, y1, x1 + 24, y1 + 24], NAMES[(n // (COLS * ROWS)) % len(NAMES)]


def encode(path, count, args, width=W, height=H, rate=25, offset=0, noise=False):
    """Encodes `count` barcode frames (numbers offset..offset+count-1) with ffmpeg `args`."""
    cmd = ["ffmpeg", "-v", "error", "-y", "-nostdin", "-f", "rawvideo", "-pix_fmt", "gray",
           "-s", f"{width}x{height}", "-r", str(rate), "-i", "-"] + args + [path]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    rng = np.random.default_rng(1)
    for n in range(offset, offset + count):
        img = barcode_frame(n, width, height)
        if noise:
            img[20:, :] = rng.integers(0, 255, (height - 20, width), np.uint8)
        p.stdin.write(img.tobytes())
    p.stdin.close()
    assert p.wait(timeout=120) == 0, cmd


# ---- detectors ------------------------------------------------------------------------------

def log_row(n, key):
    box, colour = slot_box(n)
    row = {"bbox": box, "label": " ", "color": COLOURS[colour], "extra": {"n": n}}
    row.update(key)
    return row


def write_log(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    return path


def opencv_logs(src, stem, rotate_upright=None):
    """The usual OpenCV detector loop: frame_idx = i, ts = CAP_PROP_POS_MSEC / 1000 after
    read(). Returns (frame_idx log, ts log, frames read)."""
    cap = cv2.VideoCapture(src)
    if rotate_upright is not None:
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, rotate_upright)
    by_idx, by_ts, i = [], [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        ts = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000
        n = read_barcode(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
        by_idx.append(log_row(n, {"frame_idx": i}))
        by_ts.append(log_row(n, {"ts": ts}))
        i += 1
    cap.release()
    return (write_log(os.path.join(TMP, stem + ".cv-idx.jsonl"), by_idx),
            write_log(os.path.join(TMP, stem + ".cv-ts.jsonl"), by_ts), i)


def pyav_logs(src, stem, index=0):
    """The usual PyAV loop: frame_idx = i over decode(), ts = frame.pts * time_base.
    Returns (frame_idx log, pts log, frames decoded)."""
    by_idx, by_pts = [], []
    with av.open(src) as c:
        stream = c.streams.video[index]
        for i, frame in enumerate(c.decode(stream)):
            n = read_barcode(frame.to_ndarray(format="gray"))
            by_idx.append(log_row(n, {"frame_idx": i}))
            if frame.pts is not None:
                by_pts.append(log_row(n, {"ts": float(frame.pts * frame.time_base)}))
    return (write_log(os.path.join(TMP, stem + ".av-idx.jsonl"), by_idx),
            write_log(os.path.join(TMP, stem + ".av-pts.jsonl"), by_pts), len(by_idx))


# ---- checking an output ---------------------------------------------------------------------

def decode_yuv(path):
    """(width, height, list of yuv420p frames as (Y, U, V) numpy planes) of path's video."""
    v = video_stream(probe(path))
    w, h = int(v["width"]), int(v["height"])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-vsync",
                          "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
                         capture_output=True, check=True, timeout=120).stdout
    size = w * h * 3 // 2
    frames = []
    for off in range(0, len(raw) - size + 1, size):
        f = np.frombuffer(raw, np.uint8, size, off)
        y = f[:w * h].reshape(h, w)
        u = f[w * h:w * h + w * h // 4].reshape(h // 2, w // 2)
        v_ = f[w * h + w * h // 4:].reshape(h // 2, w // 2)
        frames.append((y, u, v_))
    return w, h, frames


def colour_at(planes, x, y):
    """Name of the box colour at pixel (x, y), or None for the grey background."""
    yv, u, v = planes
    Y, U, V = int(yv[y, x]), int(u[y // 2, x // 2]), int(v[y // 2, x // 2])
    if abs(U - 128) < 20 and abs(V - 128) < 20:
        return None
    if U < 110 and V < 110:
        return "green"
    if V > 160 and U < 128:
        return "red" if Y < 120 else "yellow" if U < 100 else "red"
    if U > 160:
        return "blue"
    return "yellow" if Y > 150 else "?"


def boxes_in(planes):
    """[(slot, colour)] of the boxes drawn in a frame (left edge, middle row of each slot)."""
    found = []
    for s in range(COLS * ROWS):
        box, _ = slot_box(s)
        c = colour_at(planes, box[0] + 1, (box[1] + box[3]) // 2)
        if c:
            found.append((s, c))
    return found


def check_boxes(out, label, expect_frames=None, min_frames=10):
    """Every output frame shows exactly the box logged for its barcode. Returns the numbers."""
    w, h, frames = decode_yuv(out)
    wrong = []
    numbers = []
    for k, planes in enumerate(frames):
        n = read_barcode(planes[0])
        numbers.append(n)
        box, colour = slot_box(n)
        want = [((n % (COLS * ROWS)), colour)]
        got = boxes_in(planes)
        if got != want:
            wrong.append((k, n, got, want))
    C.check(len(frames) >= min_frames, f"{label}: {len(frames)} frames rendered")
    C.check(not wrong, f"{label}: every frame carries its own box",
            f"{len(wrong)} of {len(frames)} wrong, first {wrong[:3]}")
    if expect_frames is not None:
        C.check(numbers == expect_frames, f"{label}: frames rendered",
                f"{numbers[:5]}... vs {expect_frames[:5]}...")
    return numbers


def render(src, log, start, end, name, extra=(), code=0):
    out = os.path.join(TMP, name)
    r = run(["render", "-i", src, "-d", log, "--start", str(start), "--end", str(end),
             "-o", out, "--overwrite", "--no-manifest", "--thickness", "2", "--font-size", "8"]
            + list(extra))
    C.check(r.returncode == code, f"{name}: exit {code}", f"got {r.returncode}: {r.stderr}")
    if code == 0:  # decoder chatter (a cut GOP, references after a seek) is debug only
        C.check("error" not in r.stderr, f"{name}: no error printed", r.stderr[:300])
    return out, r


def check_case(src, stem, start, end, extra=(), pyav_pts=True, cv_ts_ok=True):
    """Renders src with the OpenCV and PyAV logs in frame_idx and ts keys and checks them."""
    cv_idx, cv_ts, n_cv = opencv_logs(src, stem)
    av_idx, av_pts, n_av = pyav_logs(src, stem)
    C.check(n_cv == n_av, f"{stem}: OpenCV and PyAV read as many frames", f"{n_cv} vs {n_av}")
    cases = [(cv_idx, "cv-idx", []), (av_idx, "av-idx", [])]
    if cv_ts_ok:
        cases.append((cv_ts, "cv-ts", []))
    if pyav_pts:
        cases.append((av_pts, "av-pts", ["--ts-origin", "pts"]))
    for log, name, opts in cases:
        out, r = render(src, log, start, end, f"{stem}.{name}.mp4", list(extra) + opts)
        if r.returncode == 0:
            check_boxes(out, f"{stem} {name}")


# ---- cases ----------------------------------------------------------------------------------

def case_ts_cut_mid_gop():
    """MPEG-TS recording cut mid-GOP: its first frames cannot be decoded."""
    full = os.path.join(TMP, "full.ts")
    encode(full, 100, ["-c:v", "libx264", "-g", "25", "-bf", "2", "-preset", "veryfast",
                       "-x264-params", "scenecut=0"])
    data = open(full, "rb").read()
    cut = os.path.join(TMP, "cut.ts")
    with open(cut, "wb") as f:   # drop whole TS packets: starts ~10 frames into the first GOP
        f.write(data[(len(data) // 10) // 188 * 188:])
    check_case(cut, "ts-cut", 0.5, 2.5)
    # The same cut recording in MP4 (packets copied, the leading non-keyframes kept): its first
    # frames cannot be decoded either.
    mp4 = os.path.join(TMP, "cut.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin", "-i", cut, "-c",
                    "copy", "-copyinkf", mp4], check=True, timeout=60)
    check_case(mp4, "mp4-cut", 0.5, 2.5)


def case_avi_bframes():
    avi = os.path.join(TMP, "bframes.avi")
    encode(avi, 100, ["-c:v", "libx264", "-g", "25", "-bf", "2", "-preset", "veryfast"])
    check_case(avi, "avi-b", 1.0, 3.0, pyav_pts=False)


def case_ts_start_offset():
    """MPEG-TS starts at pts 1.4 s: PyAV's frame.pts * time_base needs --ts-origin pts, and a
    log that looks offset by the start time is named in a warning."""
    ts = os.path.join(TMP, "offset.ts")
    encode(ts, 75, ["-c:v", "libx264", "-g", "25", "-bf", "2", "-preset", "veryfast"])
    start = float(video_stream(probe(ts))["start_time"])
    C.check(start > 1.0, "offset.ts: stream starts after 1 s", start)
    check_case(ts, "ts-offset", 0.5, 2.5)
    _, av_pts, _ = pyav_logs(ts, "ts-offset")
    _, r = render(ts, av_pts, 0.5, 2.5, "ts-offset.av-pts-start.mp4")
    C.check("needs --ts-origin pts" in r.stderr, "pts log without --ts-origin pts: warning",
            r.stderr)
    _, cv_ts, _ = opencv_logs(ts, "ts-offset")
    _, r = render(ts, cv_ts, 0.5, 2.5, "ts-offset.cv-pts.mp4", ["--ts-origin", "pts"])
    C.check("(--ts-origin start)" in r.stderr, "start log with --ts-origin pts: warning",
            r.stderr)
    _, r = render(ts, cv_ts, 0.5, 2.5, "ts-offset.cv-start.mp4")
    C.check("ts-origin" not in r.stderr, "start log, default origin: no warning", r.stderr)
    _, r = render(ts, av_pts, 0.5, 2.5, "ts-offset.bad.mp4", ["--ts-origin", "dts"], code=2)
    C.check("--ts-origin: 'dts' is not start or pts" in r.stderr, "bad --ts-origin: usage",
            r.stderr)


def case_raw_annexb():
    """Raw Annex-B H.264 (no timestamps, no seeking): decoded from the start, --fps times it,
    garbage is an input error (exit 3)."""
    raw = os.path.join(TMP, "raw.h264")
    encode(raw, 100, ["-c:v", "libx264", "-g", "25", "-bf", "2", "-preset", "veryfast",
                      "-f", "h264"])
    check_case(raw, "raw", 1.0, 3.0, pyav_pts=False, cv_ts_ok=False)
    cv_idx, _, _ = opencv_logs(raw, "raw")
    # ts mode: neither reader has times for a raw stream (OpenCV's CAP_PROP_POS_MSEC stays 0,
    # PyAV's pts is None); a detector that knows the camera's rate logs ts = i / fps.
    rows = [dict(json.loads(line), ts=json.loads(line)["frame_idx"] / 25) for line in open(cv_idx)]
    for r in rows:
        del r["frame_idx"]
    out, r = render(raw, write_log(os.path.join(TMP, "raw.rate-ts.jsonl"), rows), 1.0, 3.0,
                    "raw.rate-ts.mp4")
    if r.returncode == 0:
        check_boxes(out, "raw ts = i / fps", expect_frames=list(range(25, 75)))
    out, r = render(raw, cv_idx, 1.0, 1.5, "raw.fps50.mp4", ["--fps", "50"])
    if r.returncode == 0:
        check_boxes(out, "raw --fps 50", expect_frames=list(range(50, 75)))
    out, r = render(raw, cv_idx, 0, 0.4, "raw.start0.mp4")
    if r.returncode == 0:
        check_boxes(out, "raw from 0", expect_frames=list(range(0, 10)))
    junk = os.path.join(TMP, "junk.h264")
    with open(junk, "wb") as f:
        f.write(bytes(range(256)) * 64)
    _, r = render(junk, cv_idx, 0, 1, "junk.mp4", code=3)
    C.check("junk.h264" in r.stderr, "garbage .h264 names the input", r.stderr)


def case_two_streams():
    """Two video streams: the first (as OpenCV and PyAV) unless --stream picks another; a
    warning says there are several."""
    a, b = os.path.join(TMP, "a.mp4"), os.path.join(TMP, "b.mp4")
    encode(a, 75, ["-c:v", "libx264", "-g", "25", "-preset", "veryfast", "-crf", "35"])
    encode(b, 75, ["-c:v", "libx264", "-g", "25", "-preset", "veryfast", "-crf", "10"],
           width=320, height=240, offset=500, noise=True)
    two = os.path.join(TMP, "two.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin", "-i", a, "-i", b, "-map", "0",
                    "-map", "1", "-c", "copy", two], check=True, timeout=60)
    check_case(two, "two", 0.5, 2.5)
    _, r = render(two, os.path.join(TMP, "two.cv-idx.jsonl"), 0.5, 1, "two.warn.mp4")
    C.check("has 2 video streams" in r.stderr, "two streams: warning", r.stderr)
    av_idx, _, _ = pyav_logs(two, "two-b", index=1)
    out, r = render(two, av_idx, 0.5, 1.5, "two.stream1.mp4", ["--stream", "1"])
    C.check("video streams" not in r.stderr, "--stream 1: no warning", r.stderr)
    if r.returncode == 0:
        nums = check_boxes(out, "two --stream 1")
        C.check(nums and min(nums) >= 500, "--stream 1: frames of the second stream", nums)
        C.check(video_stream(probe(out))["width"] == 320, "--stream 1: its size")
    _, r = render(two, av_idx, 0.5, 1.5, "two.stream2.mp4", ["--stream", "2"], code=3)
    C.check("no video stream 2 (it has 2" in r.stderr, "--stream 2: named error", r.stderr)


def case_python_kwargs():
    """The binding's ts_origin / stream / fps kwargs reach the C sources."""
    root = os.environ.get("EVCLIP_SOURCE_ROOT")
    # the library sits one directory above tools/evclip in the build tree
    lib = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(EVCLIP))),
                       "libevclip.so")
    if not root or not os.path.exists(lib):
        return
    deps = subprocess.run(["ldd", lib], capture_output=True, text=True).stdout
    if "libasan" in deps:
        return  # a sanitized library cannot load into the plain interpreter (tests/python)
    os.environ.setdefault("EVCLIP_LIBRARY", lib)
    sys.path.insert(0, os.path.join(root, "python"))
    import evclip
    ts = os.path.join(TMP, "offset.ts")
    _, av_pts, _ = pyav_logs(ts, "py-offset")
    out = os.path.join(TMP, "py-offset.mp4")
    evclip.render_from_jsonl(ts, av_pts, 0.5, 2.5, out, ts_origin="pts", thickness=2,
                             font_size=8, manifest=False)
    check_boxes(out, "python ts_origin='pts'")
    try:
        evclip.render_from_jsonl(ts, av_pts, 0.5, 2.5, out, ts_origin="dts")
        C.check(False, "python ts_origin='dts' raises")
    except ValueError as e:
        C.check("ts_origin must be 'start' or 'pts'" in str(e), "python bad ts_origin", e)


def main():
    if cv2 is None or av is None:
        print("SKIP: python3-opencv and python3-av are needed (scripts/install-deps.sh)")
        sys.exit(77)
    t0 = time.monotonic()
    for case in (case_ts_cut_mid_gop, case_avi_bframes, case_ts_start_offset,
                 case_raw_annexb, case_two_streams, case_python_kwargs):
        case()
    print(f"{time.monotonic() - t0:.1f} s")
    cleanup(TMP)
    C.close()


if __name__ == "__main__":
    main()
