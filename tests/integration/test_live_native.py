"""test_live_native.py: `evclip live --native` / `--native-only` against the real RTSP test
server serving an H.264 file without re-encoding: the passthrough copy holds the served
file's own coded pictures (every slice NAL unit, compared with ffmpeg's reading of the file),
starts at a keyframe at 0, is faststart, is listed in the manifest and verifies; native-only
writes only the copy, with its own manifest, without an encoder, in milliseconds; an existing
copy is never replaced; an outage inside the window stays a hole in the copy's timestamps;
SIGINT cuts a clip and its copy together; bad cameras.json keys are refused. Skipped (exit 77)
without the GStreamer RTSP server."""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
import test_live as tl  # noqa: E402 - its Server, Live, checks and scenario runner

CAR = common.media("car-detection.mp4")  # H.264 Baseline 768x432, 12.5 fps, GOP 4.8 s
check = tl.check


def file_server(seconds=60, port=None):
    """The test server serving CAR's H.264 as it is (no encoder: its packets are the file's)."""
    return tl.Server(mounts=2, port=port, seconds=seconds, media=CAR)


def stopped(live):
    """Stops live (SIGTERM): a clean exit, no sanitizer report. Returns its stderr."""
    code = live.stop()
    live.log.seek(0)
    log = live.log.read()
    check(code == 0 and "runtime error" not in log and "Sanitizer" not in log,
          f"{live.name}: clean exit on SIGTERM", f"exit {code}: {log[-600:]}")
    return log


def slices(path):
    """SHA-256 of each coded-slice NAL unit (types 1-5; parameter sets, SEI and delimiters,
    which RTP re-inserts, left out) of the file's video, in decode order, with its type."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:v:0", "-c", "copy",
                          "-bsf:v", "h264_mp4toannexb", "-f", "h264", "-"],
                         capture_output=True, check=True).stdout
    out = []
    for nal in re.split(b"\x00\x00\x01", raw):
        nal = nal.rstrip(b"\x00")
        if nal and 1 <= (nal[0] & 0x1F) <= 5:
            out.append((nal[0] & 0x1F, hashlib.sha256(nal).hexdigest()))
    return out


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def packets(path):
    """(pts_time, key) of the video packets, decode order."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
                          "packet=pts_time,flags", "-of", "csv=p=0", path],
                         capture_output=True, text=True, check=True).stdout
    return [(float(p), "K" in f) for p, f in (ln.split(",")[:2] for ln in out.split())]


def verify(*args):
    return common.run(["verify"] + list(args), timeout=60).returncode


def check_copy(what, native, entry, source_slices):
    """The copy holds a run of the served file's slices from an IDR, from 0, faststart."""
    got = slices(native)
    pos = next((i for i in range(len(source_slices) - len(got) + 1)
                if source_slices[i:i + len(got)] == got), -1) if got else -1
    check(pos >= 0 and got[0][0] == 5,
          f"{what}: the copy's {len(got)} slices are the served file's own, from an IDR",
          f"first {got[:2]}")
    pk = packets(native)
    check(pk and pk[0] == (0.0, True), f"{what}: starts with a keyframe at 0", str(pk[:2]))
    check(entry["video"]["packets"] == len(pk) and entry["audio"] is None,
          f"{what}: manifest counts the copy's packets", f"{entry['video']} vs {len(pk)}")
    check(entry["sha256"] == sha256(native) and entry["size"] == os.path.getsize(native),
          f"{what}: manifest hash and size of the copy")
    atoms = common.top_level_atoms(native)
    check(atoms.index("moov") < atoms.index("mdat"), f"{what}: faststart", str(atoms))
    return pk


def recording_temps(out, stem, end):
    """Names of the outputs of clip `stem` seen as temp files in `out` before wall clock
    `end` (a temp file is ".NAME.PID-TAG.evclip-tmp")."""
    seen = set()
    while time.time() < end:
        for n in os.listdir(out):
            m = re.fullmatch(r"\.(.+)\.[0-9]+-[0-9a-f]+\.evclip-tmp", n)
            if m and m.group(1).startswith(stem + "."):
                seen.add(m.group(1))
        time.sleep(0.05)
    return seen


