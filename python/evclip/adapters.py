"""Adapters from detector outputs and logs to FrameDetections (duck typed: supervision,
ultralytics and torch are never imported).

- from_supervision: supervision.Detections (0.18+ shape: xyxy N x 4, confidence, class_id,
  tracker_id each N-array or None, data dict with optional "class_name").
- from_yolo_results: ultralytics Results (8.x shape: boxes.xyxy, boxes.conf, boxes.cls,
  boxes.id (None when not tracking), names dict id -> name), or a list of them.
- from_jsonl: the native JSONL log (one detection per line), per-frame grouped JSONL and
  `evclip inspect` output and Ultralytics rows (those two through the C reader, as read_log
  reads every format).
"""

from __future__ import annotations

import ctypes
import json
import os
from pathlib import Path
from typing import Any, Iterator, List, Optional, Sequence, Union

from evclip.contours import mask_polygon
from evclip.types import Detection, FrameDetections, to_list


def _keys_required(name: str, frame_idx: Any, timestamp: Any) -> None:
    if frame_idx is None and timestamp is None:
        raise ValueError(f"{name} needs either frame_idx or timestamp")


def _column(values: Any, n: int, what: str) -> Optional[list]:
    out = to_list(values)
    if out is None:
        return None
    if len(out) != n:
        raise ValueError(f"{what} has {len(out)} entries, expected {n} (one per box)")
    return out


def _boxes(xyxy: Any, what: str) -> list:
    rows = to_list(xyxy)
    if rows is None:
        return []
    for row in rows:
        if not isinstance(row, (list, tuple)) or len(row) != 4:
            raise ValueError(f"{what} must be N x 4 (x1, y1, x2, y2), got a row {row!r}")
    return [tuple(float(v) for v in row) for row in rows]


