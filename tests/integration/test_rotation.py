"""test_rotation.py: phone video (an MP4 whose display matrix asks players to turn it) comes out
as players show it. Barcode frames are designed upright (portrait); the stored frames are those
frames turned so that ffmpeg's own autorotate (the oracle) shows them upright again. Logs are
written in display space (upright frames) and in stored space (PyAV's frames), for frame_idx and
ts keys; every output frame must be upright (portrait size, barcode readable at the top) and carry
the box logged for it. Also: --box-space warnings, the manifest's record, what OpenCV 4.6 reads,
and a headless Chromium that must play the output upright."""
import json
import os
import shutil
import struct
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import test_frame_identity as fi  # noqa: E402  (barcode frames, box slots, output checks)
from browser import chromium_binary, page_results  # noqa: E402
from common import Checks, cleanup, probe, run, tempdir, video_stream  # noqa: E402

C = Checks()
fi.C = C                  # fi.check_boxes reports here
TMP = tempdir()
DW, DH = 160, 240         # display (upright) size of the portrait cases
RATE = 25
COUNT = 60
MARK = (slice(DH - 16, DH), slice(DW - 16, DW))   # white square: bottom-right when upright


def display_frame(n):
    img = fi.barcode_frame(n, DW, DH)
    img[MARK] = 235
    return img


def op(img, cw, mirror):
    """Turns img clockwise by cw degrees, then mirrors it left-right when `mirror`."""
    out = np.rot90(img, -(cw // 90))
    return np.fliplr(out) if mirror else out


def undo(img, cw, mirror):
    """Inverse of op()."""
    if mirror:
        img = np.fliplr(img)
    return np.rot90(img, cw // 90)


def encode_gray(path, frames, extra=()):
    h, w = frames[0].shape
    cmd = ["ffmpeg", "-v", "error", "-y", "-nostdin", "-f", "rawvideo", "-pix_fmt", "gray",
           "-s", f"{w}x{h}", "-r", str(RATE), "-i", "-", "-c:v", "libx264", "-g", "25",
           "-preset", "veryfast", "-pix_fmt", "yuv420p"] + list(extra) + [path]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    for f in frames:
        p.stdin.write(np.ascontiguousarray(f).tobytes())
    p.stdin.close()
    assert p.wait(timeout=120) == 0, cmd


def patch_matrix(path, matrix):
    """Writes a 3x3 display matrix (a, b, u, c, d, v, x, y, w as ISO 14496-12 stores them) into
    the MP4's (only) tkhd box."""
    data = bytearray(open(path, "rb").read())
    at = data.find(b"tkhd")
    assert at > 0 and data[at + 4] == 0, "version 0 tkhd expected"
    struct.pack_into(">9i", data, at - 4 + 48, *matrix)
    open(path, "wb").write(data)


def set_rotation(src, dst, how):
    """Muxes src into dst with a display matrix: ("rotate", R) as `-metadata:s:v rotate=R`
    (FFmpeg 5.1; -display_rotation on later versions), or ("matrix", m) patched in tkhd."""
    kind, value = how
    if kind == "matrix":
        shutil.copyfile(src, dst)
        patch_matrix(dst, value)
        return
    r = subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin", "-i", src, "-c", "copy",
                        "-metadata:s:v", f"rotate={value}", dst], capture_output=True)
    if r.returncode != 0 or "displaymatrix" not in json.dumps(probe(dst)).lower():
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin", "-display_rotation",
                        str(value), "-i", src, "-c", "copy", dst], check=True)


