"""cv-evidence-renderer's documented public API as the contract of evclip's drop-in functions:
names, signatures, defaults, return types, exception types, and what its users rely on
(wrong adapter inputs raise TypeError, windows past the end are rendered to the end, output
folders are created, FileNotFoundError / ValueError for missing files and unknown encoders,
a quiet Encoder.AUTO). Fakes are duck typed to supervision 0.27 Detections and Ultralytics 8.4
Results (Boxes, OBB), including the wrong objects users pass by mistake.
"""

import errno
import inspect
import logging
from pathlib import Path

import numpy as np
import pytest

import evclip
from evclip import (Clip, ClipSource, DetectionsError, Encoder, FrameDetections, InputError,
                    WindowError, from_supervision, from_yolo_results, render_clip,
                    render_clips, render_from_jsonl)

FAST = {"preset": "ultrafast", "manifest": False}


class SvDetections:
    """supervision.Detections 0.27: xyxy, mask, confidence, class_id, tracker_id, data."""

    def __init__(self, xyxy, confidence=None, class_id=None, tracker_id=None, data=None):
        self.xyxy = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4)
        self.mask = None
        self.confidence = confidence
        self.class_id = class_id
        self.tracker_id = tracker_id
        self.data = data or {}

    def __len__(self):
        return len(self.xyxy)


class Boxes:
    """ultralytics.engine.results.Boxes: xyxy, conf, cls, id (None unless tracking)."""

    def __init__(self, xyxy, conf, cls, ids=None):
        self.xyxy = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4)
        self.conf = np.asarray(conf, dtype=np.float32)
        self.cls = np.asarray(cls, dtype=np.float32)
        self.id = None if ids is None else np.asarray(ids, dtype=np.float32)


class OBB:
    """ultralytics OBB: xywhr, xyxyxyxy (rotated corners) and xyxy (their axis-aligned bounds)."""

    def __init__(self, corners, conf, cls):
        self.xyxyxyxy = np.asarray(corners, dtype=np.float32)
        self.xyxy = np.concatenate([self.xyxyxyxy.min(axis=1), self.xyxyxyxy.max(axis=1)], axis=1)
        self.conf = np.asarray(conf, dtype=np.float32)
        self.cls = np.asarray(cls, dtype=np.float32)
        self.id = None


class Results:
    """ultralytics.engine.results.Results: boxes (None for classify and OBB models), obb,
    probs, names."""

    def __init__(self, boxes=None, obb=None, names=None, probs=None):
        self.boxes, self.obb, self.probs = boxes, obb, probs
        self.names = names if names is not None else {0: "person", 2: "car"}


def one_car():
    return Results(Boxes([[10, 20, 110, 90]], [0.9], [2], [7]))


# ---- API surface ---------------------------------------------------------------------------

def test_signatures_and_defaults():
    def params(fn):
        return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()
                if p.kind is not p.VAR_KEYWORD and p.kind is not p.KEYWORD_ONLY]

    empty = inspect.Parameter.empty
    assert params(render_from_jsonl) == [
        ("video", empty), ("detections_jsonl", empty), ("event_start", empty),
        ("event_end", empty), ("output", empty), ("encoder", Encoder.LIBX264),
        ("playback_speed", 1.0), ("label_formatter", None), ("max_duration_seconds", None),
        ("duration_strategy", "timelapse")]
    assert params(render_clip) == [
        ("sources", empty), ("output", empty), ("encoder", Encoder.LIBX264),
        ("playback_speed", 1.0), ("label_formatter", None), ("max_duration_seconds", None),
        ("duration_strategy", "timelapse")]
    assert params(render_clips) == [("clips", empty), ("encoder", Encoder.LIBX264)]
    assert params(from_supervision)[1:] == [("frame_idx", None), ("timestamp", None)]
    assert params(from_yolo_results)[1:] == [("frame_idx", None), ("timestamp", None)]
    assert {e.name: e.value for e in Encoder} == {
        "NVENC_H264": "nvenc_h264", "NVENC_H265": "nvenc_h265", "LIBX264": "libx264",
        "LIBX265": "libx265", "AUTO": "auto"}
    assert ClipSource("v.mp4").to_seconds is None and Clip([], "o.mp4").playback_speed == 1.0


# ---- Adapters: wrong types raise, empty stays empty ----------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("foo", "got str"),
    (None, "got None"),
    ({"xyxy": [[1, 2, 3, 4]]}, "got dict"),
    (one_car(), "got an Ultralytics Results (use from_yolo_results"),
    ([[1, 2, 3, 4]], "got list"),
])
def test_from_supervision_wrong_types(value, expected):
    with pytest.raises(TypeError) as info:
        from_supervision(value, frame_idx=0)
    assert "from_supervision expects a supervision.Detections" in str(info.value)
    assert expected in str(info.value)


