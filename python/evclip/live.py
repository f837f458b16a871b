"""EvidenceRecorder / EvidenceRecorderPool: live evidence clips on libevclip's live engine.

A recorder is one stream (RTSP, or any URL FFmpeg reads; a file with realtime=True) of an
EvclipLive pool: the library keeps a ring of the stream's encoded packets, and a trigger
becomes a clip from `pre` seconds before to `post` seconds after it, with the detections
pushed from Python burned in. A standalone recorder owns its own EvclipLive; the recorders
added to an EvidenceRecorderPool share one (one set of encoder threads).

Threads: the library calls the event callback from its own threads. The callback only copies
the event and puts it on a queue (it never raises into C and never calls the library); one
Python dispatcher thread per pool routes events to their recorder (iterator, callback,
trigger_event(wait=True)). Every pool is closed when garbage-collected or at interpreter
exit (weakref.finalize), so a program that forgets stop() exits cleanly with its clips.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import queue
import re
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

from evclip import _lib
from evclip.adapters import from_supervision, from_yolo_results
from evclip.render import (EvclipError, _check, _error, _fill_detection, _number, _Options,
                           _output_dir, _path, _Renderer)
from evclip.types import Detection, Encoder, FrameDetections, is_number

_logger = logging.getLogger("evclip")

# Render options a recorder passes to its renderer (the rest of render_clip's extras are about
# offline inputs and windows).
_RENDER_OPTIONS = ("preset", "crf", "bitrate", "hold", "title", "timestamp", "audio", "font",
                   "thickness", "font_size", "threads", "manifest", "sign_key",
                   "embed_detections", "label_max", "redact", "redact_mode", "redact_pad",
                   "redact_label", "redact_detections", "interpolate", "style", "overwrite",
                   "ffmpeg_log")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
_TIMELINES = ("wallclock", "pts")
_EVENTS_KEPT = 1000  # events an unread iterator keeps (the oldest are dropped)


class RecorderError(EvclipError):
    """A recorder used in the wrong state (not started, stopped, pool full), or a live
    failure; `code` is the EVCLIP_ERR_* value, `message` evclip's text."""


class ClipFailedError(RecorderError):
    """trigger_event(wait=True): the clip failed (nothing written); `event` is the
    clip_failed RecorderEvent."""

    def __init__(self, code: int, message: str, event: "RecorderEvent"):
        super().__init__(code, message)
        self.event = event


class ClipTimeoutError(RecorderError, TimeoutError):
    """trigger_event(wait=True): the clip was not finished within `timeout` seconds (it may
    still be written later: its clip_finished event says so)."""


@dataclass
class RecorderEvent:
    """One live event (include/evclip/evclip.h EvclipLiveEvent), copied from the library.

    type: "stream_up", "stream_down", "reconnecting", "clip_started", "clip_extended",
    "clip_finished", "clip_failed", "clock", "stream_removed"; stream: the recorder's name;
    event_id / label: the trigger's; path: the clip (clip events); start / end: the clip's
    window in wall-clock epoch seconds; the other fields as in the C header."""

    type: str
    stream: str
    event_id: Optional[str] = None
    label: Optional[str] = None
    path: Optional[Path] = None
    message: Optional[str] = None
    clock: Optional[str] = None
    start: float = 0.0
    end: float = 0.0
    duration: float = 0.0
    frames: int = 0
    pre_available: float = 0.0
    pre_requested: float = 0.0
    incomplete: bool = False
    status: int = 0
    delay: float = 0.0
    attempt: int = 0
    gaps: list = field(default_factory=list)
    damaged_packets: int = 0
    manifest: Optional[Path] = None
    trigger_ids: list = field(default_factory=list)
    ready_after_end_s: float = 0.0
    late_detections: int = 0
    late_max_s: float = 0.0
    time: float = 0.0  # time.time() when the library delivered it


