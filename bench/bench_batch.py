#!/usr/bin/python3
"""bench_batch.py: decode-once `evclip batch` against 20 separate `evclip render` calls and 20
plain ffmpeg trim+transcode calls over one long recording (issue 3, "Benchmark").

Stdlib only; run with Debian's /usr/bin/python3. Needs ffmpeg and ffprobe on PATH.

In a temporary directory it generates a --minutes (10) long 1280x720 30 fps recording
(lavfi testsrc2 + light temporal noise, libx264 ultrafast crf 28, ~4.5 Mbit/s, GOP 250:
-g 250 -keyint_min 250 -sc_threshold 0) and a native detection JSONL with two labelled moving
boxes per frame, defines 20 events of 10 s (some overlapping or nested, some far apart),
then runs, in one run:

  a: evclip batch JOBS.jsonl --report REPORT.jsonl [--jobs N]    (one process, 20 clips)
  b: 20 x evclip render -i SRC -d DETS --start S --end E ... --json (one after the other)
  c: 20 x ffmpeg -ss S -to E -i SRC -an -c:v libx264 -preset veryfast -crf 23 (no boxes)

and reports wall seconds, CPU seconds, peak RSS, frames decoded and ratios. Frames decoded:
(a) from the batch stats line on stderr, (b) sum of the `frames_decoded` JSON field of each
render, (c) an ESTIMATE: for each window, the frames from the keyframe at or before its start
(ffprobe's keyframe list) to its end, which is what a keyframe seek + decode-and-discard costs.
It also computes the union of the windows in frames, with and without each window's lead-in
from its preceding keyframe, and checks the goals of the issue:
  - batch decode work proportional to the union of the windows (<= 1.2 x union + lead-ins);
  - batch wall time <= the total of the separate renders.

The evclip binary and its libevclip are copied into the temporary directory first, so a
concurrent rebuild of the build tree cannot swap them in the middle of a run.
See bench/README.md for results.
"""

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ffmpeg_version, fmt_table, make_detections, snapshot_evclip  # noqa: E402

W, H, FPS = 1280, 720, 30
GOP = 250
EVENT_SECONDS = 10.0
# Event starts for a 10-minute recording (scaled for other --minutes): two overlapping
# clusters at the start, a nested/overlapping group around 5:00, pairs a few seconds apart
# (gap < 3 s and gap > 3 s), and isolated events far apart.
EVENT_STARTS_10MIN = [
    12.0, 16.0, 20.5, 24.0,          # overlapping chain 12-34 s
    60.0, 62.0,                      # nearly identical windows
    95.0,                            # isolated
    150.0, 161.0,                    # 1 s gap (decode through)
    200.0, 215.0,                    # 5 s gap (seek)
    272.3,                           # isolated, starts off any frame boundary
    300.0, 303.0, 305.0, 308.0,      # nested / overlapping group
    381.0,                           # isolated, 6 s after a keyframe (375 s = frame 11250)
    449.9,                           # isolated, just before a keyframe (450 s)
    520.0,                           # isolated
    585.0,                           # near the end
]
STATS_RE = re.compile(r"batch: (\d+) clips?, (\d+) sources? opened, (\d+) frames decoded, "
                      r"(\d+) seeks?")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, work, env=None):
    """Runs cmd with stdout/stderr in files; returns dict(wall, cpu, maxrss_mb, out, err)."""
    out_path = os.path.join(work, "_stdout.txt")
    err_path = os.path.join(work, "_stderr.txt")
    with open(out_path, "w") as fo, open(err_path, "w") as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path) as f:
        out = f.read()
    with open(err_path) as f:
        err = f.read()
    res = {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "maxrss_mb": ru.ru_maxrss / 1024.0,
           "out": out, "err": err, "rc": p.returncode}
    if p.returncode != 0:
        raise RuntimeError("command failed (exit %d): %s\n%s%s" %
                           (p.returncode, " ".join(cmd), out[-2000:], err[-2000:]))
    return res


def make_source(path, seconds, work):
    run(["ffmpeg", "-y", "-v", "error", "-f", "lavfi",
         "-i", "testsrc2=size=%dx%d:rate=%d,noise=alls=3:allf=t" % (W, H, FPS),
         "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-crf", "28",
         "-g", str(GOP), "-keyint_min", str(GOP), "-sc_threshold", "0",
         "-pix_fmt", "yuv420p", "-movflags", "+faststart", path], work)


def probe_frames(path, work):
    """(number of video frames, sorted keyframe indices) from the packet list (no decode)."""
    r = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
             "packet=pts_time,flags", "-of", "csv=p=0", path], work)
    pts, keys = [], []
    for line in r["out"].splitlines():
        parts = line.strip().split(",")
        if len(parts) < 2 or parts[0] in ("", "N/A"):
            continue
        pts.append((float(parts[0]), "K" in parts[1]))
    pts.sort()
    t0 = pts[0][0]
    for t, k in pts:
        if k:
            keys.append(int(round((t - t0) * FPS)))
    return len(pts), keys


def frame_ceil(t):
    """Index of the first frame at or after t seconds (frames at i / FPS)."""
    return int(math.ceil(round(t * FPS, 6)))


