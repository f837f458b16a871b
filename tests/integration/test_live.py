"""test_live.py: `evclip live` against a real RTSP server (GStreamer, started here on 127.0.0.1).

Scenarios run concurrently to stay within ~90 s: pre/post-roll and wall-clock detections,
overlapping triggers (merge and separate), SIGTERM during a recording (once: finished
incomplete; twice: removed), server killed and restarted (reconnect, outage reported, trigger
during the outage), ring and RSS bounds, detections keyed by stream pts (a file read in real
time), then 8 streams at once. Skipped (exit 77) when the
GStreamer RTSP server is not installed (scripts/install-deps.sh installs it)."""
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "rtsp_server.py")
FPS = 30
W, H = 320, 240

checks = common.Checks()
lock = threading.Lock()


def check(cond, what, detail=""):
    with lock:
        return checks.check(cond, what, detail)


def run_scenarios(*calls, timeout=90):
    """Runs each call `(fn, *args)` on a thread of its own, all at once, and waits for each up
    to `timeout` seconds; a scenario that raised is a failed check naming it."""
    errors = queue.Queue()

    def body(fn, args):
        try:
            fn(*args)
        except Exception as e:  # noqa: BLE001 - reported as a failed check
            errors.put(f"{fn.__name__}: {e!r}")

    threads = [threading.Thread(target=body, args=(c[0], c[1:])) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    while not errors.empty():
        check(False, "scenario raised", errors.get())


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def gst_available():
    code = ("import gi; gi.require_version('Gst','1.0'); gi.require_version('GstRtspServer','1.0');"
            "from gi.repository import Gst, GstRtspServer; Gst.init(None);"
            "import sys; sys.exit(0 if Gst.ElementFactory.find('x264enc') and "
            "Gst.ElementFactory.find('rtph264pay') else 1)")
    return subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True).returncode == 0