def ffmpeg_display(path, frames=1):
    """Luma planes of the first frames as ffmpeg shows them (autorotate: the oracle)."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-frames:v",
                          str(frames), "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                         capture_output=True, check=True).stdout
    out = []
    for size in ((DW, DH), (DH, DW)):
        w, h = size
        if len(raw) == w * h * frames:
            return [np.frombuffer(raw, np.uint8, w * h, k * w * h).reshape(h, w)
                    for k in range(frames)]
    return out


def upright(planes):
    """1 when a display-sized luma plane shows the designed frame upright."""
    return (planes.shape == (DH, DW) and planes[MARK].mean() > 200 and
            planes[DH - 16:, :16].mean() < 200)


def find_turn(how, stem):
    """(cw, mirror) such that ffmpeg shows op(stored, cw, mirror) for this matrix: the stored
    frames are then undo(display) (ffmpeg is the oracle, not evclip)."""
    for cw in (0, 90, 180, 270):
        for mirror in (0, 1):
            one = os.path.join(TMP, f"{stem}.probe.mp4")
            enc = os.path.join(TMP, f"{stem}.probe-enc.mp4")
            encode_gray(enc, [undo(display_frame(5), cw, mirror)])
            set_rotation(enc, one, how)
            shown = ffmpeg_display(one)
            if shown and upright(shown[0]) and fi.read_barcode(shown[0]) == 5:
                return cw, mirror
    raise AssertionError(f"{stem}: no turn of the stored frames displays upright")


def stored_box(box, cw, mirror):
    """The display box [x1, y1, x2, y2] in stored pixels (through a mask, independent of
    evclip's arithmetic)."""
    mask = np.zeros((DH, DW), np.uint8)
    mask[box[1]:box[3], box[0]:box[2]] = 1
    ys, xs = np.nonzero(undo(mask, cw, mirror))
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def pyav_logs(src, stem, cw, mirror):
    """PyAV loop (stored frames): one log in display space (frame turned as players do) and one
    in stored space (the same box mapped to stored pixels), each with frame_idx and ts keys."""
    rows = {"display-idx": [], "display-ts": [], "stored-idx": [], "stored-ts": []}
    with fi.av.open(src) as c:
        for i, frame in enumerate(c.decode(c.streams.video[0])):
            shown = op(frame.to_ndarray(format="gray"), cw, mirror)
            n = fi.read_barcode(shown)
            ts = float(frame.pts * frame.time_base)
            row = fi.log_row(n, {})
            sbox = stored_box(row["bbox"], cw, mirror)
            for space, box in (("display", row["bbox"]), ("stored", sbox)):
                rows[f"{space}-idx"].append(dict(row, bbox=box, frame_idx=i))
                rows[f"{space}-ts"].append(dict(row, bbox=box, ts=ts))
    return {k: fi.write_log(os.path.join(TMP, f"{stem}.{k}.jsonl"), v) for k, v in rows.items()}


def check_output_upright(out, label):
    v = video_stream(probe(out))
    C.check((int(v["width"]), int(v["height"])) == (DW, DH), f"{label}: output is {DW}x{DH}",
            f"{v['width']}x{v['height']}")
    C.check("side_data_list" not in v, f"{label}: output has no display matrix",
            v.get("side_data_list"))
    w, h, frames = fi.decode_yuv(out)
    bad = [k for k, f in enumerate(frames) if not upright(f[0])]
    C.check(frames and not bad, f"{label}: every frame upright (mark bottom-right)", bad[:5])


def render(src, log, name, extra=(), code=0, start=0.4, end=2.0):
    out = os.path.join(TMP, name)
    r = run(["render", "-i", src, "-d", log, "--start", str(start), "--end", str(end), "-o", out,
             "--overwrite", "--thickness", "2", "--font-size", "8"] + list(extra))
    C.check(r.returncode == code, f"{name}: exit {code}", f"got {r.returncode}: {r.stderr}")
    return out, r


def case(stem, how):
    """One rotated input: logs in both spaces and both keys; every output frame checked."""
    cw, mirror = find_turn(how, stem)
    enc = os.path.join(TMP, f"{stem}.enc.mp4")
    src = os.path.join(TMP, f"{stem}.mp4")
    encode_gray(enc, [undo(display_frame(n), cw, mirror) for n in range(COUNT)])
    set_rotation(enc, src, how)
    shown = ffmpeg_display(src, 3)
    C.check(len(shown) == 3 and all(upright(s) for s in shown),
            f"{stem}: ffmpeg shows the input upright")
    logs = pyav_logs(src, stem, cw, mirror)
    for key in ("idx", "ts"):
        for space in ("display", "stored"):
            extra = ["--box-space", "stored"] if space == "stored" else []
            out, r = render(src, logs[f"{space}-{key}"], f"{stem}.{space}-{key}.mp4", extra)
            if r.returncode != 0:
                continue
            check_output_upright(out, f"{stem} {space}-{key}")
            fi.check_boxes(out, f"{stem} {space}-{key}", expect_frames=list(range(10, 50)))
            C.check("box-space" not in r.stderr, f"{stem} {space}-{key}: no box-space warning",
                    r.stderr)
            m = json.load(open(out + ".evidence.json"))
            disp = m["sources"][0]["display"]
            C.check(disp == {"matrix": True, "rotation": cw, "mirror": bool(mirror)},
                    f"{stem} {space}-{key}: manifest records the turn", disp)
            C.check(m["drawing"]["box_space"] == space, f"{stem}: manifest box_space", m)
    return src, cw, mirror


def check_opencv(src, stem, cw, mirror, renders=True):
    """Records what the installed OpenCV reads (README: Rotated video)."""
    cap = fi.cv2.VideoCapture(src)
    ok, frame = cap.read()
    cap.release()
    gray = fi.cv2.cvtColor(frame, fi.cv2.COLOR_BGR2GRAY)
    shown = ffmpeg_display(src)[0]
    turns = [k for k in range(4) if np.rot90(shown, k).shape == gray.shape and
             np.abs(np.rot90(shown, k).astype(int) - gray).mean() < 8]
    print(f"OpenCV {fi.cv2.__version__} reads '{stem}' (display turn {cw} cw, mirror {mirror}):"
          f" {gray.shape[1]}x{gray.shape[0]}, = players' frame turned {[90 * k for k in turns]}"
          " degrees counter-clockwise")
    if fi.cv2.__version__.startswith("4.6.") and not mirror:
        want = [2] if cw in (90, 270) else [0]
        C.check(turns == want, f"OpenCV 4.6 on '{stem}': upright size, "
                f"{'upside down' if want == [2] else 'upright'} (README)", turns)
    if renders and len(turns) == 1:
        opencv_renders(src, stem, cw, mirror, turns[0])


def opencv_logs(src, stem, cw, mirror, auto, fix):
    """The usual OpenCV loop (frame_idx = i, ts = CAP_PROP_POS_MSEC / 1000 after read()).
    auto=1: OpenCV's own turn, then np.rot90(frame, -fix) (README: cv2.rotate(frame,
    cv2.ROTATE_180) on 4.6 for +-90 degree files) gives the frame players show: display-space
    boxes. auto=0: stored frames (CAP_PROP_ORIENTATION_AUTO off): stored-space boxes."""
    cap = fi.cv2.VideoCapture(src)
    cap.set(fi.cv2.CAP_PROP_ORIENTATION_AUTO, auto)
    by_idx, by_ts, i = [], [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        ts = cap.get(fi.cv2.CAP_PROP_POS_MSEC) / 1000
        gray = fi.cv2.cvtColor(frame, fi.cv2.COLOR_BGR2GRAY)
        shown = np.rot90(gray, -fix) if auto else op(gray, cw, mirror)
        row = fi.log_row(fi.read_barcode(shown), {})
        if not auto:
            row["bbox"] = stored_box(row["bbox"], cw, mirror)
        by_idx.append(dict(row, frame_idx=i))
        by_ts.append(dict(row, ts=ts))
        i += 1
    cap.release()
    name = "auto" if auto else "stored"
    return (fi.write_log(os.path.join(TMP, f"{stem}.cv-{name}-idx.jsonl"), by_idx),
            fi.write_log(os.path.join(TMP, f"{stem}.cv-{name}-ts.jsonl"), by_ts))


def opencv_renders(src, stem, cw, mirror, fix):
    """Logs of OpenCV loops render right: upright frames (auto-rotation, turned upright where
    OpenCV turns the wrong way) with the default box space, stored frames with --box-space
    stored."""
    for auto, extra in ((1, []), (0, ["--box-space", "stored"])):
        for key, log in zip(("idx", "ts"), opencv_logs(src, stem, cw, mirror, auto, fix)):
            label = f"{stem} opencv auto={auto} {key}"
            out, r = render(src, log, f"{stem}.cv{auto}-{key}.mp4", extra)
            if r.returncode == 0:
                fi.check_boxes(out, label, expect_frames=list(range(10, 50)))


def check_odd_angle():
    """A matrix turning by 37 degrees (not a multiple of 90) is named in a warning."""
    import math
    odd = os.path.join(TMP, "odd-angle.mp4")
    shutil.copyfile(os.path.join(TMP, "rot180.enc.mp4"), odd)
    c, s_ = (int(round(f(math.radians(37)) * 65536)) for f in (math.cos, math.sin))
    patch_matrix(odd, [c, s_, 0, -s_, c, 0, 0, 0, 1 << 30])
    _, r = render(odd, os.path.join(TMP, "rot180.display-idx.jsonl"), "odd-angle.out.mp4")
    C.check("not a multiple of 90" in r.stderr, "37 degree matrix: warning", r.stderr)


def check_warnings(src, stem):
    """A box that fits only the stored frame (x > display width) or only the display frame
    (y > stored height) is named, with the option that fixes it; --strict exits 8."""
    wide = fi.write_log(os.path.join(TMP, f"{stem}.wide.jsonl"),
                        [{"frame_idx": i, "bbox": [190, 10, 230, 40], "label": "w"}
                         for i in range(COUNT)])
    tall = fi.write_log(os.path.join(TMP, f"{stem}.tall.jsonl"),
                        [{"frame_idx": i, "bbox": [10, 190, 40, 230], "label": "t"}
                         for i in range(COUNT)])
    _, r = render(src, wide, f"{stem}.wide.mp4", ["--json"])
    C.check("needs --box-space stored" in r.stderr, "stored-space box, display default: warns",
            r.stderr)
    summary = json.loads(r.stdout)
    C.check(any("needs --box-space stored" in w for w in summary["warnings"]),
            "--json lists the box-space warning", summary)
    m = json.load(open(os.path.join(TMP, f"{stem}.wide.mp4.evidence.json")))
    C.check(any("needs --box-space stored" in w for w in m["warnings"]),
            "manifest lists the box-space warning", m["warnings"])
    _, r = render(src, wide, f"{stem}.wide-strict.mp4", ["--strict"], code=8)
    _, r = render(src, wide, f"{stem}.wide-stored.mp4", ["--box-space", "stored"])
    C.check("box-space" not in r.stderr, "stored-space box with --box-space stored: quiet",
            r.stderr)
    _, r = render(src, tall, f"{stem}.tall-stored.mp4", ["--box-space", "stored"])
    C.check("needs --box-space display" in r.stderr, "display box read as stored: warns",
            r.stderr)
    _, r = render(src, tall, f"{stem}.tall.mp4")
    C.check("box-space" not in r.stderr, "display box, display default: quiet", r.stderr)
    _, r = render(src, tall, f"{stem}.bad.mp4", ["--box-space", "sideways"], code=2)
    C.check("--box-space: 'sideways' is not display or stored" in r.stderr,
            "bad --box-space: usage error", r.stderr)
    jobs = os.path.join(TMP, f"{stem}.jobs.jsonl")
    report = os.path.join(TMP, f"{stem}.report.jsonl")
    with open(jobs, "w") as f:
        for name, space in (("b-display", "display"), ("b-stored", "stored")):
            f.write(json.dumps({"output": os.path.join(TMP, f"{stem}.{name}.mp4"), "input": src,
                                "detections": wide, "start": 0.4, "end": 1.0,
                                "box_space": space, "overwrite": True}) + "\n")
        f.write(json.dumps({"output": os.path.join(TMP, "x.mp4"), "input": src, "start": 0,
                            "end": 1, "box_space": "up"}) + "\n")
    r = run(["batch", jobs, "--report", report])
    lines = [json.loads(x) for x in open(report)]
    C.check(any("needs --box-space stored" in w for w in lines[0]["warnings"]),
            "batch: box_space display warns in the report", lines[0])
    C.check(lines[1]["status"] == "ok" and not lines[1]["warnings"],
            "batch: box_space stored is quiet", lines[1])
    C.check(lines[2]["status"] == "invalid" and "'box_space': 'up'" in (lines[2]["error"] or ""),
            "batch: bad box_space names the field", lines[2])


def check_python(src, stem, logs_stem):
    """The binding's box_space kwarg reaches the renderer."""
    root = os.environ.get("EVCLIP_SOURCE_ROOT")
    lib = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(fi.EVCLIP))),
                       "libevclip.so")
    if not root or not os.path.exists(lib):
        return
    if "libasan" in subprocess.run(["ldd", lib], capture_output=True, text=True).stdout:
        return  # a sanitized library cannot load into the plain interpreter
    os.environ.setdefault("EVCLIP_LIBRARY", lib)
    sys.path.insert(0, os.path.join(root, "python"))
    import evclip
    out = os.path.join(TMP, f"{stem}.py.mp4")
    evclip.render_from_jsonl(src, os.path.join(TMP, f"{logs_stem}.stored-idx.jsonl"), 0.4, 2.0,
                             out, box_space="stored", thickness=2, font_size=8)
    fi.check_boxes(out, "python box_space='stored'", expect_frames=list(range(10, 50)))
    try:
        evclip.render_from_jsonl(src, os.path.join(TMP, f"{logs_stem}.stored-idx.jsonl"), 0.4,
                                 2.0, out, box_space="sideways")
        C.check(False, "python box_space='sideways' raises")
    except ValueError as e:
        C.check("box_space must be 'display' or 'stored'" in str(e), "python bad box_space", e)


