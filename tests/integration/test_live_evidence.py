"""test_live_evidence.py: live clips are evidence, and drawn as offline clips are.

- A live clip from a real RTSP server (URL with credentials) gets OUT.mp4.evidence.json: URL
  without credentials, stream, trigger ids, wall-clock window, clock, pre-roll asked and
  available, gaps, detections hash, damaged packets, output hash, signature; `evclip verify`
  exits 0 (with --sources: the live source is said to be un-rehashable, exit 0), 10 after a
  byte of the clip is changed, 11 after the manifest is edited.
- Merge mode: a merged trigger's longer pre widens the clip's start, each id gets its
  clip_finished naming the one file, a merged trigger's own output is refused.
- Damaged packets are counted in clip_finished and the manifest.
- The offline engine's window checks apply to live clips (a box past the frame is warned of
  in the manifest).
- A normalised box (0.25..0.75 of a 320x240 frame) lands on the same pixels through
  `evclip render`, the frame writer (evclip_writer_*, via ctypes) and `evclip live`.
Skipped (exit 77) without the GStreamer RTSP server."""
import ctypes
import hashlib
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import common  # noqa: E402
import test_live as tl  # noqa: E402 - its Server, Live and clip checks

check = tl.check
W, H = 320, 240
GRAY = 128
NORM_BOX = {"bbox": [0.25, 0.25, 0.75, 0.75], "label": "x", "color": [0, 0, 255],
            "normalized": True}


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def verify(*args):
    return common.run(["verify"] + list(args), timeout=60)


