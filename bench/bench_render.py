#!/usr/bin/python3
"""bench_render.py: end-to-end throughput of `evclip render` against a plain ffmpeg
re-encode of the same window.

Stdlib only; run with Debian's /usr/bin/python3. Needs ffmpeg and ffprobe on PATH.

For each source size (30 s, 30 fps, testsrc2 + temporal noise, libx264 veryfast crf 18,
GOP 60) it renders a 5 s window that does not start on a keyframe, alternating

  A: evclip render -i SRC -d DETS --start S --end E --preset P --crf 23 ...
  B: ffmpeg -ss S -to E -i SRC -an -c:v libx264 -preset P -crf 23 -pix_fmt yuv420p ...

for --reps repetitions (A B A B ...), and reports the median fps (output frames / wall
seconds) of both and the ratio evclip/ffmpeg. --sweep additionally measures, at 720p, evclip
fps, output size and SSIM against the source window for each x264 preset; --variants times
evclip with features switched off (detections, manifest, SEI) next to ffmpeg decode-only and
full runs, to see where evclip's time goes.

The evclip binary (and the libevclip.so* next to it, found through its $ORIGIN/.. runpath) is
copied into the work directory first, so a concurrent rebuild of build/ cannot change the
binary in the middle of a run.

See bench/README.md for results and the exact command lines.
"""

import argparse
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ffmpeg_version, fmt_table, make_detections, snapshot_evclip  # noqa: E402