PAGE = """<!doctype html><html><body><video id="v" muted playsinline></video>
<canvas id="c"></canvas><script>
const v = document.getElementById('v');
const report = (text) => fetch('/result?' + encodeURIComponent(text));
v.onerror = () => { report('DECODE-ERROR ' + (v.error ? v.error.code : '')); };
v.addEventListener('loadeddata', () => { v.currentTime = 0.2; });
// Drawn once the seeked frame is painted: a canvas read before that is transparent (alpha 0),
// so the draw is retried (every 50 ms, up to 10 s) until the frame is there.
let tries = 0;
const draw = () => {
  const c = document.getElementById('c'); c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d'); g.drawImage(v, 0, 0);
  if (g.getImageData(c.width >> 1, c.height >> 1, 1, 1).data[3] === 0 && ++tries < 200) {
    setTimeout(draw, 50);
    return;
  }
  const luma = (x, y) => { const d = g.getImageData(x, y, 1, 1).data;
    return Math.round(0.299 * d[0] + 0.587 * d[1] + 0.114 * d[2]); };
  report('VIDEO-RESULT ' + JSON.stringify({w: v.videoWidth, h: v.videoHeight,
    br: luma(c.width - 6, c.height - 6), bl: luma(6, c.height - 6),
    tr_below_bar: luma(c.width - 6, 30), tries: tries}));
};
v.addEventListener('seeked', draw);
v.src = 'clip.mp4';
</script></body></html>"""