def scenario_evidence(server, out):
    """Manifest fields of a signed live clip, verify, tampering."""
    key = os.path.join(out, "ops")
    check(common.run(["keygen", "-o", key, "-q"]).returncode == 0, "evidence: keygen")
    url = server.url().replace("rtsp://", "rtsp://alice:s3cr%40t@")
    live = tl.Live(["--url", url, "--name", "gate", "--output-dir", out, "--sign-key",
                    key + ".key"], "evidence")
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "evidence: stream up"):
            return
        time.sleep(4)
        now = time.time()
        for k in range(3):
            live.send({"type": "detections", "stream": "gate", "wallclock": now - 1 + 0.3 * k,
                       "detections": [{"bbox": [10, 10, 60, 60], "label": "car"}]})
        live.send({"type": "trigger", "stream": "gate", "pre": 2, "post": 1, "id": "ev-1"})
        started = live.wait_type("clip_started", 5, id="ev-1")
        done = live.wait_type("clip_finished", 20, id="ev-1")
        if not check(started and done, "evidence: clip finished", str(live.events[-3:])):
            return
        path = done["path"]
        mpath = path + ".evidence.json"
        check(done.get("manifest") == mpath and os.path.exists(mpath),
              "evidence: clip_finished names the manifest beside the clip", str(done))
        text = open(mpath).read()
        m = json.loads(text)
        lv = m.get("live", {})
        want_url = server.url()
        check(lv.get("url") == want_url and m["sources"][0]["path"] == want_url and
              "alice" not in text and "s3cr" not in text,
              "evidence: stream URL recorded without credentials", str(lv.get("url")))
        check(lv.get("stream") == "gate" and lv.get("trigger_ids") == ["ev-1"] and
              lv.get("mode") == "trigger", "evidence: stream name, trigger ids", str(lv))
        check(abs(lv["window"]["start"] - done["start"]) < 1e-3 and
              abs(lv["window"]["end"] - done["end"]) < 1e-3 and
              lv["window"]["start_utc"].endswith("Z"),
              "evidence: wall-clock window as in clip_finished", str(lv.get("window")))
        check(lv.get("clock") in ("rtcp", "arrival") and lv["clock"] == done["clock"],
              "evidence: clock source", str(lv.get("clock")))
        check(lv["pre_roll"]["requested"] == 2 and
              abs(lv["pre_roll"]["available"] - started["pre_available"]) < 0.01 and
              lv["pre_roll"]["max"] == 30, "evidence: pre-roll asked and available",
              str(lv.get("pre_roll")))
        check(lv.get("gaps") == [] and lv.get("incomplete") is False,
              "evidence: no gap, complete", str(lv))
        src = m["sources"][0]
        check(src.get("live") is True and src["sha256"] is None and
              src["detections"]["count"] == 3 and len(src["detections"]["sha256_canonical"])
              == 64, "evidence: live source with its detections hash", str(src))
        check(src.get("damaged_packets") == 0 == lv.get("damaged_packets") ==
              done.get("damaged_packets"), "evidence: damaged packets counted (0) in the "
              "manifest and the event", str(src))
        check(m["output"]["sha256"] == sha256(path) and m["output"]["size"] ==
              os.path.getsize(path), "evidence: output hash")
        check(m.get("signature", {}).get("algorithm") == "ed25519", "evidence: signed")
        r = verify(path, "--pubkey", key + ".pub")
        check(r.returncode == 0 and "OK" in r.stdout, "evidence: verify exits 0",
              r.stdout + r.stderr)
        r = verify(path, "--sources")
        check(r.returncode == 0 and "cannot be re-hashed" in r.stdout and
              "sources    skipped" in r.stdout,
              "evidence: verify --sources says the live source cannot be re-hashed, exit 0",
              r.stdout + r.stderr)
        r = verify(path, "--sources", "--json")
        j = json.loads(r.stdout) if r.stdout.strip() else {}
        check(j.get("sources") == "skipped" and j.get("sources_live") == 1,
              "evidence: verify --json: sources skipped, sources_live 1", r.stdout)
        # Tamper: one byte of the clip, then one field of the manifest.
        data = bytearray(open(path, "rb").read())
        data[len(data) // 2] ^= 0x01
        bad = os.path.join(out, "tampered.mp4")
        open(bad, "wb").write(data)
        open(bad + ".evidence.json", "w").write(text)
        r = verify(bad, "--pubkey", key + ".pub")
        check(r.returncode == 10 and "output modified" in r.stderr,
              "evidence: a changed byte of the clip: exit 10", f"{r.returncode} {r.stderr}")
        edited = text.replace('"stream": "gate"', '"stream": "gate2"')
        check(edited != text, "evidence: manifest edit applied")
        open(path + ".evidence.json", "w").write(edited)
        r = verify(path, "--pubkey", key + ".pub")
        check(r.returncode == 11, "evidence: an edited manifest: exit 11",
              f"{r.returncode} {r.stderr}")
    finally:
        check(live.stop() == 0, "evidence: clean exit")


def scenario_no_password_in_events(out):
    """A stream that cannot be opened: its stream_down names the URL without the password."""
    live = tl.Live(["--url", "rtsp://alice:s3cr3t@127.0.0.1:9/x", "--name", "pw"], "password")
    try:
        down = live.wait_type("stream_down", 15)
        check(down and "rtsp://127.0.0.1:9/x" in down.get("message", ""),
              "events: URL named without credentials", str(down))
        time.sleep(0.5)
        text = json.dumps(live.events)
        check("s3cr3t" not in text and "alice" not in text,
              "events: the password never appears", text[:300])
    finally:
        live.stop()
        live.log.seek(0)
        check("s3cr3t" not in live.log.read(), "stderr: the password never appears")


def scenario_merge(server, out):
    """Merged trigger: longer pre widens the start; every id gets its clip_finished naming
    the file; its own output is refused."""
    live = tl.Live(["--url", server.url(), "--name", "cam", "--output-dir", out], "merge")
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "merge: stream up"):
            return
        time.sleep(6)
        live.send({"type": "trigger", "stream": "cam", "pre": 0.5, "post": 3, "id": "a"})
        sa = live.wait_type("clip_started", 5, id="a")
        time.sleep(1)
        t_b = time.time()
        live.send({"type": "trigger", "stream": "cam", "pre": 4, "post": 1, "id": "b"})
        ext = live.wait_type("clip_extended", 5, id="b")
        n = len(live.events)
        own = os.path.join(out, "own.mp4")
        live.send({"type": "trigger", "stream": "cam", "post": 1, "id": "c", "output": own})
        err = live.wait(lambda e: e.get("event") == "error", 5, start=n)
        check(err and "cannot have its own output" in err["message"] and own in
              err["message"], "merge: a merged trigger's own output refused", str(err))
        fa = live.wait_type("clip_finished", 25, id="a")
        fb = live.wait_type("clip_finished", 5, id="b")
        if not check(sa and ext and fa and fb, "merge: a started, b merged, both finished",
                     str(live.events[-4:])):
            return
        check(fa["path"] == fb["path"] == sa["path"] and fb["trigger_ids"] == ["a", "b"],
              "merge: b's clip_finished names the file that holds it", str(fb))
        check(fa["start"] <= t_b - 4 + 0.05 and fa["start"] <= sa["start"] - 1.5,
              "merge: b's longer pre widened the start", f"{fa['start']} {sa['start']} {t_b}")
        m = json.load(open(fa["path"] + ".evidence.json"))
        check(m["live"]["trigger_ids"] == ["a", "b"], "merge: manifest lists both ids")
        res = tl.clip_ok(fa["path"], "merge")
        check(res and abs(res[0] - (fa["end"] - fa["start"])) < 0.1,
              "merge: the file covers the widened window", str(res and res[0]))
        check(not os.path.exists(own), "merge: nothing written at the refused output")
    finally:
        live.stop()


