"""evclip.overlay: evclip's boxes and label chips drawn in place on numpy frames (an OpenCV
loop), through the library's own drawing code (evclip_painter_*), so they look as in clips.

    from evclip.overlay import draw_detections, color_for_label, default_label_formatter
    draw_detections(frame, detections)            # frame: H x W x 3 uint8 BGR, changed in place
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from evclip import _lib
from evclip.adapters import from_supervision, from_yolo_results
from evclip.types import Detection, FrameDetections

_local = threading.local()   # painters are not thread-safe: one cache per thread


def default_label_formatter(detection: Detection) -> str:
    """The chip text clips draw for a detection: "label #track score" (track and score when
    set, score with two decimals), e.g. "car #7 0.64"; formatted by the library
    (evclip_painter_label), the one owner of that rule."""
    from evclip.render import _fill_detection

    det = _lib.EvclipDetection()
    _fill_detection(detection, det, None, 0, "detection")
    lib = _lib.load()
    size = lib.evclip_painter_label(ctypes.byref(det), None, 0) + 1
    buf = ctypes.create_string_buffer(size)
    lib.evclip_painter_label(ctypes.byref(det), buf, size)
    return buf.value.decode("utf-8", errors="replace")


def color_for_label(label: str, track_id: Optional[int] = None) -> Tuple[int, int, int]:
    """(B, G, R) of a box without an explicit colour: the library's palette entry for
    track_id when given, else for the label (evclip_palette_color)."""
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__}")
    if track_id is not None and (isinstance(track_id, bool) or not isinstance(track_id, int)):
        raise TypeError(f"track_id must be an int or None, got {type(track_id).__name__}")
    return _lib.palette_color(label, track_id)


class _Painter:
    """One evclip_painter for frames of one size and format."""

    def __init__(self, width: int, height: int, fmt: int, font: Optional[str],
                 thickness: int, font_size: int):
        self.lib = _lib.load()
        if not _lib.has("evclip_painter_new"):
            raise OSError("this libevclip has no evclip_painter_new (API 1.2 or later needed)")
        self.handle = ctypes.c_void_p()
        code = self.lib.evclip_painter_new(ctypes.byref(self.handle), width, height, fmt,
                                           None if font is None else font.encode("utf-8"),
                                           thickness, font_size)
        if code < 0:
            raise ValueError(_lib.last_error())

    def __del__(self):
        handle = getattr(self, "handle", None)
        if handle:
            self.lib.evclip_painter_free(ctypes.byref(handle))


def _painter(width, height, fmt, font, thickness, font_size) -> _Painter:
    cache: Dict[tuple, _Painter] = getattr(_local, "painters", None)
    if cache is None:
        cache = _local.painters = {}
    key = (width, height, fmt, font, thickness, font_size)
    painter = cache.get(key)
    if painter is None:
        if len(cache) >= 8:   # a few sizes at once (several cameras); drop the oldest
            del cache[next(iter(cache))]
        painter = cache[key] = _Painter(*key)
    return painter


def _frame_args(frame: Any) -> Tuple[int, int, int]:
    """(height, width, row stride) of a writable H x W x 3 uint8 numpy array whose pixels
    are packed (each row contiguous); TypeError / ValueError otherwise."""
    shape = getattr(frame, "shape", None)
    if shape is None or not hasattr(frame, "ctypes") or not hasattr(frame, "strides"):
        raise TypeError(f"frame must be a numpy array (H x W x 3, uint8), got "
                        f"{type(frame).__name__}")
    if str(frame.dtype) != "uint8":
        raise TypeError(f"frame must be uint8, got {frame.dtype}")
    if len(shape) != 3 or shape[2] != 3:
        raise ValueError(f"frame must be H x W x 3 (BGR or RGB), got shape {tuple(shape)}")
    if not frame.flags.writeable:
        raise ValueError("frame is read-only (draw_detections draws in place)")
    if shape[0] < 1 or shape[1] < 1:
        raise ValueError(f"frame is empty ({shape[1]}x{shape[0]})")
    strides = frame.strides
    if strides[2] != 1 or strides[1] != 3 or strides[0] < 3 * shape[1]:
        raise ValueError(f"frame rows must be packed pixels (strides (>= {3 * shape[1]}, 3, 1), "
                         f"got {strides}): pass numpy.ascontiguousarray(frame) and copy back")
    return int(shape[0]), int(shape[1]), int(strides[0])


def _as_detections(detections: Any) -> List[Detection]:
    if detections is None:
        raise TypeError("detections must be FrameDetections, a list of Detection, a "
                        "supervision.Detections or an Ultralytics Results, got None")
    if isinstance(detections, FrameDetections):
        return list(detections.detections)
    if hasattr(detections, "boxes") and hasattr(detections, "names"):
        return from_yolo_results(detections, frame_idx=0).detections
    if hasattr(detections, "xyxy"):
        return from_supervision(detections, frame_idx=0).detections
    if isinstance(detections, (list, tuple)):
        return list(detections)
    raise TypeError("detections must be FrameDetections, a list of Detection, a "
                    "supervision.Detections or an Ultralytics Results, got "
                    f"{type(detections).__name__}")


def draw_detections(frame: Any, detections: Any, rgb: bool = False,
                    label_formatter: Optional[Callable[[Detection], str]] = None, *,
                    font: Optional[str] = None, thickness: int = 0,
                    font_size: int = 0) -> int:
    """Draws boxes and label chips in place on `frame` (numpy uint8 H x W x 3, BGR as OpenCV;
    RGB with rgb=True) exactly as evclip draws them in clips: same outlines, chips, font and
    palette (colour by track, else label; Detection.color wins). detections:
    FrameDetections, a list of Detection, a supervision.Detections or an Ultralytics Results.
    label_formatter(detection) -> str replaces the chip text. font, thickness and font_size
    as render_clip's (0 = scaled to the frame height). Normalised boxes
    (Detection.extra["normalized"]) are fractions of the frame. Returns the number of boxes
    drawn (boxes wholly outside the frame are not counted)."""
    from evclip.render import _fill_detection, _polygon

    height, width, stride = _frame_args(frame)
    if not isinstance(rgb, bool):
        raise TypeError(f"rgb must be a bool, got {type(rgb).__name__}")
    if label_formatter is not None and not callable(label_formatter):
        raise TypeError("label_formatter must be callable or None")
    for name, value in (("thickness", thickness), ("font_size", font_size)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if font is not None and not isinstance(font, str):
        raise TypeError(f"font must be a str or None, got {type(font).__name__}")
    dets = _as_detections(detections)
    c_dets = (_lib.EvclipDetection * max(1, len(dets)))()
    texts = (ctypes.c_char_p * max(1, len(dets)))() if label_formatter is not None else None
    polys = counts = None
    keep = []  # the point arrays polys points into
    for i, d in enumerate(dets):
        c_dets[i].frame_idx = 0
        c_dets[i].ts = _lib.EVCLIP_NONE
        text = _fill_detection(d, c_dets[i], label_formatter, 0, f"detections[{i}]")
        if texts is not None:
            texts[i] = text
        poly = _polygon(d, f"detections[{i}]")
        if poly is not None:  # extra["polygon"]: drawn as the outline, as in clips
            if polys is None:
                polys = (ctypes.POINTER(ctypes.c_double) * len(dets))()
                counts = (ctypes.c_int * len(dets))()
            polys[i] = ctypes.cast(poly, ctypes.POINTER(ctypes.c_double))
            counts[i] = len(poly) // 2
            keep.append(poly)
    painter = _painter(width, height, _lib.PIXFMT_RGB24 if rgb else _lib.PIXFMT_BGR24, font,
                       thickness, font_size)
    data = (ctypes.c_void_p * 3)(frame.ctypes.data, None, None)
    linesize = (ctypes.c_int * 3)(stride, 0, 0)
    if polys is None:
        code = painter.lib.evclip_painter_draw(painter.handle, data, linesize, c_dets, texts,
                                               len(dets))
    else:
        code = painter.lib.evclip_painter_draw_polygons(painter.handle, data, linesize, c_dets,
                                                        texts, polys, counts, len(dets))
    if code < 0:
        raise ValueError(_lib.last_error())
    return code


__all__: Sequence[str] = ["color_for_label", "default_label_formatter", "draw_detections"]
