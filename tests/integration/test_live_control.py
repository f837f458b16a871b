"""test_live_control.py: recording control of `evclip live` against a real RTSP server
(GStreamer): start/stop of open-ended recordings by id (with the max duration guard),
add_stream/remove_stream at runtime (removing finishes the stream's clips first), list (on
stdout and in a socket reply). Scenarios run concurrently (~30 s). Skipped (exit 77) without
the GStreamer RTSP server."""
import json
import os
import socket
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


def main():
    if not tl.gst_available():
        print("SKIP: GStreamer RTSP server not installed")
        sys.exit(77)
    out = common.tempdir()
    server = tl.Server(mounts=2, seconds=90)
    try:
        dirs = {d: os.path.join(out, d) for d in ("ss", "ar")}
        for d in dirs.values():
            os.mkdir(d)
        tl.run_scenarios((scenario_start_stop, server, dirs["ss"]),
                         (scenario_add_remove, server, dirs["ar"]))
    finally:
        server.kill()
        common.cleanup(out)
    tl.checks.close()


if __name__ == "__main__":
    main()