def scenario_damaged(out):
    """A stream whose packets are damaged (bytes flipped in the middle of an MPEG-TS read in
    real time): the clip is written, the damaged packets counted in clip_finished and in the
    manifest (the same number)."""
    src, bad = os.path.join(out, "src.ts"), os.path.join(out, "bad.ts")
    common.ffmpeg("-f", "lavfi", "-i", f"testsrc=s={W}x{H}:r=25:d=12", "-pix_fmt", "yuv420p",
                  "-c:v", "libx264", "-g", "25", "-bf", "0", "-f", "mpegts", src)
    data = bytearray(open(src, "rb").read())
    n = len(data) // 188
    for k in range(int(n * 0.3), int(n * 0.6), 40):
        for j in range(20, 180, 7):
            data[k * 188 + j] ^= 0xff
    open(bad, "wb").write(data)
    live = tl.Live(["--url", bad, "--name", "f", "--realtime"], "damaged")
    try:
        if not check(live.wait_type("stream_up", 10) is not None, "damaged: up"):
            return
        time.sleep(8)
        path = os.path.join(out, "dmg.mp4")
        live.send({"type": "trigger", "stream": "f", "pre": 6, "post": 0.5, "output": path})
        done = live.wait_type("clip_finished", 20)
        if not check(done is not None, "damaged: clip written despite damaged packets",
                     str(live.events[-2:])):
            return
        m = json.load(open(path + ".evidence.json"))
        check(done["damaged_packets"] >= 1 and m["sources"][0]["damaged_packets"] ==
              m["live"]["damaged_packets"] == done["damaged_packets"],
              "damaged: counted in clip_finished and the manifest alike",
              f"{done['damaged_packets']} {m['sources'][0].get('damaged_packets')}")
    finally:
        live.stop()


# ---- normalised boxes: render, writer, live ------------------------------------------------

def box_pixels(frame):
    """(columns at row 120, rows at column 200) that differ from the gray background."""
    def off(x, y):
        yv, u, v = common.yuv_at(frame, W, H, x, y)
        return abs(yv - GRAY) > 20 or abs(u - 128) > 20 or abs(v - 128) > 20
    return ([x for x in range(W) if off(x, 120)], [y for y in range(H) if off(200, y)])