def _type_name(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def _check_supervision(detections: Any) -> None:
    """TypeError unless `detections` looks like a supervision.Detections (an .xyxy array):
    the wrong object is never read as "no detections" (that would lose evidence)."""
    if hasattr(detections, "boxes") and hasattr(detections, "names"):
        raise TypeError("from_supervision expects a supervision.Detections, got an Ultralytics "
                        f"{_type_name(detections)} (use from_yolo_results, or "
                        "sv.Detections.from_ultralytics first)")
    if isinstance(detections, (str, bytes, dict)) or not hasattr(detections, "xyxy"):
        raise TypeError("from_supervision expects a supervision.Detections (an object with "
                        f".xyxy, N x 4), got {_type_name(detections)}")



def _detection(bbox, label: str, conf, ids, corners, i: int) -> Detection:
    """The i-th row of an adapter's arrays as a Detection (score, track id and an oriented
    box's corners as extra["polygon"] when the arrays have them)."""
    return Detection(
        bbox=bbox,
        label=label,
        score=float(conf[i]) if conf is not None else None,
        track_id=int(ids[i]) if ids is not None else None,
        extra={} if corners is None or corners[i] is None else
        {"polygon": [[float(x), float(y)] for x, y in corners[i]]},
    )

def from_supervision(detections: Any, frame_idx: Optional[int] = None,
                     timestamp: Optional[float] = None, *,
                     mask_contours: bool = True) -> FrameDetections:
    """Converts a supervision.Detections to FrameDetections.

    Label: data["class_name"][i], else f"class_{class_id[i]}", else "obj". confidence and
    tracker_id are copied when present. Rotated boxes (data["xyxyxyxy"]) and, with
    mask_contours, segmentation masks (.mask, N x H x W booleans: each mask's outer contour,
    simplified) become extra["polygon"], drawn as outlines. Anything but a Detections (None,
    a str, an Ultralytics Results...) raises TypeError; a Detections with no boxes gives an
    empty FrameDetections.
    """
    _check_supervision(detections)
    _keys_required("from_supervision", frame_idx, timestamp)
    xyxy = detections.xyxy
    if xyxy is None:
        raise TypeError("from_supervision: detections.xyxy is None (expected an N x 4 array)")
    boxes = _boxes(xyxy, "detections.xyxy")
    n = len(boxes)
    data = getattr(detections, "data", None) or {}
    names = _column(data.get("class_name") if hasattr(data, "get") else None, n,
                    'detections.data["class_name"]')
    class_id = _column(getattr(detections, "class_id", None), n, "detections.class_id")
    conf = _column(getattr(detections, "confidence", None), n, "detections.confidence")
    tracker = _column(getattr(detections, "tracker_id", None), n, "detections.tracker_id")
    # from_ultralytics on an OBB model stores the rotated corners in data["xyxyxyxy"]: kept as
    # extra["polygon"], drawn as the rotated outline (xyxy, their bounds, is the box).
    corners = _column(data.get("xyxyxyxy") if hasattr(data, "get") else None, n,
                      'detections.data["xyxyxyxy"]')
    if not isinstance(mask_contours, bool):
        raise TypeError(f"mask_contours must be a bool, got {_type_name(mask_contours)}")
    masks = getattr(detections, "mask", None)
    if corners is None and mask_contours and masks is not None and n:
        if len(masks) != n:
            raise ValueError(f"detections.mask has {len(masks)} masks, expected {n} (one "
                             "per box)")
        # A mask's outline; an empty mask keeps its plain box.
        corners = [mask_polygon(m) for m in masks]
    parsed = []
    for i, bbox in enumerate(boxes):
        if names is not None:
            label = str(names[i])
        elif class_id is not None:
            label = f"class_{int(class_id[i])}"
        else:
            label = "obj"
        parsed.append(_detection(bbox, label, conf, tracker, corners, i))
    return FrameDetections(detections=parsed, frame_idx=frame_idx, timestamp=timestamp)


def _check_result(result: Any, what: str) -> Any:
    """The box container of one Ultralytics Results: .boxes, else .obb (an OBB model's
    rotated boxes, drawn as their axis-aligned bounds). TypeError for anything else."""
    if not hasattr(result, "boxes") or isinstance(result, (str, bytes, dict)):
        if hasattr(result, "xyxy"):
            hint = (" (this looks like Results.boxes or a supervision.Detections: pass the "
                    "Results itself, or use from_supervision)")
        elif hasattr(result, "__next__") or hasattr(result, "gi_frame"):
            hint = (" (a generator, as model(..., stream=True) returns: convert each Results, "
                    "[from_yolo_results(r, frame_idx=i) for i, r in enumerate(results)])")
        else:
            hint = ""
        raise TypeError(f"from_yolo_results expects an Ultralytics Results (with .boxes and "
                        f".names) or a list of them, got {what}{_type_name(result)}{hint}")
    boxes = result.boxes
    if boxes is None:
        boxes = getattr(result, "obb", None)
    if boxes is None:
        raise TypeError(f"from_yolo_results expects a detection Results (.boxes or .obb set), "
                        f"got {what}a Results with boxes=None (a classification or "
                        "segmentation-only model?)")
    if getattr(boxes, "xyxy", None) is None:
        raise TypeError(f"from_yolo_results: {what}Results.boxes has no .xyxy (expected "
                        f"ultralytics Boxes or OBB, got {_type_name(boxes)})")
    return boxes


def _one_result(result: Any, frame_idx: Optional[int],
                timestamp: Optional[float], what: str = "") -> FrameDetections:
    boxes = _check_result(result, what)
    names = getattr(result, "names", None) or {}
    parsed: List[Detection] = []
    xyxy = _boxes(boxes.xyxy, "results.boxes.xyxy")
    n = len(xyxy)
    conf = _column(getattr(boxes, "conf", None), n, "results.boxes.conf")
    cls = _column(getattr(boxes, "cls", None), n, "results.boxes.cls")
    ids = _column(getattr(boxes, "id", None), n, "results.boxes.id")
    # An OBB model's rotated boxes: their 4 corners kept as extra["polygon"], drawn as the
    # rotated outline (the box is their axis-aligned bounds).
    corners = _column(getattr(boxes, "xyxyxyxy", None), n, "results.obb.xyxyxyxy") \
        if boxes is getattr(result, "obb", None) else None
    for i, bbox in enumerate(xyxy):
        if cls is not None:
            c = int(cls[i])
            try:
                label = str(names[c])
            except (KeyError, IndexError, TypeError):
                label = f"class_{c}"
        else:
            label = "obj"
        parsed.append(_detection(bbox, label, conf, ids, corners, i))
    return FrameDetections(detections=parsed, frame_idx=frame_idx, timestamp=timestamp)


def from_yolo_results(results: Any, frame_idx: Optional[int] = None,
                      timestamp: Any = None) -> Union[FrameDetections, List[FrameDetections]]:
    """Converts an Ultralytics Results (one frame) to FrameDetections.

    A list/tuple of Results (one per consecutive frame, as `model(frames)` returns) gives a
    list of FrameDetections: frame i gets frame_idx + i, and timestamp (if given) must then be
    a sequence with one timestamp per Results.
    """
    if not isinstance(results, (list, tuple)):
        _check_result(results, "")
        _keys_required("from_yolo_results", frame_idx, timestamp)
        return _one_result(results, frame_idx, timestamp)
    for i, r in enumerate(results):
        _check_result(r, f"results[{i}] = ")
    _keys_required("from_yolo_results", frame_idx, timestamp)
    if timestamp is not None and not isinstance(timestamp, (list, tuple)):
        if len(results) != 1:
            raise ValueError("from_yolo_results: a list of Results needs frame_idx (of the "
                             "first) or a list of timestamps (one per Results)")
        timestamp = [timestamp]
    if timestamp is not None and len(timestamp) != len(results):
        raise ValueError(f"from_yolo_results: {len(timestamp)} timestamps for "
                         f"{len(results)} Results")
    return [_one_result(r, None if frame_idx is None else frame_idx + i,
                        None if timestamp is None else timestamp[i])
            for i, r in enumerate(results)]


# ---- JSONL ---------------------------------------------------------------------------------

def _parse_detection(obj: Any, where: str) -> Detection:
    if not isinstance(obj, dict):
        raise ValueError(f"{where} expected a JSON object, got {type(obj).__name__}")
    bbox = obj.get("bbox")
    poly = obj.get("polygon")
    if bbox is None and isinstance(poly, list) and poly and \
            all(isinstance(p, list) and len(p) == 2 for p in poly):
        # a polygon alone: its bounding box (as the C reader; the points are checked there)
        bbox = [min(p[0] for p in poly), min(p[1] for p in poly),
                max(p[0] for p in poly), max(p[1] for p in poly)]
    if not isinstance(bbox, list) or len(bbox) != 4:
        raise ValueError(f"{where} 'bbox' must be a list of 4 numbers")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bbox):
        raise ValueError(f"{where} 'bbox' values must be numeric")
    label = obj.get("label")
    if not isinstance(label, str) or not label:
        raise ValueError(f"{where} 'label' must be a non-empty string")
    color_raw = obj.get("color")
    color = None
    if isinstance(color_raw, str):
        from . import _lib  # the C library owns the colour names (src/color.c)
        try:
            color = _lib.color_parse(color_raw)
        except ValueError as exc:
            raise ValueError(f"{where} 'color': {exc}") from None
    elif color_raw is not None:
        if not isinstance(color_raw, list) or len(color_raw) != 3:
            raise ValueError(f"{where} 'color' must be a 3-element list, \"#rrggbb\" or a CSS "
                             "colour name")
        color = (int(color_raw[0]), int(color_raw[1]), int(color_raw[2]))
    extra = obj.get("extra", {})
    if "normalized" in obj:  # a native line's own flag, as the C reader honours it
        if not isinstance(obj["normalized"], bool):
            raise ValueError(f"{where} 'normalized' must be true or false")
        if not isinstance(extra, dict):
            raise ValueError(f"{where} 'extra' must be an object")
        extra = dict(extra, normalized=obj["normalized"])
    if poly is not None:  # the outline drawn (extra["polygon"], as the adapters fill it)
        if not isinstance(extra, dict):
            raise ValueError(f"{where} 'extra' must be an object")
        extra = dict(extra, polygon=poly)
    return Detection(
        bbox=(float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3])),
        label=label,
        score=obj.get("score"),
        track_id=obj.get("track_id"),
        color=color,
        extra=extra,
    )


