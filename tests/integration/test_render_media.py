"""test_render_media.py: renders the real footage in ../shared/media and generated inputs, then
checks the outputs with ffprobe and by decoding frames (exact windows, audio, boxes, VFR)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import (Checks, audio_stream, cleanup, decode_frames, ffmpeg, frame_times, media,
                    probe, psnr_y, read_jsonl, run, tempdir, top_level_atoms, video_stream,
                    write_jsonl, yuv_at, leftovers)

C = Checks()
TMP = tempdir()
GREEN = [0, 255, 0]  # BGR


def render(args, name):
    out = os.path.join(TMP, name)
    r = run(["render", "-o", out, "--json", "-q", "--overwrite"] + args)
    ok = C.check(r.returncode == 0, f"render {name} exit 0", r.stderr)
    return out, (json.loads(r.stdout) if ok else None)


def check_output_basics(path, window, label, period):
    info = probe(path)
    v = video_stream(info)
    C.check(v["codec_name"] == "h264", f"{label}: codec h264", v["codec_name"])
    C.check(v.get("profile") in ("High", "Main", "Constrained Baseline"), f"{label}: profile",
            v.get("profile"))
    C.check(v["pix_fmt"] == "yuv420p", f"{label}: yuv420p", v["pix_fmt"])
    C.check(abs(float(v["start_time"])) < 1e-6, f"{label}: first pts 0", v["start_time"])
    dur = float(v["duration"])
    C.check(abs(dur - window) <= period + 1e-3, f"{label}: duration {dur} vs window {window}")
    atoms = top_level_atoms(path)
    C.check("moov" in atoms and "mdat" in atoms and atoms.index("moov") < atoms.index("mdat"),
            f"{label}: moov before mdat", atoms)
    return info


def expected_frames(src_times, start, end):
    t0 = src_times[0]
    return [i for i, t in enumerate(src_times) if start - 1e-6 <= t - t0 < end - 1e-6]


def green(yuv):
    _, u, v = yuv
    return u < 100 and v < 90


def test_car_audio_and_boxes():
    src = media("car-detection.mp4")
    dets = read_jsonl(media("car-detection.detections.jsonl"))
    for d in dets:
        d["color"] = GREEN
    log = os.path.join(TMP, "car-green.jsonl")
    write_jsonl(log, dets)
    start, end = 5.0, 15.0
    out, res = render(["-i", src, "-d", log, "--start", str(start), "--end", str(end),
                       "--thickness", "4"], "car.mp4")
    if not res:
        return
    info = check_output_basics(out, end - start, "car", 0.08)
    src_times = frame_times(src)
    idx = expected_frames(src_times, start, end)
    C.check(res["frames"] == len(idx), "car: frame count", f"{res['frames']} vs {len(idx)}")
    a = audio_stream(info)
    C.check(a is not None and a["codec_name"] == "aac", "car: audio kept (aac)")
    if a:
        vd, ad = float(video_stream(info)["duration"]), float(a["duration"])
        C.check(abs(vd - ad) <= 0.08 + 0.022, f"car: audio {ad} s vs video {vd} s")
    w, h = 768, 432
    frames = decode_frames(out, w, h)
    C.check(len(frames) == len(idx), "car: decoded frame count")
    by_frame = {}
    for d in dets:
        by_frame.setdefault(d["frame_idx"], []).append(d)
    hits = total = 0
    for j, frame in enumerate(frames):
        for d in by_frame.get(idx[j], []):
            x1, y1, x2, y2 = d["bbox"]
            if x2 - x1 < 12 or y2 - y1 < 12:
                continue
            total += 1
            hits += green(yuv_at(frame, w, h, int(x1) + 2, int((y1 + y2) / 2)))
    C.check(total > 100 and hits >= 0.9 * total, f"car: box edges green {hits}/{total}")
    far = 0
    for j, frame in enumerate(frames):
        # A point no box of this frame comes near must keep the picture's own colour.
        if all(d["bbox"][0] > 60 or d["bbox"][1] > 60 for d in by_frame.get(idx[j], [])):
            far += green(yuv_at(frame, w, h, 10, 10))
    C.check(far == 0, "car: no box colour far from boxes", far)


def test_bottle_exact_window():
    src = media("bottle-detection.mp4")
    start, end = 10.01, 10.61
    out, res = render(["-i", src, "--start", str(start), "--end", str(end)], "bottle.mp4")
    if not res:
        return
    period = 6 / 179
    check_output_basics(out, end - start, "bottle", period)
    src_times = frame_times(src)
    idx = expected_frames(src_times, start, end)
    C.check(res["frames"] == len(idx), "bottle: frame count", f"{res['frames']} vs {len(idx)}")
    C.check(abs(res["first_time"] - src_times[idx[0]]) < 1e-4, "bottle: first frame time",
            f"{res['first_time']} vs {src_times[idx[0]]}")
    out_times = frame_times(out)
    deltas = [abs((o - out_times[0]) - (src_times[i] - src_times[idx[0]]))
              for o, i in zip(out_times, idx)]
    C.check(max(deltas) < 1e-3, "bottle: output keeps source timing", max(deltas))
    w, h = 640, 360
    out_frames = decode_frames(out, w, h)
    for which, j in (("first", 0), ("last", len(idx) - 1)):
        k = idx[j]
        near = decode_frames(src, w, h, select=f"between(n\\,{k - 1}\\,{k + 1})")
        scores = [psnr_y(out_frames[j], f, w, h) for f in near]
        C.check(len(scores) == 3 and scores.index(max(scores)) == 1,
                f"bottle: {which} output frame is source frame {k}", scores)


def test_bottle_detections_drawn():
    src = media("bottle-detection.mp4")
    _, res = render(["-i", src, "-d", media("bottle-detection.detections.jsonl"), "--start",
                     "1", "--end", "6", "--hold", "100"], "bottle-boxes.mp4")
    if res:
        C.check(res["boxes_drawn"] > 50, "bottle: boxes drawn", res["boxes_drawn"])


def test_walk_full_range():
    src = media("walk.mkv")
    out, res = render(["-i", src, "--start", "0.5", "--end", "2.5"], "walk.mp4")
    if not res:
        return
    info = check_output_basics(out, 2.0, "walk", 1 / 30)
    C.check(video_stream(info).get("color_range") == "tv", "walk: limited range output")
    w, h = 640, 480
    out0 = decode_frames(out, w, h)[0]
    k = expected_frames(frame_times(src), 0.5, 2.5)[0]
    src0 = decode_frames(src, w, h, select=f"eq(n\\,{k})", pix_fmt="yuvj420p")[0]
    m_src = sum(src0[:w * h]) / (w * h)
    m_out = sum(out0[:w * h]) / (w * h)
    expect = 16 + m_src * 219 / 255
    C.check(abs(m_out - expect) < 3, f"walk: luma mapped full->limited {m_out:.1f} vs "
            f"{expect:.1f}")


def test_hold():
    src = media("car-detection.mp4")
    d = {"frame_idx": 100, "bbox": [200, 150, 400, 300], "label": "car", "score": 0.9,
         "color": GREEN}
    log = os.path.join(TMP, "one.jsonl")
    write_jsonl(log, [d])
    out, res = render(["-i", src, "-d", log, "--start", "7.6", "--end", "8.8", "--hold", "250",
                       "--thickness", "4", "--no-audio"], "hold.mp4")
    if not res:
        return
    frames = decode_frames(out, 768, 432)
    vis = [green(yuv_at(f, 768, 432, 202, 225)) for f in frames]
    # Frames at 7.6 + 0.08 * j; frame 100 is at 8.0 (j = 5); hold 250 ms covers 8.0 .. 8.24.
    want = [5 <= j <= 8 for j in range(len(frames))]
    C.check(vis == want, "hold: box visible on frame 100 and 250 ms after", vis)
    C.check(audio_stream(probe(out)) is None, "no-audio: audio dropped")


def test_vfr():
    src = os.path.join(TMP, "vfr.mkv")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "4", "-vf",
           "select='not(eq(mod(n\\,3)\\,2))'", "-vsync", "vfr", "-c:v", "libx264", "-preset",
           "ultrafast", src)
    out, res = render(["-i", src, "--start", "1", "--end", "3"], "vfr.mp4")
    if not res:
        return
    st = frame_times(src)
    idx = expected_frames(st, 1, 3)
    ot = frame_times(out)
    C.check(len(ot) == len(idx), "vfr: frame count", f"{len(ot)} vs {len(idx)}")
    deltas = [abs((o - ot[0]) - (st[i] - st[idx[0]])) for o, i in zip(ot, idx)]
    C.check(deltas and max(deltas) < 1.5e-3, "vfr: irregular timing preserved", max(deltas))


def test_other_inputs():
    cases = [
        ("odd.mkv", ["-f", "lavfi", "-i", "testsrc2=size=322x242:rate=25", "-t", "3", "-vf",
                     "format=yuv444p,crop=321:241:0:0", "-c:v", "ffv1"], 322, 242,
         None),
        ("ts.ts", ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i",
                   "sine=frequency=440:sample_rate=48000", "-t", "3", "-c:v", "libx264",
                   "-preset", "ultrafast", "-c:a", "aac"], 320, 240, "aac"),
        ("mjpeg.avi", ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi",
                       "-i", "sine=frequency=440:sample_rate=44100", "-t", "3", "-c:v",
                       "mjpeg", "-pix_fmt", "yuvj422p", "-c:a", "pcm_s16le"], 320, 240, "aac"),
        ("hevc.mp4", ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "3", "-c:v",
                      "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"],
         320, 240, None),
    ]
    for name, gen, w, h, acodec in cases:
        src = os.path.join(TMP, name)
        ffmpeg(*gen, src)
        out, res = render(["-i", src, "--start", "0.5", "--end", "2.5"], name + ".mp4")
        if not res:
            continue
        info = check_output_basics(out, 2.0, name, 0.04)
        v = video_stream(info)
        C.check((v["width"], v["height"]) == (w, h), f"{name}: size", (v["width"], v["height"]))
        C.check(res["frames"] == 50, f"{name}: 50 frames", res["frames"])
        a = audio_stream(info)
        C.check((a["codec_name"] if a else None) == acodec, f"{name}: audio", a and a["codec_name"])
        if name == "odd.mkv":
            f = decode_frames(out, w, h)[0]
            C.check(f[w - 1] == f[w - 2] or abs(f[w - 1] - f[w - 2]) < 40,
                    "odd: padded column replicates the edge")


def test_no_temp_files():
    C.check(all(not n.endswith(".evclip-tmp") for n in os.listdir(TMP)), "no temp files left",
            leftovers(TMP))


C.run_all((test_car_audio_and_boxes, test_bottle_exact_window, test_bottle_detections_drawn,
           test_walk_full_range, test_hold, test_vfr, test_other_inputs, test_no_temp_files))
cleanup(TMP)
C.close()