def merge_restart(live, out, source_slices):
    """A merged trigger whose pre-roll reaches a keyframe before the clip's start begins the
    encode again, and the copy with it: one copy, of the widened window, from its keyframe."""
    live.send({"type": "trigger", "stream": "cam", "pre": 0.5, "post": 2, "id": "r1"})
    sa = live.wait_type("clip_started", 5, id="r1")
    time.sleep(0.3)  # GOP 4.8 s: a keyframe lies between 0.5 s and 6.3 s back
    live.send({"type": "trigger", "stream": "cam", "pre": 6.5, "post": 0.5, "id": "r2"})
    done = live.wait_type("clip_finished", 20, id="r1")
    if not check(sa and done and done["trigger_ids"] == ["r1", "r2"],
                 "native restart: the merged clip finished", str(live.events[-3:])):
        return
    native = os.path.join(out, "cam-r1.native.mp4")
    m = json.load(open(done["path"] + ".evidence.json"))
    pk = check_copy("native restart", native, m["native"][0], source_slices)
    span = pk[-1][0] + 0.08 if pk else 0
    check(done["start"] < sa["start"] - 1 and done["frames"] == len(pk) and
          span >= done["end"] - done["start"] - 0.2,
          "native restart: the copy covers the widened window, frame for packet",
          f"start {sa['start']:.2f} -> {done['start']:.2f}, {done['frames']} frames, "
          f"{len(pk)} packets, span {span:.2f} of {done['end'] - done['start']:.2f}")
    others = [n for n in os.listdir(out) if n.startswith(".cam-r1")]
    check(verify(done["path"]) == 0 and not others,
          "native restart: verify passes, no temp file left", str(others))


def scenario_native(server, out, source_slices):
    live = tl.Live(["--url", server.url(0), "--native", "--output-dir", out, "--preset",
                    "ultrafast", "--detection-delay", "0"], "native")
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "native: stream up"):
            return
        # A trigger reaching back to the connection's first packets (which the RTCP clock
        # re-stamps before the stream timeline's 0): the clip holds every recorded frame.
        time.sleep(1.5)
        live.send({"type": "trigger", "stream": "cam", "pre": 10, "post": 0.5, "id": "n0"})
        first = live.wait_type("clip_finished", 20, id="n0")
        if check(first is not None, "native: first clip finished", str(live.events[-3:])):
            copy0 = packets(os.path.join(out, "cam-n0.native.mp4"))
            check(first["frames"] == len(copy0) > 25,
                  "native: a clip from the connection's first packets holds each of them",
                  f"{first['frames']} frames, {len(copy0)} packets in the copy")
        time.sleep(3)
        live.send({"type": "trigger", "stream": "cam", "pre": 2, "post": 1.5, "id": "n1"})
        started = live.wait_type("clip_started", 5, id="n1")
        seen = recording_temps(out, "cam-n1", started["end"] if started else 0)
        check(seen == {"cam-n1.mp4", "cam-n1.native.mp4"},
              "native: the clip is encoded and its copy written while it records (both temp "
              "files before the window end)", str(seen))
        done = live.wait_type("clip_finished", 20, id="n1")
        if not check(done is not None, "native: clip finished", str(live.events[-3:])):
            return
        ready = done.get("ready_after_end_s")
        check(ready is not None and abs(ready - (done["time"] - done["end"])) < 0.2,
              "native: clip_finished says how soon after its window end it was published",
              str(ready))
        clip, native = done["path"], os.path.join(out, "cam-n1.native.mp4")
        check(done.get("native") == native and os.path.exists(native) and os.path.exists(clip),
              "native: clip_finished names the copy beside the clip", str(done))
        m = json.load(open(clip + ".evidence.json"))
        entry = (m.get("native") or [{}])[0]
        check(entry.get("file") == "cam-n1.native.mp4" and entry.get("container") == "mp4" and
              m["live"]["native_only"] is False and m["encoder"]["name"] == "libx264",
              "native: the clip's manifest lists the copy", json.dumps(m.get("native")))
        pk = check_copy("native", native, entry, source_slices)
        span = pk[-1][0] + 0.08 if pk else 0
        check(span >= done["end"] - done["start"] - 0.2,
              "native: the copy covers the window from its keyframe",
              f"{span} vs {done['end'] - done['start']}")
        check(verify(clip) == 0, "native: verify passes")
        merge_restart(live, out, source_slices)
        keep = os.path.join(out, "cam-x.native.mp4")
        with open(keep, "w") as f:
            f.write("keep")
        live.send({"type": "trigger", "stream": "cam", "pre": 1, "post": 0.5, "id": "x"})
        failed = live.wait_type("clip_failed", 15, id="x")
        check(failed is not None and "exists" in failed.get("message", "") and
              open(keep).read() == "keep" and not os.path.exists(os.path.join(out, "cam-x.mp4")),
              "native: an existing copy fails the clip, nothing written", str(failed))
        with open(native, "r+b") as f:
            f.seek(os.path.getsize(native) // 2)
            b = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([b[0] ^ 1]))
        check(verify(clip) == 10, "native: a changed copy fails verify (exit 10)")
    finally:
        stopped(live)


