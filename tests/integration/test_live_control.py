"""test_live_control.py: recording control of `evclip live` against a real RTSP server
(GStreamer): start/stop of open-ended recordings by id (with the max duration guard),
add_stream/remove_stream at runtime (removing finishes the stream's clips first), list (on
stdout and in a socket reply), wall-clock captions in the zone of --tz / a stream's "tz"
(against offline renders of the same instants). Scenarios run concurrently (~30 s). Skipped
(exit 77) without the GStreamer RTSP server."""
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
import test_live as tl  # noqa: E402 - its Server, Live and clip checks

check = tl.check


def error_after(live, n, timeout=5):
    return live.wait(lambda e: e.get("event") == "error", timeout, start=n)


def scenario_start_stop(server, out):
    live = tl.Live(["--url", server.url(), "--name", "cam", "--output-dir", out], "start-stop")
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "start/stop: stream up"):
            return
        time.sleep(3)
        n = len(live.events)
        live.send({"type": "start", "stream": "cam", "pre": 1})
        err = error_after(live, n)
        check(err and "an id is required" in err["message"], "start: id required", str(err))
        live.send({"type": "start", "stream": "cam", "id": "r1", "pre": 1, "max": 60})
        started = live.wait_type("clip_started", 5, id="r1")
        check(started and "until stop" in started.get("message", ""),
              "start: recording until stop", str(started))
        n = len(live.events)
        live.send({"type": "start", "stream": "cam", "id": "r1"})
        err = error_after(live, n)
        check(err and "already recording" in err["message"], "start: id in use refused",
              str(err))
        # a trigger during the recording is its own clip (starts are never merged into)
        live.send({"type": "trigger", "stream": "cam", "id": "t", "pre": 0.5, "post": 0.5})
        time.sleep(3)
        t_stop = time.time()
        live.send({"type": "stop", "stream": "cam", "id": "r1", "post": 0.5})
        stopped = live.wait(lambda e: e.get("event") == "clip_extended" and
                            e.get("message") == "stopped", 5)
        done = live.wait_type("clip_finished", 15, id="r1")
        tdone = live.wait_type("clip_finished", 15, id="t")
        if not check(stopped and done and tdone, "stop: recording stopped and finished",
                     str(live.events[-3:])):
            return
        check(done["path"] != tdone["path"], "start: a trigger during it made its own clip")
        check(abs(done["end"] - (t_stop + 0.5)) < 0.3 and not done["incomplete"],
              "stop: clip ends at stop + post", f"{done['end'] - t_stop}")
        res = tl.clip_ok(done["path"], "start/stop")
        check(res and abs(res[0] - (done["end"] - done["start"])) <= 1.5 / tl.FPS and
              res[0] >= 4.0, "stop: the file covers start - pre .. stop + post",
              str(res and res[0]))
        m = json.load(open(done["path"] + ".evidence.json"))
        check(m["live"]["mode"] == "start" and m["live"]["trigger_ids"] == ["r1"],
              "start: manifest mode and id", str(m.get("live")))
        n = len(live.events)
        live.send({"type": "stop", "stream": "cam", "id": "r1"})
        err = error_after(live, n)
        check(err and "no open recording 'r1'" in err["message"], "stop: twice refused",
              str(err))
        # max guard
        live.send({"type": "start", "stream": "cam", "id": "r2", "pre": 0, "max": 2})
        done = live.wait_type("clip_finished", 15, id="r2")
        check(done and "max duration guard (2 s)" in done.get("message", ""),
              "start: max guard ends the recording and says so", str(done))
        res = tl.clip_ok(done["path"], "max") if done else None
        check(res and 1.9 <= res[0] <= 3.2, "start: max guard duration", str(res and res[0]))
    finally:
        live.stop()