def boxed_frame(path):
    frames = common.decode_frames(path, W, H)
    marked = [box_pixels(f) for f in frames]
    marked = [m for m in marked if m[0]]
    return marked[len(marked) // 2] if marked else None


class Frame(ctypes.Structure):
    """EvclipFrame (the reserved tail must be zero: ctypes zero-fills it)."""
    _fields_ = [("format", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int),
                ("data", ctypes.c_void_p * 3), ("linesize", ctypes.c_int * 3),
                ("time", ctypes.c_double), ("reserved", ctypes.c_uint8 * 32)]


class WriterParams(ctypes.Structure):
    """EvclipWriterParams (reserved tail zero-filled)."""
    _fields_ = [("output", ctypes.c_char_p), ("width", ctypes.c_int),
                ("height", ctypes.c_int), ("fps_num", ctypes.c_int), ("fps_den", ctypes.c_int),
                ("reserved", ctypes.c_uint8 * 32)]


def writer_clip(path):
    """Runs write_normalized() in a child interpreter on the library beside EVCLIP_BIN (with
    the sanitizer runtimes preloaded when that library needs them: a TSan library cannot be
    dlopen()ed into an uninstrumented python, its runtime's TLS must be there at start)."""
    env = dict(os.environ)
    lib = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(common.EVCLIP))),
                       "libevclip.so")
    if os.path.exists(lib):
        env["EVCLIP_LIBRARY"] = lib
        ldd = subprocess.run(["ldd", lib], capture_output=True, text=True).stdout
        pre = [line.split("=>")[1].split()[0] for line in ldd.splitlines()
               if "=>" in line and any(n in line for n in ("libasan", "libubsan", "libtsan"))]
        if pre:
            env["LD_PRELOAD"] = ":".join(pre)
            env["ASAN_OPTIONS"] = "detect_leaks=0"
    r = subprocess.run(["/usr/bin/python3", os.path.abspath(__file__), "--writer", path],
                       env=env, capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and "writer ok" in r.stdout, "writer: normalised clip written",
          r.stdout + r.stderr)


