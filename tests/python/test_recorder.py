"""EvidenceRecorder / EvidenceRecorderPool (evclip.live) against the live integration tests'
GStreamer RTSP server (tests/integration/test_live.py's Server, imported, not copied) and a
file read in real time: clips written where trigger_event says, boxes on the frames they were
pushed for, manifests that verify, a pool of two streams, errors and shutdown."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT

import evclip
from evclip import (ClipFailedError, ClipTimeoutError, Detection, EvidenceRecorder,
                    EvidenceRecorderPool, FrameDetections, OutputError, RecorderError,
                    from_supervision)

sys.path.insert(0, str(ROOT / "tests" / "integration"))
import common  # noqa: E402 - the integration tests' ffprobe / raw-frame helpers
import test_live as tl  # noqa: E402 - its RTSP Server, frame size and box check

BLUE_BOX = (10, 30, 140, 130)


@pytest.fixture(scope="module")
def server(lib):
    if not tl.gst_available():
        pytest.skip("GStreamer RTSP server not installed (scripts/install-deps.sh)")
    srv = tl.Server(mounts=2, seconds=120)
    yield srv
    srv.kill()


def boxed_frames(path):
    """Indexes of the clip's frames showing the blue box's left edge."""
    frames = common.decode_frames(str(path), tl.W, tl.H)
    return [i for i, f in enumerate(frames) if tl.is_box(f, 11, 80)], len(frames)


def wait_clock(rec, seconds=8):
    """Waits until the RTSP stream's wall clock comes from RTCP sender reports (the switch
    from arrival moves it by tens of ms: a detection pushed across it may land a frame off)
    and the ring holds a second."""
    deadline = time.time() + seconds
    while time.time() < deadline and rec.stats()["clock"] != "rtcp":
        time.sleep(0.05)
    assert rec.stats()["clock"] == "rtcp"
    while time.time() < deadline and rec.stats()["ring_seconds"] < 1.0:
        time.sleep(0.05)


def sei_boxes(path):
    """(frame, detections) of the clip's frames whose SEI (evclip inspect) has detections."""
    out = subprocess.run([os.environ.get("EVCLIP_BIN", "evclip"), "inspect", str(path)],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [(r["frame"], r["detections"]) for r in rows if r["detections"]]


def verify(path):
    return subprocess.run([os.environ.get("EVCLIP_BIN", "evclip"), "verify", str(path)],
                          capture_output=True, text=True, timeout=60)


class FakeSupervision:
    """Duck-typed supervision.Detections with one box."""

    def __init__(self, box):
        self.xyxy = [list(box)]
        self.confidence = [0.8]
        self.class_id = [2]
        self.tracker_id = [7]
        self.data = {"class_name": ["car"]}


class FakeBoxes:
    def __init__(self, box):
        self.xyxy, self.conf, self.cls, self.id = [list(box)], [0.6], [1], None


class FakeResults:
    """Duck-typed Ultralytics Results with one box of class 1 ("truck")."""

    def __init__(self, box):
        self.boxes, self.names = FakeBoxes(box), {0: "car", 1: "truck"}


def test_recorder_rtsp_clip_boxes_manifest_events(server, tmp_path):
    """Context manager on RTSP: detections pushed by wall clock land on the frames nearest
    their time; trigger_event(wait=True) returns the written clip, whose manifest verifies."""
    seen = []
    with EvidenceRecorder(server.url(0), pre_buffer_seconds=1.5, post_buffer_seconds=1.0,
                          output_dir=tmp_path / "new" / "dir", preset="ultrafast",
                          on_event=seen.append) as rec:
        assert rec.running
        rec.wait_connected(15)
        wait_clock(rec)
        marks = []
        for k in range(3):
            marks.append(time.time())
            det = Detection(BLUE_BOX, "car", 0.9, track_id=3, color=(255, 0, 0))
            pushed = rec.push(k, [det] if k != 1 else FrameDetections([det], frame_idx=k))
            assert pushed == 1
            time.sleep(0.3)
        path = rec.trigger_event("ev-1", label="car", wait=True, timeout=20)
        assert path == tmp_path / "new" / "dir" / "cam-ev-1-car.mp4"
        assert path.exists() and path.stat().st_size > 1000
        done = rec.clip_event("ev-1")
        assert done.type == "clip_finished" and done.path == path and done.label == "car"
        assert not done.incomplete and done.frames > 0
        # encoded while it recorded: published seconds at most after its window's end
        assert 0 <= done.ready_after_end_s < 10 and done.late_detections == 0
        # A second trigger with the same id is refused before reaching the library.
        with pytest.raises(ValueError, match="already used"):
            rec.trigger_event("ev-1")
        # wait with a too short timeout: ClipTimeoutError, the clip is still written.
        with pytest.raises(ClipTimeoutError, match="not written after"):
            rec.trigger_event(2, wait=True, timeout=0.05, post=0.2, pre=0.2)
        assert isinstance(ClipTimeoutError(0, ""), TimeoutError)
        st = rec.stats()
        assert st["connected"] and st["state"] == "up" and st["ring_seconds"] > 1
    # stop() (by the with block) wrote the pending clip; again and trigger after stop:
    rec.stop()
    rec.stop()
    assert (tmp_path / "new" / "dir" / "cam-2.mp4").exists()
    with pytest.raises(RecorderError, match="stopped"):
        rec.trigger_event("late")
    with pytest.raises(RecorderError, match="stopped"):
        rec.push(9, [])
    with pytest.raises(RecorderError, match="stopped"):
        rec.start()

    info = common.probe(str(path))
    video = common.video_stream(info)
    assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p"
    times = common.frame_times(str(path))
    boxed, total = boxed_frames(path)
    assert total == len(times)
    assert len(boxed) == len(marks), boxed  # hold 0: one frame per detection
    check = verify(path)
    assert check.returncode == 0 and "OK" in check.stdout, check.stdout + check.stderr
    assert done.manifest == path.with_name(path.name + ".evidence.json")
    manifest = json.loads(done.manifest.read_text())
    # Each box on the frame nearest its wall clock. Clip time 0 is the manifest's first
    # frame: the event's `start` is the window's and may be a GOP earlier (lead's note).
    first = manifest["live"]["first_frame"]
    # The clip's "wallclock" as offline: the same first frame, the default zone UTC.
    assert manifest["wallclock"]["first_frame"] == first and \
        (manifest["wallclock"]["timezone"], manifest["wallclock"]["timestamp"]) == ("UTC", None)
    assert done.start - 1e-4 <= first < done.start + 1.1  # (the manifest rounds to 10 us)
    for t in marks:
        near = [i for i in boxed if abs(times[i] - (t - first)) <= 0.5 / tl.FPS + 0.003]
        assert len(near) == 1, (t - first, [times[i] for i in boxed])

    kinds = [e.type for e in seen]
    assert kinds[0] == "stream_up"
    assert kinds.index("clip_started") < kinds.index("clip_finished")
    assert kinds.count("clip_finished") == 2  # ev-1, and 2 written by stop()
    # The iterator holds the same events and ends once the recorder is stopped.
    assert [e.type for e in rec.events(timeout=5)] == kinds


def test_pool_two_streams_one_engine(server, tmp_path):
    # The pool's tz for b, a's own for a: each clip's timestamps and manifest in its zone.
    pool = EvidenceRecorderPool(max_streams=2, tz="+05:30")
    with pool:
        a = pool.add("a", EvidenceRecorder(server.url(0), 0.5, 0.5, output_dir=tmp_path,
                                           preset="ultrafast", timestamp=True,
                                           tz="Asia/Tokyo"))
        b = pool.add("b", EvidenceRecorder(server.url(1), 0.5, 0.5, output_dir=tmp_path,
                                           preset="ultrafast", timestamp=True))
        assert a._core is b._core and pool.names == ["a", "b"] and len(pool) == 2
        with pytest.raises(RecorderError, match="full: max_streams=2 .*a, b"):
            pool.add("c", EvidenceRecorder(server.url(0), output_dir=tmp_path,
                                           preset="ultrafast", timestamp=True))
        a.wait_connected(15)
        b.wait_connected(15)
        wait_clock(a)
        wait_clock(b)
        a.push(None, [Detection(BLUE_BOX, "car", color=(255, 0, 0))])
        b.push(None, FakeSupervision(BLUE_BOX))  # a supervision.Detections, as is
        pa = a.trigger_event("1")
        pa2 = a.trigger_event("2", pre=0.2)  # overlapping: a clip of its own
        pb = b.trigger_event("1", wait=True)
        assert pa == tmp_path / "a-1.mp4" and pb == tmp_path / "b-1.mp4"
        assert a._wait_clip("1", 20).type == "clip_finished"
        assert a._wait_clip("2", 20).path == pa2 == tmp_path / "a-2.mp4"
        assert verify(pa2).returncode == 0 and len(boxed_frames(pa2)[0]) == 1
        for p, zone in ((pa, "Asia/Tokyo"), (pb, "+05:30")):
            assert verify(p).returncode == 0
            wall = json.loads(Path(f"{p}.evidence.json").read_text())["wallclock"]
            assert (wall["timezone"], wall["timestamp"]) == (zone, "wallclock"), wall
        assert len(boxed_frames(pa)[0]) == 1
        # The supervision box, with its label, score and track id, on one frame (SEI).
        (frame, dets), = sei_boxes(pb)
        assert [(d["label"], d["track_id"], round(d["score"], 2)) for d in dets] == \
            [("car", 7, 0.8)]
        b.stop()  # frees its place in the pool
        assert pool.names == ["a"]
        pool.add("c", EvidenceRecorder(server.url(1), output_dir=tmp_path, preset="ultrafast",
                                       timestamp=True))
    pool.stop_all()  # idempotent
    assert not a.running
    with pytest.raises(RecorderError, match="stopped"):
        pool.add("d", EvidenceRecorder(server.url(0), preset="ultrafast"))


def test_push_pts_frame_index_lands_on_that_frame(lib, tmp_path, caplog):
    """timeline="pts", fps=25: push(N) is drawn on the source's frame N (each frame of the
    file shows its index as the width of a bright bar)."""
    src = tmp_path / "ramp.mp4"
    common.ffmpeg("-f", "lavfi", "-i", "color=c=black:s=320x240:r=25:d=6,format=gray,"
                  "geq=lum='if(lt(X\\,N)\\,235\\,16)',format=yuv420p",
                  "-c:v", "libx264", "-g", "25", "-crf", "12", "-preset", "ultrafast", str(src))
    def broken(event):
        raise RuntimeError("user callback bug")

    rec = EvidenceRecorder(src, 3.2, 0.3, output_dir=tmp_path, realtime=True, timeline="pts",
                           fps=25, name="file", preset="ultrafast", crf=12, on_event=broken)
    with rec:
        rec.wait_connected(10)
        # The library maps stream time to wall clock when push() is called; the mapping of a
        # file read in real time settles in its first second (README).
        time.sleep(1.0)
        blue = Detection(BLUE_BOX, "p", color=(255, 0, 0))
        rec.push(30, [blue])
        adapted = from_supervision(FakeSupervision(BLUE_BOX), frame_idx=41)
        adapted.detections[0].color = (255, 0, 0)
        rec.push(41, adapted)
        # seconds of the stream's timeline; a polygon is drawn as its bounding box live
        rec.push(None, [Detection(BLUE_BOX, "p", color=(255, 0, 0), extra={
            "polygon": [[10, 30], [140, 30], [75, 130]]})], timestamp=55 / 25)
        rec.push(48, FakeResults((200, 30, 300, 130)))  # an Ultralytics Results, as is
        time.sleep(2.0)
        path = rec.trigger_event("p", wait=True, timeout=20)
    frames = common.decode_frames(str(path), tl.W, tl.H)
    shown = sorted(sum(1 for v in f[200 * tl.W:201 * tl.W] if v > 128)
                   for f in frames if tl.is_box(f, 11, 60))
    assert shown == [30, 41, 55], shown
    trucks = [f for f, dets in sei_boxes(path) if dets[0]["label"] == "truck"]
    assert len(trucks) == 1 and sum(1 for v in frames[trucks[0]][200 * tl.W:201 * tl.W]
                                    if v > 128) == 48
    # The on_event callback raised on every event: logged, the recorder unaffected.
    assert "on_event callback raised" in caplog.text and "user callback bug" in caplog.text


def test_clip_failure_raises_with_evclips_message(server, tmp_path):
    # h264_nvenc cannot open without an NVIDIA GPU: the clip fails, wait=True says why.
    with EvidenceRecorder(server.url(1), 0.3, 0.2, encoder="h264_nvenc",
                          output_dir=tmp_path) as rec:
        rec.wait_connected(15)
        time.sleep(0.6)
        try:
            rec.trigger_event("f", wait=True, timeout=20)
        except ClipFailedError as exc:
            assert "h264_nvenc" in str(exc) and exc.event.type == "clip_failed"
            assert exc.code == evclip._lib.ERR_ENCODER
        else:
            pytest.skip("h264_nvenc opened: this machine has an NVIDIA encoder")
    assert not (tmp_path / "cam-f.mp4").exists()


def test_existing_clip_is_never_replaced_and_stop_under_pushes(server, tmp_path):
    (tmp_path / "cam-x.mp4").write_bytes(b"evidence")
    ended = []

    def pusher(rec):
        try:
            while True:
                rec.push(None, [Detection(BLUE_BOX, "car")])
        except RecorderError as exc:
            ended.append(str(exc))

    with EvidenceRecorder(server.url(0), 0.3, 0.2, output_dir=tmp_path) as rec:
        rec.wait_connected(15)
        time.sleep(0.5)
        with pytest.raises(OutputError, match="cam-x.mp4"):
            rec.trigger_event("x")
        thread = threading.Thread(target=pusher, args=(rec,))
        thread.start()
        time.sleep(0.2)
    # stop() (the with block) while another thread pushes: that thread gets RecorderError.
    thread.join(10)
    assert not thread.is_alive() and ended and ("stopped" in ended[0] or "closed" in ended[0])
    assert (tmp_path / "cam-x.mp4").read_bytes() == b"evidence"


@pytest.mark.parametrize("args,kwargs,exc,match", [
    ((None,), {}, TypeError, "source must be a str"),
    ((123,), {}, TypeError, "source must be a str"),
    (("",), {}, ValueError, "non-empty"),
    (("rtsp://h/x", "5"), {}, TypeError, "pre_buffer_seconds must be a number"),
    (("rtsp://h/x", -1), {}, ValueError, "pre_buffer_seconds must be >= 0"),
    (("rtsp://h/x", 1, float("inf")), {}, ValueError, "post_buffer_seconds must be at most"),
    (("rtsp://h/x",), {"encoder": 5}, TypeError, "encoder must be"),
    (("rtsp://h/x",), {"output_dir": 3}, TypeError, "output_dir must be"),
    (("rtsp://h/x",), {"name": "../etc"}, ValueError, "name must be 1-64"),
    (("rtsp://h/x",), {"name": 7}, TypeError, "name must be a str"),
    (("rtsp://h/x",), {"timeline": "frames"}, ValueError, "timeline must be"),
    (("rtsp://h/x",), {"fps": 0}, ValueError, "fps must be > 0"),
    (("rtsp://h/x",), {"realtime": "yes"}, TypeError, "realtime must be a bool"),
    (("rtsp://h/x",), {"transport": "sctp"}, ValueError, "transport must be"),
    (("rtsp://h/x",), {"on_event": 3}, TypeError, "on_event must be callable"),
    (("rtsp://h/x",), {"workers": 0}, ValueError, "workers must be in"),
    (("rtsp://h/x",), {"pre_roll": 1}, TypeError, "unexpected keyword"),
    (("rtsp://h/x",), {"crf": "x"}, TypeError, "crf must be an int"),
    (("rtsp://h/x",), {"crf": 99}, ValueError, "crf"),
    (("rtsp://h/x",), {"tz": "Mars/Base"}, ValueError, "tz: .*'Mars/Base': unknown zone"),
    (("rtsp://h/x",), {"tz": "../../etc/passwd"}, ValueError, "tz: .*not a zone name"),
    (("rtsp://h/x",), {"tz": "+19:00"}, ValueError, "tz: .*offset"),
    (("rtsp://h/x",), {"tz": 1}, TypeError, "tz must be a str"),
])
def test_recorder_bad_arguments(lib, args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        EvidenceRecorder(*args, **kwargs)


def test_recorder_state_and_argument_errors_without_a_stream(lib, tmp_path):
    rec = EvidenceRecorder("rtsp://127.0.0.1:1/none", output_dir=tmp_path)
    with pytest.raises(RecorderError, match="not started"):
        rec.trigger_event("a")
    with pytest.raises(RecorderError, match="not started"):
        rec.push(0, [])
    with pytest.raises(TypeError, match="detections must be"):
        rec.push(0, None)
    with pytest.raises(TypeError, match="detections must be"):
        rec.push(0, "car")
    with pytest.raises(TypeError, match=r"detections\[0\] must be"):
        rec.push(0, [("car", 1, 2, 3, 4)])
    with pytest.raises(TypeError, match="frame_idx must be an int"):
        rec.push(1.5, [])
    with pytest.raises(ValueError, match="frame_idx must be >= 0"):
        rec.push(-1, [])
    with pytest.raises(ValueError, match="bbox must be 4 numbers"):
        rec.push(0, [Detection((1, 2, 3), "car")])
    with pytest.raises(ValueError, match="event_id must be 1-64"):
        rec.trigger_event("../../etc/passwd")
    with pytest.raises(TypeError, match="event_id must be a str or an int"):
        rec.trigger_event(None)
    with pytest.raises(ValueError, match="label must be 1-64"):
        rec.trigger_event("a", label="a/b")
    pts = EvidenceRecorder("rtsp://127.0.0.1:1/none", timeline="pts")
    with pytest.raises(ValueError, match="needs the recorder's fps"):
        pts.push(3, [])
    rec.stop()
    rec.stop()  # never started: stop is a no-op, twice
    with pytest.raises(RecorderError, match="stopped"):
        rec.start()
    for bad, exc in ((0, ValueError), ("4", TypeError), (True, TypeError)):
        with pytest.raises(exc, match="max_streams"):
            EvidenceRecorderPool(max_streams=bad)
    with pytest.raises(ValueError, match="tz: .*'Europe/Nowhere': unknown zone"):
        EvidenceRecorderPool(tz="Europe/Nowhere")
    pool = EvidenceRecorderPool()
    with pytest.raises(TypeError, match="recorder must be an EvidenceRecorder"):
        pool.add("a", "rtsp://h/x")
    with pytest.raises(ValueError, match="name must be 1-64"):
        pool.add("a b", EvidenceRecorder("rtsp://h/x"))
    pool.stop_all()
    pool.stop_all()


def test_pool_recorders_share_one_renderer(lib):
    pool = EvidenceRecorderPool()
    try:
        pool.add("x", EvidenceRecorder("rtsp://127.0.0.1:1/x", preset="ultrafast"))
        with pytest.raises(ValueError, match="render options differ"):
            pool.add("y", EvidenceRecorder("rtsp://127.0.0.1:1/y", preset="veryfast"))
        with pytest.raises(ValueError, match="already running"):
            pool.add("x", EvidenceRecorder("rtsp://127.0.0.1:1/z", preset="ultrafast"))
        with pytest.raises(ValueError, match="already started"):
            pool.add("w", pool["x"])
    finally:
        pool.stop_all()


_EXIT_SCRIPT = """
import sys, time, evclip
rec = evclip.EvidenceRecorder(sys.argv[1], 0.5, 30, output_dir=sys.argv[2], preset="ultrafast")
rec.start(wait=True, timeout=15)
time.sleep(0.8)
rec.push(0, [evclip.Detection((10, 30, 140, 130), "car", color=(255, 0, 0))])
print(rec.trigger_event("exit"), flush=True)
time.sleep(0.5)
# no stop(): the interpreter exits with the clip still recording its 30 s post-roll
"""


def test_interpreter_exit_without_stop_writes_the_clip(server, tmp_path):
    start = time.time()
    proc = subprocess.run([sys.executable, "-c", _EXIT_SCRIPT, server.url(0), str(tmp_path)],
                          capture_output=True, text=True, timeout=60, env=os.environ)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and time.time() - start < 30
    clip = Path(proc.stdout.strip())
    assert clip == tmp_path / "cam-exit.mp4" and clip.exists()
    assert verify(clip).returncode == 0
    assert common.frame_times(str(clip))  # playable: cut at the last packet, not 30 s


def test_default_python_render_prints_nothing_on_stderr(car, car_log, tmp_path):
    """FFmpeg's own INFO lines (x264's banner, the mp4 muxer's faststart pass) go to the
    "evclip" logger, not stderr; ffmpeg_log=False leaves FFmpeg printing as before."""
    code = ("import sys, evclip\n"
            "evclip.render_from_jsonl(sys.argv[1], sys.argv[2], 5.0, 5.5, sys.argv[3],"
            " preset='ultrafast', **eval(sys.argv[4]))\n")
    runs = {}
    for name, extra in (("quiet", "{}"), ("loud", "{'ffmpeg_log': False}")):
        out = tmp_path / f"{name}.mp4"
        proc = subprocess.run([sys.executable, "-c", code, str(car), str(car_log), str(out),
                               extra], capture_output=True, text=True, timeout=120,
                              env=os.environ)
        assert proc.returncode == 0 and out.exists(), proc.stderr
        runs[name] = proc.stderr
    assert runs["quiet"] == ""
    assert "x264" in runs["loud"] and "moov atom" in runs["loud"]