def scenario_native_only(server, out, source_slices):
    config = os.path.join(out, "cameras.json")
    with open(config, "w") as f:
        json.dump([{"name": "cam", "url": server.url(1), "native_only": True}], f)
    with open(os.path.join(out, "cam-x.native.mp4"), "w") as f:
        f.write("keep")
    # --detection-delay 5: nothing is drawn, so no frame waits for detections (else the copy
    # would come 5 s after its end)
    live = tl.Live(["--config", config, "--output-dir", out, "--detection-delay", "5",
                    "--overlap", "separate"], "native-only", verbose=True)
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "native-only: stream up"):
            return
        time.sleep(5)
        live.send({"type": "trigger", "stream": "cam", "pre": 2, "post": 1, "id": "o1"})
        live.send({"type": "trigger", "stream": "cam", "pre": 1, "post": 1, "id": "x"})
        done = live.wait_type("clip_finished", 20, id="o1")
        failed = live.wait_type("clip_failed", 20, id="x")
        if not check(done is not None, "native-only: clip finished", str(live.events[-3:])):
            return
        native = os.path.join(out, "cam-o1.native.mp4")
        check(done["path"] == native and done.get("native") == native and
              done["manifest"] == native + ".evidence.json" and
              not os.path.exists(os.path.join(out, "cam-o1.mp4")),
              "native-only: only the copy is written, events name it", str(done))
        # latency: the clip is published right after the first packet past its end
        check(done["time"] - done["end"] < 1.0, "native-only: trigger-to-file latency < 1 s "
              "after the window end", f"{done['time'] - done['end']:.3f} s")
        m = json.load(open(native + ".evidence.json"))
        entry = m["native"][0]
        check(m["output"]["file"] == entry["file"] == "cam-o1.native.mp4" and
              m["output"]["sha256"] == entry["sha256"] and m["encoder"]["name"] == "copy" and
              m["drawing"] is None and m["live"]["native_only"] is True and
              m["output"]["frames"] == entry["video"]["packets"] == done["frames"],
              "native-only: its own manifest (output = the copy, encoder copy)",
              json.dumps(m["output"]))
        check_copy("native-only", native, entry, source_slices)
        check(verify(native) == 0 and verify(native, "--sources") == 0,
              "native-only: verify (and --sources) pass")
        check(failed is not None and open(os.path.join(out, "cam-x.native.mp4")).read() ==
              "keep" and not os.path.exists(os.path.join(out, "cam-x.native.mp4.evidence.json")),
              "native-only: an existing copy is not replaced (clip_failed)", str(failed))
    finally:
        log = stopped(live)
        ms = re.findall(r"passthrough clip published ([0-9.]+) ms after its last packet", log)
        check(ms and float(ms[0]) < 500, "native-only: published milliseconds after its last "
              "packet", str(ms))
        check("libx264" not in log and "decoder" not in log.lower(),
              "native-only: no encoder or decoder opened", log[-400:])