class Server:
    """The GStreamer RTSP server in a child process, bounded in time: a test pattern encoded
    live, or `media` (an H.264 file) served as it is (its own packets, no encoder; the mounts
    listed in `audio` serve its audio too: its AAC, or for "I:pcmu" / "I:pcma" its G.711
    mu-law samples as PCMU / PCMA; see rtsp_server.py)."""

    def __init__(self, mounts=1, port=None, seconds=100, gop=None, media=None, audio=()):
        self.port = port or free_port()
        env = dict(os.environ, RTSP_GOP=str(gop or FPS), RTSP_AUDIO=",".join(map(str, audio)))
        self.proc = subprocess.Popen(["/usr/bin/python3", SERVER, str(self.port), str(mounts),
                                      f"{W}x{H}", str(FPS), str(seconds)] +
                                     ([media] if media else []), env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if "ready" not in line:
            raise RuntimeError("RTSP server did not start")

    def url(self, i=0):
        return f"rtsp://127.0.0.1:{self.port}/cam{i}"

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


class Live:
    """`evclip live` with its JSON-lines events collected by a thread (`verbose`: debug
    messages on its stderr, e.g. which encoders and decoders were opened)."""

    def __init__(self, args, name, verbose=False):
        self.name = name
        self.events = []
        self.cond = threading.Condition()
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([common.EVCLIP, "live", "-v" if verbose else "-q"] + args,
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                ev = {"event": "unparsable", "line": line}
            with self.cond:
                self.events.append(ev)
                self.cond.notify_all()

    def send(self, obj):
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()

    def wait(self, pred, timeout, start=0):
        """First event (from index start) matching pred, or None after timeout seconds."""
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for ev in self.events[start:]:
                    if pred(ev):
                        return ev
                left = deadline - time.time()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    return None
                self.cond.wait(min(left, 0.2))

    def wait_type(self, kind, timeout, **fields):
        return self.wait(lambda e: e.get("event") == kind and
                         all(e.get(k) == v for k, v in fields.items()), timeout)

    def count(self, kind):
        with self.cond:
            return sum(1 for e in self.events if e.get("event") == kind)

    def stats(self, stream="cam"):
        n = len(self.events)
        self.send({"type": "stats", "stream": stream})
        return self.wait(lambda e: e.get("event") == "stats", 5, start=n)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if sig and self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(5)
        if os.environ.get("EVCLIP_TEST_VERBOSE"):
            self.log.seek(0)
            print(f"--- {self.name} stderr\n{self.log.read()[:30000]}")
        return self.proc.returncode

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def clip_ok(path, what):
    """The clip exists, is H.264 and plays; returns (duration, frame times) or None."""
    if not check(os.path.exists(path), f"{what}: clip written", path):
        return None
    info = common.probe(path)
    v = common.video_stream(info)
    check(v["codec_name"] == "h264" and v["pix_fmt"] == "yuv420p", f"{what}: H.264 yuv420p")
    times = common.frame_times(path)
    return float(info["format"]["duration"]), times


def no_temp_files(directory, what):
    names = os.listdir(directory)
    bad = [n for n in names if not (n.endswith(".mp4") or n.endswith(".json"))
           or n.startswith(".")]
    check(not bad, f"{what}: no temp or partial files", str(bad))


def is_box(frame, x, y):
    """Blue box border (B=255): U far above neutral."""
    _, u, v = common.yuv_at(frame, W, H, x, y)
    return u > 200 and v < 140


def scenario_window_and_detections(server, out):
    """Pre-roll within one GOP, post-roll, detections by wall clock on the right frames."""
    live = Live(["--url", server.url(), "--name", "cam", "--output-dir", out], "window")
    try:
        up = live.wait_type("stream_up", 15)
        if not check(up is not None, "window: stream up"):
            return
        time.sleep(5)
        st = live.stats()
        check(st and st["connected"] and st["ring_seconds"] > 3.5, "window: ring filling", str(st))
        now = time.time()
        # Detections in the pre-roll, keyed by wall clock, half a second apart.
        marks = [now - 2.6 + 0.5 * k for k in range(5)]
        box = {"bbox": [10, 30, 140, 130], "label": "car", "score": 0.9, "color": [255, 0, 0]}
        for t in marks:
            live.send({"type": "detections", "stream": "cam", "wallclock": t, "detections": [box]})
        path = os.path.join(out, "window.mp4")
        live.send({"type": "trigger", "stream": "cam", "pre": 3, "post": 2, "id": "w1",
                   "output": path})
        started = live.wait_type("clip_started", 5, id="w1")
        done = live.wait_type("clip_finished", 20, id="w1")
        if not check(started and done, "window: clip started and finished", str(live.events[-3:])):
            return
        check(3.0 - 0.05 <= started["pre_available"] <= 3.0 + 1.0 + 0.05,
              "window: pre-roll covers 3 s within one GOP", str(started["pre_available"]))
        check(started["start"] <= now - 3.0 + 0.05, "window: clip starts at or before now - pre")
        check(abs(started["end"] - (now + 2.0)) < 0.3, "window: ends at now + post")
        check(not done["incomplete"], "window: complete")
        res = clip_ok(path, "window")
        if not res:
            return
        duration, times = res
        want = started["end"] - started["start"]
        check(abs(duration - want) <= 1.5 / FPS, "window: duration = window within a frame",
              f"{duration} vs {want}")
        check(abs(len(times) - want * FPS) <= 2, "window: frame count", str(len(times)))
        frames = common.decode_frames(path, W, H)
        boxed = [i for i, f in enumerate(frames) if is_box(f, 11, 80)]
        check(len(boxed) == len(marks), "window: one frame per detection (hold 0)",
              f"{boxed}")
        if abs(done["start"] - started["start"]) > 1e-6:
            print(f"note: clip start moved by {done['start'] - started['start']:.4f} s "
                  f"(clock refined); first frame at {times[0]}")
        for t in marks:
            rel = t - done["start"]
            near = [i for i in boxed if abs(times[i] - rel) <= 0.5 / FPS + 0.002]
            check(len(near) == 1, "window: detection on the frame nearest its wall clock",
                  f"t={rel:.3f} boxed={[round(times[i], 3) for i in boxed]}")
        no_temp_files(out, "window")
    finally:
        check(live.stop() == 0, "window: clean exit on SIGTERM")


def scenario_pts(out):
    """A file read in real time; detections keyed by stream pts land on the frame with that
    pts (each frame of the source shows its index as the width of a bright bar)."""
    src = os.path.join(out, "ramp.mp4")
    common.ffmpeg("-f", "lavfi", "-i", "color=c=black:s=320x240:r=25:d=12,format=gray,"
                  "geq=lum='if(lt(X\\,N)\\,235\\,16)',format=yuv420p",
                  "-c:v", "libx264", "-g", "25", "-crf", "12", "-preset", "ultrafast", src)
    live = Live(["--url", src, "--name", "f", "--realtime"], "pts")
    try:
        if not check(live.wait_type("stream_up", 10) is not None, "pts: file stream up"):
            return
        time.sleep(4)
        box = {"bbox": [10, 30, 140, 130], "label": "p", "color": [255, 0, 0]}
        marks = [1.2, 1.8, 2.4]
        for p in marks:
            live.send({"type": "detections", "stream": "f", "pts": p, "detections": [box]})
        path = os.path.join(out, "pts.mp4")
        live.send({"type": "trigger", "stream": "f", "pre": 3.5, "post": 0.5, "output": path})
        done = live.wait_type("clip_finished", 20)
        if not check(done is not None, "pts: clip finished", str(live.events[-2:])):
            return
        frames = common.decode_frames(path, W, H)
        shown = sorted(sum(1 for b in f[200 * W:201 * W] if b > 128)
                       for f in frames if is_box(f, 11, 60))
        check(shown == [round(p * 25) for p in marks],
              "pts: each detection on the frame with its pts", f"{shown}")
    finally:
        live.stop()


def scenario_overlap(server, out, mode):
    live = Live(["--url", server.url(), "--name", "cam", "--overlap", mode], mode)
    try:
        if not check(live.wait_type("stream_up", 15) is not None, f"{mode}: stream up"):
            return
        time.sleep(3)
        a, b = os.path.join(out, f"{mode}-a.mp4"), os.path.join(out, f"{mode}-b.mp4")
        live.send({"type": "trigger", "stream": "cam", "pre": 1, "post": 2, "id": "a",
                   "output": a})
        time.sleep(1)
        # merge mode: b is held by a's file (an own output would be refused)
        live.send(dict({"type": "trigger", "stream": "cam", "pre": 1, "post": 2, "id": "b"},
                       **({"output": b} if mode == "separate" else {})))
        fa = live.wait_type("clip_finished", 20, id="a")
        if mode == "merge":
            check(live.wait_type("clip_extended", 5) is not None, "merge: clip extended")
            check(fa is not None, "merge: one clip finished")
            time.sleep(1)
            fb = live.wait_type("clip_finished", 5, id="b")
            check(not os.path.exists(b) and live.count("clip_finished") == 2 and fa and fb and
                  fb["path"] == fa["path"] == a, "merge: no second clip; b's clip_finished "
                  "names a's file", str(fb))
            res = clip_ok(a, "merge")
            if res:
                check(abs(res[0] - (fa["end"] - fa["start"])) <= 1.5 / FPS and
                      fa["end"] - fa["start"] >= 4.0 - 0.05, "merge: window spans both triggers",
                      f"{res[0]} {fa['end'] - fa['start']}")
        else:
            fb = live.wait_type("clip_finished", 20, id="b")
            check(fa is not None and fb is not None, "separate: two clips finished")
            if fa and fb:
                ra, rb = clip_ok(a, "separate a"), clip_ok(b, "separate b")
                check(ra and rb and abs(ra[0] - rb[0]) < 1.2 and fb["start"] > fa["start"],
                      "separate: each clip has its own window")
    finally:
        live.stop()


def scenario_sigterm(server, out):
    """One SIGTERM mid-recording: the clip is cut and published whole; two: nothing left."""
    for n_signals in (1, 2):
        d = os.path.join(out, f"term{n_signals}")
        os.mkdir(d)
        path = os.path.join(d, "clip.mp4")
        live = Live(["--url", server.url(), "--name", "cam"], "term")
        if not check(live.wait_type("stream_up", 15) is not None, "sigterm: stream up"):
            live.stop()
            return
        time.sleep(2.5)
        live.send({"type": "trigger", "stream": "cam", "pre": 2, "post": 30, "output": path})
        check(live.wait_type("clip_started", 5) is not None, "sigterm: recording")
        time.sleep(1)
        live.proc.send_signal(signal.SIGTERM)
        if n_signals == 2:
            time.sleep(0.05)
            live.proc.send_signal(signal.SIGTERM)
        t0 = time.time()
        rc = live.stop(sig=None, timeout=20)
        check(time.time() - t0 < 15, f"sigterm x{n_signals}: prompt exit")
        if n_signals == 1:
            ev = live.wait_type("clip_finished", 1)
            check(rc == 0 and ev and ev["incomplete"], "sigterm: clip finished as incomplete",
                  f"rc={rc} {live.events[-2:]}")
            res = clip_ok(path, "sigterm")
            check(res and 2.0 <= res[0] <= 6.0, "sigterm: clip holds what was recorded",
                  str(res and res[0]))
        else:
            check(rc in (0, 143), "sigterm x2: exit code", str(rc))
            check(os.path.exists(path) == (live.count("clip_finished") == 1),
                  "sigterm x2: output only if it was published")
        no_temp_files(d, f"sigterm x{n_signals}")


def scenario_restart(out):
    """Server killed and restarted: reconnect with backoff, outage reported, triggers work."""
    server = Server(seconds=80)
    port = server.port
    live = Live(["--url", server.url(), "--name", "cam", "--stall-timeout", "2",
                 "--backoff-max", "2"], "restart")
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "restart: stream up"):
            return
        time.sleep(3)
        server.kill()
        down = live.wait_type("stream_down", 8)
        check(down is not None, "restart: outage reported (stream_down)")
        check(live.wait_type("reconnecting", 8) is not None, "restart: reconnecting reported")
        # A trigger during the outage records what the ring holds, and says so.
        path = os.path.join(out, "outage.mp4")
        live.send({"type": "trigger", "stream": "cam", "pre": 2, "post": 1, "id": "o",
                   "output": path})
        started = live.wait_type("clip_started", 5, id="o")
        check(started and started["incomplete"] and "down" in started.get("message", ""),
              "restart: trigger during outage flagged", str(started))
        fin = live.wait_type("clip_finished", 15, id="o")
        check(fin is not None and fin["incomplete"], "restart: outage clip written, incomplete")
        if fin:
            clip_ok(path, "restart outage")
        n = len(live.events)
        time.sleep(1)
        server = Server(port=port, seconds=60)
        up = live.wait(lambda e: e.get("event") == "stream_up", 20, start=n)
        check(up is not None, "restart: reconnected after restart")
        time.sleep(2.5)
        st = live.stats()
        check(st and st["reconnects"] >= 1, "restart: reconnect counted", str(st))
        path2 = os.path.join(out, "after.mp4")
        live.send({"type": "trigger", "stream": "cam", "pre": 1, "post": 1, "id": "r",
                   "output": path2})
        fin = live.wait_type("clip_finished", 15, id="r")
        check(fin is not None and not fin["incomplete"], "restart: trigger after reconnect")
        if fin:
            clip_ok(path2, "restart after")
        # Stall: the server freezes (connection open, no packets) -> reconnect after 2 s.
        n = len(live.events)
        os.kill(server.proc.pid, signal.SIGSTOP)
        stalled = live.wait(lambda e: e.get("event") == "stream_down" and
                            "stall" in e.get("message", ""), 8, start=n)
        os.kill(server.proc.pid, signal.SIGCONT)
        check(stalled is not None, "restart: stall detected")
        check(live.wait(lambda e: e.get("event") == "stream_up", 25, start=n) is not None,
              "restart: back up after the stall")
    finally:
        live.stop()
        server.kill()


def scenario_memory(server, out):
    """Ring bounds in seconds and bytes, RSS bounded while idle."""
    sock_path = os.path.join(out, "control.sock")
    live = Live(["--url", server.url(), "--name", "cam", "--pre-roll-max", "2", "--ring-mb", "1",
                 "--control", sock_path], "memory")
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "memory: stream up"):
            return
        # Control through the Unix socket, and a malformed line that must not stop anything.
        n = len(live.events)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.connect(sock_path)
            c.sendall(b'{"type": "trigger", "stream": "nope"}\n{"type": "stats"}\n')
        check(live.wait(lambda e: e.get("event") == "stats", 5, start=n) is not None,
              "control socket: stats answered")
        err = live.wait(lambda e: e.get("event") == "error", 5, start=n)
        check(err is not None and "nope" in err.get("message", ""),
              "control: unknown stream reported as an error event", str(err))
        live.send({"type": "detections", "stream": "cam", "wallclock": 1,
                   "detections": [{"bbox": [1, 2], "label": "x"}]})
        err = live.wait(lambda e: e.get("event") == "error" and "bbox" in e.get("message", ""),
                        5, start=n)
        check(err is not None, "control: malformed detection names the field", str(err))
        samples = []
        for _ in range(6):
            time.sleep(1)
            st = live.stats()
            if st:
                samples.append(st)
        rss = live.rss_kib()
        check(samples and all(s["ring_seconds"] <= 2 + 1 + 0.1 for s in samples),
              "memory: ring <= pre_roll_max + one GOP", str([s["ring_seconds"] for s in samples]))
        check(samples and samples[-1]["ring_seconds"] >= 2 - 0.1,
              "memory: ring covers pre_roll_max")
        check(samples and all(s["ring_bytes"] <= 1 << 20 for s in samples),
              "memory: ring bytes bound")
        check(rss < 120 * 1024, "memory: idle RSS bounded", f"{rss} KiB")
    finally:
        live.stop()


