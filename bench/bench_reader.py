#!/usr/bin/python3
"""bench_reader.py: detection log loading, evclip's reader (build/bench/bench_reader) side by
side with a plain Python json.loads loop over the same file, in one run. Prints a markdown
table (time, lines/s, ratio, peak RSS, bytes per detection) for a native JSONL log, a
grouped JSONL log and an Ultralytics JSONL log (results.to_json() rows) of the same
detections, the native log with float32 values (16-17 digits, as detectors write them), and a
10 s window from a sorted 1-hour log. With --reference DIR, also the loader of the Python
project evclip replaces (cv-evidence-renderer's adapters.from_jsonl, from a checkout you give:
it is not a Debian package) on the native logs, the one format it reads."""
import argparse
import json
import math
import os
import resource
import statistics
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import fmt_table  # noqa: E402

PY_LOOP = r"""
import json, resource, sys, time
keep = sys.argv[2] == "keep"
t0 = time.perf_counter()
out = []
n = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        if line.strip():
            v = json.loads(line)
            n += 1
            if keep:
                out.append(v)
t1 = time.perf_counter()
print(json.dumps({"lines": n, "seconds": t1 - t0,
                  "rss_peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


# cv-evidence-renderer's JSONL loader (adapters.from_jsonl: json.loads, checks and a
# Detection per line, grouped into FrameDetections), imported from the checkout's src/ dir
# without the package's __init__ (which imports its video stack); every frame kept in a list,
# as its renderer holds them.
PY_REFERENCE = r"""
import json, os, resource, sys, time, types
src, path = sys.argv[1], sys.argv[2]
pkg = types.ModuleType("cv_evidence_renderer")
pkg.__path__ = [os.path.join(src, "cv_evidence_renderer")]
sys.modules["cv_evidence_renderer"] = pkg
from cv_evidence_renderer.adapters import from_jsonl
t0 = time.perf_counter()
frames = list(from_jsonl(path))
t1 = time.perf_counter()
print(json.dumps({"lines": sum(len(f.detections) for f in frames), "seconds": t1 - t0,
                  "rss_peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""
REFERENCE = "cv-evidence-renderer from_jsonl"


def box(i, k, w=1920, h=1080):
    """A deterministic moving box for detection k of frame i."""
    u = ((i * 7 + k * 131) % 600) / 600.0
    x = round((w - 200) * u, 1)
    y = round(h * 0.3 + h * 0.2 * math.sin(i / 25.0 + k), 1)
    return [x, y, round(x + 120 + 10 * k, 1), round(y + 160, 1)]


LABELS = ["car", "person", "truck", "bicycle", "dog"]


def detection(i, k, fps, keys=True):
    d = {}
    if keys:
        d = {"frame_idx": i, "ts": round(i / fps, 6)}
    d.update({"bbox": box(i, k), "label": LABELS[k % len(LABELS)],
              "score": round(0.5 + 0.45 * abs(math.sin(i / 17.0 + k)), 3),
              "track_id": 7 + k})
    return d


def make_native(path, nframes, per_frame, fps=30.0):
    with open(path, "w") as f:
        for i in range(nframes):
            for k in range(per_frame):
                f.write(json.dumps(detection(i, k, fps)) + "\n")


def f32(x):
    """x rounded to float32 and back, as a detector's tensor values come out of .tolist()."""
    return struct.unpack("f", struct.pack("f", x))[0]


def make_native_f32(path, nframes, per_frame, fps=30.0):
    """The native log with float32 box corners and scores: 16-17 significant digits each."""
    with open(path, "w") as f:
        for i in range(nframes):
            for k in range(per_frame):
                d = detection(i, k, fps)
                d["bbox"] = [f32(v + 0.37) for v in d["bbox"]]
                d["score"] = f32(d["score"])
                f.write(json.dumps(d) + "\n")


def make_grouped(path, nframes, per_frame, fps=30.0):
    with open(path, "w") as f:
        for i in range(nframes):
            dets = [detection(i, k, fps, keys=False) for k in range(per_frame)]
            f.write(json.dumps({"frame_idx": i, "ts": round(i / fps, 6),
                                "detections": dets}) + "\n")


def make_ultralytics(path, nframes, per_frame):
    """One array of Ultralytics rows a frame (the frame is the line's position)."""
    with open(path, "w") as f:
        for i in range(nframes):
            rows = []
            for k in range(per_frame):
                d = detection(i, k, 30.0, keys=False)
                x1, y1, x2, y2 = d["bbox"]
                rows.append({"name": d["label"], "class": k, "confidence": d["score"],
                             "box": {"x1": x1, "y1": y1, "x2": x2, "y2": y2},
                             "track_id": d["track_id"]})
            f.write(json.dumps(rows) + "\n")


def make_hour(path, fps=30.0, per_frame=5, seconds=3600):
    """A camera-hour sorted by ts: 30 fps x 5 boxes = 540 k lines."""
    make_native(path, int(seconds * fps), per_frame, fps)


def bench_window(tool, path, start, end, reps):
    """First call: full load that writes LOG.evidx; then windowed loads through it."""
    idx = path + ".evidx"
    if os.path.exists(idx):
        os.remove(idx)
    first = run_json([tool, path, "jsonl", str(start), str(end)])
    runs = [run_json([tool, path, "jsonl", str(start), str(end)]) for _ in range(reps)]
    full = run_json([tool, path, "jsonl"])
    med = statistics.median(r["seconds"] for r in runs)
    return [
        ["full load", f"{full['seconds'] * 1e3:.1f}", full["count"],
         f"{full['rss_peak_kb'] / 1024:.0f}"],
        ["first windowed load (full load + writes .evidx)", f"{first['seconds'] * 1e3:.1f}",
         first["count"], f"{first['rss_peak_kb'] / 1024:.0f}"],
        [f"windowed load [{start}, {end}] s (median of {reps})", f"{med * 1e3:.1f}",
         runs[0]["count"], f"{runs[0]['rss_peak_kb'] / 1024:.0f}"],
    ]


def ensure(path, maker, *args):
    if not os.path.exists(path):
        tmp = path + ".tmp"
        maker(tmp, *args)
        os.replace(tmp, path)
    return path


def run_json(cmd):
    """Runs cmd; returns its last stdout line as JSON plus "cpu": the child's user + sys."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, stdout=subprocess.PIPE, check=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = json.loads(out.strip().splitlines()[-1])
    r["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return r


def bench_file(tools, path, fmt, reps, reference=None):
    """tools: [(name, binary)], evclip loaders (the current build first); reference: the
    src/ dir of a cv-evidence-renderer checkout, timed (3 runs at most) on native logs."""
    runs = {name: [] for name, _ in tools}
    runs["python json.loads"], runs["python json.loads, kept"] = [], []
    if reference and fmt == "jsonl":
        runs[REFERENCE] = []
    load_before = os.getloadavg()[0]
    loaders = [(name, [tool, path, fmt]) for name, tool in tools]
    python = ["/usr/bin/python3", "-c", PY_LOOP, path, "drop"]
    for rep in range(reps):
        # Alternate so that load on the machine hits all alike. The run right after Python's
        # takes its memory after seconds of idle pages (which a VM may have handed back to its
        # host: a loader that asks for huge pages pays much more then, see bench/README.md):
        # each repetition starts with Python's run and rotates the evclip loaders after it,
        # so that each of them follows it equally often.
        runs["python json.loads"].append(run_json(python))
        k = rep % len(loaders)
        for name, cmd in loaders[k:] + loaders[:k]:
            runs[name].append(run_json(cmd))
        if REFERENCE in runs and rep < 3:
            runs[REFERENCE].append(run_json(["/usr/bin/python3", "-c", PY_REFERENCE, reference,
                                             path]))
    runs["python json.loads, kept"].append(run_json(["/usr/bin/python3", "-c", PY_LOOP, path,
                                                     "keep"]))
    med = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()}
    cpu = {k: statistics.median(r["cpu"] for r in v) for k, v in runs.items()}
    # The fastest run: the loader's own cost with the least of the machine's noise added.
    low = {k: min(r["cpu"] for r in v) for k, v in runs.items()}
    lines = runs["python json.loads"][0]["lines"]
    count = runs[tools[0][0]][0]["count"]
    base = med["python json.loads"]
    rows = []
    for name, v in runs.items():
        e = v[0]
        rows.append([name, f"{med[name]:.3f}", f"{cpu[name]:.3f}",
                     f"{lines / med[name] / 1e6:.2f}", f"{lines / cpu[name] / 1e6:.2f}",
                     f"{count / med[name] / 1e6:.2f}",
                     f"{base / med[name]:.1f}x",
                     f"{cpu['python json.loads'] / cpu[name]:.1f}x",
                     f"{low[name]:.3f}", f"{lines / low[name] / 1e6:.2f}",
                     f"{low['python json.loads'] / low[name]:.1f}x",
                     f"{max(r['rss_peak_kb'] for r in v) / 1024:.0f}",
                     f"{e['rss_bytes_per_det']:.0f}" if "rss_bytes_per_det" in e else "",
                     f"{e['store_bytes_per_det']:.0f}" if "store_bytes_per_det" in e else ""])
    return rows, lines, count, os.path.getsize(path) / 1e6, (load_before, os.getloadavg()[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    ap.add_argument("--workdir", default="/tmp/evclip-bench-reader")
    ap.add_argument("--lines", type=int, default=1000000, help="native lines (default 1 M)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--baseline", action="append", default=[], metavar="NAME=BINARY",
                    help="another bench_reader binary (e.g. an older build) to run alongside")
    ap.add_argument("--reference", metavar="DIR",
                    help="src/ of a cv-evidence-renderer checkout: its from_jsonl() loader is "
                         "timed on the native logs too")
    args = ap.parse_args()
    if args.reference and not os.path.isfile(os.path.join(args.reference, "cv_evidence_renderer",
                                                           "adapters.py")):
        ap.error(f"--reference {args.reference}: no cv_evidence_renderer/adapters.py in it "
                 "(give the src/ directory of a cv-evidence-renderer checkout)")
    tool = os.path.join(args.build, "bench", "bench_reader")
    os.makedirs(args.workdir, exist_ok=True)
    per = 2
    nframes = args.lines // per
    native = ensure(os.path.join(args.workdir, f"native-{args.lines}.jsonl"), make_native,
                    nframes, per)
    grouped = ensure(os.path.join(args.workdir, f"grouped-{args.lines}.jsonl"), make_grouped,
                     nframes, per)
    tools = [("evclip", tool)] + [tuple(b.split("=", 1)) for b in args.baseline]
    ultralytics = ensure(os.path.join(args.workdir, f"ultralytics-{args.lines}.jsonl"),
                         make_ultralytics, nframes, per)
    headers = ["loader", "wall s", "cpu s", "M lines/s", "M lines/cpu s", "M dets/s",
               "vs python (wall)", "vs python (cpu)", "min cpu s", "M lines/min cpu s",
               "vs python (min cpu)", "peak RSS MB", "RSS B/det", "store B/det"]
    native_f32 = ensure(os.path.join(args.workdir, f"native-f32-{args.lines}.jsonl"),
                        make_native_f32, nframes, per)
    for name, path, fmt in (("native", native, "jsonl"), ("grouped", grouped, "grouped"),
                            ("Ultralytics", ultralytics, "ultralytics"),
                            ("native, float32 values", native_f32, "jsonl")):
        rows, lines, count, mb, load = bench_file(tools, path, fmt, args.reps, args.reference)
        print(f"\n{name} JSONL: {lines} lines, {count} detections, {mb:.0f} MB "
              f"(median of {args.reps}; load average {load[0]:.1f} before, "
              f"{load[1]:.1f} after)\n")
        print(fmt_table(headers, rows))
    hour = ensure(os.path.join(args.workdir, "hour-540k.jsonl"), make_hour)
    print(f"\n10 s window from a sorted 1-hour log: 540 000 lines, "
          f"{os.path.getsize(hour) / 1e6:.0f} MB\n")
    print(fmt_table(["load", "ms", "detections", "peak RSS MB"],
                    bench_window(tool, hour, 1800, 1810, max(args.reps, 5))))


if __name__ == "__main__":
    main()
