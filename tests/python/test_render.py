"""render_from_jsonl / render_clip / render_clips against the built libevclip on real media
(car-detection.mp4: 768x432, 12.5 fps, 30.16 s, with audio)."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

import evclip
from evclip import (Clip, ClipSource, Detection, DetectionsError, Encoder, EvclipError,
                    FrameDetections, InputError, OutputError, WindowError, from_jsonl,
                    from_supervision, render_clip, render_clips, render_from_jsonl)

FAST = {"preset": "ultrafast"}


def is_mp4(path):
    with open(path, "rb") as f:
        return f.read(8)[4:8] == b"ftyp"


@pytest.fixture
def out(tmp_path):
    return tmp_path / "clip.mp4"


def test_render_from_jsonl_returns_path(lib, car, car_log, out):
    got = render_from_jsonl(car, car_log, 4.0, 6.0, out, **FAST)
    assert got == out and is_mp4(out)
    res = render_from_jsonl(str(car), str(car_log), 4, 6, str(out), encoder=Encoder.LIBX264,
                            return_result=True, **FAST)
    assert res.ok and res.output == out
    assert res.frames == 25 and res.duration == pytest.approx(2.0)
    assert res.boxes_drawn > 0 and res.encoder == "libx264" and res.has_audio
    assert (res.width, res.height) == (768, 432)


def test_poster_kwarg(lib, car, car_log, out):
    """poster=True writes clip.jpg (<= 640 wide) recorded with its hash in the manifest."""
    import hashlib
    render_from_jsonl(car, car_log, 5.0, 5.5, out, poster=True, **FAST)
    poster = out.with_suffix(".jpg")
    assert poster.read_bytes()[:2] == b"\xff\xd8"
    m = json.loads(out.with_name(out.name + ".evidence.json").read_text())
    assert m["poster"]["file"] == "clip.jpg" and m["poster"]["width"] == 640
    assert m["poster"]["sha256"] == hashlib.sha256(poster.read_bytes()).hexdigest()
    with pytest.raises(TypeError):
        render_from_jsonl(car, car_log, 5.0, 5.5, out, poster="yes", **FAST)


def test_native_kwarg(lib, car, car_log, out):
    """native=True writes clip.native.mp4, the source's packets, recorded in the manifest."""
    import hashlib
    render_from_jsonl(car, car_log, 5.0, 5.5, out, native=True, **FAST)
    native = out.with_name("clip.native.mp4")
    m = json.loads(out.with_name(out.name + ".evidence.json").read_text())
    assert m["native"][0]["file"] == "clip.native.mp4"
    assert m["native"][0]["sha256"] == hashlib.sha256(native.read_bytes()).hexdigest()
    assert m["native"][0]["copy_start"] == 4.8 and m["native"][0]["audio"]["packets"] > 0
    with pytest.raises(TypeError):
        render_from_jsonl(car, car_log, 5.0, 5.5, out, native="yes", **FAST)


def test_in_memory_detections_match_the_log(lib, car, car_log, tmp_path):
    from_log = render_from_jsonl(car, car_log, 4, 6, tmp_path / "a.mp4", return_result=True,
                                 **FAST)
    frames = list(from_jsonl(car_log))
    in_memory = render_from_jsonl(car, frames, 4, 6, tmp_path / "b.mp4", return_result=True,
                                  **FAST)
    assert in_memory.boxes_drawn == from_log.boxes_drawn > 0
    one = render_from_jsonl(car, FrameDetections([Detection((1, 2, 300, 200), "x")],
                                                 timestamp=4.0),
                            4, 6, tmp_path / "c.mp4", return_result=True, **FAST)
    assert one.boxes_drawn == 1


