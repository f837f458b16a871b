"""Adapters, with fake objects built to the exact attribute shapes of the libraries:

- supervision.Detections as of supervision 0.18-0.25: a dataclass with xyxy (N x 4 float
  ndarray), mask, confidence, class_id, tracker_id (each an N ndarray or None) and data (dict of
  N ndarrays; "class_name" set by from_ultralytics and friends).
- ultralytics Results as of ultralytics 8.0-8.3: .boxes (Boxes with .xyxy, .conf, .cls, .id
  torch tensors; .id is None unless tracking) and .names (dict class id -> name). Tensors are
  faked with the part of torch.Tensor the adapter uses: .cpu(), .numpy(), .tolist().
"""

import json

import numpy as np
import pytest

from evclip import (Detection, FrameDetections, from_jsonl, from_supervision,
                    from_yolo_results)


class FakeSvDetections:
    def __init__(self, xyxy, confidence=None, class_id=None, tracker_id=None, data=None):
        self.xyxy = xyxy
        self.mask = None
        self.confidence = confidence
        self.class_id = class_id
        self.tracker_id = tracker_id
        self.data = data if data is not None else {}

    def __len__(self):
        return len(self.xyxy)


class FakeTensor:
    """torch.Tensor stand-in (on a 'GPU': numpy() only after cpu())."""

    def __init__(self, array, on_cpu=False):
        self.array = np.asarray(array)
        self.on_cpu = on_cpu

    def cpu(self):
        return FakeTensor(self.array, on_cpu=True)

    def numpy(self):
        assert self.on_cpu, "call .cpu() before .numpy()"
        return self.array

    def tolist(self):
        return self.array.tolist()


class FakeBoxes:
    def __init__(self, xyxy, conf, cls, ids=None):
        self.xyxy, self.conf, self.cls, self.id = xyxy, conf, cls, ids


class FakeResults:
    def __init__(self, boxes, names):
        self.boxes = boxes
        self.names = names

    def __len__(self):
        return 0 if self.boxes is None else len(self.boxes.xyxy)


NAMES = {0: "person", 2: "car", 7: "truck"}


# ---- supervision ---------------------------------------------------------------------------

def test_supervision_full():
    det = FakeSvDetections(
        xyxy=np.array([[1, 2, 3, 4], [5.5, 6, 7, 8]], dtype=np.float32),
        confidence=np.array([0.9, 0.25], dtype=np.float32),
        class_id=np.array([0, 2]),
        tracker_id=np.array([10, 11]),
        data={"class_name": np.array(["person", "car"])},
    )
    fd = from_supervision(det, frame_idx=5)
    assert isinstance(fd, FrameDetections)
    assert fd.frame_idx == 5 and fd.timestamp is None
    assert [d.label for d in fd.detections] == ["person", "car"]
    assert fd.detections[1].bbox == (5.5, 6.0, 7.0, 8.0)
    assert fd.detections[0].score == pytest.approx(0.9)
    assert [d.track_id for d in fd.detections] == [10, 11]
    assert all(type(d.track_id) is int and type(d.score) is float for d in fd.detections)


def test_supervision_label_fallbacks():
    xyxy = np.array([[1, 2, 3, 4]], dtype=float)
    fd = from_supervision(FakeSvDetections(xyxy, class_id=np.array([7])), timestamp=1.5)
    assert fd.timestamp == 1.5 and fd.detections[0].label == "class_7"
    assert fd.detections[0].score is None and fd.detections[0].track_id is None
    fd = from_supervision(FakeSvDetections(xyxy), frame_idx=0)
    assert fd.detections[0].label == "obj"


def test_supervision_empty_and_errors():
    fd = from_supervision(FakeSvDetections(np.empty((0, 4))), frame_idx=3)
    assert fd.detections == []
    with pytest.raises(ValueError, match="from_supervision needs either frame_idx or timestamp"):
        from_supervision(FakeSvDetections(np.empty((0, 4))))
    with pytest.raises(ValueError, match="N x 4"):
        from_supervision(FakeSvDetections(np.zeros((2, 3))), frame_idx=0)
    with pytest.raises(ValueError, match="confidence has 1 entries, expected 2"):
        from_supervision(FakeSvDetections(np.zeros((2, 4)), confidence=np.array([1.0])),
                         frame_idx=0)


# ---- ultralytics ---------------------------------------------------------------------------

def make_results(kind="tensor", tracking=True):
    xyxy = [[10, 20, 30, 40], [50, 60, 70.5, 80]]
    conf = [0.8, 0.4]
    cls = [2.0, 7.0]  # ultralytics keeps classes as floats
    ids = [3.0, 4.0] if tracking else None
    if kind == "tensor":
        wrap = FakeTensor
    elif kind == "numpy":
        wrap = np.array
    else:
        wrap = list
    boxes = FakeBoxes(wrap(xyxy), wrap(conf), wrap(cls), wrap(ids) if ids else None)
    return FakeResults(boxes, NAMES)


@pytest.mark.parametrize("kind", ["tensor", "numpy", "list"])
def test_yolo_value_kinds(kind):
    fd = from_yolo_results(make_results(kind), frame_idx=12)
    assert fd.frame_idx == 12
    assert [d.label for d in fd.detections] == ["car", "truck"]
    assert fd.detections[1].bbox == (50.0, 60.0, 70.5, 80.0)
    assert fd.detections[0].score == pytest.approx(0.8)
    assert [d.track_id for d in fd.detections] == [3, 4]