def scenario_multi(out):
    """8 streams at once, each triggered, each clip written."""
    server = Server(mounts=8, seconds=40)
    cfg = os.path.join(out, "cameras.json")
    with open(cfg, "w") as f:
        json.dump({"streams": [{"name": f"c{i}", "url": server.url(i), "pre": 2, "post": 1,
                                "transport": "udp" if i == 7 else "tcp"} for i in range(8)]}, f)
    live = Live(["--config", cfg, "--output-dir", out], "multi")
    try:
        deadline = time.time() + 20
        while time.time() < deadline and live.count("stream_up") < 8:
            time.sleep(0.2)
        check(live.count("stream_up") == 8, "multi: 8 streams up (one over UDP)",
              str(live.count("stream_up")))
        time.sleep(3)
        for i in range(8):
            live.send({"type": "trigger", "stream": f"c{i}", "id": f"m{i}"})
        deadline = time.time() + 40
        while (time.time() < deadline and
               live.count("clip_finished") + live.count("clip_failed") < 8):
            time.sleep(0.2)
        check(live.count("clip_finished") == 8, "multi: 8 clips finished",
              str([e for e in live.events if e["event"] == "clip_failed"]))
        for i in range(8):
            res = clip_ok(os.path.join(out, f"c{i}-m{i}.mp4"), f"multi c{i}")
            check(res and 3.0 - 0.05 <= res[0] <= 4.1, f"multi c{i}: duration",
                  str(res and res[0]))
    finally:
        live.stop()
        server.kill()