def list_events(live, n, count, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = [e for e in live.events[n:] if e.get("event") == "list"]
        if len(got) >= count:
            return got
        time.sleep(0.1)
    return [e for e in live.events[n:] if e.get("event") == "list"]


def scenario_add_remove(server, out):
    sock = os.path.join(out, "c.sock")
    live = tl.Live(["--url", server.url(0), "--name", "a", "--output-dir", out, "--control",
                    sock], "add-remove")
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "add: first stream up"):
            return
        n = len(live.events)
        live.send({"type": "add_stream", "config": {"name": "b", "url": server.url(1),
                                                    "transport": "carrier-pigeon"}})
        err = error_after(live, n)
        check(err and "add_stream: config: field 'transport'" in err["message"],
              "add_stream: bad config named", str(err))
        live.send({"type": "add_stream", "config": {"name": "b", "url": server.url(1),
                                                    "pre": 2, "post": 10}})
        check(live.wait_type("stream_up", 15, stream="b") is not None,
              "add_stream: new stream up at runtime")
        n = len(live.events)
        live.send({"type": "add_stream", "config": {"name": "b", "url": server.url(1)}})
        err = error_after(live, n)
        check(err and "exists already" in err["message"], "add_stream: duplicate refused",
              str(err))
        time.sleep(3)
        live.send({"type": "trigger", "stream": "b", "id": "long"})
        check(live.wait_type("clip_started", 5, id="long") is not None, "b: recording")
        n = len(live.events)
        live.send({"type": "list"})
        got = {e["stream"]: e for e in list_events(live, n, 2)}
        check(set(got) == {"a", "b"} and all(e["state"] == "up" and e["ring_seconds"] > 1 and
                                             e["ring_bytes"] > 0 for e in got.values()),
              "list: both streams up with their ring", str(got))
        check(got.get("b", {}).get("clips") == ["long"] and got["b"]["recording"] == 1 and
              got["b"]["url"] == server.url(1), "list: b's recording clip and URL",
              str(got.get("b")))
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(5)
        c.connect(sock)
        c.sendall(b'{"type":"list","id":"l1"}\n')
        reply = json.loads(c.makefile("rb").readline())
        c.close()
        check(reply.get("reply") == "ok" and reply.get("id") == "l1" and
              sorted(s["stream"] for s in reply.get("streams", [])) == ["a", "b"],
              "list: the socket reply carries the streams", str(reply))
        n = len(live.events)
        t0 = time.time()
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(30)
        c.connect(sock)
        c.sendall(b'{"type":"remove_stream","stream":"b","id":"rm"}\n')
        reply = json.loads(c.makefile("rb").readline())
        t_reply = time.time()
        c.close()
        removed = live.wait_type("stream_removed", 20, stream="b")
        # Event times are printed to the millisecond (rounded): half a millisecond of slack.
        check(reply.get("reply") == "ok" and removed and removed["time"] <= t_reply + 0.0005,
              "remove: the socket reply comes after stream_removed", f"{reply} {removed}")
        done = live.wait_type("clip_finished", 1, id="long")
        if not check(removed and done, "remove: clip finished and stream removed",
                     str(live.events[n:])):
            return
        order = [e["event"] for e in live.events[n:] if e.get("stream") == "b" and
                 e["event"] in ("clip_finished", "stream_removed")]
        check(order == ["clip_finished", "stream_removed"],
              "remove: the stream's clip finished before it is removed", str(order))
        check(done["incomplete"] and "stream removed" in done.get("message", "") and
              done["end"] > t0 + 5, "remove: the cut clip says why", str(done))
        res = tl.clip_ok(done["path"], "removed")
        check(res and res[0] >= 2.5, "remove: the clip holds what was recorded (pre + up to "
              "the removal)",
              str(res and res[0]))
        n = len(live.events)
        live.send({"type": "trigger", "stream": "b"})
        err = error_after(live, n)
        check(err and "unknown stream 'b'" in err["message"], "remove: b is gone", str(err))
        live.send({"type": "list"})
        got = list_events(live, n, 1)
        time.sleep(0.5)
        got = [e for e in live.events[n:] if e.get("event") == "list"]
        check([e["stream"] for e in got] == ["a"], "list: only a left", str(got))
        live.send({"type": "add_stream", "config": {"name": "b", "url": server.url(1)}})
        check(live.wait(lambda e: e.get("event") == "stream_up" and e.get("stream") == "b",
                        15, start=n) is not None, "add_stream: a removed name is free again")
    finally:
        check(live.stop() == 0, "add/remove: clean exit")