def check_chromium(clip):
    """The rendered clip plays upright in headless Chromium: portrait size, the white mark in
    the bottom-right corner (the page draws the frame into a canvas and reports what it read
    to the test's server, GET /result?TEXT: waited for in real time, as a loaded machine
    needs, not within a virtual-time budget that media decoding does not follow)."""
    browser = chromium_binary()
    if not browser:
        print("SKIP chromium: no chromium binary (scripts/install-deps.sh installs it)")
        return
    site = os.path.join(TMP, "site")
    os.makedirs(site, exist_ok=True)
    shutil.copyfile(clip, os.path.join(site, "clip.mp4"))
    with open(os.path.join(site, "index.html"), "w") as f:
        f.write(PAGE)

    t0 = time.monotonic()
    results, status = page_results(browser, site, "index.html",
                                   os.path.join(TMP, "chromium-profile"), timeout=60)
    got = results[0] if results else f"no report (chromium exit status {status})"
    marker = "VIDEO-RESULT "
    C.check(not got.startswith("DECODE-ERROR"), "chromium decodes the H.264 clip", got)
    C.check(got.startswith(marker), "chromium reported the frame", got)
    if not got.startswith(marker):
        return
    res = json.loads(got[len(marker):])
    print(f"chromium ({time.monotonic() - t0:.1f} s): {res}")
    C.check((res["w"], res["h"]) == (DW, DH), "chromium: videoWidth x videoHeight portrait",
            res)
    C.check(res["br"] > 200 and res["bl"] < 160, "chromium: white mark bottom-right (upright)",
            res)