def write_normalized(path):
    """evclip_writer_* through ctypes: 10 gray frames, each with the normalised box."""
    from evclip import _lib
    lib = _lib.load()
    lib.evclip_struct_size.restype = ctypes.c_size_t
    lib.evclip_struct_size.argtypes = [ctypes.c_char_p]
    for cls, name in ((Frame, b"EvclipFrame"), (WriterParams, b"EvclipWriterParams")):
        assert ctypes.sizeof(cls) == lib.evclip_struct_size(name), f"{name} size"
    s = _lib.EvclipSettings()
    lib.evclip_default_settings(ctypes.byref(s))
    s.manifest = 0
    r = ctypes.c_void_p()
    assert lib.evclip_open(ctypes.byref(r), ctypes.byref(s)) == 0, "open renderer"
    w = ctypes.c_void_p()
    lib.evclip_writer_open.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    lib.evclip_writer_push.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                       ctypes.c_int]
    lib.evclip_writer_finish.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.evclip_writer_close.argtypes = [ctypes.c_void_p]
    wp = WriterParams(path.encode(), W, H, 25, 1)
    assert lib.evclip_writer_open(ctypes.byref(w), r, ctypes.byref(wp)) == 0, "writer open"
    luma = ctypes.create_string_buffer(bytes([GRAY]) * (W * H))
    chroma = ctypes.create_string_buffer(bytes([128]) * (W * H // 4))
    det = _lib.EvclipDetection()
    det.frame_idx, det.ts, det.score, det.track_id = -1, 0, -1, -1
    det.x1, det.y1, det.x2, det.y2 = 0.25, 0.25, 0.75, 0.75
    det.label = b"x"
    det.has_color = 1
    det.color[:] = [0, 0, 255]
    det.normalized = 1
    for i in range(10):
        f = Frame(0, W, H, (ctypes.c_void_p * 3)(ctypes.addressof(luma), ctypes.addressof(chroma),
                                                  ctypes.addressof(chroma)),
                  (ctypes.c_int * 3)(W, W // 2, W // 2), i / 25)
        assert lib.evclip_writer_push(w, ctypes.byref(f), ctypes.byref(det), 1) == 0, "push"
    assert lib.evclip_writer_finish(w, None) == 0, "finish"
    lib.evclip_writer_close(ctypes.byref(w))
    lib.evclip_close(ctypes.byref(r))
    print("writer ok")


def scenario_normalized(out):
    src = os.path.join(out, "gray.mp4")
    common.ffmpeg("-f", "lavfi", "-i", f"color=c=0x808080:s={W}x{H}:r=25:d=20",
                  "-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "25", "-preset",
                  "ultrafast", "-crf", "10", src)
    # offline render
    log = os.path.join(out, "n.jsonl")
    common.write_jsonl(log, [dict(NORM_BOX, ts=1.0)])
    rendered = os.path.join(out, "render.mp4")
    r = common.run(["render", "-i", src, "-d", log, "--start", "0.8", "--end", "1.6",
                    "--hold", "400", "-o", rendered, "-q"])
    check(r.returncode == 0, "normalized: render", r.stderr)
    # frame writer
    written = os.path.join(out, "writer.mp4")
    writer_clip(written)
    # live (the same file read in real time)
    live = tl.Live(["--url", src, "--name", "f", "--realtime", "--hold", "400",
                    "--output-dir", out, "--no-manifest"], "normalized")
    try:
        if check(live.wait_type("stream_up", 10) is not None, "normalized: live up"):
            time.sleep(3)
            live.send({"type": "detections", "stream": "f", "pts": 2.0,
                       "detections": [NORM_BOX]})
            lpath = os.path.join(out, "live.mp4")
            live.send({"type": "trigger", "stream": "f", "pre": 1.5, "post": 0.3,
                       "output": lpath})
            done = live.wait_type("clip_finished", 20)
            check(done is not None, "normalized: live clip")
            check(done and done["manifest"] is None and os.path.exists(lpath) and
                  not os.path.exists(lpath + ".evidence.json"),
                  "live --no-manifest: no manifest written or named", str(done))
    finally:
        live.stop()
    got = {name: boxed_frame(p) for name, p in
           (("render", rendered), ("writer", written), ("live", os.path.join(out, "live.mp4")))
           if os.path.exists(p)}
    check(len(got) == 3 and all(got.values()), "normalized: a boxed frame in each clip",
          str({k: bool(v) for k, v in got.items()}))
    if len(got) == 3 and all(got.values()):
        cols, rows = got["render"]
        check(abs(cols[0] - 80) <= 1 and abs(cols[-1] - 239) <= 1 and
              abs(rows[0] - 60) <= 1 and abs(rows[-1] - 179) <= 1,
              "normalized: render draws the box at 80..240 x 60..180 px",
              f"{cols[:3]}..{cols[-3:]} {rows[:3]}..{rows[-3:]}")
        check(got["writer"] == got["render"], "normalized: writer draws the same pixels",
              f"{got['writer'][0][:4]} {got['writer'][1][:4]}")
        check(got["live"] == got["render"], "normalized: live draws the same pixels",
              f"{got['live'][0][:4]} {got['live'][1][:4]}")


def scenario_engine_checks(server, out):
    """A live clip is checked by the offline clip engine's window checks: a box reaching past
    the 320x240 frame is named in the clip's warnings (manifest "warnings"), as `evclip
    render` does for a file."""
    live = tl.Live(["--url", server.url(), "--name", "edge", "--output-dir", out], "engine")
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "engine: stream up"):
            return
        time.sleep(3)
        now = time.time()
        live.send({"type": "detections", "stream": "edge", "wallclock": now - 1,
                   "detections": [{"bbox": [280, 200, 400, 300], "label": "truck"}]})
        live.send({"type": "trigger", "stream": "edge", "pre": 2, "post": 0.5, "id": "e1"})
        done = live.wait_type("clip_finished", 20, id="e1")
        if not check(done is not None, "engine: clip finished", str(live.events[-3:])):
            return
        m = json.load(open(done["path"] + ".evidence.json"))
        warned = [w for w in m.get("warnings", []) if "reach outside the 320x240 frame" in w]
        check(len(warned) == 1 and "'truck' [280.0, 200.0, 400.0, 300.0]" in warned[0],
              "engine: a box past the frame is in the live clip's manifest warnings",
              str(m.get("warnings")))
    finally:
        live.stop()


def main():
    if not tl.gst_available():
        print("SKIP: GStreamer RTSP server not installed")
        sys.exit(77)
    out = common.tempdir()
    server = tl.Server(seconds=60)
    try:
        dirs = {d: os.path.join(out, d) for d in ("ev", "merge", "norm", "dmg", "engine")}
        for d in dirs.values():
            os.mkdir(d)
        tl.run_scenarios(
            (scenario_evidence, server, dirs["ev"]),
            (scenario_merge, server, dirs["merge"]),
            (scenario_normalized, dirs["norm"]),
            (scenario_damaged, dirs["dmg"]),
            (scenario_no_password_in_events, dirs["dmg"]),
            (scenario_engine_checks, server, dirs["engine"]),
        )
    finally:
        server.kill()
        common.cleanup(out)
    tl.checks.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--writer":
        write_normalized(sys.argv[2])
    else:
        main()
