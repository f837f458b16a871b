"""test_live_faults.py: `evclip live` faults that lose or misreport footage, against a real RTSP
server (GStreamer): a long GOP with an early trigger, an outage inside a clip's window (gap
listed), pre-roll beyond --pre-roll-max, over-long control lines, 9 socket clients (refusal,
one reply per command, idle timeout), stream names and ids that try to leave --output-dir,
duplicate ids in separate mode, config errors. Scenarios run concurrently (~30 s). Skipped
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


def scenario_long_gop(out):
    """GOP of 5 s, trigger 3 s after stream_up: the first GOP (whose IDR FFmpeg 5.1's RTSP
    demuxer gives no timestamp) is in the ring, so the clip has its 3 s pre-roll."""
    server = tl.Server(seconds=30, gop=5 * tl.FPS)
    live = tl.Live(["--url", server.url(), "--name", "cam", "--output-dir", out], "long-gop")
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "long gop: stream up"):
            return
        time.sleep(3)
        path = os.path.join(out, "gop.mp4")
        live.send({"type": "trigger", "stream": "cam", "pre": 3, "post": 1, "id": "g",
                   "output": path})
        started = live.wait_type("clip_started", 5, id="g")
        done = live.wait(lambda e: e.get("event") in ("clip_finished", "clip_failed") and
                         e.get("id") == "g", 20)
        check(done is not None and done["event"] == "clip_finished",
              "long gop: clip of a trigger 3 s after connect written", str(done))
        check(started and started["pre_available"] >= 2.5,
              "long gop: first GOP after connect in the ring", str(started))
        res = tl.clip_ok(path, "long gop") if done else None
        check(res and res[0] >= 3.5, "long gop: clip holds pre + post", str(res and res[0]))
    finally:
        live.stop()
        server.kill()


def scenario_gap(out):
    """Server gone for ~3 s inside a clip's window: incomplete, the gap listed, the hole kept
    in the timestamps."""
    server = tl.Server(seconds=40)
    port = server.port
    live = tl.Live(["--url", server.url(), "--name", "cam", "--stall-timeout", "1",
                    "--backoff-max", "0.5"], "gap")
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "gap: stream up"):
            return
        time.sleep(2)
        path = os.path.join(out, "gap.mp4")
        live.send({"type": "trigger", "stream": "cam", "pre": 1, "post": 9, "id": "gap",
                   "output": path})
        check(live.wait_type("clip_started", 5, id="gap") is not None, "gap: recording")
        time.sleep(1.5)
        server.kill()
        check(live.wait_type("stream_down", 5) is not None, "gap: outage seen")
        time.sleep(2.5)
        server = tl.Server(port=port, seconds=30)
        done = live.wait(lambda e: e.get("event") in ("clip_finished", "clip_failed") and
                         e.get("id") == "gap", 25)
        if not check(done is not None and done["event"] == "clip_finished", "gap: clip written",
                     str(done)):
            return
        gaps = done.get("gaps", [])
        check(done["incomplete"], "gap: clip with an outage is incomplete", str(done))
        check(len(gaps) == 1 and gaps[0][1] - gaps[0][0] >= 2.5 and
              done["start"] < gaps[0][0] < gaps[0][1] < done["end"],
              "gap: the outage listed (start, end) inside the window", str(gaps))
        times = common.frame_times(path)
        holes = [b - a for a, b in zip(times, times[1:]) if b - a > 1.0]
        check(len(holes) == 1 and gaps and abs(holes[0] - (gaps[0][1] - gaps[0][0])) < 0.2,
              "gap: the file's timestamps keep the hole", f"{holes} {gaps}")
    finally:
        live.stop()
        server.kill()


def scenario_names(server, out):
    """A stream name and an id that try to leave --output-dir stay in it; pre beyond
    --pre-roll-max is reported; duplicate ids in separate mode are refused."""
    sub = os.path.join(out, "a", "b")
    os.makedirs(sub)
    live = tl.Live(["--url", server.url(), "--name", "a/../../x", "--output-dir", sub,
                    "--pre-roll-max", "2", "--overlap", "separate"], "names")
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "names: stream up"):
            return
        time.sleep(3)
        live.send({"type": "trigger", "stream": "a/../../x", "id": "../../y", "pre": 5,
                   "post": 1})
        started = live.wait_type("clip_started", 5)
        check(started and os.path.dirname(started["path"]) == sub and
              os.path.basename(started["path"]) == "a_.._.._x-_._.._y.mp4",
              "names: name and id sanitised the same way, inside --output-dir", str(started))
        check(started and started["pre_requested"] == 5 and
              "only" in started.get("message", "") and "of 5.00 s" in started["message"] and
              "--pre-roll-max is 2.00 s" in started["message"],
              "names: pre beyond --pre-roll-max reported in clip_started", str(started))
        n = len(live.events)
        live.send({"type": "trigger", "stream": "a/../../x", "id": "../../y", "post": 1,
                   "output": os.path.join(out, "dup.mp4")})
        err = live.wait(lambda e: e.get("event") == "error", 5, start=n)
        check(err and "already recording" in err["message"] and "../../y" in err["message"],
              "names: duplicate id refused in separate mode", str(err))
        done = live.wait_type("clip_finished", 15)
        check(done is not None, "names: clip finished", str(live.events[-2:]))
        time.sleep(0.5)
        check(sorted(os.listdir(out)) == ["a"] and os.listdir(os.path.join(out, "a")) == ["b"]
              and not os.path.exists(os.path.join(out, "dup.mp4")),
              "names: nothing written outside --output-dir", str(os.listdir(out)))
    finally:
        live.stop()


def scenario_lines(server, out):
    """Over-long lines are refused whole (default limit 1 MiB, then --max-line); the next
    line still runs."""
    path = os.path.join(out, "tail.mp4")
    trigger = json.dumps({"type": "trigger", "stream": "cam", "post": 1, "output": path})
    for limit, size in ((None, 1 << 20), ("4096", 4096)):
        args = ["--url", server.url(), "--name", "cam"] + (["--max-line", limit] if limit else [])
        live = tl.Live(args, "lines")
        try:
            if not check(live.wait_type("stream_up", 15) is not None, "lines: stream up"):
                return
            time.sleep(1)
            # 64 KiB of junk then a trigger: one line, refused whole (was cut and run).
            live.proc.stdin.write("x" * 65535 + trigger + "\n")
            # Over the limit, written in pieces, with the trigger last.
            live.proc.stdin.write("x" * (size + 10))
            live.proc.stdin.flush()
            time.sleep(0.2)
            live.proc.stdin.write(trigger + "\n")
            live.send({"type": "stats", "stream": "cam"})
            check(live.wait_type("stats", 10) is not None, "lines: the next line still runs")
            errors = [e for e in live.events if e.get("event") == "error"]
            check(len(errors) == 2 and f"longer than {size} bytes" in errors[1]["message"],
                  f"lines: over {size} bytes refused with an error naming the limit",
                  str([e["message"][:80] for e in errors]))
            check(live.count("clip_started") == 0 and not os.path.exists(path),
                  "lines: nothing of a refused line runs")
        finally:
            live.stop()


def read_reply(f):
    """One reply line from a client's file, or None at end of stream."""
    line = f.readline()
    return json.loads(line) if line else None


