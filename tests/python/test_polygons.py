"""test_polygons.py: polygons from the Python side: a duck-typed Ultralytics OBB Results and a
supervision Detections with data["xyxyxyxy"] rendered as rotated outlines (read back with
`evclip inspect`), extra["polygon"] checked, and a native JSONL "polygon" read by from_jsonl."""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from evclip import ClipSource, Detection, FrameDetections, render_clip
from evclip.adapters import from_jsonl, from_supervision, from_yolo_results

FAST = {"preset": "ultrafast", "manifest": False}
DIAMOND = [[200.0, 100.0], [300.0, 200.0], [200.0, 300.0], [100.0, 200.0]]


class OBB:
    """ultralytics OBB: xyxyxyxy (rotated corners), xyxy (their bounds), conf, cls, id."""

    def __init__(self, corners, conf, cls):
        self.xyxyxyxy = np.asarray(corners, dtype=np.float32)
        self.xyxy = np.concatenate([self.xyxyxyxy.min(axis=1), self.xyxyxyxy.max(axis=1)],
                                   axis=1)
        self.conf = np.asarray(conf, dtype=np.float32)
        self.cls = np.asarray(cls, dtype=np.float32)
        self.id = None


class Results:
    """An OBB model's Results: boxes None, obb set."""

    def __init__(self, obb):
        self.boxes, self.obb, self.names = None, obb, {0: "ship"}


class SvDetections:
    """supervision.Detections as from_ultralytics gives it for an OBB model."""

    def __init__(self, xyxy, corners):
        self.xyxy = np.asarray(xyxy, dtype=np.float32)
        self.confidence = self.class_id = self.tracker_id = None
        self.data = {"xyxyxyxy": np.asarray(corners, dtype=np.float32),
                     "class_name": np.array(["boat"])}

    def __len__(self):
        return len(self.xyxy)


def inspect(clip):
    """The detections of the first frame with data, from `evclip inspect`."""
    exe = os.environ.get("EVCLIP_BIN")
    if not exe or not Path(exe).exists():
        pytest.skip("EVCLIP_BIN (the built CLI) not set")
    out = subprocess.run([exe, "inspect", "--only-data", str(clip)], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.splitlines()[0])["detections"]


def test_obb_results_render_as_rotated_outlines(lib, car, tmp_path):
    fd = from_yolo_results(Results(OBB([DIAMOND], [0.8], [0])), frame_idx=0)
    assert fd.detections[0].extra == {"polygon": DIAMOND}
    out = render_clip([ClipSource(car, [fd], 0, 0.2)], tmp_path / "obb.mp4", **FAST)
    (d,) = inspect(out)
    assert d["label"] == "ship" and d["polygon"] == DIAMOND
    assert d["box"] == [100, 100, 300, 300]  # the box is the polygon's bounding box


def test_supervision_xyxyxyxy_renders_as_a_polygon(lib, car, tmp_path):
    fd = from_supervision(SvDetections([[100, 100, 300, 300]], [DIAMOND]), frame_idx=0)
    out = render_clip([ClipSource(car, [fd], 0, 0.2)], tmp_path / "sv.mp4", **FAST)
    (d,) = inspect(out)
    assert d["label"] == "boat" and d["polygon"] == DIAMOND


@pytest.mark.parametrize("poly", [[[1, 2], [3, 4]], "1 2 3", [[1, 2], [3, "x"], [5, 6]],
                                  [[1, 2], [3, float("nan")], [5, 6]], {"a": 1}])
def test_bad_polygon_is_a_value_error(lib, car, tmp_path, poly):
    d = Detection(bbox=(1, 2, 3, 4), label="a", extra={"polygon": poly})
    with pytest.raises(ValueError, match=r'frame 0 detection 0: extra\["polygon"\] must be 3'):
        render_clip([ClipSource(car, [FrameDetections([d], 0)], 0, 0.2)],
                    tmp_path / "bad.mp4", **FAST)
    assert not (tmp_path / "bad.mp4").exists()


def test_from_jsonl_reads_the_polygon_key(lib, car, tmp_path):
    log = tmp_path / "poly.jsonl"
    log.write_text(json.dumps({"frame_idx": 0, "label": "ship", "polygon": DIAMOND}) + "\n")
    (fd,) = from_jsonl(log)
    (d,) = fd.detections
    assert d.bbox == (100, 100, 300, 300) and d.extra == {"polygon": DIAMOND}
    out = render_clip([ClipSource(car, [fd], 0, 0.2)], tmp_path / "j.mp4", **FAST)
    assert inspect(out)[0]["polygon"] == DIAMOND


def test_draw_detections_draws_the_polygon(lib):
    """evclip.overlay.draw_detections: extra["polygon"] drawn as in clips (outline on the
    polygon's edges, nothing at its bounding box's corners); a bad one is a ValueError."""
    from evclip.overlay import draw_detections

    frame = np.zeros((400, 400, 3), dtype=np.uint8)
    d = Detection(bbox=(0, 0, 1, 1), label="ship", color=(0, 0, 255),
                  extra={"polygon": DIAMOND})
    assert draw_detections(frame, [d]) == 1
    assert tuple(frame[150, 250]) == (0, 0, 255) and tuple(frame[250, 150]) == (0, 0, 255)
    assert not frame[102, 102].any() and not frame[297, 297].any()  # box corners
    assert not frame[200, 200].any()
    before = frame.copy()
    with pytest.raises(ValueError, match=r'detections\[1\]: extra\["polygon"\] must be 3'):
        draw_detections(frame, [d, Detection((0, 0, 1, 1), "a", extra={"polygon": [[1, 2]]})])
    assert (frame == before).all()  # untouched