def caption_box(ref):
    """(rows, columns) of the caption band of a reference frame rendered on flat gray: the
    darkened band at the bottom-left."""
    gray = ref[tl.H * tl.W - 1]
    rows = [y for y in range(tl.H - 40, tl.H) if ref[y * tl.W + 1] < gray - 30]
    width = max((x + 1 for y in rows for x in range(tl.W)
                 if abs(ref[y * tl.W + x] - gray) > 12), default=0)
    return rows, range(width)


def caption_mask(frame, box):
    """Text pixels (bright luma) of the caption band `box`: the band darkens what is under
    it, so only the caption's white text passes the threshold."""
    rows, cols = box
    return [frame[y * tl.W + x] > 160 for y in rows for x in cols]


def iou(a, b):
    both = sum(1 for x, y in zip(a, b) if x and y)
    either = sum(1 for x, y in zip(a, b) if x or y)
    return both / either if either else 0.0


def zone_frame(path, manifest):
    """(index, wall clock) of a frame of the clip whose millisecond is far from a rounding
    boundary (the caption rounds to the millisecond)."""
    first = manifest["wallclock"]["first_frame"]
    for k, t in enumerate(common.frame_times(path)):
        frac = (first + t) * 1000 % 1
        if abs(frac - 0.5) > 0.2:
            return k, first + t
    return None, None


def timezone_errors(server, out):
    """A bad --tz (exit 2) or config "tz" (exit 3) is refused, named, before any stream."""
    cfg = os.path.join(out, "bad-cameras.json")
    with open(cfg, "w") as f:
        json.dump([{"name": "a", "url": server.url(0)},
                   {"name": "b", "url": server.url(1), "tz": "../../etc/passwd"}], f)
    for args, code, why in (
            (["--url", server.url(0), "--tz", "Mars/Base"], 2, "timezone: time zone "
             "'Mars/Base': unknown zone"),
            (["--url", server.url(0), "--tz", "/etc/passwd"], 2, "not a zone name"),
            (["--url", server.url(0), "--tz", "+25:00"], 2, "offset"),
            (["--config", cfg, "--tz", "UTC"], 3, "bad-cameras.json: streams[1]: stream 'b': "
             "timezone: time zone '../../etc/passwd': not a zone name")):
        r = common.run(["live", "--timestamp", "--output-dir", out] + args, timeout=20,
                       stdin=subprocess.DEVNULL)
        check(r.returncode == code and why in r.stderr and "stream_up" not in r.stdout and
              (code == 3 or "--tz: " in r.stderr),
              f"tz: live {' '.join(args[2:])} refused (exit {code}) before any stream",
              f"{r.returncode} {r.stderr.strip()} {r.stdout}")