def _parse_keys(obj: dict, where: str) -> tuple:
    frame_idx = obj.get("frame_idx")
    timestamp = obj.get("ts")
    if frame_idx is None and timestamp is None:
        raise ValueError(f"{where} needs 'frame_idx' or 'ts'")
    if frame_idx is not None and (not isinstance(frame_idx, int) or isinstance(frame_idx, bool)):
        raise ValueError(f"{where} 'frame_idx' must be int")
    if timestamp is not None and (not isinstance(timestamp, (int, float))
                                  or isinstance(timestamp, bool)):
        raise ValueError(f"{where} 'ts' must be numeric")
    return frame_idx, float(timestamp) if timestamp is not None else None


def _c_detection(det: Any) -> Detection:
    """A Detection from an EvclipDetection read back from a C store."""
    return Detection(
        bbox=(det.x1, det.y1, det.x2, det.y2),
        label=det.label.decode("utf-8", errors="replace"),
        score=det.score if det.score >= 0 else None,
        track_id=det.track_id if det.track_id >= 0 else None,
        color=tuple(det.color) if det.has_color else None,
        extra={"normalized": True} if det.normalized else {},
    )


def read_log(path: Union[str, Path], fmt: str = "auto") -> List[FrameDetections]:
    """Reads a detection log of any format the C reader takes ("auto", "jsonl", "grouped",
    "ultralytics", "inspect", "mot") through libevclip (evclip_detections_load_format, then
    evclip_detections_get): one FrameDetections per run of detections with the same frame
    key, in the log's order; corners as the library stores them (32-bit floats). Raises
    ValueError with the reader's "file:line: ..." message, OSError for an unreadable file."""
    from . import _lib
    lib = _lib.load()
    if not _lib.has("evclip_detections_get"):
        raise ValueError("this libevclip has no evclip_detections_get (reading logs back)")
    with open(path, "rb"):
        pass   # a missing or unreadable file is an OSError, as for from_jsonl
    handle = ctypes.c_void_p()
    if lib.evclip_detections_new(ctypes.byref(handle)) < 0:
        raise MemoryError(_lib.last_error())
    frames: List[FrameDetections] = []
    try:
        if lib.evclip_detections_load_format(handle, os.fsencode(path), fmt.encode(), 0) < 0:
            raise ValueError(_lib.last_error())
        stats = _lib.EvclipDetectionStats()
        lib.evclip_detections_get_stats(handle, ctypes.byref(stats))
        det = _lib.EvclipDetection()
        key = None
        for i in range(stats.count):
            if lib.evclip_detections_get(handle, i, ctypes.byref(det)) < 0:
                raise ValueError(_lib.last_error())
            k = (det.frame_idx if det.frame_idx >= 0 else None, det.ts if det.ts >= 0 else None)
            if k != key:
                frames.append(FrameDetections([], *k))
                key = k
            frames[-1].detections.append(_c_detection(det))
    finally:
        lib.evclip_detections_free(ctypes.byref(handle))
    return frames