def _copy_event(ev: _lib.EvclipLiveEvent) -> RecorderEvent:
    """The event's fields as Python values (its strings are valid during the callback only)."""
    kind = _lib.LIVE_EVENT_TYPES[ev.type] if 0 <= ev.type < len(_lib.LIVE_EVENT_TYPES) \
        else f"type_{ev.type}"
    text = (lambda raw: None if raw is None else _lib.text(raw))
    return RecorderEvent(
        type=kind, stream=_lib.text(ev.stream), event_id=text(ev.clip_id),
        path=Path(os.fsdecode(ev.path)) if ev.path else None, message=text(ev.message),
        clock=text(ev.clock), start=ev.start, end=ev.end, duration=ev.duration,
        frames=ev.frames, pre_available=ev.pre_available, pre_requested=ev.pre_requested,
        incomplete=bool(ev.incomplete), status=ev.status, delay=ev.delay, attempt=ev.attempt,
        gaps=[(ev.gaps[2 * i], ev.gaps[2 * i + 1]) for i in range(max(0, ev.ngaps))]
        if ev.gaps else [],
        damaged_packets=ev.damaged_packets,
        manifest=Path(os.fsdecode(ev.manifest)) if ev.manifest else None,
        trigger_ids=[_lib.text(ev.trigger_ids[i]) for i in range(max(0, ev.nb_trigger_ids))]
        if ev.trigger_ids else [],
        ready_after_end_s=ev.ready_after_end_s, late_detections=ev.late_detections,
        late_max_s=ev.late_max_s, time=time.time())


class _Sink:
    """What the dispatcher knows of one recorder: its events and the clips being made. Holds
    no reference to the recorder, so a forgotten recorder can be collected."""

    def __init__(self, on_event: Optional[Callable[[RecorderEvent], Any]]):
        self.on_event = on_event
        self.cond = threading.Condition()
        self.events: List[RecorderEvent] = []   # unread, for events()
        self.clips: Dict[str, RecorderEvent] = {}  # event_id -> finished / failed event
        self.labels: Dict[str, Optional[str]] = {}
        self.connected = False
        self.closed = False

    def deliver(self, ev: RecorderEvent) -> None:
        with self.cond:
            if ev.event_id is not None:
                ev.label = self.labels.get(ev.event_id)
            if ev.type in ("clip_finished", "clip_failed") and ev.event_id is not None:
                self.clips[ev.event_id] = ev
            if ev.type == "stream_up":
                self.connected = True
            elif ev.type in ("stream_down", "stream_removed"):
                self.connected = False
            self.events.append(ev)
            del self.events[:-_EVENTS_KEPT]
            self.cond.notify_all()
        if self.on_event is not None:
            try:
                self.on_event(ev)
            except Exception:  # a user callback's error is logged, never propagated
                _logger.exception("evclip: EvidenceRecorder on_event callback raised")

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()


