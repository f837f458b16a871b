#!/usr/bin/python3
"""bench_queue.py: the Redis Streams queue (issue 11, "Benchmark"): the same job file of
--clips (40) clips rendered by `evclip batch` on one machine against `evclip submit` + 1, 2
and 4 `evclip worker` processes on this machine, and the queue's own overhead per clip
(submit -> result latency with an idle worker, minus the worker's render time of the unit).

Stdlib only; run with Debian's /usr/bin/python3. Needs redis-server and ffmpeg on PATH.
In a temporary directory it generates two 1280x720 25 fps sources (lavfi testsrc2, libx264
ultrafast, GOP 50) of --seconds (60) with synthetic detections, 20 clips of 2 s per source
(spread over the source), and starts its own redis-server on a free loopback port (AOF on,
appendfsync everysec, Redis' default). Every run renders into a fresh folder; wall time is
from submit (or batch start) to the last worker's exit (`--drain`).
See bench/README.md for results.
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from benchlib import fmt_table, make_detections, snapshot_evclip  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_cmd(port, *args):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"*%d\r\n" % len(args) + b"".join(
            b"$%d\r\n%s\r\n" % (len(str(a).encode()), str(a).encode()) for a in args))
        return s.recv(1 << 20)


def make_source(path, seconds, w, h, fps):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin", "-f", "lavfi", "-i",
                    f"testsrc2=size={w}x{h}:rate={fps}:duration={seconds}", "-c:v", "libx264",
                    "-preset", "ultrafast", "-g", str(2 * fps), "-pix_fmt", "yuv420p", path],
                   check=True)
    make_detections(path + ".jsonl", seconds * fps, w, h, fps)


def job_rows(work, sources, clips, seconds, out):
    rows = []
    per = clips // len(sources)
    for si, src in enumerate(sources):
        for k in range(per):
            start = round(k * (seconds - 2) / per, 2)
            rows.append({"output": f"{out}/s{si}c{k}.mp4", "input": src,
                         "detections": src + ".jsonl", "start": start, "end": start + 2})
    return rows


def write_jobs(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def timed_batch(evclip, work, sources, args, tag):
    out = os.path.join(work, "batch" + tag)
    os.makedirs(out)
    jobs = os.path.join(work, f"batch{tag}.jsonl")
    write_jobs(jobs, job_rows(work, sources, args.clips, args.seconds, out))
    t = time.monotonic()
    subprocess.run([evclip, "batch", "-q", "--jobs", str(args.jobs), jobs], check=True)
    return time.monotonic() - t


def timed_workers(evclip, work, sources, args, port, n):
    url = f"redis://127.0.0.1:{port}/0"
    redis_cmd(port, "FLUSHALL")
    out = os.path.join(work, f"w{n}")
    os.makedirs(out)
    jobs = os.path.join(work, f"w{n}.jsonl")
    write_jobs(jobs, job_rows(work, sources, args.clips, args.seconds, out))
    t = time.monotonic()
    subprocess.run([evclip, "submit", "-q", "--redis", url, jobs], check=True)
    ws = [subprocess.Popen([evclip, "worker", "-q", "--redis", url, "--name", f"b{i}",
                            "--drain", "--jobs", str(args.jobs)]) for i in range(n)]
    for w in ws:
        w.wait(timeout=3600)
    wall = time.monotonic() - t
    ok = subprocess.run([evclip, "results", "--redis", url], stdout=subprocess.PIPE,
                        text=True, check=True).stdout.count('"status":"ok"')
    return wall, ok


def memory(port, clips):
    """Bytes Redis holds per clip after a run (MEMORY USAGE of each key, all samples)."""
    out = []
    for key in ("jobs", "results", "done", "units", "workers"):
        reply = redis_cmd(port, "MEMORY", "USAGE", f"evclip:{key}", "SAMPLES", "0")
        n = int(reply[1:].split(b"\r\n")[0]) if reply.startswith(b":") else 0
        out.append(f"evclip:{key} {n} B ({n / clips:.0f} B/clip)")
    return "; ".join(out)


def latency(evclip, work, sources, port, reps):
    """Submit -> result with an idle worker, for one tiny clip at a time."""
    url = f"redis://127.0.0.1:{port}/0"
    redis_cmd(port, "FLUSHALL")
    out = os.path.join(work, "lat")
    os.makedirs(out)
    w = subprocess.Popen([evclip, "worker", "--redis", url, "--name", "idle"],
                         stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    rows = []
    for i in range(reps):
        jobs = os.path.join(work, f"lat{i}.jsonl")
        write_jobs(jobs, [{"output": f"{out}/l{i}.mp4", "input": sources[0], "start": i,
                           "end": i + 0.2, "preset": "ultrafast"}])
        t = time.monotonic()
        subprocess.run([evclip, "submit", "-q", "--redis", url, jobs], check=True)
        submitted = time.monotonic() - t
        while redis_cmd(port, "XLEN", "evclip:results") != b":%d\r\n" % (i + 1):
            time.sleep(0.002)
        total = time.monotonic() - t
        line = ""
        while "unit " not in line:
            line = w.stderr.readline()
        unit = float(re.search(r"([0-9.]+) s$", line.strip()).group(1))
        rows.append((total, unit, submitted))
    w.terminate()
    w.wait(timeout=60)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--evclip", default="build/tools/evclip")
    ap.add_argument("--clips", type=int, default=40)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--jobs", type=int, default=1, help="--jobs of batch and of each worker")
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--latency-reps", type=int, default=10)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="evclip-bench-queue-")
    server = None
    try:
        evclip = snapshot_evclip(os.path.abspath(args.evclip), work)
        sources = [os.path.join(work, f"src{i}.mp4") for i in range(2)]
        for s in sources:
            make_source(s, args.seconds, 1280, 720, 25)
        port = free_port()
        server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                   "--dir", work, "--appendonly", "yes", "--save", ""],
                                  stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        print(f"load average at the start: {os.getloadavg()}")
        rows = []
        base = timed_batch(evclip, work, sources, args, "")
        rows.append(("evclip batch (1 process)", args.clips, f"{base:.1f}", "1.00"))
        for n in map(int, args.workers.split(",")):
            wall, ok = timed_workers(evclip, work, sources, args, port, n)
            rows.append((f"submit + {n} worker{'s' if n > 1 else ''}", ok, f"{wall:.1f}",
                         f"{base / wall:.2f}"))
        again = timed_batch(evclip, work, sources, args, "-again")
        rows.append(("evclip batch again (noise check)", args.clips, f"{again:.1f}",
                     f"{base / again:.2f}"))
        print(fmt_table(["run", "clips ok", "wall s", "speed vs batch"], rows))
        print(f"\nRedis memory after the last run: {memory(port, args.clips)}")
        lat = latency(evclip, work, sources, port, args.latency_reps)
        over = [1000 * (t - u) for t, u, _ in lat]
        print(f"\nsubmit -> result, one 0.2 s clip, idle worker ({len(lat)} reps): median "
              f"{1000 * statistics.median(t for t, _, _ in lat):.0f} ms total, of which the "
              f"`evclip submit` process {1000 * statistics.median(s for _, _, s in lat):.0f} "
              f"ms and the unit in the worker (parse, verify check, render, results) "
              f"{1000 * statistics.median(u for _, u, _ in lat):.0f} ms; queue overhead "
              f"(total - unit) median {statistics.median(over):.0f} ms, max {max(over):.0f} ms")
        print(f"load average at the end: {os.getloadavg()}")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
