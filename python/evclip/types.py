"""Data types of the cv-evidence-renderer compatible API: Detection, FrameDetections,
ClipSource, Clip, Encoder, plus RenderResult (evclip's own).

Field names, defaults and ValueError messages follow cv-evidence-renderer 0.1
(src/cv_evidence_renderer/types.py), so code written against it keeps working.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union

PathLike = Union[str, Path]


class Encoder(str, Enum):
    """cv-evidence-renderer's encoder names. Any FFmpeg encoder name (str) is accepted too."""

    NVENC_H264 = "nvenc_h264"
    NVENC_H265 = "nvenc_h265"
    LIBX264 = "libx264"
    LIBX265 = "libx265"
    AUTO = "auto"


@dataclass
class Detection:
    """A single detection in a single frame."""

    bbox: tuple  # (x1, y1, x2, y2) in frame pixels (fractions of the frame when normalized)
    label: str
    score: Optional[float] = None
    track_id: Optional[int] = None
    color: Optional[Any] = None  # (B, G, R), "#rrggbb" or a CSS name; None = track, else label
    extra: dict = field(default_factory=dict)


@dataclass
class FrameDetections:
    """All detections of one frame, keyed by frame_idx (0-based) and/or timestamp (seconds)."""

    detections: list
    frame_idx: Optional[int] = None
    timestamp: Optional[float] = None

    def __post_init__(self) -> None:
        if self.frame_idx is None and self.timestamp is None:
            raise ValueError("FrameDetections needs either frame_idx or timestamp")


@dataclass
class ClipSource:
    """One contiguous segment of source footage of a clip: the half-open window
    [from_seconds, to_seconds) of `video`, with detections on that video's own timeline.

    detections: a log path (any format evclip reads), an iterable of FrameDetections, or None.
    to_seconds None means "to the end of the video". epoch (evclip extension): wall-clock time
    of the video's start (epoch seconds, an aware datetime or ISO 8601 text with a zone);
    None = found by evclip (log wallclock fields, creation_time) or the render's epoch=.
    """

    video: PathLike
    detections: Any = None
    from_seconds: float = 0.0
    to_seconds: Optional[float] = None
    epoch: Any = None

    def __post_init__(self) -> None:
        if self.from_seconds < 0:
            raise ValueError(f"from_seconds must be >= 0, got {self.from_seconds}")
        if self.to_seconds is not None and self.to_seconds <= self.from_seconds:
            raise ValueError(
                f"to_seconds must be > from_seconds; got "
                f"from={self.from_seconds}, to={self.to_seconds}"
            )


@dataclass
class Clip:
    """One output file of render_clips(): its sources and per-clip knobs.

    The first six fields are cv-evidence-renderer's; pre_roll, post_roll and title are evclip
    extensions (seconds, seconds, caption text).
    """

    sources: list
    output: PathLike
    playback_speed: float = 1.0
    label_formatter: Optional[Callable[[Detection], str]] = None
    max_duration_seconds: Optional[float] = None
    duration_strategy: str = "timelapse"
    pre_roll: float = 0.0
    post_roll: float = 0.0
    title: Optional[str] = None


@dataclass
class RenderResult:
    """Outcome of one rendered clip (render_clip(..., return_result=True), EvclipError.results).
    """

    output: Path
    status: int = 0
    error: str = ""
    frames: int = 0
    duration: float = 0.0
    first_time: float = 0.0
    last_time: float = 0.0
    boxes_drawn: int = 0
    frames_decoded: int = 0
    has_audio: bool = False
    encoder: str = ""
    width: int = 0
    height: int = 0
    sha256: str = ""          # of the output file
    damaged_packets: int = 0  # damaged video packets skipped or concealed while decoding
    warnings: list = field(default_factory=list)  # the clip may be wrong (README "Warnings")

    @property
    def ok(self) -> bool:
        return self.status >= 0


def is_number(v: Any) -> bool:
    """A real number (bool excluded), including numpy scalars."""
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return True
    try:
        import numbers

        return isinstance(v, numbers.Real)
    except Exception:  # pragma: no cover
        return False


def finite(v: Any) -> bool:
    return is_number(v) and math.isfinite(float(v))


def to_list(values: Any) -> Optional[list]:
    """torch tensor / numpy array / sequence -> nested Python list (None stays None)."""
    if values is None:
        return None
    if hasattr(values, "cpu") and callable(values.cpu):
        values = values.cpu()
    if hasattr(values, "numpy") and callable(values.numpy):
        values = values.numpy()
    if hasattr(values, "tolist") and callable(values.tolist):
        return values.tolist()
    if isinstance(values, (str, bytes)):
        raise TypeError(f"expected a sequence of numbers, got {type(values).__name__}")
    return [to_list(v) if isinstance(v, Sequence) and not isinstance(v, str) else v
            for v in values]