class _Core:
    """One EvclipRenderer + EvclipLive and its dispatcher thread. close() is idempotent and is
    what weakref.finalize calls (at collection or interpreter exit)."""

    def __init__(self, opts: _Options, pre_roll_max: float, workers: int,
                 tz: Optional[bytes] = None):
        self.lib = _lib.load()
        self.queue: "queue.SimpleQueue" = queue.SimpleQueue()
        self.sinks: Dict[str, _Sink] = {}
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.calls = 0  # library calls on `live` in progress (close waits for them)
        self.live = ctypes.c_void_p()
        self.renderer = _Renderer(opts, clamp=False)
        q = self.queue

        def on_event(opaque, event):
            # Called on the library's threads: copy, enqueue, never raise into C.
            try:
                q.put(_copy_event(event[0]))
            except BaseException:  # noqa: B036 - nothing may cross back into C
                pass

        self.callback = _lib.LiveCallback(on_event)  # kept alive as long as the pool
        s = _lib.EvclipLiveSettings()
        self.lib.evclip_live_default_settings(ctypes.byref(s))
        s.event_callback = self.callback
        s.pre_roll_max = pre_roll_max
        s.workers = workers
        s.overlap = _lib.OVERLAP_SEPARATE  # every event its own clip, at the path it returns
        s.timezone = tz  # copied by the library
        code = self.lib.evclip_live_open(ctypes.byref(self.live), self.renderer.handle,
                                         ctypes.byref(s))
        if code < 0:
            message = _lib.last_error()
            self.renderer.close()
            raise _error(code, message)
        self.thread = threading.Thread(target=self._dispatch, name="evclip-live-events",
                                       daemon=True)
        self.thread.start()

    def _dispatch(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            if isinstance(item, tuple):  # ("removed", name): after the stream's last event
                with self.lock:
                    sink = self.sinks.pop(item[1], None)
                if sink is not None:
                    sink.close()
                continue
            with self.lock:
                sink = self.sinks.get(item.stream)
            if sink is not None:
                sink.deliver(item)

    def call(self, name: str, *args) -> int:
        """evclip_live_NAME(live, *args); RecorderError once the pool is closed: another
        thread's stop() never frees the pool under a push() or trigger in progress."""
        with self.lock:
            if not self.live:
                raise RecorderError(_lib.ERR_INVALID, "the recorder's live pool is closed")
            live = self.live
            self.calls += 1
        try:
            return getattr(self.lib, "evclip_live_" + name)(live, *args)
        finally:
            with self.lock:
                self.calls -= 1
                self.idle.notify_all()

    def remove(self, name: str) -> None:
        try:
            self.call("remove_stream", name.encode())
        except RecorderError:  # closed meanwhile: the stream is gone with the pool
            pass
        self.queue.put(("removed", name))

    def close(self) -> None:
        with self.lock:
            live, self.live = self.live, ctypes.c_void_p()
            names = list(self.sinks)
            self.idle.wait_for(lambda: self.calls == 0)
        if live:
            # Finishes the clips still recording (cut at the last packet, incomplete) and the
            # queued ones; their events are delivered before it returns.
            self.lib.evclip_live_close(ctypes.byref(live))
        self.renderer.close()
        for name in names:
            self.queue.put(("removed", name))
        self.queue.put(None)
        if self.thread is not threading.current_thread():
            self.thread.join(10)


def _finalize(core: _Core) -> None:
    """A forgotten pool's close (garbage collection or interpreter exit). The collector may
    run on one of the library's threads (inside the event callback) or on the dispatcher,
    where closing would deadlock: the pool is then closed from a thread of its own."""
    here = threading.current_thread()
    if isinstance(here, threading._DummyThread) or here is core.thread:
        threading.Thread(target=core.close, name="evclip-live-close", daemon=True).start()
    else:
        core.close()


def _valid_name(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    if not _NAME.match(value):
        raise ValueError(f"{what} must be 1-64 characters of letters, digits, '_', '.' and "
                         f"'-', starting with a letter or digit, got {value!r}")
    return value


def _event_id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"event_id must be a str or an int, got {type(value).__name__}")
    return _valid_name(str(value), "event_id")


def _zone(tz: Any) -> Optional[bytes]:
    """A zone for the drawn timestamps (None: the pool's, else UTC), checked by libevclip
    as render's tz= is: ValueError naming it when unknown or malformed."""
    if tz is None:
        return None
    try:
        return _Options(tz=tz)._tz
    except ValueError as exc:
        raise ValueError(f"tz: {exc}") from None


def _render_key(encoder: Any, options: Dict[str, Any]) -> tuple:
    return (getattr(encoder, "value", encoder), sorted(options.items(), key=lambda kv: kv[0]))


def _detections(value: Any, frame_idx: Optional[int]) -> List[Detection]:
    """The Detection list of one push: a list of Detection, a FrameDetections (or a list of
    them), a supervision.Detections or an Ultralytics Results (converted by the adapters)."""
    if value is None or isinstance(value, (str, bytes, dict)):
        raise TypeError("detections must be a list of Detection, FrameDetections, a "
                        "supervision.Detections or an Ultralytics Results, got "
                        f"{'None' if value is None else type(value).__name__}")
    key = frame_idx if frame_idx is not None else 0
    if isinstance(value, FrameDetections):
        return list(value.detections)
    if hasattr(value, "boxes") and hasattr(value, "names"):
        return list(from_yolo_results(value, frame_idx=key).detections)
    if hasattr(value, "xyxy"):
        return list(from_supervision(value, frame_idx=key).detections)
    if not hasattr(value, "__iter__"):
        raise TypeError("detections must be a list of Detection, FrameDetections, a "
                        "supervision.Detections or an Ultralytics Results, got "
                        f"{type(value).__name__}")
    out: List[Detection] = []
    for i, item in enumerate(value):
        if isinstance(item, Detection):
            out.append(item)
        elif isinstance(item, FrameDetections):
            out.extend(item.detections)
        elif hasattr(item, "boxes") and hasattr(item, "names"):
            out.extend(from_yolo_results(item, frame_idx=key).detections)
        else:
            raise TypeError(f"detections[{i}] must be a Detection or FrameDetections, got "
                            f"{type(item).__name__}")
    return out


class EvidenceRecorder:
    """Evidence clips of one live stream, triggered from Python.

    source: the stream's URL (rtsp://, http(s)://, srt://, udp://) or a file (read at native
    speed with realtime=True). pre_buffer_seconds / post_buffer_seconds: the clip of a
    trigger spans [keyframe at or before now - pre, now + post]. encoder: an Encoder or an
    FFmpeg encoder name. output_dir: folder of the clips (created), named NAME-EVENT_ID.mp4
    (NAME-EVENT_ID-LABEL.mp4 with a label) beside their manifest (CLIP.evidence.json).

    Keyword-only: name (stream name, default "cam"), timeline ("wallclock" or "pts", see
    push()), fps (the stream's frame rate, for timeline="pts"), realtime, loop, transport
    ("tcp" or "udp"), on_event (a callable given every RecorderEvent, on evclip's
    dispatcher thread; its exceptions are logged), workers (encoder threads of a standalone
    recorder), tz (zone of the wall-clock time timestamp=True draws and the manifest records:
    an IANA name such as "Europe/Berlin", "UTC", or an offset "+05:30"; default: its pool's
    tz, else UTC; an unknown zone is a ValueError here), and render options: preset, crf,
    bitrate, hold, title, timestamp, audio, font, thickness, font_size, threads, manifest,
    sign_key, embed_detections, label_max, redact*, interpolate, style, overwrite (default
    False: an existing clip is never replaced).
    """

    def __init__(self, source: Any, pre_buffer_seconds: float = 5.0,
                 post_buffer_seconds: float = 10.0, encoder: Any = Encoder.LIBX264,
                 output_dir: Any = ".", *, name: str = "cam", timeline: str = "wallclock",
                 fps: Optional[float] = None, realtime: bool = False, loop: bool = False,
                 transport: str = "tcp", on_event: Optional[Callable] = None,
                 workers: int = 2, tz: Optional[str] = None, **options: Any):
        self._url = _path(source, "source")
        self.source = os.fsdecode(self._url)
        self.pre = _number(pre_buffer_seconds, "pre_buffer_seconds", minimum=0)
        self.post = _number(post_buffer_seconds, "post_buffer_seconds", minimum=0)
        if not math.isfinite(self.pre) or self.pre > 3600:
            raise ValueError(f"pre_buffer_seconds must be at most 3600, got {self.pre}")
        if not math.isfinite(self.post) or self.post > 3600:
            raise ValueError(f"post_buffer_seconds must be at most 3600, got {self.post}")
        self.output_dir = Path(os.fsdecode(_path(output_dir, "output_dir")))
        self.name = _valid_name(name, "name")
        if timeline not in _TIMELINES:
            raise ValueError(f"timeline must be 'wallclock' or 'pts', got {timeline!r}")
        self.timeline = timeline
        self.fps = None if fps is None else _number(fps, "fps", above=0)
        for flag, value in (("realtime", realtime), ("loop", loop)):
            if not isinstance(value, (bool, int)):
                raise TypeError(f"{flag} must be a bool, got {type(value).__name__}")
        self._realtime, self._loop = int(bool(realtime)), int(bool(loop))
        if transport not in ("tcp", "udp"):
            raise ValueError(f"transport must be 'tcp' or 'udp', got {transport!r}")
        self._transport = _lib.TRANSPORT_UDP if transport == "udp" else _lib.TRANSPORT_TCP
        if on_event is not None and not callable(on_event):
            raise TypeError(f"on_event must be callable, got {type(on_event).__name__}")
        if isinstance(workers, bool) or not isinstance(workers, int):
            raise TypeError(f"workers must be an int, got {type(workers).__name__}")
        if not 1 <= workers <= 64:
            raise ValueError(f"workers must be in 1..64, got {workers}")
        self._workers = workers
        self.tz = tz
        self._tz = _zone(tz)
        unknown = sorted(set(options) - set(_RENDER_OPTIONS))
        if unknown:
            raise TypeError(f"unexpected keyword argument(s): {', '.join(unknown)}")
        options.setdefault("overwrite", False)
        self._options = options
        self._render = _Options(encoder=encoder, **options)  # validated now
        self._encoder = encoder
        self._sink = _Sink(on_event)
        self._pool: Optional[EvidenceRecorderPool] = None
        self._core: Optional[_Core] = None
        self._own: Optional[EvidenceRecorderPool] = None
        self._state = "new"
        self._lock = threading.Lock()

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self, wait: bool = False, timeout: float = 10.0) -> "EvidenceRecorder":
        """Starts reading the stream (it connects in the background; wait=True waits until
        it is up, RecorderError after `timeout` seconds). Idempotent while running;
        RecorderError after stop(). Returns the recorder."""
        if self._state == "stopped":
            raise RecorderError(_lib.ERR_INVALID, f"recorder '{self.name}' is stopped; create "
                                "a new EvidenceRecorder")
        if self._state == "new":
            pool = EvidenceRecorderPool(max_streams=1, workers=self._workers)
            pool.add(self.name, self)
            self._own = pool
        if wait:
            self.wait_connected(timeout)
        return self

    def _attach(self, pool: "EvidenceRecorderPool", name: str, core: _Core) -> None:
        """Adds the stream to `core` (called by EvidenceRecorderPool.add)."""
        self.name = name
        _output_dir(os.fsencode(self.output_dir / "clip.mp4"), 1, f"recorder '{name}': ")
        with core.lock:
            core.sinks[name] = self._sink
        params = _lib.EvclipStreamParams(name=name.encode(), url=self._url,
                                         transport=self._transport, realtime=self._realtime,
                                         loop=self._loop, pre=self.pre, post=self.post,
                                         timezone=self._tz)
        code = core.call("add_stream", ctypes.byref(params))
        if code < 0:
            message = _lib.last_error()
            with core.lock:
                core.sinks.pop(name, None)
            raise _error(code, f"recorder '{name}': {message}")
        self._pool, self._core, self._state = pool, core, "running"

    def wait_connected(self, timeout: float = 10.0) -> None:
        """Waits until the stream is up and has delivered its first packet (from then on
        triggers and timeline="pts" detections are accepted); RecorderError after `timeout`
        seconds."""
        timeout = _number(timeout, "timeout", minimum=0)
        deadline = time.monotonic() + timeout
        self._running()
        with self._sink.cond:
            up = self._sink.cond.wait_for(lambda: self._sink.connected or self._sink.closed,
                                          timeout)
        while up and self.stats()["packets"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        if not up or self.stats()["packets"] == 0:
            raise RecorderError(_lib.ERR_INPUT, f"recorder '{self.name}': {self.source} "
                                f"not connected after {timeout:g} s")

    def stop(self) -> None:
        """Stops the stream: clips still recording are cut at the last packet (incomplete)
        and, with the queued ones, written before it returns. Idempotent."""
        with self._lock:
            if self._state != "running":
                self._state = "stopped"
                return
            self._state = "stopped"
        pool, own = self._pool, self._own
        if own is not None:
            own.stop_all()
        elif pool is not None:
            pool._remove(self.name, self)

    def __enter__(self) -> "EvidenceRecorder":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._state == "running"

    def _running(self) -> _Core:
        core = self._core
        if self._state != "running" or core is None or not core.live:
            state = "not started (call start())" if self._state == "new" else "stopped"
            raise RecorderError(_lib.ERR_INVALID, f"recorder '{self.name}' is {state}")
        return core

    # ---- detections and triggers -------------------------------------------------------

    def push(self, frame_idx: Optional[int], detections: Any,
             timestamp: Optional[float] = None) -> int:
        """Adds the detections the detector found on one frame. Returns how many were added.

        timeline="wallclock" (default): they belong to the frame the stream showed at
        `timestamp` (epoch seconds, e.g. the capture time of the frame the detector read),
        or at the time of this call when timestamp is None; frame_idx is only checked (the
        detector's own frame count need not match evclip's connection).
        timeline="pts": they belong to the frame of the stream's own timeline at
        `timestamp` seconds, or frame_idx / fps (the frame_idx-th frame of a constant-rate
        stream whose timestamps start at 0, e.g. a file read with realtime=True).
        Either way evclip draws them on the frame nearest that time (within half a frame;
        `hold` keeps them longer). Polygons are drawn as their bounding boxes and
        label_formatter chips are not available live (the live C API takes boxes).
        """
        if frame_idx is not None and (isinstance(frame_idx, bool) or not is_number(frame_idx)
                                      or not float(frame_idx).is_integer()):
            raise TypeError(f"frame_idx must be an int or None, got {frame_idx!r}")
        if frame_idx is not None and not 0 <= int(frame_idx) < 2**62:
            raise ValueError(f"frame_idx must be >= 0, got {frame_idx}")
        if timestamp is not None:
            key_time = _number(timestamp, "timestamp", minimum=0)
            if not math.isfinite(key_time):
                raise ValueError(f"timestamp must be finite, got {timestamp}")
        elif self.timeline == "wallclock":
            key_time = time.time()
        elif frame_idx is None:
            raise ValueError("push: timeline='pts' needs frame_idx or timestamp")
        elif self.fps is None:
            raise ValueError("push: timeline='pts' with a frame_idx needs the recorder's fps= "
                             "(or pass timestamp=, seconds of the stream's timeline)")
        else:
            key_time = int(frame_idx) / self.fps
        dets = _detections(detections, None if frame_idx is None else int(frame_idx))
        arr = (_lib.EvclipDetection * max(1, len(dets)))()
        for i, d in enumerate(dets):
            _fill_detection(d, arr[i], None, 0, f"push({frame_idx}) detection {i}")
            arr[i].frame_idx, arr[i].ts = _lib.EVCLIP_NONE, _lib.EVCLIP_NONE
        core = self._running()
        if not dets:
            return 0
        key = _lib.KEY_WALLCLOCK if self.timeline == "wallclock" else _lib.KEY_PTS
        code = core.call("add_detections", self.name.encode(), key, key_time, arr, len(dets))
        if code < 0:
            self._running()  # stopped meanwhile by another thread: RecorderError
            raise _error(code, f"recorder '{self.name}': {_lib.last_error()}")
        return len(dets)

    def clip_path(self, event_id: Any, label: Optional[str] = None) -> Path:
        """Where trigger_event(event_id, label) writes its clip."""
        stem = f"{self.name}-{_event_id(event_id)}"
        if label is not None:
            stem += "-" + _valid_name(label, "label")
        return self.output_dir / f"{stem}.mp4"

    def trigger_event(self, event_id: Any, label: Optional[str] = None, *, wait: bool = False,
                      timeout: Optional[float] = None, pre: Optional[float] = None,
                      post: Optional[float] = None) -> Path:
        """Makes a clip of [now - pre, now + post] (the recorder's buffers by default) and
        returns its path. Without wait it returns at once (the clip is written once the
        post-roll has arrived: its clip_finished / clip_failed event says when); with
        wait=True it returns when the clip is written, raising ClipFailedError with evclip's
        message if it failed and ClipTimeoutError after `timeout` seconds (default post +
        60). event_id (str or int) and label name the file; an event_id already used by this
        recorder is a ValueError, and an existing file is never replaced (OutputError)."""
        if not isinstance(wait, (bool, int)):
            raise TypeError(f"wait must be a bool, got {type(wait).__name__}")
        path = self.clip_path(event_id, label)
        eid = _event_id(event_id)
        pre_s = self.pre if pre is None else _number(pre, "pre", minimum=0)
        post_s = self.post if post is None else _number(post, "post", minimum=0)
        limit = post_s + 60.0 if timeout is None else _number(timeout, "timeout", minimum=0)
        core = self._running()
        with self._sink.cond:
            if eid in self._sink.labels:
                raise ValueError(f"recorder '{self.name}': event_id {eid!r} already used")
            self._sink.labels[eid] = label
        code = core.call("trigger", self.name.encode(), pre_s, post_s, os.fsencode(path),
                         eid.encode())
        if code < 0:
            message = _lib.last_error()
            with self._sink.cond:
                self._sink.labels.pop(eid, None)
            self._running()  # stopped meanwhile by another thread: RecorderError
            raise _error(code, f"recorder '{self.name}': event {eid}: {message}")
        if wait:
            self._wait_clip(eid, limit)
        return path

    def _wait_clip(self, eid: str, timeout: float) -> RecorderEvent:
        sink = self._sink
        with sink.cond:
            if not sink.cond.wait_for(lambda: eid in sink.clips or sink.closed, timeout):
                raise ClipTimeoutError(_lib.ERR_INTERNAL, f"recorder '{self.name}': clip of "
                                       f"event {eid} not written after {timeout:g} s")
            ev = sink.clips.get(eid)
        if ev is None:
            raise RecorderError(_lib.ERR_CANCELED, f"recorder '{self.name}' stopped before "
                                f"the clip of event {eid} was reported")
        if ev.type == "clip_failed":
            raise ClipFailedError(ev.status or _lib.ERR_INTERNAL,
                                  f"recorder '{self.name}': clip of event {eid} failed: "
                                  f"{ev.message or _lib.strerror(ev.status)}", ev)
        return ev

    def clip_event(self, event_id: Any) -> Optional[RecorderEvent]:
        """The clip_finished / clip_failed event of a trigger, or None while it is pending."""
        with self._sink.cond:
            return self._sink.clips.get(_event_id(event_id))

    # ---- events and state --------------------------------------------------------------

    def events(self, timeout: Optional[float] = None) -> Iterator[RecorderEvent]:
        """Iterates over the recorder's events as they arrive (the last 1000 are kept until
        read). Ends after stop() once they are all read, or after `timeout` seconds without
        an event."""
        sink = self._sink
        while True:
            with sink.cond:
                if not sink.cond.wait_for(lambda: sink.events or sink.closed, timeout):
                    return
                if not sink.events:
                    return
                ev = sink.events.pop(0)
            yield ev

    def stats(self) -> Dict[str, Any]:
        """The stream's state (EvclipStreamStats) as a dict."""
        core = self._running()
        st = _lib.EvclipStreamStats()
        _check(core.call("get_stream_stats", self.name.encode(), ctypes.byref(st)))
        return {"connected": bool(st.connected), "packets": st.packets,
                "ring_packets": st.ring_packets, "ring_bytes": st.ring_bytes,
                "ring_seconds": st.ring_seconds, "reconnects": st.reconnects,
                "recording": st.recording, "clock": _lib.text(st.clock),
                "state": _lib.text(st.state)}

    def __repr__(self) -> str:
        return f"EvidenceRecorder({self.source!r}, name={self.name!r}, state={self._state})"


class EvidenceRecorderPool:
    """Several recorders on one EvclipLive: one set of `workers` encoder threads for all
    streams, each stream its own reader. At most max_streams recorders run at once (a
    stopped one frees its place). The pool's render settings (encoder and render options)
    are those of the first recorder added; a recorder with others is refused (ValueError).
    pre_roll_max: seconds each stream's ring keeps (default: the first recorder's pre-buffer,
    at least 30 s). tz: zone of the drawn wall-clock timestamps of every recorder without its
    own tz (as EvidenceRecorder's; default UTC)."""

    def __init__(self, max_streams: int = 4, workers: int = 2,
                 pre_roll_max: Optional[float] = None, tz: Optional[str] = None):
        for what, value in (("max_streams", max_streams), ("workers", workers)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{what} must be an int, got {type(value).__name__}")
        if not 1 <= max_streams <= 1024:
            raise ValueError(f"max_streams must be in 1..1024, got {max_streams}")
        if not 1 <= workers <= 64:
            raise ValueError(f"workers must be in 1..64, got {workers}")
        self.max_streams = max_streams
        self.workers = workers
        self.pre_roll_max = None if pre_roll_max is None else \
            _number(pre_roll_max, "pre_roll_max", above=0)
        if self.pre_roll_max is not None and self.pre_roll_max > 3600:
            raise ValueError(f"pre_roll_max must be at most 3600, got {pre_roll_max}")
        self.tz = tz
        self._tz = _zone(tz)
        self._recorders: Dict[str, EvidenceRecorder] = {}
        self._core: Optional[_Core] = None
        self._key: Optional[tuple] = None
        self._finalizer = None
        self._lock = threading.Lock()
        self._stopped = False

    def add(self, name: str, recorder: EvidenceRecorder) -> EvidenceRecorder:
        """Adds `recorder` under `name` (its stream name) and starts it. Returns it."""
        name = _valid_name(name, "name")
        if not isinstance(recorder, EvidenceRecorder):
            raise TypeError(f"recorder must be an EvidenceRecorder, got "
                            f"{type(recorder).__name__}")
        with self._lock:
            if self._stopped:
                raise RecorderError(_lib.ERR_INVALID, "EvidenceRecorderPool is stopped")
            if recorder._state != "new":
                raise ValueError(f"recorder {recorder.name!r} was already started (a recorder "
                                 "runs in one pool, once)")
            if name in self._recorders:
                raise ValueError(f"EvidenceRecorderPool: a recorder named {name!r} is "
                                 "already running")
            if len(self._recorders) >= self.max_streams:
                raise RecorderError(_lib.ERR_INVALID, f"EvidenceRecorderPool is full: "
                                    f"max_streams={self.max_streams} recorders running "
                                    f"({', '.join(sorted(self._recorders))}); stop one or "
                                    "raise max_streams")
            key = _render_key(recorder._encoder, recorder._options)
            if self._key is not None and key != self._key:
                raise ValueError(f"recorder {name!r}: its encoder and render options differ "
                                 f"from the pool's ({self._key} vs {key}): the recorders of "
                                 "a pool share one renderer")
            pre_max = self.pre_roll_max or max(30.0, recorder.pre)
            if recorder.pre > pre_max:
                raise ValueError(f"recorder {name!r}: pre_buffer_seconds {recorder.pre:g} is "
                                 f"more than the pool's pre_roll_max {pre_max:g}")
            if self._core is None:
                self.pre_roll_max = pre_max
                self._core = _Core(recorder._render, pre_max, self.workers, self._tz)
                self._key = key
                self._finalizer = weakref.finalize(self, _finalize, self._core)
            recorder._attach(self, name, self._core)
            self._recorders[name] = recorder
        return recorder

    def _remove(self, name: str, recorder: EvidenceRecorder) -> None:
        with self._lock:
            if self._recorders.get(name) is not recorder:
                return
            del self._recorders[name]
            core = self._core
        if core is not None:
            core.remove(name)

    def __getitem__(self, name: str) -> EvidenceRecorder:
        return self._recorders[name]

    def __len__(self) -> int:
        return len(self._recorders)

    @property
    def names(self) -> List[str]:
        return sorted(self._recorders)

    def stop_all(self) -> None:
        """Stops every recorder (their clips are written first) and closes the pool.
        Idempotent."""
        with self._lock:
            self._stopped = True
            recorders = list(self._recorders.values())
            self._recorders.clear()
        for r in recorders:
            r._state = "stopped"
        if self._finalizer is not None:
            self._finalizer()  # _Core.close, once

    def __enter__(self) -> "EvidenceRecorderPool":
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()


__all__ = ["ClipFailedError", "ClipTimeoutError", "EvidenceRecorder", "EvidenceRecorderPool",
           "RecorderError", "RecorderEvent"]