def test_supervision_frames_render(lib, car, tmp_path):
    np = pytest.importorskip("numpy")

    class Det:  # supervision.Detections shape (see test_adapters.py)
        xyxy = np.array([[100, 100, 300, 250]], dtype=np.float32)
        confidence = np.array([0.7])
        class_id = np.array([2])
        tracker_id = None
        data = {}

    frames = [from_supervision(Det(), frame_idx=i) for i in range(50, 75)]
    res = render_from_jsonl(car, frames, 4, 6, tmp_path / "sv.mp4", return_result=True, **FAST)
    assert res.boxes_drawn == 25


def test_label_formatter(lib, car, car_log, tmp_path):
    seen = []

    def fmt(det):
        seen.append(det)
        return f"{det.label.upper()} ({det.score:.0%})"

    res = render_from_jsonl(car, car_log, 4, 6, tmp_path / "f.mp4", label_formatter=fmt,
                            return_result=True, **FAST)
    assert res.boxes_drawn > 0 and seen and all(isinstance(d, Detection) for d in seen)
    assert seen[0].label == "car"
    with pytest.raises(TypeError, match="label_formatter must return a str"):
        render_from_jsonl(car, car_log, 4, 6, tmp_path / "g.mp4", label_formatter=lambda d: 3)
    with pytest.raises(TypeError, match="label_formatter must be callable"):
        render_from_jsonl(car, car_log, 4, 6, tmp_path / "g.mp4", label_formatter="x")
    assert not (tmp_path / "g.mp4").exists()


def test_native_normalized_flag_reaches_the_library(tmp_path):
    # A native line's own "normalized": true is honoured by the Python reader as by the C one
    # (it was dropped: fractions drawn as pixels in the top-left corner).
    from evclip.render import _prepare

    log = tmp_path / "n.jsonl"
    log.write_text('{"frame_idx": 1, "bbox": [0.25, 0.25, 0.75, 0.75], "label": "a", '
                   '"normalized": true}\n{"frame_idx": 2, "bbox": [1, 2, 30, 40], "label": "b"}\n')
    frames = list(from_jsonl(log))
    dets = [d for d, _ in _prepare(frames, None, 0)]
    assert [d.normalized for d in dets] == [1, 0]
    assert frames[0].detections[0].extra == {"normalized": True}
    log.write_text('{"frame_idx": 1, "bbox": [1, 2, 3, 4], "label": "a", "normalized": 1}\n')
    with pytest.raises(ValueError, match="'normalized' must be true or false"):
        list(from_jsonl(log))


def test_label_formatter_text_is_the_whole_chip():
    from evclip.render import _prepare

    frames = [FrameDetections([Detection((1, 2, 3, 4), "car", score=0.5, track_id=3),
                               Detection((1, 2, 3, 4), "bus", color=(1, 2, 3))], timestamp=1.5)]
    plain = _prepare(frames, None, 0)
    assert plain[0][0].label == b"car" and plain[0][0].score == 0.5
    assert plain[0][0].track_id == 3 and plain[0][1] is None
    assert not plain[0][0].has_color and plain[0][0].frame_idx == -1 and plain[0][0].ts == 1.5
    # The formatter's text is the chip (evclip_detections_add_text); the detection itself
    # keeps its label, score, track and colour (test_compat: SEI and manifest).
    chips = _prepare(frames, lambda d: f"{d.label}/{d.track_id}", 0)
    assert [t for _, t in chips] == [b"car/3", b"bus/None"]
    assert [(c.label, c.score, c.track_id, c.has_color) for c, _ in chips] == \
        [(b"car", 0.5, 3, 0), (b"bus", -1, -1, 1)]
    assert tuple(chips[1][0].color) == (1, 2, 3)


def test_palette_color_is_stable():
    assert evclip.palette_color("car") == evclip.palette_color("car")
    assert evclip.palette_color("car", 0) == (0x38, 0x38, 0xFF)  # palette[0] as BGR
    assert evclip.palette_color("x", 21) == evclip.palette_color("y", 1)


