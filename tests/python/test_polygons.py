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


class SvMasks:
    """supervision.Detections of a segmentation model: boxes and N x H x W boolean masks."""

    def __init__(self, xyxy, masks):
        self.xyxy = np.asarray(xyxy, dtype=np.float32)
        self.mask = np.asarray(masks, dtype=bool)
        self.confidence = self.class_id = self.tracker_id = None
        self.data = {"class_name": np.array(["blob"] * len(xyxy))}

    def __len__(self):
        return len(self.xyxy)


def disc(h, w, cx, cy, r):
    yy, xx = np.mgrid[:h, :w]
    return (yy - cy) ** 2 + (xx - cx) ** 2 < r * r


def shoelace(poly):
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1])))


def test_mask_polygon_exact_outlines():
    from evclip.contours import mask_polygon

    m = np.zeros((4, 5), dtype=bool)
    m[2, 3] = True  # one pixel: its four corners, clockwise from the top-left
    assert mask_polygon(m) == [[3, 2], [4, 2], [4, 3], [3, 3]]
    m = np.zeros((10, 14), dtype=bool)
    m[0:8, 0:4] = m[4:8, 4:12] = True  # an L: every corner kept
    assert mask_polygon(m) == [[0, 0], [4, 0], [4, 4], [12, 4], [12, 8], [0, 8]]
    m[9, 13] = True  # a second component, after the first in raster order: not outlined
    assert mask_polygon(m) == [[0, 0], [4, 0], [4, 4], [12, 4], [12, 8], [0, 8]]
    assert mask_polygon(np.zeros((3, 3), dtype=bool)) is None
    with pytest.raises(ValueError, match="2-D"):
        mask_polygon(np.zeros((2, 2, 2), dtype=bool))


def test_supervision_mask_becomes_its_outer_contour(lib, car, tmp_path):
    """A segmentation mask's outline (simplified within half a pixel) is the polygon: its
    bounds are the mask's, its area the mask's within 3 %; the clip's SEI carries it and
    draw_detections draws the outline, not the box."""
    from evclip.overlay import draw_detections

    m = disc(240, 320, 160, 120, 60)
    empty = np.zeros_like(m)
    fd = from_supervision(SvMasks([[100, 60, 220, 180], [5, 5, 50, 50]], [m, empty]),
                          frame_idx=0)
    poly = fd.detections[0].extra["polygon"]
    assert 3 <= len(poly) <= 256
    xs, ys = [p[0] for p in poly], [p[1] for p in poly]
    cols, rows = np.flatnonzero(m.any(axis=0)), np.flatnonzero(m.any(axis=1))
    assert (min(xs), max(xs), min(ys), max(ys)) == (cols[0], cols[-1] + 1, rows[0], rows[-1] + 1)
    assert abs(shoelace(poly) / 2 - m.sum()) < 0.03 * m.sum()
    assert fd.detections[1].extra == {}  # an empty mask keeps the plain box
    assert "polygon" not in from_supervision(SvMasks([[100, 60, 220, 180]], [m]), frame_idx=0,
                                             mask_contours=False).detections[0].extra
    out = render_clip([ClipSource(car, [fd], 0, 0.2)], tmp_path / "mask.mp4", **FAST)
    assert inspect(out)[0]["polygon"] == poly
    frame = np.zeros((240, 320, 3), dtype=np.uint8)
    fd.detections[0].color = (0, 0, 255)
    draw_detections(frame, fd.detections[:1])
    assert tuple(frame[61, 160]) == (0, 0, 255)  # the disc's top edge
    assert not frame[62, 102].any()  # the bounding box's corner: no box drawn


def test_supervision_mask_errors(lib):
    m = disc(50, 50, 25, 25, 10)
    with pytest.raises(ValueError, match="2 masks, expected 1"):
        from_supervision(SvMasks([[15, 15, 35, 35]], [m, m]), frame_idx=0)
    with pytest.raises(TypeError, match="mask_contours must be a bool"):
        from_supervision(SvMasks([[15, 15, 35, 35]], [m]), frame_idx=0, mask_contours="yes")
