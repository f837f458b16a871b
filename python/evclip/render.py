"""render_from_jsonl / render_clip / render_clips over libevclip (cv-evidence-renderer API).

Every argument is validated in Python before any ctypes call, so a wrong type raises
TypeError / ValueError instead of reaching C. Errors from C raise EvclipError (or a subclass)
carrying evclip's message (evclip_last_error() / EvclipResult.error).
"""

from __future__ import annotations

import ctypes
import errno
import json
import math
import os
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from evclip import _lib, wallclock
from evclip.adapters import as_frames, from_jsonl, read_log
from evclip.types import (Clip, ClipSource, Detection, Encoder, FrameDetections, RenderResult,
                          finite, is_number)

_DURATION_STRATEGIES = ("timelapse", "framedrop")
_FORMATS = ("auto", "jsonl", "grouped", "ultralytics", "inspect", "mot")
# cv-evidence-renderer's Encoder names -> FFmpeg encoder names.
_ENCODER_NAMES = {"nvenc_h264": "h264_nvenc", "nvenc_h265": "hevc_nvenc"}
# "Decode to the end": a window end far past any video, clamped by the library.
_TO_END = 1e12


class EvclipError(RuntimeError):
    """A failure reported by libevclip. `code` is the negative EVCLIP_ERR_* value, `message`
    evclip's detailed text; `results` holds every clip's RenderResult for render_clips."""

    def __init__(self, code: int, message: str, results: Optional[List[RenderResult]] = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.results = results


class DetectionsError(EvclipError, ValueError):
    """Detection log missing or malformed ("file:line: field 'x': why")."""


class WindowError(EvclipError, ValueError):
    """Window empty or outside the video (the message names the real duration)."""


class InputError(EvclipError):
    """Video missing, unreadable, not a video, or without a video stream."""


class EncoderError(EvclipError, ValueError):
    """Unknown encoder, or one that cannot be opened (a ValueError, as cv-evidence-renderer
    raises for an unknown encoder)."""


class _NotFound(FileNotFoundError):
    """Sets FileNotFoundError's errno, strerror and filename on an EvclipError subclass."""

    def _not_found(self, path: str) -> None:
        self.errno, self.strerror, self.filename = errno.ENOENT, os.strerror(errno.ENOENT), path

    def __str__(self) -> str:
        return self.message


class VideoNotFoundError(InputError, _NotFound):
    """A source video that does not exist (an InputError and a FileNotFoundError)."""


class LogNotFoundError(DetectionsError, _NotFound):
    """A detection log that does not exist (a DetectionsError and a FileNotFoundError)."""


class OutputError(EvclipError):
    """Output directory missing, output exists (overwrite=False) or not writable."""


_ERRORS = {
    _lib.ERR_DETECTIONS: DetectionsError,
    _lib.ERR_WINDOW: WindowError,
    _lib.ERR_INPUT: InputError,
    _lib.ERR_NO_VIDEO: InputError,
    _lib.ERR_OUTPUT: OutputError,
    _lib.ERR_EXISTS: OutputError,
    _lib.ERR_ENCODER: EncoderError,
}


def _missing(path: Any) -> Optional[str]:
    """The path as text when it names a local file that does not exist (URLs and FFmpeg
    protocol inputs such as "rtsp://..." or "pipe:0" are left to the library)."""
    text = os.fsdecode(os.fspath(path))
    if "://" in text or (":" in text.split("/")[0] and not os.path.isabs(text)):
        return None
    return None if os.path.exists(text) else text


def _not_found(cls, path: str, what: str) -> EvclipError:
    code = _lib.ERR_INPUT if cls is VideoNotFoundError else _lib.ERR_DETECTIONS
    err = cls(code, f"{what} '{path}' does not exist: {os.strerror(errno.ENOENT)}")
    err._not_found(path)
    return err


def _clip_error(code: int, message: str, sources: List[ClipSource],
                results=None) -> EvclipError:
    """The error of a failed clip: a VideoNotFoundError (also a FileNotFoundError) when the
    library could not open an input and one of the clip's videos does not exist."""
    if code == _lib.ERR_INPUT:
        for src in sources:
            path = _missing(src.video)
            if path is not None:
                err = VideoNotFoundError(code, message or _lib.strerror(code), results)
                err._not_found(path)
                return err
    return _error(code, message, results)


def _error(code: int, message: str = "", results=None) -> EvclipError:
    if not message:
        message = _lib.strerror(code)
    return _ERRORS.get(code, EvclipError)(code, message, results)


def _check(code: int) -> int:
    if code < 0:
        raise _error(code, _lib.last_error())
    return code


# ---- Argument validation -------------------------------------------------------------------

def _path(value: Any, name: str) -> bytes:
    if isinstance(value, bytes):
        value = os.fsdecode(value)
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike path, got {type(value).__name__}")
    text = os.fspath(value)
    if not isinstance(text, str) or not text:
        raise ValueError(f"{name} must be a non-empty path")
    if "\0" in text:
        raise ValueError(f"{name} contains a NUL character")
    return os.fsencode(text)


def _number(value: Any, name: str, minimum: Optional[float] = None,
            above: Optional[float] = None) -> float:
    if not is_number(value):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN")
    if minimum is not None and not v >= minimum:
        raise ValueError(f"{name} must be >= {minimum:g}, got {value}")
    if above is not None and not v > above:
        raise ValueError(f"{name} must be > {above:g}, got {value}")
    return v


_C_INT_MIN, _C_INT_MAX = -2**31, 2**31 - 1


def _optional_int(value: Any, name: str, lo: int, hi: int) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in {lo}..{hi}, got {value}")
    return value


def _optional_text(value: Any, name: str) -> Optional[bytes]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if "\0" in value:
        raise ValueError(f"{name} contains a NUL character")
    return value.encode("utf-8")


def _validate_knobs(playback_speed, max_duration_seconds, duration_strategy):
    """cv-evidence-renderer's checks and messages."""
    if not is_number(playback_speed):
        raise TypeError(f"playback_speed must be a number, got {type(playback_speed).__name__}")
    if not playback_speed > 0 or not math.isfinite(playback_speed):
        raise ValueError(f"playback_speed must be > 0, got {playback_speed}")
    if max_duration_seconds is not None:
        if not is_number(max_duration_seconds):
            raise TypeError("max_duration_seconds must be a number or None, got "
                            f"{type(max_duration_seconds).__name__}")
        if not max_duration_seconds > 0:
            raise ValueError(f"max_duration_seconds must be > 0, got {max_duration_seconds}")
    if duration_strategy not in _DURATION_STRATEGIES:
        raise ValueError(
            f"duration_strategy must be one of {_DURATION_STRATEGIES}, got {duration_strategy!r}"
        )


def _encoder_name(encoder: Any) -> bytes:
    if isinstance(encoder, Encoder):
        encoder = encoder.value
    if not isinstance(encoder, str) or not encoder:
        raise TypeError(f"encoder must be an Encoder or an FFmpeg encoder name, got {encoder!r}")
    return _ENCODER_NAMES.get(encoder, encoder).encode("utf-8")


def _check_source(src: Any, i: int) -> ClipSource:
    if not isinstance(src, ClipSource):
        raise TypeError(f"sources[{i}] must be a ClipSource, got {type(src).__name__}")
    _path(src.video, f"sources[{i}].video")
    _number(src.from_seconds, f"sources[{i}].from_seconds", minimum=0)
    wallclock.epoch_seconds(src.epoch, f"sources[{i}].epoch")
    if src.to_seconds is not None:
        _number(src.to_seconds, f"sources[{i}].to_seconds", above=float(src.from_seconds))
    d = src.detections
    if d is not None and not isinstance(d, (str, bytes, os.PathLike, FrameDetections)) and \
            (isinstance(d, dict) or not hasattr(d, "__iter__")):
        raise TypeError(f"sources[{i}].detections must be a path, FrameDetections, an iterable "
                        f"of FrameDetections or None, got {type(d).__name__}")
    return src


def _check_sources(sources: Any, who: str) -> List[ClipSource]:
    if isinstance(sources, ClipSource):
        sources = [sources]
    if isinstance(sources, (str, bytes)) or not hasattr(sources, "__iter__"):
        raise TypeError(f"sources must be a list of ClipSource, got {type(sources).__name__}")
    sources = list(sources)
    if not sources:
        raise ValueError(f"{who} needs at least one ClipSource")
    return [_check_source(s, i) for i, s in enumerate(sources)]


# ---- Settings ------------------------------------------------------------------------------

_SETTING_NAMES = ("pre_roll", "post_roll", "preset", "crf", "bitrate", "hold", "title",
                  "timestamp", "audio", "overwrite", "clamp", "font", "thickness", "font_size",
                  "threads", "manifest", "sign_key", "embed_detections", "width", "height",
                  "detections_format", "normalized", "ts_origin", "stream", "fps",
                  "box_space", "mkdirs", "poster", "label_max", "redact", "redact_mode",
                  "redact_pad", "redact_label", "redact_detections", "interpolate", "style",
                  "native", "epoch", "tz", "ffmpeg_log")
_REDACT_MODES = {"pixelate": 0, "blur": 1, "fill": 2}   # enum EvclipRedactMode
_TS_ORIGINS = {"start": 0, "pts": 1}   # enum EvclipTsOrigin
_BOX_SPACES = {"display": 0, "stored": 1}   # enum EvclipBoxSpace


def _style_text(style) -> Optional[bytes]:
    """A style given as a dict (the JSON object itself) or a path to a style file, as JSON
    text for EvclipDrawOptions.style (checked by the library)."""
    if style is None:
        return None
    if isinstance(style, dict):
        try:
            return json.dumps(style, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise ValueError(f"style: not JSON-serialisable: {exc}") from None
    path = _path(style, "style")
    try:
        with open(path, "rb") as f:
            return f.read(1 << 20)
    except OSError as exc:
        raise ValueError(f"style: cannot read '{os.fsdecode(path)}': {exc.strerror}") from None


class _Options:
    """evclip's keyword extras, validated once."""

    def __init__(self, encoder="libx264", pre_roll=0.0, post_roll=0.0, preset=None, crf=None,
                 bitrate=None, hold=0.0, title=None, timestamp=False, audio=True,
                 overwrite=True, clamp=True, font=None, thickness=None, font_size=None,
                 threads=0, manifest=True, sign_key=None, embed_detections=True, width=None,
                 height=None, detections_format=None, normalized=False, ts_origin="start",
                 stream=None, fps=None, box_space="display", mkdirs=True, poster=False,
                 label_max=None, redact=None, redact_mode="pixelate", redact_pad=0,
                 redact_label=None, redact_detections=None, interpolate=0.0, style=None,
                 native=False, epoch=None, tz=None, ffmpeg_log=True):
        self.encoder = _encoder_name(encoder)
        self.pre_roll = _number(pre_roll, "pre_roll", minimum=0)
        self.post_roll = _number(post_roll, "post_roll", minimum=0)
        self.preset = _optional_text(preset, "preset")
        # Encoder and drawing ranges are libevclip's (evclip_settings_validate, checked below):
        # here only that each value is of the right type and fits its C field.
        self.crf = _optional_int(crf, "crf", _C_INT_MIN, _C_INT_MAX)
        self.bitrate = _optional_int(bitrate, "bitrate", -2**63, 2**63 - 1)
        self.hold = _number(hold, "hold")
        self.title = _optional_text(title, "title")
        self.font = _optional_text(font, "font")
        self.sign_key = None if sign_key is None else _path(sign_key, "sign_key")
        self.thickness = _optional_int(thickness, "thickness", _C_INT_MIN, _C_INT_MAX)
        self.font_size = _optional_int(font_size, "font_size", _C_INT_MIN, _C_INT_MAX)
        self.label_max = _optional_int(label_max, "label_max", _C_INT_MIN, _C_INT_MAX)
        self.threads = _optional_int(threads, "threads", _C_INT_MIN, _C_INT_MAX) or 0
        self.width = _optional_int(width, "width", 2, 16384) or 0
        self.height = _optional_int(height, "height", 2, 16384) or 0
        self.flags = {}
        for name, value in (("timestamp", timestamp), ("audio", audio),
                            ("overwrite", overwrite), ("clamp", clamp), ("manifest", manifest),
                            ("embed_detections", embed_detections),
                            ("normalized", normalized), ("mkdirs", mkdirs),
                            ("poster", poster), ("native", native),
                            ("ffmpeg_log", ffmpeg_log)):
            if not isinstance(value, (bool, int)):
                raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
            self.flags[name] = int(bool(value))
        if detections_format is not None and detections_format not in _FORMATS:
            raise ValueError(f"detections_format must be one of {_FORMATS}, got "
                             f"{detections_format!r}")
        self.detections_format = detections_format
        if ts_origin not in _TS_ORIGINS:
            raise ValueError(f"ts_origin must be 'start' or 'pts', got {ts_origin!r}")
        self.ts_origin = _TS_ORIGINS[ts_origin]
        if box_space not in _BOX_SPACES:
            raise ValueError(f"box_space must be 'display' or 'stored', got {box_space!r}")
        self.box_space = _BOX_SPACES[box_space]
        stream = _optional_int(stream, "stream", 0, 1000)
        self.stream = 0 if stream is None else stream + 1
        self.fps = 0.0 if fps is None else _number(fps, "fps", minimum=0.01)
        self._style = _style_text(style)
        self.epoch = wallclock.epoch_seconds(epoch, "epoch")
        self._tz = _optional_text(tz, "tz")
        self._draw = self._draw_options(redact, redact_mode, redact_pad, redact_label,
                                        redact_detections, _number(interpolate, "interpolate"))
        self._validate()

    def _draw_options(self, redact, mode, pad, label, log, interpolate):
        """EvclipDrawOptions for the redaction kwargs (None when nothing is redacted); the
        selectors are checked by the library (_validate)."""
        if isinstance(redact, str):
            redact = [redact]
        if redact is None:
            redact = []
        if not isinstance(redact, (list, tuple)) or \
                not all(isinstance(r, str) for r in redact):
            raise TypeError("redact must be a selector str ('all', 'label=NAME', 'track=N') "
                            f"or a list of them, got {redact!r}")
        if mode not in _REDACT_MODES:
            raise ValueError(f"redact_mode must be 'pixelate', 'blur' or 'fill', got {mode!r}")
        pad = _optional_int(pad, "redact_pad", 0, 1000) or 0
        label = _optional_text(label, "redact_label")
        log = None if log is None else _path(log, "redact_detections")
        if not redact and log is None and interpolate == 0 and self._style is None and \
                self._tz is None:
            return None
        self._selectors = (ctypes.c_char_p * max(1, len(redact)))(
            *[_optional_text(r, "redact") for r in redact])
        o = _lib.EvclipDrawOptions()
        o.struct_size = ctypes.sizeof(o)
        o.redact = ctypes.cast(self._selectors, ctypes.POINTER(ctypes.c_char_p))
        o.nb_redact = len(redact)
        o.redact_mode = _REDACT_MODES[mode]
        o.redact_pad = pad
        o.redact_label = label
        o.redact_detections = log
        o.interpolate = interpolate
        o.style = self._style
        o.timezone = self._tz
        return o

    def _validate(self):
        """Asks libevclip to check the settings (its ranges are the only ones, the same as
        the CLI's and clip specs'): ValueError with the library's message."""
        lib = _lib.load()
        s = _lib.EvclipSettings()
        lib.evclip_default_settings(ctypes.byref(s))
        self.fill(s)
        if lib.evclip_settings_validate(ctypes.byref(s)) < 0:
            raise ValueError(_lib.last_error())

    def fill_source(self, src: _lib.EvclipSource, epoch: Optional[float] = None):
        """Per-input options (the same for every source of the clip); epoch: the source's own
        (ClipSource.epoch), else epoch=."""
        src.ts_origin = self.ts_origin
        src.stream = self.stream
        src.fps = self.fps
        wallclock.fill(src, epoch if epoch is not None else self.epoch)

    def fill(self, s: _lib.EvclipSettings, title: Optional[bytes] = None, clamp: bool = False):
        s.encoder = self.encoder
        if self.preset is not None:
            s.preset = self.preset
        if self.crf is not None:
            s.crf = self.crf
        if self.bitrate is not None:
            s.bitrate = self.bitrate
        s.threads = self.threads
        s.audio = self.flags["audio"]
        s.font = self.font
        s.hold = self.hold
        s.title = title if title is not None else self.title
        s.timestamp = self.flags["timestamp"]
        s.thickness = self.thickness or 0
        s.font_size = self.font_size or 0
        s.label_max = self.label_max or 0
        s.overwrite = self.flags["overwrite"]
        s.clamp = int(self.flags["clamp"] or clamp)
        s.manifest = self.flags["manifest"]
        s.sign_key = self.sign_key
        s.embed_detections = self.flags["embed_detections"]
        s.box_space = self.box_space
        # FFmpeg's own messages (x264's banner, the muxer's faststart pass, the failures of
        # "auto"'s hardware probes) go to the "evclip" logger, FFmpeg's info as debug, instead
        # of stderr; ffmpeg_log=False leaves FFmpeg's process-wide logging as the host set it.
        s.ffmpeg_log = self.flags["ffmpeg_log"] or int(self.encoder == b"auto")
        s.poster = self.flags["poster"]
        s.native = self.flags["native"]
        # the options (and the selectors they point to) live as long as this _Options
        s.draw_options = ctypes.addressof(self._draw) if self._draw is not None else None


def _output_dir(output: bytes, mkdirs: int, where: str = "") -> None:
    """The output's folder checked, or created with mkdirs, by the library
    (evclip_output_dir(), as the CLI's --mkdirs): OutputError naming the folder."""
    lib = _lib.load()
    if not _lib.has("evclip_output_dir"):
        raise EvclipError(_lib.ERR_UNSUPPORTED, "this libevclip has no evclip_output_dir "
                          "(mkdirs)")
    code = lib.evclip_output_dir(output, mkdirs)
    if code < 0:
        message = _lib.last_error()
        if code == _lib.ERR_OUTPUT and not mkdirs:
            message += " (mkdirs=True creates it)"
        raise _error(code, where + message)


def _options(kwargs: Dict[str, Any], encoder) -> _Options:
    unknown = sorted(set(kwargs) - set(_SETTING_NAMES))
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(unknown)}")
    return _Options(encoder=encoder, **kwargs)


# ---- Detections ----------------------------------------------------------------------------

def palette_color(label: str, track_id: Optional[int] = None) -> Tuple[int, int, int]:
    """The (B, G, R) colour evclip draws a box with when it has no explicit colour (the C
    library's palette: by track id, else by label)."""
    return _lib.palette_color(label, track_id)


def color_bgr(color: Any, where: str = "color") -> Optional[Tuple[int, int, int]]:
    """(B, G, R) of a colour given as (B, G, R) values 0..255, "#rrggbb" or a CSS colour name
    (parsed by the C library, as in a detection log); None stays None."""
    if color is None:
        return None
    if isinstance(color, str):
        try:
            return _lib.color_parse(color)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    if isinstance(color, bytes) or not hasattr(color, "__len__") or len(color) != 3 or \
            not all(is_number(c) and 0 <= c <= 255 for c in color):
        raise ValueError(f"{where}: color must be (B, G, R) with values 0..255, \"#rrggbb\" or "
                         f"a CSS colour name, got {color!r}")
    return tuple(int(c) for c in color)


class _Store:
    """An EvclipDetections handle, freed on close()."""

    def __init__(self):
        self.lib = _lib.load()
        self.handle = ctypes.c_void_p()
        _check(self.lib.evclip_detections_new(ctypes.byref(self.handle)))

    def close(self):
        if self.handle:
            self.lib.evclip_detections_free(ctypes.byref(self.handle))

    def load(self, path: bytes, fmt: Optional[str], normalized: int):
        if fmt in (None, "auto") and not normalized:
            _check(self.lib.evclip_detections_load(self.handle, path))
        elif _lib.has("evclip_detections_load_format"):
            _check(self.lib.evclip_detections_load_format(
                self.handle, path, None if fmt is None else fmt.encode(), normalized))
        else:
            raise EvclipError(_lib.ERR_UNSUPPORTED, "this libevclip has no "
                              "evclip_detections_load_format (formats, normalized)")

    def add(self, dets: List[Tuple[_lib.EvclipDetection, Optional[bytes]]]):
        for det, text in dets:
            poly = getattr(det, "polygon", None)  # set by _prepare (extra["polygon"])
            extra = getattr(det, "extra_json", None)
            if extra is not None:
                if not _lib.has("evclip_detections_add_extra"):
                    raise EvclipError(_lib.ERR_UNSUPPORTED, "this libevclip has no "
                                      "evclip_detections_add_extra (extra keys)")
                _check(self.lib.evclip_detections_add_extra(
                    self.handle, ctypes.byref(det), text, poly,
                    0 if poly is None else len(poly) // 2, extra))
            elif poly is not None:
                if not _lib.has("evclip_detections_add_polygon"):
                    raise EvclipError(_lib.ERR_UNSUPPORTED, "this libevclip has no "
                                      "evclip_detections_add_polygon (polygons)")
                _check(self.lib.evclip_detections_add_polygon(
                    self.handle, ctypes.byref(det), text, poly, len(poly) // 2))
            elif text is None:
                _check(self.lib.evclip_detections_add(self.handle, ctypes.byref(det)))
            else:
                _check(self.lib.evclip_detections_add_text(self.handle, ctypes.byref(det), text))


def _prepare(frames: Iterable[FrameDetections], formatter,
             normalized: int) -> List[Tuple[_lib.EvclipDetection, Optional[bytes]]]:
    """Validates in-memory detections and converts them to C structures (no library needed,
    so every argument error is raised before anything is loaded or opened)."""
    out = []
    for fd in frames:
        keys = _lib.EvclipDetection()
        _frame_keys(fd, keys)
        key = fd.frame_idx if fd.frame_idx is not None else fd.timestamp
        for i, d in enumerate(fd.detections):
            det = _lib.EvclipDetection(frame_idx=keys.frame_idx, ts=keys.ts)
            where = f"frame {key} detection {i}"
            text = _fill_detection(d, det, formatter, normalized, where)
            det.polygon = _polygon(d, where)  # a Python attribute: the points C gets
            det.extra_json = _extra_json(d)    # likewise: the extra keys templates read
            out.append((det, text))
    return out


def _frame_keys(fd: Any, det: _lib.EvclipDetection):
    if not isinstance(fd, FrameDetections):
        raise TypeError(f"expected FrameDetections, got {type(fd).__name__}")
    if fd.frame_idx is None and fd.timestamp is None:
        raise ValueError("FrameDetections needs either frame_idx or timestamp")
    if fd.frame_idx is not None:
        if isinstance(fd.frame_idx, bool) or not isinstance(fd.frame_idx, int) and \
                not (is_number(fd.frame_idx) and float(fd.frame_idx).is_integer()):
            raise TypeError(f"frame_idx must be an int, got {fd.frame_idx!r}")
        if not 0 <= int(fd.frame_idx) < 2**62:
            raise ValueError(f"frame_idx must be >= 0, got {fd.frame_idx}")
    if fd.timestamp is not None and not (finite(fd.timestamp) and fd.timestamp >= 0):
        raise ValueError(f"timestamp must be a finite number >= 0, got {fd.timestamp!r}")
    if not isinstance(fd.detections, (list, tuple)):
        raise TypeError(f"FrameDetections.detections must be a list, got "
                        f"{type(fd.detections).__name__}")
    det.frame_idx = int(fd.frame_idx) if fd.frame_idx is not None else _lib.EVCLIP_NONE
    det.ts = float(fd.timestamp) if fd.timestamp is not None else _lib.EVCLIP_NONE


def _fill_detection(d: Any, det: _lib.EvclipDetection, formatter, normalized: int,
                    where: str) -> Optional[bytes]:
    """Fills det from a Detection; returns the label_formatter's chip text (None without)."""
    if not isinstance(d, Detection):
        raise TypeError(f"{where}: expected a Detection, got {type(d).__name__}")
    bbox = d.bbox
    if isinstance(bbox, (str, bytes)) or not hasattr(bbox, "__len__") or len(bbox) != 4 or \
            not all(is_number(v) for v in bbox):
        raise ValueError(f"{where}: bbox must be 4 numbers (x1, y1, x2, y2), got {bbox!r}")
    det.x1, det.y1, det.x2, det.y2 = (float(v) for v in bbox)
    if not isinstance(d.label, str):
        raise TypeError(f"{where}: label must be a str, got {type(d.label).__name__}")
    score = d.score
    if score is not None and not is_number(score):
        raise TypeError(f"{where}: score must be a number or None, got {score!r}")
    track = d.track_id
    if track is not None and (isinstance(track, bool) or not is_number(track)
                              or not float(track).is_integer() or abs(track) >= 2**62):
        raise TypeError(f"{where}: track_id must be an int or None, got {track!r}")
    color = color_bgr(d.color, where)
    text = None
    if formatter is not None:
        # The formatter's text is the whole chip; the label, score and track stay the
        # detection's (colour, SEI, manifest): evclip_detections_add_text.
        text = formatter(d)
        if not isinstance(text, str):
            raise TypeError(f"label_formatter must return a str, got {type(text).__name__}")
        text = text.replace("\0", "").encode("utf-8", errors="replace")
    det.label = d.label.replace("\0", "").encode("utf-8", errors="replace")
    det.score = float(score) if score is not None else _lib.EVCLIP_NONE
    det.track_id = int(track) if track is not None else _lib.EVCLIP_NONE
    det.has_color = int(color is not None)
    det.color[:] = color if color is not None else (0, 0, 0)
    extra = d.extra if isinstance(d.extra, dict) else {}
    det.normalized = int(bool(extra.get("normalized", normalized)))
    return text


def _extra_json(d: Any) -> Optional[bytes]:
    """Detection.extra's string and finite number values (numpy scalars included), the values
    style chip templates format as {extra[KEY]}, as a JSON object for the store; None without
    any. The keys evclip reads itself (polygon, normalized) are not passed, nor values of
    other types (templates leave such fields out, as for a log's extra)."""
    extra = d.extra if isinstance(d.extra, dict) else {}
    kept = {}
    for key, value in extra.items():
        if not isinstance(key, str) or key in ("polygon", "normalized"):
            continue
        item = getattr(value, "item", None)
        if callable(item) and not isinstance(value, str):
            try:
                value = item()
            except (TypeError, ValueError):
                continue
        if isinstance(value, str) or (isinstance(value, (int, float)) and
                                      not isinstance(value, bool) and math.isfinite(value)):
            kept[key] = value
    return json.dumps(kept).encode() if kept else None


def _polygon(d: Any, where: str):
    """extra["polygon"] ([[x, y], ...], 3 or more points, in the bbox's space: an oriented
    box's corners, a mask contour) as a flat C double array, or None without one. The clip
    draws its outline; the box becomes its bounding box."""
    poly = d.extra.get("polygon") if isinstance(d.extra, dict) else None
    if poly is None:
        return None
    try:
        pts = [(float(p[0]), float(p[1])) for p in poly
               if not isinstance(p, (str, bytes)) and len(p) == 2 and
               all(is_number(v) for v in p)]
    except TypeError:
        pts = []
    if isinstance(poly, (str, bytes, dict)) or len(pts) != len(poly) or len(pts) < 3 or \
            not all(finite(v) for p in pts for v in p):
        raise ValueError(f"{where}: extra[\"polygon\"] must be 3 or more finite [x, y] points, "
                         f"got {poly!r:.200}")
    return (ctypes.c_double * (2 * len(pts)))(*[v for p in pts for v in p])


class _Stores:
    """Detection stores of one call, shared between sources with the same input. prepare()
    validates every source's detections first; get() then creates the C stores."""

    def __init__(self, opts: _Options):
        self.opts = opts
        self.stores: List[_Store] = []
        self.pending: Dict[Any, Tuple[str, Any]] = {}
        self.by_key: Dict[Any, _Store] = {}

    @staticmethod
    def _key(detections: Any, formatter: Optional[Callable]) -> Tuple[Any, int]:
        is_path = isinstance(detections, (str, bytes, os.PathLike))
        return (os.fspath(detections) if is_path else id(detections), id(formatter))

    def prepare(self, detections: Any, formatter: Optional[Callable]) -> None:
        if detections is None:
            return
        if formatter is not None and not callable(formatter):
            raise TypeError(f"label_formatter must be callable, got {type(formatter).__name__}")
        key = self._key(detections, formatter)
        if key in self.pending:
            return
        normalized = self.opts.flags["normalized"]
        is_path = isinstance(detections, (str, bytes, os.PathLike))
        missing = _missing(_path(detections, "detections")) if is_path else None
        if missing is not None:
            raise _not_found(LogNotFoundError, missing, "detection log")
        if is_path and formatter is None:
            self.pending[key] = ("path", _path(detections, "detections"))
            return
        if is_path:
            _path(detections, "detections")
            fmt = self.opts.detections_format
            try:
                # Native and grouped JSONL keep their Python reader (extra, messages); every
                # other format is read by the C reader and read back.
                frames = list(from_jsonl(os.fsdecode(detections))) \
                    if fmt in (None, "auto", "jsonl", "grouped") \
                    else read_log(os.fsdecode(detections), fmt)
            except OSError as exc:
                raise DetectionsError(_lib.ERR_DETECTIONS, f"{os.fsdecode(detections)}: "
                                      f"{exc.strerror or exc}") from exc
        else:
            frames = as_frames(detections)
        self.pending[key] = ("dets", _prepare(frames, formatter, normalized))

    def get(self, detections: Any, formatter: Optional[Callable]) -> Optional[_Store]:
        if detections is None:
            return None
        key = self._key(detections, formatter)
        if key in self.by_key:
            return self.by_key[key]
        self.prepare(detections, formatter)
        kind, value = self.pending[key]
        store = _Store()
        self.stores.append(store)
        if kind == "path":
            store.load(value, self.opts.detections_format, self.opts.flags["normalized"])
        else:
            store.add(value)
        self.by_key[key] = store
        return store

    def close(self):
        for s in self.stores:
            s.close()


# ---- Rendering -----------------------------------------------------------------------------

class _Renderer:
    def __init__(self, opts: _Options, clamp: bool):
        self.lib = _lib.load()
        self.settings = _lib.EvclipSettings()
        self.lib.evclip_default_settings(ctypes.byref(self.settings))
        self.settings.log_callback = _lib.LOG_CALLBACK
        self.settings.log_level = _lib.log_level()
        opts.fill(self.settings, clamp=clamp)
        self.handle = ctypes.c_void_p()
        _check(self.lib.evclip_open(ctypes.byref(self.handle), ctypes.byref(self.settings)))

    def close(self):
        if self.handle:
            self.lib.evclip_close(ctypes.byref(self.handle))


class _ClipSpec:
    """A clip converted to C structures (kept alive while rendering)."""

    def __init__(self, sources: List[ClipSource], output: Any, speed: float,
                 max_duration: Optional[float], strategy: str, formatter, stores: _Stores,
                 opts: _Options, pre_roll: float, post_roll: float, settings=None):
        self.output = Path(os.fsdecode(output)) if isinstance(output, bytes) else Path(output)
        self.c_sources = (_lib.EvclipSource * len(sources))()
        for i, src in enumerate(sources):
            store = stores.get(src.detections, formatter)
            self.c_sources[i].path = _path(src.video, f"sources[{i}].video")
            self.c_sources[i].detections = store.handle if store else None
            self.c_sources[i].start = float(src.from_seconds)
            self.c_sources[i].end = float(src.to_seconds) if src.to_seconds is not None \
                else _TO_END
            opts.fill_source(self.c_sources[i],
                             wallclock.epoch_seconds(src.epoch, f"sources[{i}].epoch"))
        self.settings = settings
        self.clip = _lib.EvclipClip(
            sources=self.c_sources, nb_sources=len(sources),
            output=_path(output, "output"), pre_roll=pre_roll, post_roll=post_roll,
            speed=speed, max_duration=max_duration or 0.0,
            cap_strategy=_lib.CAP_FRAMEDROP if strategy == "framedrop" else _lib.CAP_TIMELAPSE,
            width=opts.width, height=opts.height,
            settings=ctypes.pointer(settings) if settings is not None else None)


def _result(output: Path, r: _lib.EvclipResult, status: int) -> RenderResult:
    return RenderResult(
        output=output, status=status, error=_lib.text(r.error),
        frames=r.frames, duration=r.duration, first_time=r.first_time,
        last_time=r.last_time, boxes_drawn=r.boxes_drawn, frames_decoded=r.frames_decoded,
        has_audio=bool(r.has_audio), encoder=_lib.text(r.encoder), width=r.width,
        height=r.height, sha256=_lib.text(r.output_sha256), damaged_packets=r.damaged_packets,
        warnings=[w for w in _lib.text(r.warnings).split("\n") if w])


def render_clip(sources: List[ClipSource], output, encoder=Encoder.LIBX264,
                playback_speed: float = 1.0, label_formatter=None,
                max_duration_seconds: Optional[float] = None,
                duration_strategy: str = "timelapse", *, return_result: bool = False,
                **options):
    """Renders one evidence clip from one or more ClipSource segments joined in order.

    Returns the output Path (a RenderResult with return_result=True). evclip extras as
    keyword arguments: pre_roll, post_roll (seconds), preset, crf, bitrate, hold (seconds),
    title, timestamp, audio, overwrite (default True, as cv-evidence-renderer), clamp, font,
    thickness, font_size, label_max (characters of a label drawn; longer ones end in an
    ellipsis; default None = no limit), threads, manifest, sign_key, embed_detections, width,
    height, detections_format ("auto", "jsonl", "grouped", "ultralytics", "inspect", "mot"), normalized,
    ts_origin ("start": ts from the stream's start time as OpenCV's CAP_PROP_POS_MSEC, default;
    "pts": frame.pts * time_base as PyAV), stream
    (0-based video stream; default the first that is not cover art), fps (rate of an input
    without timestamps, raw .h264/.hevc), box_space ("display": boxes of a rotated input are
    pixels of the upright frame players show, default; "stored": of the frame as stored, as
    PyAV decodes it), mkdirs (create the output's missing folders, default True as
    cv-evidence-renderer; False: a missing folder raises OutputError naming it), clamp (a
    window ending after the video is cut at its end with one "evclip" log line, default True
    as cv-evidence-renderer renders to the end; False: WindowError), poster (also write
    OUTPUT.jpg, the frame with the most boxes, recorded in the manifest; default False), native
    (also write OUTPUT.native.mp4, the source's own packets of the window copied without
    re-encoding, recorded in the manifest; default False), redact
    (a selector "all", "label=NAME", "track=N"
    or a list of them: those boxes are hidden on every frame they are drawn, hold included),
    redact_mode ("pixelate" default, "blur", "fill"), redact_pad (pixels), redact_label (chip
    text of hidden boxes; default none), redact_detections (a log whose boxes are all hidden,
    not drawn; single-source clips), interpolate (seconds: a track's box on the frames
    between two of its detections at most that far apart, linear in time; 0 = off). They
    apply to every source of the clip. style: a dict (or a style file path) of per label /
    track colours, thickness, chips, templates, corners, fill and legend (README "Styles").
    epoch: the video's wall-clock origin (time of its start: epoch seconds, an aware datetime
    or ISO 8601 text with a zone; ClipSource.epoch sets one per source; default: from the
    log's wallclock fields, else the file's creation_time); tz: zone of the drawn wall-clock
    timestamp (timestamp=True): an IANA name ("Europe/Berlin"), "UTC" or "+05:30".
    Raises ValueError / TypeError for bad arguments and EvclipError for failures in C.
    """
    sources = _check_sources(sources, "render_clip")
    _validate_knobs(playback_speed, max_duration_seconds, duration_strategy)
    opts = _options(options, encoder)
    wallclock.check_one_video(opts.epoch, [s.video for s in sources if s.epoch is None])
    _path(output, "output")
    if label_formatter is not None and not callable(label_formatter):
        raise TypeError("label_formatter must be callable or None")
    open_end = any(s.to_seconds is None for s in sources)
    stores = _Stores(opts)
    for src in sources:
        stores.prepare(src.detections, label_formatter)
    _output_dir(_path(output, "output"), opts.flags["mkdirs"])
    renderer = None
    try:
        renderer = _Renderer(opts, clamp=open_end)
        spec = _ClipSpec(sources, output, float(playback_speed), max_duration_seconds,
                         duration_strategy, label_formatter, stores, opts, opts.pre_roll,
                         opts.post_roll)
        res = _lib.EvclipResult()
        code = renderer.lib.evclip_render(renderer.handle, ctypes.byref(spec.clip),
                                          ctypes.byref(res))
        if code < 0:
            raise _clip_error(code, _lib.text(res.error) or _lib.last_error(), sources)
        result = _result(spec.output, res, code)
    finally:
        if renderer is not None:
            renderer.close()
        stores.close()
    return result if return_result else result.output


def render_from_jsonl(video, detections_jsonl, event_start: float, event_end: float, output,
                      encoder=Encoder.LIBX264, playback_speed: float = 1.0,
                      label_formatter=None, max_duration_seconds: Optional[float] = None,
                      duration_strategy: str = "timelapse", **options):
    """Renders [event_start, event_end) of one video with one detection log (or in-memory
    FrameDetections). Same extras and return value as render_clip()."""
    if not is_number(event_start) or not is_number(event_end):
        raise TypeError("event_start and event_end must be numbers")
    if not event_start >= 0:
        raise ValueError(f"event_start must be >= 0, got {event_start}")
    if not event_end > event_start:
        raise ValueError(
            f"event_end must be > event_start; got start={event_start}, end={event_end}"
        )
    return render_clip(
        sources=[ClipSource(video=video, detections=detections_jsonl,
                            from_seconds=event_start, to_seconds=event_end)],
        output=output, encoder=encoder, playback_speed=playback_speed,
        label_formatter=label_formatter, max_duration_seconds=max_duration_seconds,
        duration_strategy=duration_strategy, **options)


def render_clips(clips: List[Clip], encoder=Encoder.LIBX264, *, jobs: int = 0,
                 return_results: bool = False, **options):
    """Renders many clips in one batch: sources shared by several clips are decoded once.

    Returns the output Paths in the order of `clips` (RenderResults with return_results=True).
    A failing clip does not stop the others; after the batch, any failure raises EvclipError
    whose `results` lists every clip's outcome. Extras as render_clip(); a Clip's own
    pre_roll / post_roll / title apply to it.
    """
    if isinstance(clips, (str, bytes)) or not hasattr(clips, "__iter__"):
        raise TypeError(f"clips must be a list of Clip, got {type(clips).__name__}")
    clips = list(clips)
    if not clips:
        raise ValueError("render_clips needs at least one Clip")
    jobs = _optional_int(jobs, "jobs", 0, 1024) or 0
    opts = _options(options, encoder)
    checked = []
    for i, clip in enumerate(clips):
        if not isinstance(clip, Clip):
            raise TypeError(f"clips[{i}] must be a Clip, got {type(clip).__name__}")
        sources = _check_sources(clip.sources, "render_clip")
        _validate_knobs(clip.playback_speed, clip.max_duration_seconds, clip.duration_strategy)
        _path(clip.output, f"clips[{i}].output")
        if clip.label_formatter is not None and not callable(clip.label_formatter):
            raise TypeError(f"clips[{i}].label_formatter must be callable or None")
        pre = _number(clip.pre_roll, f"clips[{i}].pre_roll", minimum=0) + opts.pre_roll
        post = _number(clip.post_roll, f"clips[{i}].post_roll", minimum=0) + opts.post_roll
        title = _optional_text(clip.title, f"clips[{i}].title")
        checked.append((clip, sources, pre, post, title))
    wallclock.check_one_video(opts.epoch, [s.video for _, srcs, _, _, _ in checked
                                           for s in srcs if s.epoch is None])
    open_end = any(s.to_seconds is None for _, srcs, _, _, _ in checked for s in srcs)
    stores = _Stores(opts)
    for clip, sources, _, _, _ in checked:
        for src in sources:
            stores.prepare(src.detections, clip.label_formatter)
    for i, (clip, _, _, _, _) in enumerate(checked):
        _output_dir(_path(clip.output, f"clips[{i}].output"), opts.flags["mkdirs"],
                    f"clips[{i}]: ")
    renderer = None
    try:
        renderer = _Renderer(opts, clamp=open_end)
        specs = []
        for clip, sources, pre, post, title in checked:
            settings = None
            if title is not None:
                settings = _lib.EvclipSettings()
                ctypes.pointer(settings)[0] = renderer.settings
                opts.fill(settings, title=title, clamp=open_end)
            specs.append(_ClipSpec(sources, clip.output, float(clip.playback_speed),
                                   clip.max_duration_seconds, clip.duration_strategy,
                                   clip.label_formatter, stores, opts, pre, post, settings))
        c_clips = (_lib.EvclipClip * len(specs))(*[s.clip for s in specs])
        c_results = (_lib.EvclipResult * len(specs))()
        code = renderer.lib.evclip_render_batch(renderer.handle, c_clips, len(specs),
                                                c_results, jobs)
        if code < 0:
            raise _error(code, _lib.last_error())
        results = [_result(s.output, c_results[i], c_results[i].status)
                   for i, s in enumerate(specs)]
    finally:
        if renderer is not None:
            renderer.close()
        stores.close()
    failed = [r for r in results if not r.ok]
    if failed:
        first = failed[0]
        raise _clip_error(first.status, f"{len(failed)} of {len(results)} clips failed; "
                          f"first: {first.output}: {first.error or _lib.strerror(first.status)}",
                          checked[results.index(first)][1], results)
    return results if return_results else [r.output for r in results]


__all__: Sequence[str] = ["render_clip", "render_clips", "render_from_jsonl", "EvclipError",
                          "DetectionsError", "WindowError", "InputError", "OutputError",
                          "EncoderError", "VideoNotFoundError", "LogNotFoundError",
                          "palette_color"]