@pytest.mark.parametrize("kwargs,message", [
    (dict(event_start=-1, event_end=2), "event_start must be >= 0, got -1"),
    (dict(event_start=3, event_end=3), "event_end must be > event_start; got start=3, end=3"),
    (dict(playback_speed=0), "playback_speed must be > 0, got 0"),
    (dict(max_duration_seconds=-1), "max_duration_seconds must be > 0, got -1"),
    (dict(duration_strategy="slow"),
     "duration_strategy must be one of ('timelapse', 'framedrop'), got 'slow'"),
    (dict(detections_format="csv"), "detections_format must be one of"),
    (dict(pre_roll=-1), "pre_roll must be >= 0"),
    (dict(crf=60), "settings: crf 60 is outside 0..51"),
])
def test_value_errors(car, car_log, out, kwargs, message):
    args = dict(video=car, detections_jsonl=car_log, event_start=1, event_end=2, output=out)
    args.update(kwargs)
    with pytest.raises(ValueError) as info:
        render_from_jsonl(**args)
    assert message in str(info.value)
    assert not out.exists()


def test_empty_lists():
    with pytest.raises(ValueError, match="render_clip needs at least one ClipSource"):
        render_clip([], "o.mp4")
    with pytest.raises(ValueError, match="render_clips needs at least one Clip"):
        render_clips([])


@pytest.mark.parametrize("call", [
    lambda c, l, o: render_from_jsonl(123, l, 1, 2, o),
    lambda c, l, o: render_from_jsonl(c, l, "1", 2, o),
    lambda c, l, o: render_from_jsonl(c, l, 1, 2, None),
    lambda c, l, o: render_from_jsonl(c, 42, 1, 2, o),
    lambda c, l, o: render_from_jsonl(c, [1, 2], 1, 2, o),
    lambda c, l, o: render_from_jsonl(c, [FrameDetections([("not", "a detection")], 1)],
                                      1, 2, o),
    lambda c, l, o: render_from_jsonl(c, [FrameDetections([Detection((1, 2, 3), "a")], 1)],
                                      1, 2, o),
    lambda c, l, o: render_from_jsonl(c, [FrameDetections([Detection((1, 2, 3, 4), 5)], 1)],
                                      1, 2, o),
    lambda c, l, o: render_from_jsonl(c, [FrameDetections([Detection((1, 2, 3, 4), "a",
                                                                     color=(1, 2, 300))], 1)],
                                      1, 2, o),
    lambda c, l, o: render_from_jsonl(c, l, 1, 2, o, encoder=7),
    lambda c, l, o: render_from_jsonl(c, l, 1, 2, o, title=b"bytes"),
    lambda c, l, o: render_from_jsonl(c, l, 1, 2, o, bogus_option=1),
    lambda c, l, o: render_from_jsonl(c, l, 1, 2, o, audio="yes"),
    lambda c, l, o: render_from_jsonl(c, l, 1, 2, "bad\0path.mp4"),
    lambda c, l, o: render_clip([c], o),
    lambda c, l, o: render_clip("video.mp4", o),
    lambda c, l, o: render_clips([ClipSource(c)]),
])
def test_bad_arguments_raise(car, car_log, out, call):
    with pytest.raises((TypeError, ValueError)):
        call(car, car_log, out)
    assert not out.exists()