def test_from_supervision_obb_corners_are_kept():
    corners = np.array([[[50, 10], [90, 50], [50, 90], [10, 50]]], np.float32)
    det = SvDetections([[10, 10, 90, 90]], data={"xyxyxyxy": corners,
                                                "class_name": np.array(["ship"])})
    (d,) = from_supervision(det, frame_idx=0).detections
    assert d.bbox == (10, 10, 90, 90) and d.label == "ship"
    assert d.extra == {"polygon": [[50, 10], [90, 50], [50, 90], [10, 50]]}


def test_from_supervision_empty_is_empty():
    fd = from_supervision(SvDetections(np.empty((0, 4))), frame_idx=3)
    assert fd == FrameDetections([], 3)


def _stream():
    yield one_car()


@pytest.mark.parametrize("value, expected", [
    (None, "got None"),
    ("foo", "got str"),
    (one_car().boxes, "got Boxes (this looks like Results.boxes"),
    (SvDetections([[1, 2, 3, 4]]), "or use from_supervision"),
    (_stream(), "got generator (a generator, as model(..., stream=True) returns"),
    (Results(boxes=None, probs=[0.1, 0.9]), "got a Results with boxes=None"),
    ([one_car(), None], "got results[1] = None"),
])
def test_from_yolo_results_wrong_types(value, expected):
    with pytest.raises(TypeError) as info:
        from_yolo_results(value, frame_idx=0)
    assert expected in str(info.value)


def test_from_yolo_results_empty_is_empty():
    empty = Results(Boxes(np.empty((0, 4)), [], []))
    assert from_yolo_results(empty, frame_idx=1) == FrameDetections([], 1)
    assert from_yolo_results([empty, one_car()], frame_idx=1)[1].detections[0].label == "car"


def test_from_yolo_results_obb_gives_the_axis_aligned_box():
    corners = [[[50, 10], [90, 50], [50, 90], [10, 50]]]   # a square turned 45 degrees
    fd = from_yolo_results(Results(boxes=None, obb=OBB(corners, [0.8], [0])), frame_idx=2)
    (d,) = fd.detections
    assert d.bbox == (10, 10, 90, 90) and d.label == "person" and d.score == pytest.approx(0.8)
    assert d.extra == {"polygon": [[50, 10], [90, 50], [50, 90], [10, 50]]}


# ---- Drop-in rendering behaviours ----------------------------------------------------------

def test_window_past_the_end_is_clamped_with_one_log_line(lib, car, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="evclip")
    res = render_from_jsonl(car, None, 29.5, 40, tmp_path / "end.mp4", return_result=True,
                            **FAST)
    assert res.ok and res.duration == pytest.approx(30.16 - 29.5, abs=0.09)
    lines = [r.getMessage() for r in caplog.records if "clamped to the video end" in
             r.getMessage()]
    assert lines == [f"'{car}': window end 40.000 s clamped to the video end 30.160 s"]
    # Strict on request, for each drop-in function.
    with pytest.raises(WindowError, match="ends after the end"):
        render_from_jsonl(car, None, 29.5, 40, tmp_path / "s.mp4", clamp=False, **FAST)
    with pytest.raises(WindowError):
        render_clip([ClipSource(car, None, 29.5, 40)], tmp_path / "s.mp4", clamp=False)
    assert render_clips([Clip([ClipSource(car, None, 29.8, 31)], tmp_path / "c.mp4")],
                        **FAST) == [tmp_path / "c.mp4"]
    assert not (tmp_path / "s.mp4").exists()


def test_output_folders_are_created(lib, car, tmp_path):
    out = tmp_path / "new" / "deeper" / "o.mp4"
    assert render_clip([ClipSource(car, None, 4, 4.5)], out, **FAST) == out and out.is_file()


def test_missing_video_is_a_file_not_found_error(lib, car, tmp_path):
    missing = tmp_path / "missing.mp4"
    for call in (lambda: render_from_jsonl(missing, None, 1, 2, tmp_path / "o.mp4"),
                 lambda: render_clip([ClipSource(missing)], tmp_path / "o.mp4"),
                 lambda: render_clips([Clip([ClipSource(missing, None, 1, 2)],
                                            tmp_path / "o.mp4")])):
        with pytest.raises(FileNotFoundError) as info:
            call()
        err = info.value
        assert isinstance(err, InputError) and err.errno == errno.ENOENT
        assert err.filename == str(missing) and str(missing) in str(err)
    assert not (tmp_path / "o.mp4").exists()


