"""test_live_alerts.py: live clips encoded while they record (`evclip live` against a real RTSP
server, GStreamer): a frame waits up to the detection delay for its detections (a detection
sent within it is drawn, one sent after it is counted late in clip_finished and the manifest,
never drawn), a detector's messages let frames go at once (ready_after_end_s small), a merged
trigger extends the encode running in its temp file, an HLS preview of the clip in progress
plays (ffprobe) and ends with it, SIGINT while encoding leaves a complete clip or nothing. Scenarios run concurrently (~15 s). Skipped (exit 77) without the GStreamer
RTSP server."""
import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
import test_live as tl  # noqa: E402 - its Server, Live and clip checks

check = tl.check
BOX_A = {"bbox": [10, 30, 140, 130], "label": "car", "score": 0.9, "color": [255, 0, 0]}
BOX_B = {"bbox": [170, 30, 300, 130], "label": "van", "score": 0.8, "color": [255, 0, 0]}


def temps(directory):
    return sorted(n for n in os.listdir(directory) if n.endswith(".evclip-tmp"))


def at(t):
    """Sleeps until wall clock t."""
    time.sleep(max(0.0, t - time.time()))


def scenario_late(server, out):
    """Per-stream detection_delay 0.6 s from the camera config, no detector messages between:
    a detection sent 0.3 s after its frame is drawn on it; one sent 1.5 s after is late."""
    cfg = os.path.join(out, "cameras.json")
    with open(cfg, "w") as f:
        json.dump([{"name": "cam", "url": server.url(0), "detection_delay": 0.6}], f)
    live = tl.Live(["--config", cfg, "--output-dir", out, "--detection-delay", "5"], "late")
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "late: stream up"):
            return
        time.sleep(2.5)
        path = os.path.join(out, "late.mp4")
        t0 = time.time()
        live.send({"type": "trigger", "stream": "cam", "pre": 1, "post": 2.5, "id": "l",
                   "output": path})
        t_a, t_b = t0 + 0.5, t0 + 1.2
        at(t_a + 0.3)
        live.send({"type": "detections", "stream": "cam", "wallclock": t_a,
                   "detections": [BOX_A]})
        at(t_b + 1.5)
        live.send({"type": "detections", "stream": "cam", "wallclock": t_b,
                   "detections": [BOX_B]})
        done = live.wait_type("clip_finished", 20, id="l")
        if not check(done is not None, "late: clip finished", str(live.events[-3:])):
            return
        check(done["late_detections"] == 1 and abs(done["late_max_s"] - 1.5) < 0.3,
              "late: clip_finished counts the detection sent past the delay", str(done))
        # The last frame waited the stream's 0.6 s (not the pool's 5 s): nothing told it more.
        check(0.5 <= done["ready_after_end_s"] < 4.5, "late: frames waited the stream's "
              "detection_delay for their detections", str(done["ready_after_end_s"]))
        m = json.load(open(path + ".evidence.json"))
        late = m["live"]["late_detections"]
        check(late["count"] == 1 and abs(late["max_s"] - done["late_max_s"]) < 1e-3 and
              late["delay_s"] == 0.6, "late: the manifest records the late detection", str(late))
        check(m["sources"][0]["detections"]["count"] == 1,
              "late: the manifest hashes the detection drawn, not the late one",
              str(m["sources"][0]["detections"]))
        res = tl.clip_ok(path, "late")
        if not res:
            return
        frames = common.decode_frames(path, tl.W, tl.H)
        times = res[1]
        a = [i for i, fr in enumerate(frames) if tl.is_box(fr, 11, 80)]
        b = [i for i, fr in enumerate(frames) if tl.is_box(fr, 171, 80)]
        rel = t_a - done["start"]
        check(len(a) == 1 and abs(times[a[0]] - rel) <= 0.5 / tl.FPS + 0.002,
              "late: the detection within the delay is drawn on its frame",
              f"{a} {[round(times[i], 3) for i in a]} want {rel:.3f}")
        check(not b, "late: the late detection is drawn on no frame", str(b))
        tl.no_temp_files(out, "late")
    finally:
        check(live.stop() == 0, "late: clean exit")


def heartbeat(live, stop, latency=0.05):
    """A detector with `latency`: an (empty) detection message per frame."""
    while not stop.is_set():
        try:
            live.send({"type": "detections", "stream": "cam",
                       "wallclock": time.time() - latency, "detections": []})
        except (BrokenPipeError, ValueError):
            return
        time.sleep(1 / tl.FPS)