def test_c_errors_carry_evclip_message(lib, car, car_log, tmp_path):
    out = tmp_path / "e.mp4"
    with pytest.raises(InputError) as info:
        render_from_jsonl(tmp_path / "missing.mp4", None, 1, 2, out)
    assert "missing.mp4" in str(info.value) and info.value.code == evclip._lib.ERR_INPUT
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"frame_idx": 1, "bbox": [1, 2, 3, 4], "label": "a"}\n'
                   '{"frame_idx": 2, "bbox": [1, 2, 3], "label": "a"}\n')
    with pytest.raises(DetectionsError) as info:
        render_from_jsonl(car, bad, 1, 2, out)
    assert str(info.value).startswith(f"{bad}:2: field 'bbox'")
    assert isinstance(info.value, ValueError)
    with pytest.raises(DetectionsError, match="No such file"):
        render_from_jsonl(car, tmp_path / "nolog.jsonl", 1, 2, out)
    with pytest.raises(DetectionsError, match="No such file"):
        render_from_jsonl(car, tmp_path / "nolog.jsonl", 1, 2, out, label_formatter=str)
    with pytest.raises(WindowError) as info:
        render_from_jsonl(car, None, 40, 45, out)
    assert "30.16" in str(info.value)
    with pytest.raises(OutputError):
        render_from_jsonl(car, None, 1, 2, tmp_path / "nodir" / "o.mp4", mkdirs=False)
    assert not out.exists()
    render_from_jsonl(car, None, 1, 2, out, **FAST)
    render_from_jsonl(car, None, 1, 2, out, **FAST)  # overwrite=True by default
    with pytest.raises(OutputError) as info:
        render_from_jsonl(car, None, 1, 2, out, overwrite=False)
    assert info.value.code == evclip._lib.ERR_EXISTS


def test_log_formats_and_normalized(lib, car, car_log, tmp_path):
    rows = [json.loads(line) for line in car_log.read_text().splitlines() if line.strip()]
    mot = tmp_path / "car.txt"
    mot.write_text("".join(
        "%d,-1,%g,%g,%g,%g,%g\n" % (r["frame_idx"] + 1, r["bbox"][0], r["bbox"][1],
                                    r["bbox"][2] - r["bbox"][0], r["bbox"][3] - r["bbox"][1],
                                    r["score"]) for r in rows))
    native = render_from_jsonl(car, car_log, 4, 6, tmp_path / "n.mp4", return_result=True,
                               **FAST)
    for fmt in (None, "mot"):
        res = render_from_jsonl(car, mot, 4, 6, tmp_path / "m.mp4", detections_format=fmt,
                                return_result=True, **FAST)
        assert res.boxes_drawn == native.boxes_drawn
    grouped, ultra = tmp_path / "grouped.jsonl", tmp_path / "ultra.jsonl"
    by_frame = {}
    for r in rows:
        by_frame.setdefault(r["frame_idx"], []).append(r)
    grouped.write_text("".join(json.dumps({"frame_idx": f, "detections": [
        {"bbox": r["bbox"], "label": r["label"], "score": r["score"]} for r in rs]}) + "\n"
        for f, rs in by_frame.items()))
    ultra.write_text("".join(json.dumps({"frame": r["frame_idx"], "name": r["label"],
                                         "class": 2, "confidence": r["score"],
                                         "box": dict(zip(("x1", "y1", "x2", "y2"),
                                                         r["bbox"]))}) + "\n" for r in rows))
    for log, fmt in ((grouped, None), (grouped, "grouped"), (ultra, None),
                     (ultra, "ultralytics")):
        res = render_from_jsonl(car, log, 4, 6, tmp_path / "m.mp4", detections_format=fmt,
                                return_result=True, **FAST)
        assert res.boxes_drawn == native.boxes_drawn, (log, fmt)
    with pytest.raises(DetectionsError, match=r"car.txt:1: invalid JSON"):
        render_from_jsonl(car, mot, 4, 6, tmp_path / "m.mp4", detections_format="jsonl")
    # With a label_formatter, logs of the C reader's other formats are read back from it.
    labels = []
    for log, fmt in ((mot, "mot"), (ultra, "ultralytics"), (ultra, None)):
        res = render_from_jsonl(car, log, 4, 6, tmp_path / "m.mp4", detections_format=fmt,
                                return_result=True, label_formatter=lambda d: labels.append(
                                    d.label) or f"{d.label}!", **FAST)
        assert res.boxes_drawn == native.boxes_drawn, (log, fmt)
    assert set(labels) == {"obj", "car"}

    norm = tmp_path / "norm.jsonl"
    norm.write_text("".join(json.dumps({
        "frame_idx": r["frame_idx"], "label": r["label"],
        "bbox": [r["bbox"][0] / 768, r["bbox"][1] / 432, r["bbox"][2] / 768,
                 r["bbox"][3] / 432]}) + "\n" for r in rows))
    res = render_from_jsonl(car, norm, 4, 6, tmp_path / "z.mp4", normalized=True,
                            return_result=True, **FAST)
    assert res.ok

    from evclip.render import _prepare

    frames = [FrameDetections([Detection((0.1, 0.1, 0.5, 0.5), "a"),
                               Detection((0.1, 0.1, 0.5, 0.5), "b",
                                         extra={"normalized": True})], frame_idx=50)]
    assert [d.normalized for d, _ in _prepare(frames, None, 0)] == [0, 1]
    assert [d.normalized for d, _ in _prepare(frames, None, 1)] == [1, 1]