def scenario_timezones(server, out):
    """--tz for the pool, "tz" per stream in cameras.json and in add_stream: each clip's
    captions are its zone's wall-clock time (the same text as an offline render of that
    instant in that zone, not the UTC text) and its manifest names the zone."""
    timezone_errors(server, out)
    cfg = os.path.join(out, "cameras.json")
    with open(cfg, "w") as f:
        json.dump([{"name": "berlin", "url": server.url(0), "tz": "Europe/Berlin"},
                   {"name": "pool", "url": server.url(1)}], f)
    live = tl.Live(["--config", cfg, "--tz", "+05:30", "--timestamp", "--output-dir", out,
                    "--preset", "ultrafast", "--crf", "10"], "timezones")
    zones = {"berlin": "Europe/Berlin", "pool": "+05:30", "ny": "America/New_York"}
    clips = {}
    try:
        n = len(live.events)
        live.send({"type": "add_stream", "config": {"name": "bad", "url": server.url(0),
                                                    "tz": "Mars/Base"}})
        err = error_after(live, n)
        check(err and "add_stream: config: stream 'bad': timezone: time zone 'Mars/Base': "
              "unknown zone" in err["message"], "tz: add_stream with an unknown zone refused",
              str(err))
        live.send({"type": "add_stream", "config": {"name": "ny", "url": server.url(0),
                                                    "tz": "America/New_York"}})
        deadline = time.time() + 15
        while time.time() < deadline and live.count("stream_up") < 3:
            time.sleep(0.1)
        if not check(live.count("stream_up") == 3 and not any(
                e.get("stream") == "bad" for e in live.events), "tz: three streams up, the "
                "refused one never started", str(live.events)):
            return
        time.sleep(1.5)
        for name in zones:
            live.send({"type": "trigger", "stream": name, "id": name, "pre": 0.5, "post": 0.5})
        for name in zones:
            clips[name] = live.wait_type("clip_finished", 20, id=name)
    finally:
        check(live.stop() == 0, "tz: clean exit")
    if not check(all(clips.values()), "tz: three clips finished", str(live.events[-6:])):
        return
    gray = os.path.join(out, "gray.mp4")
    common.ffmpeg("-f", "lavfi", "-i", f"color=c=gray:s={tl.W}x{tl.H}:r={tl.FPS}",
                  "-frames:v", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", gray)
    jobs, picks = [], {}
    for name, zone in zones.items():
        path = clips[name]["path"]
        with open(path + ".evidence.json") as f:
            m = json.load(f)
        check(m["wallclock"]["timezone"] == zone and m["wallclock"]["timestamp"] == "wallclock",
              f"tz {name}: manifest names the zone {zone}", str(m["wallclock"]))
        k, wall = zone_frame(path, m)
        picks[name] = k
        for ref, tz in (("zone", zone), ("utc", None)):
            job = {"output": os.path.join(out, f"ref-{name}-{ref}.mp4"), "input": gray,
                   "start": 0, "end": 0.03, "epoch": repr(wall), "timestamp": True,
                   "preset": "ultrafast", "crf": 10, "audio": False}
            if tz:
                job["tz"] = tz
            jobs.append(job)
    spec = os.path.join(out, "refs.jsonl")
    common.write_jsonl(spec, jobs)
    r = common.run(["batch", spec, "-q"])
    if not check(r.returncode == 0, "tz: offline references rendered", r.stderr):
        return
    for name, zone in zones.items():
        frame = common.decode_frames(clips[name]["path"], tl.W, tl.H)[picks[name]]
        ref = {x: common.decode_frames(os.path.join(out, f"ref-{name}-{x}.mp4"), tl.W,
                                       tl.H)[0] for x in ("zone", "utc")}
        box = caption_box(ref["zone"])
        mask = caption_mask(frame, box)
        same = iou(mask, caption_mask(ref["zone"], box))
        utc = iou(mask, caption_mask(ref["utc"], box))
        check(len(box[0]) >= 8 and same > 0.8 and utc < same - 0.2,
              f"tz {name}: the caption is {zone} time (as offline in that zone), not UTC",
              f"IoU {same:.3f} vs UTC {utc:.3f}")


def main():
    if not tl.gst_available():
        print("SKIP: GStreamer RTSP server not installed")
        sys.exit(77)
    out = common.tempdir()
    server = tl.Server(mounts=2, seconds=90)
    try:
        dirs = {d: os.path.join(out, d) for d in ("ss", "ar", "tz")}
        for d in dirs.values():
            os.mkdir(d)
        tl.run_scenarios((scenario_start_stop, server, dirs["ss"]),
                         (scenario_add_remove, server, dirs["ar"]),
                         (scenario_timezones, server, dirs["tz"]))
    finally:
        server.kill()
        common.cleanup(out)
    tl.checks.close()


if __name__ == "__main__":
    main()