def scenario_socket(server, out):
    """9 clients: the 9th refused with an error line; each command one JSON reply with its
    id; idle clients closed after --client-timeout."""
    sock = os.path.join(out, "c.sock")
    live = tl.Live(["--url", server.url(), "--name", "cam", "--control", sock,
                    "--client-timeout", "3"], "socket")
    clients = []
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "socket: stream up"):
            return
        for _ in range(9):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.settimeout(8)
            c.connect(sock)
            clients.append(c)
        files = [c.makefile("rb") for c in clients]
        refused = read_reply(files[8])
        check(refused and refused["reply"] == "error" and "too many" in refused["message"],
              "socket: 9th client refused with an error line", str(refused))
        c = clients[0]
        c.sendall(b'{"type":"stats","id":"s1"}\n{"type":"trigger","stream":"nope","id":7}\n'
                  b'{"type":\n')
        replies = [read_reply(files[0]) for _ in range(3)]
        check(replies[0] == {"reply": "ok", "type": "stats", "id": "s1"},
              "socket: ok reply with the command's id", str(replies[0]))
        check(replies[1] and replies[1]["reply"] == "error" and replies[1]["id"] == 7 and
              "nope" in replies[1]["message"], "socket: error reply with id and why",
              str(replies[1]))
        check(replies[2] and replies[2]["reply"] == "error" and "column" in replies[2]["message"],
              "socket: malformed line answered", str(replies[2]))
        idle = read_reply(files[1])
        check(idle and "idle" in idle["message"] and files[1].read() == b"",
              "socket: idle client told and closed", str(idle))
    finally:
        for c in clients:
            c.close()
        live.stop()


def scenario_config(out):
    """A duplicate stream name in a config: one clear message, exit 3."""
    cfg = os.path.join(out, "dup.json")
    with open(cfg, "w") as f:
        json.dump([{"name": "cam", "url": "rtsp://127.0.0.1:9/a"},
                   {"name": "cam", "url": "rtsp://127.0.0.1:9/b"}], f)
    r = common.run(["live", "--config", cfg], timeout=20, stdin=subprocess.DEVNULL)
    want = f"{cfg}: streams[1]: stream 'cam' is named twice"
    check(r.returncode == 3 and r.stderr.count(want) == 1 and r.stderr.count("streams[1]") == 1,
          "config: duplicate name reported once", f"{r.returncode} {r.stderr.strip()}")


def main():
    if not tl.gst_available():
        print("SKIP: GStreamer RTSP server not installed")
        sys.exit(77)
    out = common.tempdir()
    server = tl.Server(seconds=60)
    try:
        dirs = {d: os.path.join(out, d) for d in ("gop", "gap", "names", "lines", "sock", "cfg")}
        for d in dirs.values():
            os.mkdir(d)
        tl.run_scenarios(
            (scenario_long_gop, dirs["gop"]),
            (scenario_gap, dirs["gap"]),
            (scenario_names, server, dirs["names"]),
            (scenario_lines, server, dirs["lines"]),
            (scenario_socket, server, dirs["sock"]),
            (scenario_config, dirs["cfg"]),
        )
    finally:
        server.kill()
        common.cleanup(out)
    tl.checks.close()


if __name__ == "__main__":
    main()