def prev_key(keys, f):
    k = 0
    for kf in keys:
        if kf <= f:
            k = kf
        else:
            break
    return k


def union_len(intervals):
    total, cur_s, cur_e = 0, None, None
    for s, e in sorted(intervals):
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += cur_e - cur_s
    return total


def events_for(seconds):
    scale = seconds / 600.0
    ev = []
    for s in EVENT_STARTS_10MIN:
        s = round(s * scale, 3)
        s = min(s, seconds - EVENT_SECONDS - 1.0)
        ev.append((s, round(s + EVENT_SECONDS, 3)))
    return ev


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--evclip", default=os.path.join(here, "..", "build", "tools", "evclip"),
                    help="evclip binary (../build/tools/evclip)")
    ap.add_argument("--minutes", type=float, default=10.0,
                    help="recording length in minutes (10); event starts scale with it")
    ap.add_argument("--jobs", type=int, default=0,
                    help="evclip batch --jobs N (default: evclip's default, the cores)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory (sources, jobs, report, outputs)")
    args = ap.parse_args()

    args.evclip = os.path.normpath(args.evclip)
    if not os.access(args.evclip, os.X_OK):
        sys.exit("evclip not found at %s (build it: ninja -C build)" % args.evclip)
    for tool in ("ffmpeg", "ffprobe"):
        if not shutil.which(tool):
            sys.exit("%s not found on PATH" % tool)
    seconds = int(round(args.minutes * 60))
    if seconds < EVENT_SECONDS + 2:
        sys.exit("--minutes too small for %g s events" % EVENT_SECONDS)

    work = tempfile.mkdtemp(prefix="evclip-bench-batch-")
    t_start = time.perf_counter()
    try:
        evclip, env = snapshot_evclip(args.evclip, work), None
        print("evclip: %s (snapshot in %s)" % (args.evclip, work))
        print("%s; %d CPUs; load average at start %.2f %.2f %.2f" %
              ((ffmpeg_version(), os.cpu_count()) + os.getloadavg()))

        src = os.path.join(work, "rec.mp4")
        dets = os.path.join(work, "rec.jsonl")
        log("generating %s (%dx%d, %d fps, %d s, GOP %d)..." % (src, W, H, FPS, seconds, GOP))
        t0 = time.perf_counter()
        make_source(src, seconds, work)
        nframes, keys = probe_frames(src, work)
        make_detections(dets, nframes, W, H, FPS)
        log("  done in %.1f s" % (time.perf_counter() - t0))
        print("source: %dx%d %d fps, %d s, %d frames, %d keyframes (GOP %d), %.1f MB, "
              "%d detections (2 per frame)" %
              (W, H, FPS, seconds, nframes, len(keys), GOP, os.path.getsize(src) / 1e6,
               2 * nframes))

        events = events_for(seconds)
        windows, leads = [], []
        print()
        print("events (seconds [start, end); frames [first, last+1); keyframe before start):")
        for i, (s, e) in enumerate(events):
            fs, fe = frame_ceil(s), min(frame_ceil(e), nframes)
            kf = prev_key(keys, fs)
            windows.append((fs, fe))
            leads.append((kf, fe))
            print("  %2d  [%7.2f, %7.2f)  frames [%5d, %5d)  key %5d  lead-in %3d" %
                  (i + 1, s, e, fs, fe, kf, fs - kf))
        union = union_len(windows)
        union_lead = union_len(leads)
        sum_windows = sum(e - s for s, e in windows)
        ffmpeg_est = sum(e - k for k, e in leads)
        print("sum of windows %d frames; union %d frames; union incl. lead-ins %d frames" %
              (sum_windows, union, union_lead))

        outdir = os.path.join(work, "out")
        os.makedirs(outdir)
        # (a) one batch
        jobs_path = os.path.join(work, "jobs.jsonl")
        report_path = os.path.join(work, "report.jsonl")
        with open(jobs_path, "w") as f:
            for i, (s, e) in enumerate(events):
                f.write(json.dumps({"output": os.path.join(outdir, "batch_%02d.mp4" % (i + 1)),
                                    "input": src, "detections": dets, "start": s, "end": e,
                                    "overwrite": True}) + "\n")
        cmd = [evclip, "batch", jobs_path, "--report", report_path]
        if args.jobs:
            cmd += ["--jobs", str(args.jobs)]
        log("a: evclip batch (%d clips)..." % len(events))
        ra = run(cmd, work, env)
        m = STATS_RE.findall(ra["err"])
        if not m:
            raise RuntimeError("no batch stats line on stderr:\n" + ra["err"][-2000:])
        b_clips, b_sources, b_decoded, b_seeks = (int(x) for x in m[-1])
        stats_line = [l for l in ra["err"].splitlines() if STATS_RE.search(l)][-1].strip()
        with open(report_path) as f:
            report = [json.loads(l) for l in f if l.strip()]
        bad = [r for r in report if r.get("status") != "ok"]
        if bad:
            raise RuntimeError("batch clips failed: %r" % bad)
        batch_frames = [r.get("frames") for r in report]
        log("  %.1f s, %d frames decoded, %d seeks" % (ra["wall"], b_decoded, b_seeks))

        # (b) separate renders
        log("b: %d x evclip render..." % len(events))
        rb = {"wall": 0.0, "cpu": 0.0, "maxrss_mb": 0.0}
        sep_decoded, sep_frames = 0, []
        for i, (s, e) in enumerate(events):
            r = run([evclip, "render", "-i", src, "-d", dets, "--start", str(s), "--end", str(e),
                     "-o", os.path.join(outdir, "render_%02d.mp4" % (i + 1)), "--overwrite",
                     "-q", "--json"], work, env)
            summary = json.loads(r["out"].strip().splitlines()[-1])
            if summary.get("status", "ok") != "ok":
                raise RuntimeError("render failed: %r" % summary)
            sep_decoded += int(summary["frames_decoded"])
            sep_frames.append(summary.get("frames"))
            rb["wall"] += r["wall"]
            rb["cpu"] += r["cpu"]
            rb["maxrss_mb"] = max(rb["maxrss_mb"], r["maxrss_mb"])
        log("  %.1f s, %d frames decoded" % (rb["wall"], sep_decoded))

        # (c) ffmpeg trim + transcode
        log("c: %d x ffmpeg trim+transcode..." % len(events))
        rc = {"wall": 0.0, "cpu": 0.0, "maxrss_mb": 0.0}
        ff_frames = []
        for i, (s, e) in enumerate(events):
            out = os.path.join(outdir, "ffmpeg_%02d.mp4" % (i + 1))
            r = run(["ffmpeg", "-y", "-v", "error", "-ss", str(s), "-to", str(e), "-i", src,
                     "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
                     "-pix_fmt", "yuv420p", out], work)
            rc["wall"] += r["wall"]
            rc["cpu"] += r["cpu"]
            rc["maxrss_mb"] = max(rc["maxrss_mb"], r["maxrss_mb"])
            ff_frames.append(probe_frames(out, work)[0])
        log("  %.1f s" % rc["wall"])

        expected = [e - s for s, e in windows]
        if batch_frames != expected or sep_frames != expected:
            print("WARNING: output frame counts differ from the windows:\n  expected %s\n"
                  "  batch    %s\n  render   %s" % (expected, batch_frames, sep_frames))
        if ff_frames != expected:
            print("note: ffmpeg output frames %s (windows %d..%d)" %
                  (ff_frames, min(expected), max(expected)))

        print()
        print("stats line: %s" % stats_line)
        print()
        headers = ["way", "processes", "wall s", "cpu s", "peak RSS MB", "frames out",
                   "frames decoded", "decoded / union+lead"]
        rows = [
            ["a: evclip batch" + (" --jobs %d" % args.jobs if args.jobs else ""), 1,
             "%.1f" % ra["wall"], "%.1f" % ra["cpu"], "%.0f" % ra["maxrss_mb"],
             sum(batch_frames), b_decoded, "%.2f" % (b_decoded / union_lead)],
            ["b: 20 x evclip render", len(events), "%.1f" % rb["wall"], "%.1f" % rb["cpu"],
             "%.0f" % rb["maxrss_mb"], sum(sep_frames), sep_decoded,
             "%.2f" % (sep_decoded / union_lead)],
            ["c: 20 x ffmpeg", len(events), "%.1f" % rc["wall"], "%.1f" % rc["cpu"],
             "%.0f" % rc["maxrss_mb"], sum(ff_frames), "~%d (estimate)" % ffmpeg_est,
             "%.2f" % (ffmpeg_est / union_lead)],
        ]
        print(fmt_table(headers, rows))
        print()
        print("union of windows %d frames, incl. lead-ins %d; sum of windows %d; "
              "batch %d seeks, %d source(s) opened" %
              (union, union_lead, sum_windows, b_seeks, b_sources))
        print("ratios: wall batch/separate %.2f, batch/ffmpeg %.2f; "
              "decoded batch/separate %.2f, batch/ffmpeg(est.) %.2f; "
              "batch decoded / union %.2f, / union+lead-ins %.2f" %
              (ra["wall"] / rb["wall"], ra["wall"] / rc["wall"], b_decoded / sep_decoded,
               b_decoded / ffmpeg_est, b_decoded / union, b_decoded / union_lead))
        ok_decode = b_decoded <= 1.2 * union_lead
        ok_wall = ra["wall"] <= rb["wall"]
        print("goal: batch decode work proportional to the union (<= 1.2 x union+lead-ins = "
              "%d): %s (%d)" % (1.2 * union_lead, "MET" if ok_decode else "NOT MET", b_decoded))
        print("goal: batch wall <= separate-render total (%.1f s): %s (%.1f s)" %
              (rb["wall"], "MET" if ok_wall else "NOT MET", ra["wall"]))
        print("ffmpeg frames decoded is an estimate (keyframe before each start to its end); "
              "ffmpeg draws no boxes.")
        print("load average at end %.2f %.2f %.2f; total %.0f s" %
              (os.getloadavg() + (time.perf_counter() - t_start,)))
    finally:
        if args.keep:
            log("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
