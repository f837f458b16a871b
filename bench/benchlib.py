"""benchlib.py: pieces shared by the benchmark scripts (synthetic detections, a stable copy of
the evclip binary, markdown tables, the ffmpeg version line, RTSP streams watched by
`evclip live`)."""
import json
import math
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "tests", "integration", "rtsp_server.py")


def ffmpeg_version():
    out = subprocess.run(["ffmpeg", "-version"], stdout=subprocess.PIPE, text=True).stdout
    return out.splitlines()[0] if out else "unknown"


def fmt_table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(str(c).rjust(w) for c, w in zip(cells, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|"
    return "\n".join([line(headers), sep] + [line(r) for r in rows])


def snapshot_evclip(path, work):
    """Copies evclip and ../libevclip.so* into work/snap (same layout, so the binary's
    RUNPATH still finds the library); returns the copy. A rebuild of build/ during a long
    benchmark then cannot swap the binary under it."""
    libdir = os.path.dirname(os.path.dirname(path))
    libs = [f for f in os.listdir(libdir) if f.startswith("libevclip.so")]
    if not libs:
        return path  # statically linked or unusual layout: use it in place
    snap = os.path.join(work, "snap")
    os.makedirs(os.path.join(snap, "tools"), exist_ok=True)
    for f in libs:
        src = os.path.join(libdir, f)
        if os.path.isfile(src):
            shutil.copy2(src, os.path.join(snap, f))  # follows symlinks
    copy = os.path.join(snap, "tools", os.path.basename(path))
    shutil.copy2(path, copy)
    return copy


def make_detections(path, nframes, w, h, fps):
    """Writes two labelled, moving boxes per frame with track ids and varying scores:
    track 7, a "car" sweeping left to right and back; track 12, a "person" circling."""
    bw, bh = w // 6, h // 5
    with open(path, "w") as f:
        for i in range(nframes):
            ts = round(i / fps, 6)
            u = (i % 240) / 240.0
            x = (w - bw - 2) * (2 * u if u < 0.5 else 2 - 2 * u)
            y = h * 0.55 + h * 0.1 * math.sin(i / 25.0)
            box1 = [round(x, 1), round(y, 1), round(x + bw, 1), round(y + bh, 1)]
            a = i / 40.0
            cx, cy = w / 2 + w * 0.25 * math.cos(a), h / 2 + h * 0.25 * math.sin(a)
            pw, ph = bw * 0.5, bh * 1.4
            box2 = [round(cx - pw / 2, 1), round(cy - ph / 2, 1),
                    round(cx + pw / 2, 1), round(cy + ph / 2, 1)]
            for bbox, label, score, tid in (
                    (box1, "car", 0.60 + 0.35 * abs(math.sin(i / 17.0)), 7),
                    (box2, "person", 0.50 + 0.45 * abs(math.cos(i / 23.0)), 12)):
                f.write(json.dumps({"frame_idx": i, "ts": ts, "bbox": bbox, "label": label,
                                    "score": round(score, 3), "track_id": tid}) + "\n")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Live:
    """`evclip live -q` on a cameras.json, its JSON-lines events collected by a thread."""

    def __init__(self, evclip, config, out):
        self.events = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen([evclip, "live", "-q", "--config", config, "--output-dir", out,
                                      "--pre-roll-max", "30", "--ring-mb", "64"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.events.append(json.loads(line))
                self.cond.notify_all()

    def count(self, kind):
        with self.cond:
            return sum(e["event"] == kind for e in self.events)

    def send(self, obj):
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()

    def wait(self, pred, timeout):
        deadline = time.time() + timeout
        with self.cond:
            while time.time() < deadline:
                for e in self.events:
                    if pred(e):
                        return e
                self.cond.wait(0.2)
        return None

    def stats(self, n):
        start = len(self.events)
        self.send({"type": "stats"})
        deadline = time.time() + 10
        while time.time() < deadline:
            with self.cond:
                got = [e for e in self.events[start:] if e["event"] == "stats"]
            if len(got) >= n:
                return got
            time.sleep(0.05)
        return got

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_streams(evclip, source, n, size, fps, seconds, work, params=None):
    """Serves the H.264 MP4 `source` (SIZE at FPS) to n RTSP clients for `seconds` (the test
    server, tests/integration/rtsp_server.py), runs `evclip live` on them (streams c0..c{n-1};
    its cameras.json and output in a new directory under `work`) and waits up to 60 s for
    them to come up. `params`: more cameras.json keys of every stream (e.g. {"native": True}).
    Returns (server, live, number of streams up); stop_streams() ends both."""
    port = free_port()
    server = subprocess.Popen(["/usr/bin/python3", SERVER, str(port), str(n), size, str(fps),
                               str(seconds), source],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    live = None
    try:
        server.stdout.readline()
        out = tempfile.mkdtemp(dir=work)
        cfg = os.path.join(out, "cameras.json")
        with open(cfg, "w") as f:
            json.dump([dict(params or {}, name=f"c{i}", url=f"rtsp://127.0.0.1:{port}/cam{i}")
                       for i in range(n)], f)
        live = Live(evclip, cfg, out)
        deadline = time.time() + 60
        while time.time() < deadline and live.count("stream_up") < n:
            time.sleep(0.2)
        return server, live, live.count("stream_up")
    except BaseException:
        stop_streams(server, live)
        raise


def stop_streams(server, live):
    if live:
        live.stop()
    server.kill()
    server.wait()
