"""Wall-clock origins of sources for the render functions: epoch= / ClipSource.epoch as epoch
seconds, an aware datetime or ISO 8601 text (parsed by libevclip, the one owner of that
syntax and of the range)."""
from __future__ import annotations

import ctypes
import datetime
import math
import os
from typing import Any, Iterable, Optional

from evclip import _lib


def epoch_seconds(value: Any, name: str) -> Optional[float]:
    """value as epoch seconds (None stays None). A naive datetime is refused: its zone would
    be the machine's. Range and ISO syntax errors are the library's (ValueError)."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name}: a naive datetime has no zone; give tzinfo (e.g. "
                             f"datetime.timezone.utc) or ISO 8601 text with an offset")
        value = value.timestamp()
    if isinstance(value, str):
        text = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError(f"{name}: {value!r} is not a finite number of seconds")
        # fixed-point digits: the library reads them as epoch seconds and checks the range
        text = f"{float(value):.6f}" if float(value) >= 0 else "-"
    else:
        raise TypeError(f"{name} must be epoch seconds, an aware datetime or ISO 8601 text, "
                        f"got {type(value).__name__}")
    lib = _lib.load()
    if not _lib.has("evclip_parse_wallclock"):
        raise ValueError(f"{name}: this libevclip has no wall-clock support")
    out = ctypes.c_double()
    if lib.evclip_parse_wallclock(text.encode("utf-8"), ctypes.byref(out)) < 0:
        if text == "-":
            raise ValueError(f"{name}: {value!r} is before 1970-01-01T00:00:00Z")
        raise ValueError(f"{name}: {_lib.last_error()}")
    return out.value


def check_one_video(epoch: Optional[float], videos: Iterable[Any]) -> None:
    """epoch= is one video's origin: refused when the clip(s) use several videos."""
    names = {os.fsdecode(os.fspath(v)) if not isinstance(v, bytes) else os.fsdecode(v)
             for v in videos}
    if epoch is not None and len(names) > 1:
        raise ValueError("epoch= is the wall-clock origin of one video, but these clips use "
                         f"{len(names)}: set ClipSource.epoch on each source instead")


def fill(src: _lib.EvclipSource, epoch: Optional[float]) -> None:
    """EvclipSource epoch fields: a given origin, or found by the library (log, then
    creation_time) when None."""
    if epoch is not None:
        src.epoch = epoch
        src.epoch_known = 1
        src.epoch_origin = 0  # EVCLIP_EPOCH_OPTION
