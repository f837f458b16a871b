"""test_batch.py: cross-file clips, split-recording joins, decode-once batches, speed and cap."""
import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import (Checks, audio_stream, cleanup, decode_frames, ffmpeg, frame_times, media,
                    probe, psnr_y, read_jsonl, run, tempdir, video_stream, write_jsonl, yuv_at)

C = Checks()
TMP = tempdir()
CAR, BOTTLE = media("car-detection.mp4"), media("bottle-detection.mp4")
GREEN = [0, 255, 0]


def green_log(src_log, name):
    rows = read_jsonl(src_log)
    for r in rows:
        r["color"] = GREEN
    path = os.path.join(TMP, name)
    write_jsonl(path, rows)
    return rows, path


def in_window(times, start, end):
    t0 = times[0]
    return [i for i, t in enumerate(times) if start - 1e-6 <= t - t0 < end - 1e-6]


def is_green(yuv):
    return yuv[1] < 100 and yuv[2] < 90


def test_cross_file():
    car_rows, car_log = green_log(media("car-detection.detections.jsonl"), "car.jsonl")
    bot_rows, bot_log = green_log(media("bottle-detection.detections.jsonl"), "bottle.jsonl")
    out = os.path.join(TMP, "cross.mp4")
    r = run(["render", "-i", CAR, "-d", car_log, "--from", "4", "--to", "8", "-i", BOTTLE,
             "-d", bot_log, "--from", "5", "--to", "9", "--thickness", "4", "-o", out, "--json",
             "-q"])
    if not C.check(r.returncode == 0, "cross-file: exit 0", r.stderr):
        return
    res = json.loads(r.stdout)
    car_idx = in_window(frame_times(CAR), 4, 8)
    bot_idx = in_window(frame_times(BOTTLE), 5, 9)
    C.check(res["frames"] == len(car_idx) + len(bot_idx), "cross-file: frame count",
            (res["frames"], len(car_idx), len(bot_idx)))
    info = probe(out)
    v = video_stream(info)
    dur = float(v["duration"])
    C.check(abs(dur - 8.0) <= 0.08 + 6 / 179 + 1e-3, "cross-file: duration = sum of windows",
            dur)
    C.check((v["width"], v["height"]) == (768, 432), "cross-file: first source's size")
    a = audio_stream(info)
    C.check(a is not None and abs(float(a["duration"]) - 4.0) < 0.1,
            "cross-file: audio where the first source has it", a and a["duration"])
    ot = frame_times(out)
    gaps = [b - a_ for a_, b in zip(ot, ot[1:])]
    C.check(max(gaps) < 0.081, "cross-file: timestamps continuous", max(gaps))
    frames = decode_frames(out, 768, 432)
    by_car = {}
    for d in car_rows:
        by_car.setdefault(d["frame_idx"], []).append(d)
    by_bot = {}
    for d in bot_rows:
        by_bot.setdefault(d["frame_idx"], []).append(d)
    for label, idx, rows, scale, offset in (("car", car_idx, by_car, 1.0, 0),
                                            ("bottle", bot_idx, by_bot, 1.2, len(car_idx))):
        hits = total = 0
        for j, k in enumerate(idx):
            for d in rows.get(k, []):
                x1, y1, x2, y2 = [c * scale for c in d["bbox"]]
                if x2 - x1 < 14 or y2 - y1 < 14:
                    continue
                total += 1
                hits += is_green(yuv_at(frames[offset + j], 768, 432, int(x1) + 2,
                                        int((y1 + y2) / 2)))
        C.check(total > 10 and hits >= 0.9 * total, f"cross-file: {label} boxes in place",
                f"{hits}/{total}")


def test_split_join():
    segdir = os.path.join(TMP, "segments")
    os.makedirs(segdir)
    ffmpeg("-i", CAR, "-c", "copy", "-f", "segment", "-segment_time", "10", "-reset_timestamps",
           "1", os.path.join(segdir, "seg%d.mp4"))
    seg0 = os.path.join(segdir, "seg0.mp4")
    seg1 = os.path.join(segdir, "seg1.mp4")
    d0 = frame_times(CAR)[len(frame_times(seg0))]  # source time where seg1 starts
    joined = os.path.join(TMP, "joined.mp4")
    whole = os.path.join(TMP, "whole.mp4")
    start, end = d0 - 3, d0 + 3
    r1 = run(["render", "-i", seg0, "--from", f"{start:.6f}", "--to", f"{d0:.6f}", "-i", seg1,
              "--from", "0", "--to", f"{end - d0:.6f}", "-o", joined, "-q"])
    r2 = run(["render", "-i", CAR, "--start", f"{start:.6f}", "--end", f"{end:.6f}", "-o",
              whole, "-q"])
    if not (C.check(r1.returncode == 0, "split: joined render", r1.stderr) and
            C.check(r2.returncode == 0, "split: whole render", r2.stderr)):
        return
    a = decode_frames(joined, 768, 432)
    b = decode_frames(whole, 768, 432)
    C.check(len(a) == len(b), "split: same frame count", (len(a), len(b)))
    worst = min(psnr_y(x, y, 768, 432) for x, y in zip(a, b))
    C.check(worst > 38, "split: frame-for-frame equal to the unsplit render", worst)
    ta, tb = frame_times(joined), frame_times(whole)
    C.check(max(abs(x - y) for x, y in zip(ta, tb)) < 1e-3, "split: same timestamps")
    aa = audio_stream(probe(joined))
    C.check(aa is not None and float(aa["duration"]) > 5.8, "split: audio continues across "
            "the join", aa and aa["duration"])