def main():
    if fi.cv2 is None or fi.av is None:
        print("SKIP: python3-opencv and python3-av are needed (scripts/install-deps.sh)")
        sys.exit(77)
    t0 = time.monotonic()
    src90, cw, mirror = case("rot90", ("rotate", 90))
    check_opencv(src90, "rot90", cw, mirror)
    src, cw, mirror = case("rot180", ("rotate", 180))
    check_opencv(src, "rot180", cw, mirror)
    src, cw, mirror = case("rot270", ("rotate", 270))
    check_opencv(src, "rot270", cw, mirror, renders=False)  # as rot90 (time)
    # a mirrored matrix (transpose: x and y swapped), as some front cameras write
    one = 1 << 16
    src, cw, mirror = case("transpose", ("matrix", [0, one, 0, one, 0, 0, 0, 0, 1 << 30]))
    C.check(mirror == 1, "transpose matrix: a mirrored turn", (cw, mirror))
    check_odd_angle()
    check_warnings(src90, "rot90")
    check_python(src90, "rot90", "rot90")
    check_chromium(os.path.join(TMP, "rot90.display-idx.mp4"))
    print(f"{time.monotonic() - t0:.1f} s")
    cleanup(TMP)
    cleanup(fi.TMP)
    C.close()


if __name__ == "__main__":
    main()