def test_speed_cap_rolls_and_open_end(lib, car, car_log, out):
    res = render_from_jsonl(car, car_log, 4, 6, out, playback_speed=2.0, return_result=True,
                            **FAST)
    assert res.duration == pytest.approx(1.0, abs=0.09) and not res.has_audio
    res = render_from_jsonl(car, car_log, 4, 8, out, max_duration_seconds=1.0,
                            return_result=True, **FAST)
    assert res.duration == pytest.approx(1.0, abs=0.09) and res.frames == 50
    res = render_from_jsonl(car, car_log, 4, 8, out, max_duration_seconds=1.0,
                            duration_strategy="framedrop", return_result=True, **FAST)
    assert res.duration == pytest.approx(1.0, abs=0.09) and res.frames < 20
    res = render_from_jsonl(car, car_log, 4, 6, out, pre_roll=1, post_roll=1, hold=0.5,
                            title="Gate 3", timestamp=True, return_result=True, **FAST)
    assert res.duration == pytest.approx(4.0, abs=0.09)
    res = render_clip([ClipSource(car, car_log, 29.0)], out, return_result=True, **FAST)
    assert res.last_time == pytest.approx(30.08, abs=0.01)


def test_render_clips_batch(lib, car, car_log, tmp_path):
    seen = []
    clips = [
        Clip([ClipSource(car, car_log, 4, 5)], tmp_path / "a.mp4"),
        Clip([ClipSource(car, car_log, 4.5, 6)], tmp_path / "b.mp4", playback_speed=2.0,
             label_formatter=lambda d: seen.append(d) or "X", title="second"),
        Clip([ClipSource(car, list(from_jsonl(car_log)), 10, 11)], tmp_path / "c.mp4",
             pre_roll=0.5),
    ]
    paths = render_clips(clips, **FAST)
    assert paths == [tmp_path / "a.mp4", tmp_path / "b.mp4", tmp_path / "c.mp4"]
    assert all(is_mp4(p) for p in paths) and seen
    results = render_clips(clips, return_results=True, jobs=1, **FAST)
    assert [r.frames for r in results] == [13, 18, 19]
    assert results[1].duration == pytest.approx(0.72, abs=0.09)


def test_render_clips_failure_does_not_stop_others(lib, car, car_log, tmp_path):
    clips = [
        Clip([ClipSource(tmp_path / "missing.mp4", None, 0, 1)], tmp_path / "bad.mp4"),
        Clip([ClipSource(car, car_log, 4, 5)], tmp_path / "good.mp4"),
    ]
    with pytest.raises(EvclipError) as info:
        render_clips(clips, **FAST)
    results = info.value.results
    assert "1 of 2 clips failed" in str(info.value) and "missing.mp4" in str(info.value)
    assert not results[0].ok and "missing.mp4" in results[0].error
    assert results[1].ok and is_mp4(tmp_path / "good.mp4")
    assert not (tmp_path / "bad.mp4").exists()


