#!/usr/bin/python3
"""bench_live.py: cost of `evclip live` holding N RTSP streams with a 30 s pre-roll.

For each N: starts the GStreamer RTSP test server (tests/integration/rtsp_server.py) serving a
pre-encoded H.264 MP4 (default: 1080p30, 4 Mbit/s, 1 s GOP, made once with ffmpeg) to each
client at native speed, starts `evclip live` on N streams, waits for the rings to fill, then
measures while idle: CPU % of one core (utime + stime from /proc), RSS, the sum of ring bytes;
then triggers one stream (pre 5 s, post 2 s) and reports the trigger-to-file latency after the
post-roll ended, and the packet rate of the other streams during the encode (a reader must not
slow down). Prints a Markdown table.

With several builds (--evclip A,B: e.g. before and after a change) each stream count is run
with each build in turn, in one run, so both see the same machine; the idle measurement also
reports the context switches per second of all of evclip's threads (wake-ups).

Usage: bench/bench_live.py [--evclip build/tools/evclip[,OTHER]] [--streams 1,8,16,32]
       [--size 1920x1080] [--fill 32] [--measure 10] [--repeat 1]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, start_streams, stop_streams  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")


def make_source(path, size, seconds):
    if os.path.exists(path):
        return
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size={size}:rate=30", "-t", str(seconds), "-c:v", "libx264",
                    "-preset", "ultrafast", "-tune", "zerolatency", "-g", "30", "-b:v", "4M",
                    "-maxrate", "4M", "-bufsize", "4M", "-pix_fmt", "yuv420p", path], check=True)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def context_switches(pid):
    """Voluntary + involuntary context switches of all threads of pid so far."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except OSError:
            pass  # thread ended
    return total


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def run(args, evclip, n, source, work):
    server, live, up = start_streams(evclip, source, n, args.size, 30,
                                     args.fill + args.measure + 120, work)
    try:
        time.sleep(args.fill)
        c0, w0, t0 = cpu_seconds(live.proc.pid), context_switches(live.proc.pid), time.time()
        time.sleep(args.measure)
        c1, w1, t1 = cpu_seconds(live.proc.pid), context_switches(live.proc.pid), time.time()
        cpu = 100 * (c1 - c0) / (t1 - t0)
        wakeups = (w1 - w0) / (t1 - t0)
        load = os.getloadavg()[0]
        rss = rss_mib(live.proc.pid)
        stats = live.stats(n)
        ring_mib = sum(s["ring_bytes"] for s in stats) / 1048576
        ring_s = min((s["ring_seconds"] for s in stats), default=0)
        before = {s["stream"]: s["packets"] for s in stats}
        tb = time.time()
        live.send({"type": "trigger", "stream": "c0", "pre": 5, "post": 2, "id": "bench"})
        done = live.wait(lambda e: e["event"] in ("clip_finished", "clip_failed"), 240)
        ta = time.time()
        after = {s["stream"]: s["packets"] for s in live.stats(n)}
        others = [(after.get(k, 0) - v) / (ta - tb) for k, v in before.items() if k != "c0"]
        latency = done["time"] - done["end"] if done and done["event"] == "clip_finished" else None
        return {"n": n, "up": up, "cpu": cpu, "wakeups": wakeups, "load": load, "rss": rss, "ring_mib": ring_mib, "ring_s": ring_s,
                "latency": latency, "other_rate": min(others) if others else None}
    finally:
        stop_streams(server, live)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--evclip", default=os.path.join(ROOT, "build", "tools", "evclip"),
                    help="evclip binary, or several separated by commas (compared in one run)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per stream count and build")
    ap.add_argument("--streams", default="1,8,16,32")
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--fill", type=float, default=32, help="seconds to fill the rings")
    ap.add_argument("--measure", type=float, default=10, help="idle measurement seconds")
    ap.add_argument("--work", default=tempfile.gettempdir())
    args = ap.parse_args()
    source = os.path.join(args.work, f"evclip-bench-live-{args.size}.mp4")
    make_source(source, args.size, int(args.fill + args.measure + 60))
    print(f"{os.cpu_count()} cores; source {args.size} 30 fps 4 Mbit/s GOP 1 s; pre-roll max 30 s")
    builds = args.evclip.split(",")
    print("| build | streams | up | load (1 min) | idle CPU (% of a core) | wake-ups/s | RSS (MiB) "
          "| rings (MiB) | min ring (s) | trigger-to-file (s, pre 5 + post 2) "
          "| slowest other reader during encode (pkt/s) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in [int(x) for x in args.streams.split(",")]:
        for _ in range(args.repeat):
            for i, evclip in enumerate(builds):
                r = run(args, evclip, n, source, args.work)
                lat = f"{r['latency']:.2f}" if r["latency"] is not None else "failed"
                other = f"{r['other_rate']:.1f}" if r["other_rate"] is not None else "-"
                print(f"| {i + 1}: {evclip} | {n} | {r['up']} | {r['load']:.1f} | {r['cpu']:.1f} | "
                      f"{r['wakeups']:.0f} | {r['rss']:.0f} | {r['ring_mib']:.0f} | "
                      f"{r['ring_s']:.1f} | {lat} | {other} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