def test_missing_log_is_a_file_not_found_error(lib, car, tmp_path):
    log = tmp_path / "nolog.jsonl"
    for formatter in (None, str):
        with pytest.raises(FileNotFoundError) as info:
            render_from_jsonl(car, log, 1, 2, tmp_path / "o.mp4", label_formatter=formatter)
        assert isinstance(info.value, DetectionsError) and info.value.filename == str(log)
        assert str(info.value) == f"detection log '{log}' does not exist: No such file or " \
                                  "directory"


def test_unknown_encoder_is_a_value_error(lib, car, tmp_path):
    with pytest.raises(ValueError, match="encoder 'no_such_encoder' is not in this FFmpeg"):
        render_from_jsonl(car, None, 1, 2, tmp_path / "o.mp4", encoder="no_such_encoder")
    assert isinstance(evclip.EncoderError(-9, "x"), evclip.EvclipError)


def test_auto_encoder_probes_quietly(lib, car, tmp_path, caplog, capfd):
    caplog.set_level(logging.INFO, logger="evclip")
    res = render_from_jsonl(car, None, 1, 1.5, tmp_path / "auto.mp4", encoder=Encoder.AUTO,
                            return_result=True, **FAST)
    err = capfd.readouterr().err
    assert res.ok
    assert "h264_nvenc" not in err and "h264_qsv" not in err and "h264_vaapi" not in err, err
    fallback = [r for r in caplog.records if "encoder auto" in r.getMessage()
                and r.levelno >= logging.INFO]
    if res.encoder != "libx264":
        pytest.skip(f"a hardware encoder ({res.encoder}) opened here: no fallback to test")
    assert [r.getMessage() for r in fallback] == [
        "encoder auto: no hardware H.264 encoder available; using libx264"]


def test_a_render_prints_no_encoder_statistics(lib, car, tmp_path, capfd):
    """libx264's dozen INFO lines per encode (settings, frame statistics) do not reach the
    host's stderr: the library keeps its warnings and errors only."""
    render_from_jsonl(car, None, 1, 1.5, tmp_path / "quiet.mp4", **FAST)
    err = capfd.readouterr().err
    assert "kb/s" not in err and "Avg QP" not in err and "using cpu capabilities" not in err, err


def _inspect(clip):
    import os
    import subprocess

    if "EVCLIP_BIN" not in os.environ:
        pytest.skip("EVCLIP_BIN not set (run through meson test)")
    out = subprocess.run([os.environ["EVCLIP_BIN"], "inspect", str(clip)], capture_output=True,
                         text=True, check=True).stdout
    import json

    return [json.loads(line)["detections"] for line in out.splitlines()]


def test_label_formatter_changes_only_the_chip(lib, car, car_log, tmp_path):
    """The SEI (evclip inspect) and the manifest keep the structured label, score and track
    id; only the drawn chip text comes from the formatter."""
    import json

    frames = list(evclip.from_jsonl(car_log))
    for fd in frames:   # track ids, to see them kept
        for d in fd.detections:
            d.track_id = 7
    seen = []

    def shout(d):
        seen.append((d.label, d.track_id))
        return f"{d.label.upper()}!"

    plain = render_from_jsonl(car, frames, 4, 5, tmp_path / "plain.mp4", return_result=True,
                              preset="ultrafast")
    fmt = render_from_jsonl(car, frames, 4, 5, tmp_path / "fmt.mp4", return_result=True,
                            preset="ultrafast", label_formatter=shout)
    assert seen and set(seen) == {("car", 7)}
    assert fmt.boxes_drawn == plain.boxes_drawn > 0
    assert fmt.sha256 != plain.sha256          # other chip pixels
    sei = _inspect(tmp_path / "fmt.mp4")
    assert sei == _inspect(tmp_path / "plain.mp4")
    boxes = [d for frame in sei for d in frame]
    assert boxes and all(d["label"] == "car" and d["track_id"] == 7 and "score" in d
                         for d in boxes)

    def canonical(clip):
        manifest = json.loads((tmp_path / f"{clip}.mp4.evidence.json").read_text())
        return manifest["sources"][0]["detections"]

    assert canonical("fmt") == canonical("plain")


def test_a_missing_video_fails_only_its_clip(lib, car, tmp_path):
    good, bad = tmp_path / "good.mp4", tmp_path / "bad.mp4"
    with pytest.raises(evclip.VideoNotFoundError) as info:
        render_clips([Clip([ClipSource(tmp_path / "nope.mp4", None, 1, 2)], bad),
                      Clip([ClipSource(car, None, 1, 1.5)], good)], **FAST)
    assert isinstance(info.value, FileNotFoundError) and "1 of 2 clips failed" in str(info.value)
    assert [r.ok for r in info.value.results] == [False, True]
    assert good.is_file() and not bad.exists()