def test_batch_decode_once():
    times = frame_times(BOTTLE)
    windows = [(1, 3), (2, 4), (2.5, 3.5), (4, 6), (6, 8), (1, 8), (10, 11), (10.5, 12),
               (11, 11.6), (15, 16), (16, 17), (17, 20), (22, 23), (22.2, 22.9), (25, 27),
               (26, 28), (30, 31), (33, 35), (34, 36), (37, 39.5), (0, 1)]
    jobs = os.path.join(TMP, "jobs.jsonl")
    report = os.path.join(TMP, "report.jsonl")
    lines = [{"output": os.path.join(TMP, f"b{i:02d}.mp4"), "input": BOTTLE,
              "detections": media("bottle-detection.detections.jsonl"), "start": s, "end": e}
             for i, (s, e) in enumerate(windows)]
    lines.insert(5, {"output": os.path.join(TMP, "broken.mp4"), "input": BOTTLE, "start": 38,
                     "end": 60})
    with open(jobs, "w") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")
        f.write('{"output": "x.mp4", "start": \n')
    r = run(["batch", jobs, "--report", report, "--jobs", "2"], timeout=600)
    C.check(r.returncode == 9, "batch: exit 9 when some clips failed", r.returncode)
    rep = read_jsonl(report)
    C.check(len(rep) == len(lines) + 1, "batch: one report line per job", len(rep))
    bad = [x for x in rep if x["status"] != "ok"]
    C.check(len(bad) == 2 and "39.8" in bad[0]["error"] and "JSON" in bad[1]["error"],
            "batch: broken clips reported with their reason", bad)
    good = [x for x in rep if x["status"] == "ok"]
    C.check(len(good) == len(windows), "batch: every good clip rendered", len(good))
    for x in good:
        i = int(os.path.basename(x["output"])[1:3])
        s, e = windows[i]
        want = len(in_window(times, s, e))
        if not C.check(x["frames"] == want, f"batch: clip {s}-{e} frame count",
                       (x["frames"], want)):
            continue
        info = video_stream(probe(x["output"]))
        C.check(int(info["nb_frames"]) == want, f"batch: clip {s}-{e} file frames")
    m = re.search(r"(\d+) sources opened, (\d+) frames decoded", r.stderr)
    C.check(m is not None, "batch: statistics printed", r.stderr)
    if m:
        C.check(int(m.group(1)) == 1, "batch: the source is opened once", m.group(1))
        C.check(int(m.group(2)) <= len(times) + 60, "batch: decoded about once",
                f"{m.group(2)} frames for a {len(times)}-frame source")


def test_speed_and_cap():
    period = 6 / 179
    cases = [
        ("speed2", ["--speed", "2"], 10, lambda d: abs(d - 5.0) <= period, None),
        ("timelapse", ["--max-duration", "4"], 20, lambda d: 4.0 - period <= d <= 4.0 + period,
         None),
        ("framedrop", ["--max-duration", "4", "--cap-strategy", "framedrop"], 20,
         lambda d: d <= 4.0 + period, 5),
        ("speed-floor", ["--speed", "4", "--max-duration", "10"], 20,
         lambda d: abs(d - 5.0) <= period, None),
    ]
    times = frame_times(BOTTLE)
    for name, args, length, ok, step in cases:
        out = os.path.join(TMP, name + ".mp4")
        r = run(["render", "-i", BOTTLE, "--start", "5", "--end", str(5 + length), "-o", out,
                 "--json", "-q"] + args)
        if not C.check(r.returncode == 0, f"{name}: exit 0", r.stderr):
            continue
        res = json.loads(r.stdout)
        d = float(video_stream(probe(out))["duration"])
        C.check(ok(d), f"{name}: duration {d}")
        n = len(in_window(times, 5, 5 + length))
        want = math.ceil(n / step) if step else n
        C.check(res["frames"] == want, f"{name}: frame count", (res["frames"], want))
    for args, needle in ((["--speed", "0"], "--speed"), (["--max-duration", "-1"],
                         "--max-duration"), (["--cap-strategy", "slowmo"], "slowmo")):
        r = run(["render", "-i", BOTTLE, "--start", "5", "--end", "6", "-o",
                 os.path.join(TMP, "bad.mp4")] + args)
        C.check(r.returncode == 2 and needle in r.stderr, f"bad {needle}: usage error", r.stderr)


C.run_all((test_cross_file, test_split_join, test_batch_decode_once, test_speed_and_cap))
cleanup(TMP)
C.close()