def scenario_merge_ready(server, out):
    """With a detector's messages frames go at once: the encode runs in its temp file from the
    trigger, a merged trigger extends that same encode, the clip is ready soon after its end."""
    # --detection-delay 5: without the detector's messages the clip would be ready 5 s late
    hls = out + "-hls"
    os.mkdir(hls)
    live = tl.Live(["--url", server.url(1), "--name", "cam", "--output-dir", out,
                    "--detection-delay", "5", "--preview-hls", hls], "merge")
    stop = threading.Event()
    beat = threading.Thread(target=heartbeat, args=(live, stop), daemon=True)
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "merge: stream up"):
            return
        beat.start()
        time.sleep(2.5)
        path = os.path.join(out, "m.mp4")
        live.send({"type": "trigger", "stream": "cam", "pre": 1, "post": 1.5, "id": "a",
                   "output": path})
        sa = live.wait_type("clip_started", 5, id="a")
        time.sleep(0.8)
        before = temps(out)
        ino0 = os.stat(os.path.join(out, before[0])).st_ino if len(before) == 1 else -2
        check(len(before) == 1 and before[0].startswith(".m.mp4."),
              "merge: the clip is being encoded into its temp file while it records",
              str(before))
        live.send({"type": "trigger", "stream": "cam", "pre": 0, "post": 1.5, "id": "b"})
        ext = live.wait_type("clip_extended", 5, id="b")
        at(sa["end"] + 0.3 if sa else 0)  # past the first trigger's end: still recording
        after = temps(out)
        playlist = os.path.join(hls, "m", "index.m3u8")
        text = open(playlist).read() if os.path.exists(playlist) else ""
        mid = common.probe(playlist) if text else None
        check(text and "#EXT-X-ENDLIST" not in text and text.count("seg-") >= 1 and mid and
              common.video_stream(mid)["codec_name"] == "h264",
              "preview: an HLS playlist of the clip in progress plays (ffprobe)", text[-200:])
        ino1 = os.stat(os.path.join(out, after[0])).st_ino if len(after) == 1 else -1
        check(ext and ext["end"] > sa["end"] + 0.5 and after == before and ino1 == ino0,
              "merge: the merged trigger extends the running encode (same temp file)",
              f"{before} {after} {ext and ext['end'] - sa['end']}")
        fa = live.wait_type("clip_finished", 15, id="a")
        fb = live.wait_type("clip_finished", 5, id="b")
        if not check(fa and fb, "merge: both ids finished", str(live.events[-3:])):
            return
        check(fa["path"] == fb["path"] == path and fa["trigger_ids"] == ["a", "b"],
              "merge: one file holds both", str(fa))
        check(abs(fa["end"] - ext["end"]) < 0.05, "merge: the clip ends at the merged end")
        res = tl.clip_ok(path, "merge")
        check(res and abs(res[0] - (fa["end"] - fa["start"])) <= 1.5 / tl.FPS,
              "merge: the file covers the extended window", str(res and res[0]))
        ready = fa.get("ready_after_end_s")
        check(ready is not None and 0 < ready < 3.0 and fa["late_detections"] == 0 and
              abs(ready - (fa["time"] - fa["end"])) < 0.2,
              "merge: ready_after_end_s present, small with a detector's (empty) messages",
              str(ready))
        m = json.load(open(path + ".evidence.json"))
        check(m["live"]["late_detections"]["count"] == 0, "merge: manifest: none late")
        text = open(playlist).read()
        segs = [n for n in os.listdir(os.path.dirname(playlist)) if n.endswith(".m4s")]
        whole = common.probe(playlist)
        check("#EXT-X-ENDLIST" in text and len(segs) >= 3 and
              abs(float(whole["format"]["duration"]) - res[0]) < 0.5,
              "preview: the final playlist ends and covers the clip",
              f"{len(segs)} {whole['format'].get('duration')} {res and res[0]}")
        left = [n for n in os.listdir(os.path.dirname(playlist))
                if not (n == "index.m3u8" or n == "init.mp4" or n.endswith(".m4s"))]
        check(not left, "preview: no temp file left", str(left))
        frames = common.decode_frames(playlist, tl.W, tl.H)
        check(abs(len(frames) - len(res[1])) <= 1, "preview: every frame of the clip decodes",
              f"{len(frames)} vs {len(res[1])}")
        tl.no_temp_files(out, "merge")
    finally:
        stop.set()
        check(live.stop() == 0, "merge: clean exit")


