"""ctypes mirror of include/evclip/evclip.h and the loader of libevclip.so.

The structures below mirror the C header field by field (tests/python/test_abi.py checks the
names and order against the header). The library is loaded lazily, on the first render, so the
pure-Python parts (types, adapters) work without it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import threading
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_double, c_int,
                    c_int64, c_size_t, c_uint8, c_void_p)
from pathlib import Path

EVCLIP_NONE = -1

# enum EvclipError
OK = 0
ERR_INVALID = -1
ERR_NOMEM = -2
ERR_INPUT = -3
ERR_NO_VIDEO = -4
ERR_DETECTIONS = -5
ERR_WINDOW = -6
ERR_OUTPUT = -7
ERR_EXISTS = -8
ERR_ENCODER = -9
ERR_DECODE = -10
ERR_FONT = -11
ERR_CANCELED = -12
ERR_UNSUPPORTED = -13
ERR_INTERNAL = -14

# enum EvclipLogLevel
LOG_ERROR, LOG_WARNING, LOG_INFO, LOG_DEBUG = 0, 1, 2, 3

# enum EvclipCapStrategy
CAP_TIMELAPSE = 0
CAP_FRAMEDROP = 1

LogCallback = CFUNCTYPE(None, c_void_p, c_int, c_char_p)


class EvclipProgress(Structure):
    _fields_ = [
        ("frames_done", c_int64),
        ("frames_total", c_int64),
        ("seconds_done", c_double),
        ("seconds_total", c_double),
    ]


ProgressCallback = CFUNCTYPE(c_int, c_void_p, POINTER(EvclipProgress))


class EvclipDetection(Structure):
    _fields_ = [
        ("frame_idx", c_int64),
        ("ts", c_double),
        ("x1", c_double),
        ("y1", c_double),
        ("x2", c_double),
        ("y2", c_double),
        ("label", c_char_p),
        ("score", c_double),
        ("track_id", c_int64),
        ("has_color", c_int),
        ("color", c_uint8 * 3),
        ("normalized", c_int),
    ]


class EvclipDetectionStats(Structure):
    _fields_ = [("count", c_int64), ("skipped", c_int64), ("reserved", c_uint8 * 16)]


class EvclipResult(Structure):
    _fields_ = [
        ("status", c_int),
        ("error", c_char * 512),
        ("frames", c_int64),
        ("duration", c_double),
        ("first_time", c_double),
        ("last_time", c_double),
        ("boxes_drawn", c_int64),
        ("frames_decoded", c_int64),
        ("has_audio", c_int),
        ("encoder", c_char * 64),
        ("width", c_int),
        ("height", c_int),
        ("output_sha256", c_char * 65),
        ("nb_warnings", c_int),
        ("warnings", c_char * 4096),  # EVCLIP_WARNINGS_SIZE
        ("damaged_packets", c_int64),
        ("reserved", c_uint8 * 128),
    ]


ClipDoneCallback = CFUNCTYPE(None, c_void_p, c_int, POINTER(EvclipResult))


class EvclipDrawOptions(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("redact", POINTER(c_char_p)),
        ("nb_redact", c_int),
        ("redact_mode", c_int),
        ("redact_pad", c_int),
        ("redact_label", c_char_p),
        ("redact_detections", c_char_p),
        ("interpolate", c_double),
        ("style", c_char_p),
        ("timezone", c_char_p),
        ("reserved", c_uint8 * 40),
    ]


class EvclipSettings(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("log_callback", LogCallback),
        ("log_opaque", c_void_p),
        ("log_level", c_int),
        ("ffmpeg_log", c_int),
        ("progress_callback", ProgressCallback),
        ("progress_opaque", c_void_p),
        ("encoder", c_char_p),
        ("preset", c_char_p),
        ("crf", c_int),
        ("bitrate", c_int64),
        ("threads", c_int),
        ("audio", c_int),
        ("font", c_char_p),
        ("hold", c_double),
        ("title", c_char_p),
        ("timestamp", c_int),
        ("thickness", c_int),
        ("font_size", c_int),
        ("overwrite", c_int),
        ("clamp", c_int),
        ("manifest", c_int),
        ("sign_key", c_char_p),
        ("embed_detections", c_int),
        ("box_space", c_int),
        ("clip_done_callback", ClipDoneCallback),
        ("clip_done_opaque", c_void_p),
        ("poster", c_int),
        ("label_max", c_int),
        ("worker", c_char_p),
        ("draw_options", c_void_p),  # POINTER(EvclipDrawOptions)
        ("native", c_int),
        ("reserved", c_uint8 * 4),
    ]


class EvclipSource(Structure):
    _fields_ = [
        ("path", c_char_p),
        ("detections", c_void_p),
        ("start", c_double),
        ("end", c_double),
        ("ts_origin", c_int),
        ("stream", c_int),
        ("fps", c_double),
        ("epoch", c_double),
        ("epoch_known", c_int),
        ("epoch_origin", c_int),
        ("reserved", c_uint8 * 16),
    ]


class EvclipClip(Structure):
    _fields_ = [
        ("sources", POINTER(EvclipSource)),
        ("nb_sources", c_int),
        ("output", c_char_p),
        ("pre_roll", c_double),
        ("post_roll", c_double),
        ("speed", c_double),
        ("max_duration", c_double),
        ("cap_strategy", c_int),
        ("width", c_int),
        ("height", c_int),
        ("settings", POINTER(EvclipSettings)),
        ("reserved", c_uint8 * 32),
    ]


# ---- Live mode (include/evclip/evclip.h "Live mode") ----------------------------------------

# enum EvclipLiveEventType, as the names RecorderEvent.type carries
LIVE_EVENT_TYPES = ("stream_up", "stream_down", "reconnecting", "clip_started", "clip_extended",
                    "clip_finished", "clip_failed", "clock", "stats", "stream_removed", "list")
OVERLAP_MERGE, OVERLAP_SEPARATE = 0, 1     # enum EvclipOverlap
TRANSPORT_TCP, TRANSPORT_UDP = 0, 1        # enum EvclipTransport
KEY_WALLCLOCK, KEY_PTS = 0, 1              # enum EvclipLiveKey


class EvclipStreamStats(Structure):
    _fields_ = [
        ("connected", c_int),
        ("packets", c_int64),
        ("ring_packets", c_int64),
        ("ring_bytes", c_int64),
        ("ring_seconds", c_double),
        ("reconnects", c_int64),
        ("recording", c_int),
        ("clock", c_char * 16),
        ("state", c_char * 16),
        ("reserved", c_uint8 * 32),
    ]


class EvclipLiveEvent(Structure):
    """Library-allocated and grown at its end by later minor versions: only the fields below
    are read (the library's struct may be larger, never smaller; check_abi checks that)."""
    _fields_ = [
        ("type", c_int),
        ("stream", c_char_p),
        ("clip_id", c_char_p),
        ("path", c_char_p),
        ("message", c_char_p),
        ("clock", c_char_p),
        ("start", c_double),
        ("end", c_double),
        ("duration", c_double),
        ("frames", c_int64),
        ("pre_available", c_double),
        ("incomplete", c_int),
        ("status", c_int),
        ("delay", c_double),
        ("attempt", c_int),
        ("stats", POINTER(EvclipStreamStats)),
        ("pre_requested", c_double),
        ("gaps", POINTER(c_double)),
        ("ngaps", c_int),
        ("damaged_packets", c_int64),
        ("manifest", c_char_p),
        ("trigger_ids", POINTER(c_char_p)),
        ("nb_trigger_ids", c_int),
        ("ready_after_end_s", c_double),
        ("late_detections", c_int64),
        ("late_max_s", c_double),
        ("native_path", c_char_p),
    ]


LiveCallback = CFUNCTYPE(None, c_void_p, POINTER(EvclipLiveEvent))


class EvclipLiveSettings(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("event_callback", LiveCallback),
        ("event_opaque", c_void_p),
        ("pre_roll_max", c_double),
        ("ring_bytes", c_int64),
        ("overlap", c_int),
        ("workers", c_int),
        ("stall_timeout", c_double),
        ("connect_timeout", c_double),
        ("backoff_min", c_double),
        ("backoff_max", c_double),
        ("detection_delay", c_double),
        ("outage_grace", c_double),
        ("output_dir", c_char_p),
        ("preview_hls", c_char_p),
        ("native", c_int),
        ("native_only", c_int),
        ("timezone", c_char_p),
        ("reserved", c_uint8 * 8),
    ]


class EvclipStreamParams(Structure):
    _fields_ = [
        ("name", c_char_p),
        ("url", c_char_p),
        ("transport", c_int),
        ("realtime", c_int),
        ("loop", c_int),
        ("pre", c_double),
        ("post", c_double),
        ("detection_delay", c_double),
        ("native", c_int),
        ("native_only", c_int),
        ("timezone", c_char_p),
        ("reserved", c_uint8 * 8),
    ]


# The structures above, checked against the loaded library's evclip_struct_size() by load().
MIRRORED_STRUCTS = (EvclipProgress, EvclipDetection, EvclipDetectionStats, EvclipDrawOptions,
                    EvclipSettings,
                    EvclipSource, EvclipClip, EvclipResult, EvclipLiveSettings,
                    EvclipStreamParams, EvclipStreamStats)
# Library-allocated structures that may grow at their end: the library's must not be smaller.
GROWING_STRUCTS = (EvclipLiveEvent,)
# The C API major this mirror follows (EVCLIP_API_VERSION_MAJOR).
API_VERSION_MAJOR = 1


_PROTOTYPES = {
    "evclip_strerror": (c_char_p, [c_int]),
    "evclip_last_error": (c_char_p, []),
    "evclip_version": (c_char_p, []),
    "evclip_version_api": (c_int, []),
    "evclip_struct_size": (c_size_t, [c_char_p]),
    "evclip_settings_validate": (c_int, [POINTER(EvclipSettings)]),
    "evclip_detections_new": (c_int, [POINTER(c_void_p)]),
    "evclip_detections_load": (c_int, [c_void_p, c_char_p]),
    "evclip_detections_add": (c_int, [c_void_p, POINTER(EvclipDetection)]),
    "evclip_detections_get_stats": (None, [c_void_p, POINTER(EvclipDetectionStats)]),
    "evclip_detections_free": (None, [POINTER(c_void_p)]),
    "evclip_default_settings": (None, [POINTER(EvclipSettings)]),
    "evclip_open": (c_int, [POINTER(c_void_p), POINTER(EvclipSettings)]),
    "evclip_close": (None, [POINTER(c_void_p)]),
    "evclip_cancel": (None, [c_void_p]),
    "evclip_render": (c_int, [c_void_p, POINTER(EvclipClip), POINTER(EvclipResult)]),
    "evclip_render_batch": (c_int, [c_void_p, POINTER(EvclipClip), c_int,
                                    POINTER(EvclipResult), c_int]),
    "evclip_color_parse": (c_int, [c_char_p, POINTER(c_uint8)]),
    "evclip_palette_color": (None, [c_char_p, c_int64, POINTER(c_uint8)]),
    "evclip_live_default_settings": (None, [POINTER(EvclipLiveSettings)]),
    "evclip_live_open": (c_int, [POINTER(c_void_p), c_void_p, POINTER(EvclipLiveSettings)]),
    "evclip_live_add_stream": (c_int, [c_void_p, POINTER(EvclipStreamParams)]),
    "evclip_live_trigger": (c_int, [c_void_p, c_char_p, c_double, c_double, c_char_p,
                                    c_char_p]),
    "evclip_live_remove_stream": (c_int, [c_void_p, c_char_p]),
    "evclip_live_add_detections": (c_int, [c_void_p, c_char_p, c_int, c_double,
                                           POINTER(EvclipDetection), c_int]),
    "evclip_live_get_stream_stats": (c_int, [c_void_p, c_char_p, POINTER(EvclipStreamStats)]),
    "evclip_live_close": (None, [POINTER(c_void_p)]),
}
# Newer entry points: used when present.
_OPTIONAL = {
    "evclip_detections_load_format": (c_int, [c_void_p, c_char_p, c_char_p, c_int]),
    "evclip_detections_load_window": (c_int, [c_void_p, c_char_p, c_char_p, c_int, c_double,
                                              c_double]),
    "evclip_output_dir": (c_int, [c_char_p, c_int]),
    "evclip_parse_wallclock": (c_int, [c_char_p, POINTER(c_double)]),
    "evclip_detections_get": (c_int, [c_void_p, c_int64, POINTER(EvclipDetection)]),
    "evclip_painter_new": (c_int, [POINTER(c_void_p), c_int, c_int, c_int, c_char_p, c_int,
                                   c_int]),
    "evclip_painter_draw": (c_int, [c_void_p, POINTER(c_void_p), POINTER(c_int),
                                    POINTER(EvclipDetection), POINTER(c_char_p), c_int]),
    "evclip_detections_add_text": (c_int, [c_void_p, POINTER(EvclipDetection), c_char_p]),
    "evclip_detections_add_polygon": (c_int, [c_void_p, POINTER(EvclipDetection), c_char_p,
                                              POINTER(c_double), c_int]),
    "evclip_detections_add_extra": (c_int, [c_void_p, POINTER(EvclipDetection), c_char_p,
                                            POINTER(c_double), c_int, c_char_p]),
    "evclip_painter_draw_polygons": (c_int, [c_void_p, POINTER(c_void_p), POINTER(c_int),
                                             POINTER(EvclipDetection), POINTER(c_char_p),
                                             POINTER(POINTER(c_double)), POINTER(c_int),
                                             c_int]),
    "evclip_painter_free": (None, [POINTER(c_void_p)]),
    "evclip_painter_label": (c_int, [POINTER(EvclipDetection), c_char_p, c_size_t]),
}

# enum EvclipPixelFormat
PIXFMT_YUV420P, PIXFMT_BGR24, PIXFMT_RGB24 = 0, 1, 2

_lock = threading.Lock()
_lib = None


def _candidates():
    env = os.environ.get("EVCLIP_LIBRARY")
    if env:
        yield env, "$EVCLIP_LIBRARY"
        return
    # Bundled by `pip install .` (meson-python, -Dpython=true) beside this module.
    bundled = Path(__file__).resolve().parent / "libevclip.so"
    if bundled.exists():
        yield str(bundled), "the evclip package"
    found = ctypes.util.find_library("evclip")
    if found:
        yield found, "the installed library path"
    for prefix in ("/usr/local/lib", "/usr/lib"):
        for sub in ("", "x86_64-linux-gnu", "aarch64-linux-gnu"):
            path = os.path.join(prefix, sub, "libevclip.so")
            if os.path.exists(path):
                yield path, "the installed library path"
    # Build tree: python/evclip/_lib.py -> the repository root, then build*/libevclip.so.
    root = Path(__file__).resolve().parent.parent.parent
    if (root / "meson.build").exists():
        for build in sorted(root.glob("build*/libevclip.so")):
            yield str(build), "the build tree"


def load():
    """Returns the loaded library (loading it on first use). Raises OSError naming where it
    looked when libevclip.so cannot be found or loaded."""
    global _lib
    with _lock:
        if _lib is not None:
            return _lib
        tried = []
        for path, where in _candidates():
            try:
                lib = ctypes.CDLL(path)
            except OSError as exc:
                tried.append(f"{path} ({where}): {exc}")
                continue
            try:
                _declare(lib)
            except AttributeError as exc:
                raise AbiMismatchError(f"evclip: {path} ({where}) is not the libevclip this "
                                       f"binding was written for (API {API_VERSION_MAJOR}.x): "
                                       f"{exc}") from None
            check_abi(lib, path)
            _lib = lib
            return lib
        detail = "; ".join(tried) if tried else "nothing found"
        raise OSError("evclip: cannot load libevclip.so (install the package with `pip "
                      "install .` from the repository, which bundles it; or set EVCLIP_LIBRARY "
                      "to its path, install it with 'meson install', or build it in the source "
                      "tree): "
                      + detail)


class AbiMismatchError(ImportError):
    """The loaded libevclip's ABI differs from this binding's ctypes mirror."""


def check_abi(lib, path="libevclip"):
    """Raises AbiMismatchError unless the library's API major and the size of every
    mirrored struct equal this binding's (a mismatch would corrupt memory silently)."""
    api = lib.evclip_version_api()
    major, minor, patch = api >> 16, (api >> 8) & 0xFF, api & 0xFF
    problems = []
    if major != API_VERSION_MAJOR:
        problems.append(f"API {major}.{minor}.{patch}, binding expects {API_VERSION_MAJOR}.x")
    for struct in MIRRORED_STRUCTS:
        theirs = lib.evclip_struct_size(struct.__name__.encode())
        ours = ctypes.sizeof(struct)
        if theirs != ours:
            problems.append(f"sizeof({struct.__name__}) is {theirs} in the library, "
                            f"{ours} in python/evclip/_lib.py")
    for struct in GROWING_STRUCTS:
        theirs = lib.evclip_struct_size(struct.__name__.encode())
        if theirs < ctypes.sizeof(struct):
            problems.append(f"sizeof({struct.__name__}) is {theirs} in the library, at "
                            f"least {ctypes.sizeof(struct)} expected")
    if problems:
        raise AbiMismatchError(f"evclip: {path} does not match this Python binding: "
                               + "; ".join(problems) + " (install the binding and the "
                               "library from the same evclip release)")


def _declare(lib):
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    for name, (restype, argtypes) in _OPTIONAL.items():
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.restype = restype
            fn.argtypes = argtypes


def has(name):
    return getattr(load(), name, None) is not None


def text(raw):
    """Decodes a C string (bytes or None) for messages."""
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return str(raw)


def last_error():
    return text(load().evclip_last_error())


def strerror(code):
    return text(load().evclip_strerror(int(code)))


def color_parse(value):
    """(B, G, R) of "#rrggbb" or a CSS colour name, parsed by the C library (the one colour
    table). Raises ValueError with its message for anything else."""
    bgr = (c_uint8 * 3)()
    if load().evclip_color_parse(str(value).encode("utf-8", errors="replace"), bgr) < 0:
        raise ValueError(last_error())
    return tuple(bgr)


def palette_color(label, track_id=None):
    """(B, G, R) the C library draws a box with when it has no explicit colour."""
    bgr = (c_uint8 * 3)()
    track = -1 if track_id is None or track_id < 0 else int(track_id)
    load().evclip_palette_color(str(label).encode("utf-8", errors="replace"), track, bgr)
    return tuple(bgr)


_logger = logging.getLogger("evclip")
_LEVELS = {LOG_ERROR: logging.ERROR, LOG_WARNING: logging.WARNING, LOG_INFO: logging.INFO,
           LOG_DEBUG: logging.DEBUG}


def _log(opaque, level, message):
    try:
        _logger.log(_LEVELS.get(level, logging.DEBUG), "%s", text(message))
    except Exception:  # never let an exception cross back into C
        pass


def log_level():
    """The most verbose evclip level the "evclip" Python logger would show."""
    for level in (LOG_DEBUG, LOG_INFO, LOG_WARNING):
        if _logger.isEnabledFor(_LEVELS[level]):
            return level
    return LOG_ERROR


# One callback object for the whole process: it must outlive every renderer using it.
LOG_CALLBACK = LogCallback(_log)