SIZES = {
    "480": (854, 480),
    "720": (1280, 720),
    "1080": (1920, 1080),
}
FPS = 30
SOURCE_SECONDS = 30
SWEEP_PRESETS = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, capture=True):
    """Runs cmd; returns (wall seconds, cpu seconds of the child, CompletedProcess)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError("command failed (exit %d): %s\n%s" %
                           (proc.returncode, " ".join(cmd), proc.stderr.strip()))
    return wall, cpu, proc


def evclip_provenance(path):
    """Version, binary mtime and the git commit of the tree it was (probably) built from."""
    info = {}
    try:
        out = subprocess.run([path, "--version"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True).stdout.strip()
        info["version"] = out.splitlines()[0] if out else "?"
    except OSError:
        info["version"] = "?"
    info["mtime"] = time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                  time.gmtime(os.path.getmtime(path)))
    repo = os.path.dirname(os.path.dirname(os.path.dirname(path)))
    try:  # read-only git queries
        head = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain",
                                "--untracked-files=no"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True).stdout.strip()
        info["git"] = (head + (" + uncommitted changes" if dirty else "")) if head else "?"
    except OSError:
        info["git"] = "?"
    return info


def count_frames(path):
    _, _, p = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
                   "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", path])
    return int(p.stdout.strip().split(",")[0])


def make_source(path, w, h):
    run(["ffmpeg", "-y", "-v", "error", "-f", "lavfi",
         "-i", "testsrc2=size=%dx%d:rate=%d,noise=alls=8:allf=t" % (w, h, FPS),
         "-t", str(SOURCE_SECONDS), "-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
         "-g", "60", "-pix_fmt", "yuv420p", path])


def evclip_cmd(args, src, dets, out, preset, extra=()):
    cmd = [args.evclip, "render", "-i", src]
    if dets:
        cmd += ["-d", dets]
    cmd += ["--start", str(args.start), "--end", str(args.end), "-o", out,
            "--preset", preset, "--crf", str(args.crf), "--overwrite", "--json", "-q"]
    return cmd + list(extra)


def ffmpeg_cmd(args, src, out, preset):
    return ["ffmpeg", "-y", "-v", "error", "-ss", str(args.start), "-to", str(args.end),
            "-i", src, "-an", "-c:v", "libx264", "-preset", preset, "-crf", str(args.crf),
            "-pix_fmt", "yuv420p", out]


def run_evclip(args, src, dets, out, preset, extra=()):
    wall, cpu, p = run(evclip_cmd(args, src, dets, out, preset, extra))
    try:
        summary = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError("evclip printed no JSON summary: %r" % p.stdout)
    if summary.get("status") != "ok":
        raise RuntimeError("evclip failed: %r" % summary)
    return wall, cpu, summary


def ssim(args, clip, src, lavfi=False):
    """SSIM (All) of clip against the source window decoded the same way as the ffmpeg run
    (src is a file), or against the window of a lavfi graph (lavfi=True)."""
    ref = (["-f", "lavfi"] if lavfi else []) + ["-ss", str(args.start), "-to", str(args.end),
                                                "-i", src]
    _, _, p = run(["ffmpeg", "-v", "info", "-nostats", "-i", clip] + ref + [
                   "-lavfi", "[0:v]setpts=PTS-STARTPTS[a];[1:v]setpts=PTS-STARTPTS[b];"
                   "[a][b]ssim", "-f", "null", "-"])
    m = re.findall(r"SSIM .*All:([0-9.]+)", p.stderr)
    if not m:
        raise RuntimeError("no SSIM in ffmpeg output:\n" + p.stderr[-2000:])
    return float(m[-1])


def prepare(args, work, key):
    w, h = SIZES[key]
    src = os.path.join(work, "src_%sp.mp4" % key)
    dets = os.path.join(work, "dets_%sp.jsonl" % key)
    if not os.path.exists(src):
        log("generating %s (%dx%d, %d s)..." % (src, w, h, SOURCE_SECONDS))
        t0 = time.perf_counter()
        make_source(src + ".tmp.mp4", w, h)
        os.replace(src + ".tmp.mp4", src)
        log("  done in %.1f s" % (time.perf_counter() - t0))
    if not os.path.exists(dets):
        make_detections(dets, SOURCE_SECONDS * FPS, w, h, FPS)
    return src, dets


def bench_size(args, work, key):
    src, dets = prepare(args, work, key)
    out_a = os.path.join(work, "evclip_%sp.mp4" % key)
    out_b = os.path.join(work, "ffmpeg_%sp.mp4" % key)
    ev, ff = [], []
    for rep in range(args.reps):
        wall_a, cpu_a, summary = run_evclip(args, src, dets, out_a, args.preset)
        wall_b, cpu_b, _ = run(ffmpeg_cmd(args, src, out_b, args.preset))
        ev.append((wall_a, cpu_a))
        ff.append((wall_b, cpu_b))
        log("  %sp rep %d/%d: evclip %.2f s (cpu %.2f), ffmpeg %.2f s (cpu %.2f)" %
            (key, rep + 1, args.reps, wall_a, cpu_a, wall_b, cpu_b))
    frames_a, frames_b = count_frames(out_a), count_frames(out_b)
    if frames_a != frames_b:
        log("WARNING: %sp: evclip wrote %d frames, ffmpeg %d" % (key, frames_a, frames_b))
    if summary.get("frames") != frames_a:
        log("WARNING: %sp: evclip reports %s frames, ffprobe counts %d" %
            (key, summary.get("frames"), frames_a))
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    return {
        "key": key, "frames_evclip": frames_a, "frames_ffmpeg": frames_b,
        "frames_decoded": summary.get("frames_decoded"), "boxes": summary.get("boxes_drawn"),
        "ev_wall": med(ev, 0), "ev_cpu": med(ev, 1), "ff_wall": med(ff, 0), "ff_cpu": med(ff, 1),
        "ev_fps": frames_a / med(ev, 0), "ff_fps": frames_b / med(ff, 0),
        "ev_min": min(x[0] for x in ev), "ev_max": max(x[0] for x in ev),
        "ff_min": min(x[0] for x in ff), "ff_max": max(x[0] for x in ff),
        "kb_evclip": os.path.getsize(out_a) / 1024, "kb_ffmpeg": os.path.getsize(out_b) / 1024,
    }


def sweep(args, work):
    key = "720"
    src, dets = prepare(args, work, key)
    empty = os.path.join(work, "empty.jsonl")
    open(empty, "w").close()
    rows = []
    for preset in SWEEP_PRESETS:
        out = os.path.join(work, "sweep_%s.mp4" % preset)
        clean = os.path.join(work, "sweep_%s_nodets.mp4" % preset)
        ref = os.path.join(work, "sweep_%s_ffmpeg.mp4" % preset)
        walls, cpus = [], []
        for _ in range(args.sweep_reps):
            wall, cpu, summary = run_evclip(args, src, dets, out, preset)
            walls.append(wall)
            cpus.append(cpu)
        frames = count_frames(out)
        run_evclip(args, src, empty, clean, preset)
        run(ffmpeg_cmd(args, src, ref, preset))
        row = {
            "preset": preset, "fps": frames / statistics.median(walls),
            "cpu": statistics.median(cpus),
            "kb": os.path.getsize(out) / 1024, "kb_clean": os.path.getsize(clean) / 1024,
            "ssim": ssim(args, clean, src), "kb_ffmpeg": os.path.getsize(ref) / 1024,
            "ssim_ffmpeg": ssim(args, ref, src),
            "ssim_clean": ssim(args, clean, "testsrc2=size=%dx%d:rate=%d" %
                               (SIZES[key] + (FPS,)), lavfi=True),
        }
        log("  sweep %s: %.1f fps, %.0f KB, SSIM %.5f" %
            (preset, row["fps"], row["kb"], row["ssim"]))
        rows.append(row)
    return rows


def variants(args, work, key):
    """Interleaved timings of evclip with features switched off, and of ffmpeg."""
    src, dets = prepare(args, work, key)
    out = os.path.join(work, "variant.mp4")
    ff_out = os.path.join(work, "variant_ffmpeg.mp4")
    p = args.preset
    cases = [
        ("evclip (default: boxes, SEI, manifest)", lambda: run_evclip(args, src, dets, out, p)),
        ("evclip --no-manifest", lambda: run_evclip(args, src, dets, out, p,
                                                    ["--no-manifest"])),
        ("evclip --no-sei", lambda: run_evclip(args, src, dets, out, p, ["--no-sei"])),
        ("evclip --no-manifest --no-sei",
         lambda: run_evclip(args, src, dets, out, p, ["--no-manifest", "--no-sei"])),
        ("evclip without -d, --no-manifest",
         lambda: run_evclip(args, src, None, out, p, ["--no-manifest"])),
        ("ffmpeg re-encode", lambda: run(ffmpeg_cmd(args, src, ff_out, p))),
        ("ffmpeg decode only (-f null)",
         lambda: run(["ffmpeg", "-v", "error", "-ss", str(args.start), "-to", str(args.end),
                      "-i", src, "-an", "-f", "null", "-"])),
        ("sha256 of the source (hashlib)", lambda: hash_time(src)),
    ]
    times = {name: [] for name, _ in cases}
    for rep in range(args.reps):
        for name, fn in cases:
            try:
                wall, cpu, _ = fn()
            except RuntimeError as e:  # e.g. an older evclip without the option
                log("  %s: %s" % (name, str(e).splitlines()[0]))
                wall = cpu = float("nan")
            times[name].append((wall, cpu))
        log("  variants %sp rep %d/%d done" % (key, rep + 1, args.reps))
    return [(name, statistics.median(t[0] for t in times[name]),
             statistics.median(t[1] for t in times[name])) for name, _ in cases]


def hash_time(path):
    """SHA-256 of a file in this process (OpenSSL through hashlib), for scale."""
    import hashlib
    t0, c0 = time.perf_counter(), time.process_time()
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return time.perf_counter() - t0, time.process_time() - c0, None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="veryfast", help="x264 preset for both (veryfast)")
    ap.add_argument("--crf", type=int, default=23, help="x264 crf for both (23)")
    ap.add_argument("--reps", type=int, default=5, help="interleaved repetitions (5)")
    ap.add_argument("--evclip", default=os.path.join(here, "..", "build", "tools", "evclip"),
                    help="evclip binary (../build/tools/evclip)")
    ap.add_argument("--sizes", default="480,720,1080", help="comma list of 480,720,1080; empty to run only --sweep/--variants")
    ap.add_argument("--start", type=float, default=10.3, help="window start (10.3)")
    ap.add_argument("--end", type=float, default=15.3, help="window end (15.3)")
    ap.add_argument("--sweep", action="store_true",
                    help="also sweep x264 presets at 720p (fps, size, SSIM)")
    ap.add_argument("--sweep-reps", type=int, default=1,
                    help="timed evclip runs per preset in the sweep (1)")
    ap.add_argument("--variants", metavar="SIZE",
                    help="also time evclip with features off (and ffmpeg decode-only) at "
                    "this size, e.g. 1080")
    ap.add_argument("--no-snapshot", action="store_true",
                    help="run evclip in place instead of copying it into the work dir")
    ap.add_argument("--workdir", help="keep sources and outputs here and reuse existing "
                    "sources (default: a temporary directory, removed at the end)")
    args = ap.parse_args()

    args.evclip = os.path.normpath(args.evclip)
    if not os.access(args.evclip, os.X_OK):
        sys.exit("evclip not found at %s (build it: ninja -C build)" % args.evclip)
    for tool in ("ffmpeg", "ffprobe"):
        if not shutil.which(tool):
            sys.exit("%s not found on PATH" % tool)
    keys = [k.strip().rstrip("p") for k in args.sizes.split(",") if k.strip()]
    if args.variants:
        args.variants = args.variants.rstrip("p")
        keys_check = keys + [args.variants]
    else:
        keys_check = keys
    for k in keys_check:
        if k not in SIZES:
            sys.exit("unknown size %r (choose from %s)" % (k, ",".join(SIZES)))
    if args.reps < 1:
        sys.exit("--reps must be >= 1")

    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
        work, cleanup = args.workdir, None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="evclip-bench-")
        work = cleanup.name

    t_start = time.perf_counter()
    prov = evclip_provenance(args.evclip)
    print("evclip: %s (%s, built %s, tree at %s)" %
          (args.evclip, prov["version"], prov["mtime"], prov["git"]))
    if not args.no_snapshot:
        args.evclip = snapshot_evclip(args.evclip, work)
    print("%s; %d CPUs; load average at start %.2f %.2f %.2f" %
          ((ffmpeg_version(), os.cpu_count()) + os.getloadavg()))
    print("window [%g, %g) s, preset %s, crf %d, %d interleaved reps (median)" %
          (args.start, args.end, args.preset, args.crf, args.reps))
    try:
        results = []
        for k in keys:
            log("benchmarking %sp..." % k)
            results.append(bench_size(args, work, k))
        sweep_rows = sweep(args, work) if args.sweep else None
        variant_rows = None
        if args.variants:
            log("variants at %sp..." % args.variants)
            variant_rows = variants(args, work, args.variants)
    finally:
        if cleanup:
            cleanup.cleanup()

    if results:
        print()
        headers = ["size", "frames", "decoded", "evclip s", "evclip cpu s", "evclip fps",
                   "ffmpeg s", "ffmpeg cpu s", "ffmpeg fps", "ratio", "evclip KB", "ffmpeg KB"]
        rows = []
        for r in results:
            rows.append(["%sp" % r["key"],
                         "%d/%d" % (r["frames_evclip"], r["frames_ffmpeg"]),
                         r["frames_decoded"],
                         "%.2f" % r["ev_wall"], "%.2f" % r["ev_cpu"], "%.1f" % r["ev_fps"],
                         "%.2f" % r["ff_wall"], "%.2f" % r["ff_cpu"], "%.1f" % r["ff_fps"],
                         "%.2f" % (r["ev_fps"] / r["ff_fps"]),
                         "%.0f" % r["kb_evclip"], "%.0f" % r["kb_ffmpeg"]])
        print(fmt_table(headers, rows))
        print()
        print("wall time spread (min-max s): " + "; ".join(
            "%sp evclip %.2f-%.2f, ffmpeg %.2f-%.2f" %
            (r["key"], r["ev_min"], r["ev_max"], r["ff_min"], r["ff_max"]) for r in results))
    if sweep_rows:
        print()
        print("preset sweep at 720p (evclip with boxes: fps, KB; SSIM of an evclip render "
              "without detections vs the source window; ffmpeg same preset for reference)")
        headers = ["preset", "evclip fps", "evclip cpu s", "evclip KB", "KB no boxes", "SSIM",
                   "SSIM vs clean", "ffmpeg KB", "ffmpeg SSIM"]
        rows = [[r["preset"], "%.1f" % r["fps"], "%.2f" % r["cpu"], "%.0f" % r["kb"],
                 "%.0f" % r["kb_clean"], "%.5f" % r["ssim"], "%.5f" % r["ssim_clean"],
                 "%.0f" % r["kb_ffmpeg"], "%.5f" % r["ssim_ffmpeg"]]
                for r in sweep_rows]
        print(fmt_table(headers, rows))
        print("(SSIM: vs the source window, noise included; SSIM vs clean: vs the noise-free "
              "testsrc2 pattern)")
    if variant_rows:
        print()
        print("where the time goes at %sp (median of %d interleaved reps)" %
              (args.variants, args.reps))
        rows = [[name, "%.2f" % wall, "%.2f" % cpu] for name, wall, cpu in variant_rows]
        print(fmt_table(["variant", "wall s", "cpu s"], rows))
    print()
    for r in results:
        print("%sp: evclip %.1f fps, ffmpeg %.1f fps, ratio %.2f" %
              (r["key"], r["ev_fps"], r["ff_fps"], r["ev_fps"] / r["ff_fps"]))
    print("load average at end %.2f %.2f %.2f; total %.0f s" %
          (os.getloadavg() + (time.perf_counter() - t_start,)))


if __name__ == "__main__":
    main()