def test_yolo_not_tracking_and_unknown_class():
    res = make_results("numpy", tracking=False)
    res.names = {2: "car"}
    fd = from_yolo_results(res, timestamp=0.5)
    assert fd.timestamp == 0.5
    assert [d.track_id for d in fd.detections] == [None, None]
    assert [d.label for d in fd.detections] == ["car", "class_7"]


def test_yolo_no_boxes():
    # boxes=None (a classification model) is not "no detections": TypeError (test_compat.py).
    with pytest.raises(TypeError, match="boxes=None"):
        from_yolo_results(FakeResults(None, NAMES), frame_idx=0)
    empty = FakeResults(FakeBoxes(FakeTensor(np.empty((0, 4))), FakeTensor([]), FakeTensor([])),
                        NAMES)
    assert from_yolo_results(empty, frame_idx=1).detections == []


def test_yolo_list_of_results():
    frames = from_yolo_results([make_results(), make_results("list", tracking=False)],
                               frame_idx=100)
    assert [f.frame_idx for f in frames] == [100, 101]
    assert frames[1].detections[0].track_id is None
    frames = from_yolo_results([make_results(), make_results()], timestamp=[1.0, 1.04])
    assert [f.timestamp for f in frames] == [1.0, 1.04]
    assert from_yolo_results([make_results()], timestamp=2.0)[0].timestamp == 2.0


def test_yolo_errors():
    with pytest.raises(ValueError, match="from_yolo_results needs either frame_idx or timestamp"):
        from_yolo_results(make_results())
    with pytest.raises(ValueError, match="list of timestamps"):
        from_yolo_results([make_results(), make_results()], timestamp=1.0)
    with pytest.raises(ValueError, match="1 timestamps for 2 Results"):
        from_yolo_results([make_results(), make_results()], timestamp=[1.0])


# ---- types ---------------------------------------------------------------------------------

def test_types_defaults_and_validation():
    a, b = Detection((1, 2, 3, 4), "a"), Detection((1, 2, 3, 4), "b")
    assert a.score is None and a.track_id is None and a.color is None and a.extra == {}
    a.extra["k"] = 1
    assert b.extra == {}
    with pytest.raises(ValueError, match="FrameDetections needs either frame_idx or timestamp"):
        FrameDetections([a])
    assert FrameDetections([a], timestamp=0.0).timestamp == 0.0

    from evclip import Clip, ClipSource

    with pytest.raises(ValueError, match="from_seconds must be >= 0, got -1"):
        ClipSource("v.mp4", None, -1, 2)
    with pytest.raises(ValueError, match=r"to_seconds must be > from_seconds; got from=3, to=2"):
        ClipSource("v.mp4", None, 3, 2)
    src = ClipSource("v.mp4")
    assert src.detections is None and src.from_seconds == 0.0 and src.to_seconds is None
    clip = Clip([src], "out.mp4")
    assert (clip.playback_speed, clip.label_formatter, clip.max_duration_seconds,
            clip.duration_strategy) == (1.0, None, None, "timelapse")


# ---- JSONL ---------------------------------------------------------------------------------

def test_from_jsonl_groups_consecutive_keys(tmp_path):
    log = tmp_path / "d.jsonl"
    lines = [
        {"frame_idx": 1, "ts": 0.04, "bbox": [1, 2, 3, 4], "label": "car", "score": 0.5,
         "track_id": 7, "color": [0, 0, 255], "extra": {"k": 1}},
        {"frame_idx": 1, "ts": 0.04, "bbox": [5, 6, 7, 8], "label": "bus"},
        {"ts": 0.5, "bbox": [1, 1, 2, 2], "label": "p"},
        {"frame_idx": 9, "detections": [{"bbox": [0, 0, 1, 1], "label": "g"}]},
    ]
    log.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    frames = list(from_jsonl(log))
    assert [(f.frame_idx, f.timestamp, len(f.detections)) for f in frames] == [
        (1, 0.04, 2), (None, 0.5, 1), (9, None, 1)]
    d = frames[0].detections[0]
    assert d.color == (0, 0, 255) and d.track_id == 7 and d.extra == {"k": 1}
    assert frames[2].detections[0].label == "g"


@pytest.mark.parametrize("line,message", [
    ("{", "invalid JSON"),
    ("[1]", "expected a JSON object, got list"),
    ('{"frame_idx": 1, "label": "a"}', "'bbox' must be a list of 4 numbers"),
    ('{"frame_idx": 1, "bbox": [1, 2, 3, "4"], "label": "a"}', "'bbox' values must be numeric"),
    ('{"frame_idx": 1, "bbox": [1, 2, 3, 4]}', "'label' must be a non-empty string"),
    ('{"bbox": [1, 2, 3, 4], "label": "a"}', "needs 'frame_idx' or 'ts'"),
    ('{"frame_idx": 1.5, "bbox": [1, 2, 3, 4], "label": "a"}', "'frame_idx' must be int"),
    ('{"frame_idx": 1, "bbox": [1, 2, 3, 4], "label": "a", "color": [1]}', "'color' must be"),
    ('{"frame_idx": 1, "detections": [{"bbox": [1, 2], "label": "a"}]}', "detections[0]"),
])
def test_from_jsonl_errors(tmp_path, line, message):
    log = tmp_path / "bad.jsonl"
    log.write_text('{"frame_idx": 0, "bbox": [1, 2, 3, 4], "label": "ok"}\n' + line + "\n")
    with pytest.raises(ValueError) as info:
        list(from_jsonl(log))
    assert str(info.value).startswith(f"{log}:2 ")
    assert message in str(info.value)
