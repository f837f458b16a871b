"""evclip: evidence clips (trimmed H.264 MP4 with burned-in detections) from Python.

A pure-Python ctypes binding of libevclip whose API mirrors cv-evidence-renderer, so its users
switch with one import:

    from evclip import render_from_jsonl, render_clip, render_clips, ClipSource, Clip
    from evclip import from_supervision, from_yolo_results, from_jsonl
    from evclip import EvidenceRecorder, EvidenceRecorderPool   # live clips (evclip.live)

libevclip.so is found through $EVCLIP_LIBRARY, the copy bundled by `pip install .`, the installed
library path, or the build tree.
"""

from evclip.live import (ClipFailedError, ClipTimeoutError, EvidenceRecorder,
                         EvidenceRecorderPool, RecorderError, RecorderEvent)
from evclip.adapters import from_jsonl, from_supervision, from_yolo_results, read_log
from evclip.render import (DetectionsError, EncoderError, EvclipError, InputError,
                           LogNotFoundError, OutputError, VideoNotFoundError, WindowError,
                           palette_color, render_clip, render_clips, render_from_jsonl)
from evclip.types import (Clip, ClipSource, Detection, Encoder, FrameDetections,
                          RenderResult)

__version__ = "0.2.0"

# Check the library's ABI at import when it can be found (a mismatch raises
# evclip._lib.AbiMismatchError, an ImportError); when it cannot, the pure-Python parts still
# work and the first render raises OSError naming where it looked.
try:
    from evclip import _lib as _abi_lib

    _abi_lib.load()
except OSError:
    pass


def library_version() -> str:
    """Version of the loaded libevclip (loads it)."""
    from evclip import _lib

    return _lib.text(_lib.load().evclip_version())


__all__ = [
    "Clip",
    "ClipFailedError",
    "ClipSource",
    "ClipTimeoutError",
    "Detection",
    "DetectionsError",
    "Encoder",
    "EncoderError",
    "EvclipError",
    "EvidenceRecorder",
    "EvidenceRecorderPool",
    "FrameDetections",
    "InputError",
    "LogNotFoundError",
    "OutputError",
    "RecorderError",
    "RecorderEvent",
    "RenderResult",
    "VideoNotFoundError",
    "WindowError",
    "__version__",
    "from_jsonl",
    "from_supervision",
    "from_yolo_results",
    "library_version",
    "palette_color",
    "read_log",
    "render_clip",
    "render_clips",
    "render_from_jsonl",
]