MULTI = textwrap.dedent("""
    import sys, evclip
    car, log, out, audio = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
    res = evclip.render_clip([evclip.ClipSource(car, log, 4, 5), evclip.ClipSource(car, None,
                              10, 11)], out, return_result=True, preset="ultrafast",
                             audio=audio)
    print(res.frames, round(res.duration, 2), res.boxes_drawn)
""")


@pytest.mark.parametrize("audio", [False, True])
def test_multi_source_clip(lib, car, car_log, tmp_path, audio):
    # In a child process, so that a crash in C fails this test, not the whole run.
    out = tmp_path / "multi.mp4"
    proc = subprocess.run([sys.executable, "-c", MULTI, str(car), str(car_log), str(out),
                           "1" if audio else "0"], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ))
    assert proc.returncode >= 0, f"libevclip crashed (signal {-proc.returncode})"
    assert proc.returncode == 0, proc.stderr
    frames, duration, boxes = proc.stdout.split()
    assert int(frames) == 26 and float(duration) == pytest.approx(2.08, abs=0.09)
    assert int(boxes) > 0 and is_mp4(out)


def test_library_log_reaches_python_logging(lib, car, tmp_path, caplog):
    import logging

    with caplog.at_level(logging.DEBUG, logger="evclip"):
        render_from_jsonl(car, None, 1, 2, tmp_path / "log.mp4", **FAST)
    assert any(r.name == "evclip" for r in caplog.records)


def test_encoder_names(lib, car, tmp_path):
    from evclip.render import _encoder_name

    assert _encoder_name(Encoder.NVENC_H264) == b"h264_nvenc"
    assert _encoder_name("nvenc_h265") == b"hevc_nvenc"
    assert _encoder_name(Encoder.LIBX264) == b"libx264" and _encoder_name("h264_qsv") == b"h264_qsv"
    res = render_from_jsonl(car, None, 1, 2, tmp_path / "auto.mp4", encoder=Encoder.AUTO,
                            return_result=True, **FAST)
    assert res.ok and res.encoder
    with pytest.raises(EvclipError) as info:
        render_from_jsonl(car, None, 1, 2, tmp_path / "x.mp4", encoder="no_such_encoder")
    assert "no_such_encoder" in str(info.value)


def test_segments_of_other_sizes(lib, media, car, car_log, tmp_path):
    bottle = media / "bottle-detection.mp4"
    if not bottle.exists():
        pytest.skip("bottle-detection.mp4 missing")
    out = tmp_path / "two.mp4"
    code = ("import sys, evclip\n"
            "r = evclip.render_clip([evclip.ClipSource(sys.argv[1], sys.argv[2], 4, 5),\n"
            "    evclip.ClipSource(sys.argv[3], None, 1, 2)], sys.argv[4], return_result=True,\n"
            "    preset='ultrafast')\n"
            "print(r.width, r.height, r.boxes_drawn)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(car), str(car_log), str(bottle),
                           str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode >= 0, f"libevclip crashed (signal {-proc.returncode})"
    assert proc.returncode == 0, proc.stderr
    width, height, boxes = (int(v) for v in proc.stdout.split())
    assert (width, height) == (768, 432) and boxes > 0 and is_mp4(out)


def test_result_carries_warnings_and_sha256(lib, car, tmp_path):
    log = tmp_path / "epoch.jsonl"
    log.write_text("".join(json.dumps({"ts": 1700000000 + i, "bbox": [1, 1, 9, 9],
                                       "label": "car"}) + "\n" for i in range(5)))
    r = render_from_jsonl(car, str(log), 4, 5, tmp_path / "w.mp4", return_result=True, **FAST)
    assert len(r.sha256) == 64
    assert any("falls in the window [4.000, 5.000) s" in w and "epoch seconds?" in w
               for w in r.warnings), r.warnings