def _c_format(path: Path) -> Optional[str]:
    """"inspect" when the first non-blank line is an `evclip inspect` line ("source_time" and
    "detections"), "ultralytics" when it is an array or has an object "box" (the C reader's
    own tests); None for native and grouped lines (and for any error, reported line by line
    by from_jsonl)."""
    with path.open(encoding="utf-8-sig") as fh:
        for raw in fh:
            if raw.strip():
                try:
                    obj = json.loads(raw)
                except json.JSONDecodeError:
                    return None
                if isinstance(obj, dict) and "source_time" in obj and "detections" in obj:
                    return "inspect"
                if isinstance(obj, list) or (isinstance(obj, dict)
                                             and isinstance(obj.get("box"), dict)):
                    return "ultralytics"
                return None
    return None


def from_jsonl(path: Union[str, Path]) -> Iterator[FrameDetections]:
    """Streams a detection log, one FrameDetections per frame.

    Native lines (one detection each) with the same key on consecutive lines are grouped into
    one FrameDetections, as cv-evidence-renderer does; a grouped line
    ({"frame_idx", "ts", "detections": [...]}) is one FrameDetections. Blank lines are skipped.
    `evclip inspect` output (first line with "source_time" and "detections") and Ultralytics
    rows are read by the C reader (read_log(path, "inspect" / "ultralytics")); an inspect log
    gives one FrameDetections per clip frame with boxes, timestamp = its source_time,
    frame_idx None.
    Raises ValueError naming "path:line" for malformed lines.
    """
    path = Path(path)
    fmt = _c_format(path)
    if fmt is not None:
        yield from read_log(path, fmt)
        return
    current_key = None
    current: List[Detection] = []
    with path.open(encoding="utf-8-sig") as fh:
        for line_no, raw in enumerate(fh, start=1):
            line = raw.strip()
            if not line:
                continue
            where = f"{path}:{line_no}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where} invalid JSON: {exc.msg}") from exc
            if not isinstance(obj, dict):
                raise ValueError(f"{where} expected a JSON object, got {type(obj).__name__}")
            if "detections" in obj:
                items = obj["detections"]
                if not isinstance(items, list):
                    raise ValueError(f"{where} 'detections' must be a list")
                key = _parse_keys(obj, where)
                dets = [_parse_detection(o, f"{where} detections[{i}]")
                        for i, o in enumerate(items)]
                if current_key is not None:
                    yield FrameDetections(current, *current_key)
                    current_key, current = None, []
                yield FrameDetections(dets, *key)
                continue
            det = _parse_detection(obj, where)
            key = _parse_keys(obj, where)
            if current_key is None or key == current_key:
                current_key = key
                current.append(det)
            else:
                yield FrameDetections(current, *current_key)
                current_key, current = key, [det]
    if current_key is not None:
        yield FrameDetections(current, *current_key)


def as_frames(value: Any) -> List[FrameDetections]:
    """Validates an in-memory detections argument: FrameDetections or an iterable of them."""
    if isinstance(value, FrameDetections):
        return [value]
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise TypeError("detections must be a path, FrameDetections, an iterable of "
                        f"FrameDetections or None, got {type(value).__name__}")
    frames = list(value)
    for i, fd in enumerate(frames):
        if not isinstance(fd, FrameDetections):
            raise TypeError(f"detections[{i}] must be FrameDetections, got "
                            f"{type(fd).__name__} (use from_supervision / from_yolo_results)")
    return frames


__all__: Sequence[str] = ["from_jsonl", "from_supervision", "from_yolo_results", "read_log"]
