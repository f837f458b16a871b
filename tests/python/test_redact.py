"""Redaction, styles and interpolation through the Python binding: kwargs reach the library
(manifest record), one setting per call in render_clips, and bad values raise with the
library's message."""

import json
import subprocess

import pytest

from evclip import Clip, ClipSource, render_clip, render_clips

FAST = {"preset": "ultrafast"}


def faces_log(tmp_path):
    log = tmp_path / "faces.jsonl"
    log.write_text("".join(json.dumps({"frame_idx": f, "bbox": [300, 260, 460, 400],
                                       "label": "face", "track_id": 3}) + "\n"
                           for f in range(50, 63)))
    return log


def test_redact_kwargs_reach_the_manifest(lib, car, car_log, tmp_path):
    out = tmp_path / "red.mp4"
    src = ClipSource(car, faces_log(tmp_path), 4.0, 5.0)
    render_clip([src], out, redact=["label=face"], redact_mode="blur", redact_pad=4,
                redact_label="hidden", **FAST)
    rd = json.loads(out.with_name("red.mp4.evidence.json").read_text())["redaction"]
    assert rd["selectors"] == ["label=face"] and rd["mode"] == "blur" and rd["pad"] == 4
    assert rd["label"] == "hidden" and rd["regions"] == 13 and rd["log"] is None
    # a single string is one selector; the redaction log is hashed into the manifest
    out2 = tmp_path / "log.mp4"
    render_clip([ClipSource(car, car_log, 4.0, 5.0)], out2, redact="track=999",
                redact_detections=faces_log(tmp_path), **FAST)
    rd = json.loads(out2.with_name("log.mp4.evidence.json").read_text())["redaction"]
    assert rd["selectors"] == ["track=999"] and len(rd["log"]["sha256"]) == 64
    assert rd["regions"] == 13


def test_render_clips_redaction_per_call(lib, car, tmp_path):
    log = faces_log(tmp_path)
    clips = [Clip([ClipSource(car, log, 4.0, 4.5)], tmp_path / f"c{i}.mp4") for i in range(2)]
    render_clips(clips, redact="all", redact_mode="fill", **FAST)
    for i in range(2):
        rd = json.loads((tmp_path / f"c{i}.mp4.evidence.json").read_text())["redaction"]
        assert rd["mode"] == "fill" and rd["selectors"] == ["all"]


@pytest.mark.parametrize("kwargs, exc, message", [
    ({"redact": "face"}, ValueError, "'face' is not one of"),
    ({"redact": ["label=a", "track=x"]}, ValueError, "selector 2 'track=x'"),
    ({"redact": 7}, TypeError, "redact must be a selector"),
    ({"redact": "all", "redact_mode": "smear"}, ValueError, "redact_mode must be"),
    ({"redact": "all", "redact_pad": -1}, ValueError, "redact_pad"),
    ({"redact": "all", "redact_label": 5}, TypeError, "redact_label must be a str"),
])
def test_bad_redaction_raises(car, tmp_path, kwargs, exc, message):
    with pytest.raises(exc, match=message):
        render_clip([ClipSource(car, None, 4.0, 5.0)], tmp_path / "x.mp4", **kwargs)
    assert not (tmp_path / "x.mp4").exists()


def test_style_dict_and_interpolate(lib, car, tmp_path):
    out = tmp_path / "styled.mp4"
    style = {"labels": {"face": {"color": "teal", "template": "{label} #{track_id}"}},
             "legend": "top-left"}
    render_clip([ClipSource(car, faces_log(tmp_path), 4.0, 5.0)], out, style=style,
                interpolate=0.5, **FAST)
    drawing = json.loads(out.with_name("styled.mp4.evidence.json").read_text())["drawing"]
    assert json.loads(drawing["custom_style"]) == style
    assert drawing["interpolate"] == 0.5


@pytest.mark.parametrize("style, exc, message", [
    ({"labels": {"face": {"template": "{label} {scor}"}}}, ValueError,
     "labels.face.template: unknown field 'scor'"),
    ({"default": {"thickness": float("nan")}}, ValueError, "not JSON-serialisable"),
    ("/nonexistent/style.json", ValueError, "cannot read"),
])
def test_bad_style_raises(car, tmp_path, style, exc, message):
    with pytest.raises(exc, match=message):
        render_clip([ClipSource(car, None, 4.0, 5.0)], tmp_path / "x.mp4", style=style)
    assert not (tmp_path / "x.mp4").exists()


def test_style_extra_keys_from_memory(lib, car, tmp_path):
    """Detections given in memory pass their extra's strings and numbers (numpy scalars too)
    to the store: {extra[plate]} draws what "AB-123" typed in the template draws; values of
    other types and evclip's own keys are left out."""
    import numpy as np
    from evclip import Detection, FrameDetections, render_from_jsonl

    extra = {"plate": "AB-123", "speed": np.float32(42.5), "embedding": np.zeros(8),
             "seen": True, "polygon": None}
    frames = [FrameDetections([Detection((100, 100, 300, 250), "car", extra=dict(extra))],
                              timestamp=4.0 + i * 0.04)
              for i in range(10)]

    def first_frame(template, name):
        out = tmp_path / name
        render_from_jsonl(car, frames, 4.0, 4.4, out, style={"default": {"template": template}},
                          **FAST)
        return subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(out),
                               "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                              capture_output=True, check=True).stdout

    plain = first_frame("{label}", "plain.mp4")
    typed = first_frame("{label} AB-123 42.5", "text.mp4")
    assert typed != plain
    assert first_frame("{label} {extra[plate]} {extra[speed]:.1f}", "extra.mp4") == typed
    assert first_frame("{label} {extra[embedding]}{extra[seen]}", "other.mp4") == plain