def main():
    if not gst_available():
        print("SKIP: GStreamer RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0, "
              "gstreamer1.0-plugins-ugly) not installed")
        sys.exit(77)
    out = common.tempdir()
    usage = [([], 2), (["--url", "x", "--config", "y"], 2), (["--url", "x", "--overlap", "z"], 2),
             (["--config", os.path.join(out, "missing.json")], 3)]
    for args, code in usage:
        r = common.run(["live"] + args, timeout=20, stdin=subprocess.DEVNULL)
        check(r.returncode == code, f"usage: live {' '.join(args)} exits {code}",
              f"{r.returncode} {r.stderr.strip()}")
    server = Server(seconds=100)
    try:
        for d in ("window", "overlap", "term", "restart", "memory", "multi", "pts"):
            os.mkdir(os.path.join(out, d))
        run_scenarios(
            (scenario_window_and_detections, server, os.path.join(out, "window")),
            (scenario_overlap, server, os.path.join(out, "overlap"), "merge"),
            (scenario_overlap, server, os.path.join(out, "overlap"), "separate"),
            (scenario_sigterm, server, os.path.join(out, "term")),
            (scenario_restart, os.path.join(out, "restart")),
            (scenario_memory, server, os.path.join(out, "memory")),
            (scenario_pts, os.path.join(out, "pts")),
            timeout=120)
        server.kill()
        run_scenarios((scenario_multi, os.path.join(out, "multi")), timeout=120)
    finally:
        server.kill()
        common.cleanup(out)
    checks.close()


if __name__ == "__main__":
    main()