def scenario_sigint(server, out, source_slices):
    """SIGINT while a clip with a copy records: the clip and its copy (written while it
    recorded) are cut at the last packet and published together, complete; a second SIGINT at
    once leaves both complete or neither, and no temp file."""
    for twice in (False, True):
        d = os.path.join(out, "twice" if twice else "once")
        os.mkdir(d)
        what = "native sigint twice" if twice else "native sigint"
        live = tl.Live(["--url", server.url(0), "--native", "--output-dir", d, "--preset",
                        "ultrafast", "--detection-delay", "0"], what)
        try:
            if not check(live.wait_type("stream_up", 15) is not None, f"{what}: stream up"):
                return
            time.sleep(1)
            live.send({"type": "trigger", "stream": "cam", "pre": 1, "post": 30, "id": "s"})
            live.wait_type("clip_started", 5, id="s")
            time.sleep(1.5)
            live.proc.send_signal(signal.SIGINT)
            if twice:
                live.proc.send_signal(signal.SIGINT)
            code = live.stop(sig=None)
            fin = live.wait_type("clip_finished", 0, id="s")
            clip, native = os.path.join(d, "cam-s.mp4"), os.path.join(d, "cam-s.native.mp4")
            if not twice:
                check(code == 0 and fin and fin["incomplete"] and fin.get("native") == native,
                      f"{what}: the clip is cut and published with its copy", f"{code} {fin}")
            if fin:
                m = json.load(open(clip + ".evidence.json"))
                check_copy(what, native, m["native"][0], source_slices)
                check(verify(clip) == 0, f"{what}: verify passes")
            else:
                check(not os.path.exists(clip) and not os.path.exists(native),
                      f"{what}: an abandoned clip leaves neither file")
            left = [n for n in os.listdir(d) if n.startswith(".")]
            check(not left, f"{what}: no temp file left", str(left))
        finally:
            live.stop()


def scenario_gap(out):
    """Server gone for ~2.5 s inside a native-only recording: the copy keeps the hole in its
    timestamps as the clip's events list it."""
    server = file_server(seconds=40)
    port = server.port
    live = tl.Live(["--url", server.url(0), "--native-only", "--output-dir", out,
                    "--stall-timeout", "1", "--backoff-max", "0.5", "--detection-delay", "0"],
                   "gap")
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "gap: stream up"):
            return
        time.sleep(3)
        live.send({"type": "trigger", "stream": "cam", "pre": 1, "post": 7, "id": "g"})
        time.sleep(1)
        server.kill()
        check(live.wait_type("stream_down", 5) is not None, "gap: outage seen")
        time.sleep(2)
        server = file_server(seconds=30, port=port)
        done = live.wait(lambda e: e.get("event") in ("clip_finished", "clip_failed") and
                         e.get("id") == "g", 25)
        if not check(done is not None and done["event"] == "clip_finished", "gap: copy written",
                     str(done)):
            return
        gaps = done.get("gaps", [])
        pk = packets(done["path"])
        holes = [b[0] - a[0] for a, b in zip(pk, pk[1:]) if b[0] - a[0] > 1.0]
        check(done["incomplete"] and len(gaps) == 1 and len(holes) == 1 and
              abs(holes[0] - (gaps[0][1] - gaps[0][0])) < 0.2,
              "gap: the copy's timestamps keep the listed hole", f"{holes} {gaps}")
        check(verify(done["path"]) == 0, "gap: verify passes")
    finally:
        stopped(live)
        server.kill()


def main():
    if not tl.gst_available():
        print("SKIP: GStreamer RTSP server not installed")
        sys.exit(77)
    out = common.tempdir()
    bad = os.path.join(out, "bad.json")
    with open(bad, "w") as f:
        json.dump([{"name": "a", "url": "rtsp://127.0.0.1:9/x", "native": "yes"}], f)
    r = common.run(["live", "--config", bad], timeout=20, stdin=subprocess.DEVNULL)
    check(r.returncode == 3 and "field 'native': true or false" in r.stderr,
          "cameras.json: a non-boolean native is refused (exit 3)", r.stderr)
    source_slices = slices(CAR)
    server = file_server()
    try:
        dirs = [os.path.join(out, d) for d in ("native", "only", "gap", "sigint")]
        for d in dirs:
            os.mkdir(d)
        tl.run_scenarios((scenario_native, server, dirs[0], source_slices),
                         (scenario_native_only, server, dirs[1], source_slices),
                         (scenario_gap, dirs[2]),
                         (scenario_sigint, server, dirs[3], source_slices))
    finally:
        server.kill()
        common.cleanup(out)
    tl.checks.close()


if __name__ == "__main__":
    main()
