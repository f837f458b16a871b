#!/usr/bin/python3
"""bench_alerts.py: how soon a live clip is ready after its window ends (ready_after_end_s).

Starts the GStreamer RTSP test server (tests/integration/rtsp_server.py) serving a pre-encoded
H.264 MP4 (SIZE at FPS, 1 s GOP, made once with ffmpeg) to 1 + IDLE clients at native speed,
runs `evclip live` on them (default settings: veryfast, detection delay 1 s), feeds stream c0
with a simulated detector (one box per frame, sent LATENCY seconds after the frame's wall
clock), then triggers c0 COUNT times one after the other (pre PRE s, post POST s) and reports
the distribution of (clip_finished event time - window end): the time from the end of the
window to the published clip, measured the same way on builds with and without the
ready_after_end_s field. Prints one Markdown table row per size.

Usage: bench/bench_alerts.py [--evclip build/tools/evclip] [--sizes 640x360@25,1280x720@30]
       [--idle 8] [--count 10] [--pre 5] [--post 3] [--latency 0.1] [--label NAME] [--native]

--native: every stream gets a passthrough copy (cameras.json "native": true), written beside
each clip and published with it.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, start_streams, stop_streams  # noqa: E402


def make_source(path, size, fps, seconds):
    if os.path.exists(path):
        return
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size={size}:rate={fps}", "-t", str(seconds), "-c:v", "libx264",
                    "-preset", "ultrafast", "-tune", "zerolatency", "-g", str(fps), "-b:v", "3M",
                    "-pix_fmt", "yuv420p", path], check=True)


def detector(live, stop, fps, latency):
    """One message per frame for c0, `latency` seconds after the frame's wall clock."""
    box = {"bbox": [40, 40, 200, 160], "label": "person", "score": 0.9}
    while not stop.is_set():
        live.send({"type": "detections", "stream": "c0", "wallclock": time.time() - latency,
                   "detections": [box]})
        time.sleep(1 / fps)


def run(args, size, fps, work):
    secs = args.count * (args.pre + args.post + 6) + 120
    source = os.path.join(work, f"evclip-bench-alerts-{size}-{fps}.mp4")
    make_source(source, size, fps, 600)
    server, live, _ = start_streams(args.evclip, source, 1 + args.idle, size, fps, secs, work,
                                    {"native": True} if args.native else None)
    stop = threading.Event()
    waits, fields = [], []
    try:
        threading.Thread(target=detector, args=(live, stop, fps, args.latency),
                         daemon=True).start()
        time.sleep(args.pre + 2)
        for k in range(args.count):
            live.send({"type": "trigger", "stream": "c0", "pre": args.pre, "post": args.post,
                       "id": f"a{k}"})
            done = live.wait(lambda e, k=k: e["event"] in ("clip_finished", "clip_failed") and
                             e.get("id") == f"a{k}", 120)
            if done and done["event"] == "clip_finished":
                waits.append(done["time"] - done["end"])
                if "ready_after_end_s" in done:
                    fields.append(done["ready_after_end_s"])
            time.sleep(1)
        return waits, fields
    finally:
        stop.set()
        stop_streams(server, live)


def p95(values):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--evclip", default=os.path.join(ROOT, "build", "tools", "evclip"))
    ap.add_argument("--sizes", default="640x360@25,1280x720@30")
    ap.add_argument("--idle", type=int, default=8, help="idle streams beside the triggered one")
    ap.add_argument("--count", type=int, default=10, help="triggers per size")
    ap.add_argument("--pre", type=float, default=5)
    ap.add_argument("--post", type=float, default=3)
    ap.add_argument("--latency", type=float, default=0.1, help="simulated detector latency")
    ap.add_argument("--label", default="this build")
    ap.add_argument("--native", action="store_true", help="passthrough copies beside the clips")
    ap.add_argument("--work", default=tempfile.gettempdir())
    args = ap.parse_args()
    print(f"{os.cpu_count()} cores; 1 triggered + {args.idle} idle streams; pre {args.pre} s, "
          f"post {args.post} s; detector latency {args.latency} s"
          f"{'; passthrough copies (--native)' if args.native else ''}")
    print("| build | stream | clips | ready after end: median (s) | p95 (s) | max (s) "
          "| ready_after_end_s median (s) |")
    print("|---|---|---|---|---|---|---|")
    for spec in args.sizes.split(","):
        size, fps = spec.split("@")
        waits, fields = run(args, size, int(fps), args.work)
        if not waits:
            print(f"| {args.label} | {size} {fps} fps | 0 | failed | | | |", flush=True)
            continue
        field = f"{statistics.median(fields):.2f}" if fields else "-"
        print(f"| {args.label} | {size} {fps} fps | {len(waits)} | "
              f"{statistics.median(waits):.2f} | {p95(waits):.2f} | {max(waits):.2f} | "
              f"{field} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