def scenario_sigint(server, out):
    """SIGINT while a clip is being encoded: it is cut and published complete (incomplete);
    a second SIGINT at once abandons what is unfinished: a complete clip or nothing."""
    for twice in (False, True):
        d = os.path.join(out, "twice" if twice else "once")
        os.mkdir(d)
        live = tl.Live(["--url", server.url(0), "--name", "cam", "--output-dir", d], "sigint")
        what = "sigint twice" if twice else "sigint"
        path = os.path.join(d, "s.mp4")
        try:
            if not check(live.wait_type("stream_up", 15) is not None, f"{what}: stream up"):
                return
            time.sleep(2)
            live.send({"type": "trigger", "stream": "cam", "pre": 1, "post": 30, "id": "s",
                       "output": path})
            live.wait_type("clip_started", 5, id="s")
            time.sleep(1.5)
            check(len(temps(d)) == 1, f"{what}: encoding when the signal comes", str(temps(d)))
            live.proc.send_signal(signal.SIGINT)
            if twice:
                live.proc.send_signal(signal.SIGINT)
            code = live.stop(sig=None)
            fin = live.wait_type("clip_finished", 0, id="s")
            fail = live.wait_type("clip_failed", 0, id="s")
            if not twice:
                check(code == 0 and fin and fin["incomplete"] and not fail,
                      f"{what}: the clip is cut and published", f"{code} {fin}")
            else:
                check(code in (0, 130) and (fin is None) != (fail is None),
                      f"{what}: one outcome", f"{code} {fin} {fail}")
            if fin:
                res = tl.clip_ok(path, what)
                # pre 1 s + 1.5 s recorded before the signal (the window asked 31 s)
                check(res and os.path.exists(path + ".evidence.json") and 2.3 <= res[0] < 5,
                      f"{what}: the published clip is complete with its manifest",
                      str(res and res[0]))
            else:
                check(not os.path.exists(path) and not os.path.exists(path + ".evidence.json"),
                      f"{what}: an abandoned clip leaves nothing at its path")
            check(not temps(d), f"{what}: no temp file left", str(os.listdir(d)))
        finally:
            live.stop()


def scenario_bad_delay(out):
    """A camera config's detection_delay past 60 s or not a number is refused, naming it."""
    for value, want in ((100, "detection_delay 100"), ("x", "field 'detection_delay'")):
        cfg = os.path.join(out, "bad.json")
        with open(cfg, "w") as f:
            json.dump([{"name": "c", "url": "rtsp://127.0.0.1:9/x", "detection_delay": value}],
                      f)
        p = common.run(["live", "--config", cfg], timeout=20)
        check(p.returncode != 0 and want in p.stderr and "streams[0]" in p.stderr,
              f"bad delay {value!r}: refused with a clear error", p.stderr[-300:])


def scenario_bad_preview(out):
    """--preview-hls must name an existing directory."""
    missing = os.path.join(out, "nope")
    p = common.run(["live", "--url", "rtsp://127.0.0.1:9/x", "--preview-hls", missing],
                   timeout=20)
    check(p.returncode != 0 and f"preview_hls '{missing}' is not a directory" in p.stderr,
          "bad preview dir: refused with a clear error", p.stderr[-300:])


def main():
    if not tl.gst_available():
        print("SKIP: GStreamer RTSP server not installed")
        sys.exit(77)
    out = common.tempdir()
    server = tl.Server(mounts=2, seconds=60)
    try:
        dirs = {d: os.path.join(out, d) for d in ("late", "merge", "sigint", "bad")}
        for d in dirs.values():
            os.mkdir(d)
        scenario_bad_delay(dirs["bad"])
        scenario_bad_preview(dirs["bad"])
        tl.run_scenarios((scenario_late, server, dirs["late"]),
                         (scenario_merge_ready, server, dirs["merge"]),
                         (scenario_sigint, server, dirs["sigint"]), timeout=60)
    finally:
        server.kill()
        common.cleanup(out)
    tl.checks.close()


if __name__ == "__main__":
    main()
