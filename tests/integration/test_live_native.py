"""test_live_native.py: `evclip live --native` / `--native-only` against the real RTSP test
server serving an H.264 file (CAR's video with noise for audio: CAR's own audio is digital
silence) without re-encoding: the passthrough copy holds the served file's own coded pictures
(every slice NAL unit, compared with ffmpeg's reading of the file) and AAC frames (byte for
byte, in sync with the video as in the file; a video-only stream's copy has none), starts at a
keyframe at 0, is faststart, is listed in the manifest and verifies; the encoded clip keeps the
stream's audio (the file's sound at the clip's source time, as long as the video); native-only
writes only the copy, with its own manifest, without an encoder, in milliseconds; an existing
copy is never replaced; an outage inside the window stays a hole in the copy's timestamps, the
same in its audio as in its video; SIGINT cuts a clip and its copy together; a stream's G.711
audio (PCMU, PCMA) is AAC in the clip, as it came in the copy, which is then Matroska; bad
cameras.json keys are refused. Skipped (exit 77) without the GStreamer RTSP server."""
import hashlib
import json
import math
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
import test_live as tl  # noqa: E402 - its Server, Live, checks and scenario runner
import numpy  # noqa: E402 - installed by scripts/install-deps.sh (python3-numpy)

CAR = common.media("car-detection.mp4")  # H.264 Baseline 768x432, 12.5 fps, GOP 4.8 s
FRAME = 1 / 12.5
AFRAME = 1024 / 48000  # one AAC frame of the served audio
# 1024 samples at G.711's 8 kHz (128 ms): a served G.711 packet, and an AAC frame of its clip
AFRAME_G711 = 1024 / 8000
check = tl.check


def file_server(served, seconds=60, port=None):
    """The test server serving `served`'s file as it is (no encoder: its packets are the
    file's): /cam0 and /cam1 with its audio, /cam2 its video only."""
    return tl.Server(mounts=3, port=port, seconds=seconds, media=served.path, audio=(0, 1))


def with_sound(out):
    """CAR's video (stream-copied) with 30 s of white noise as AAC: every audio frame differs,
    and a span of it is found in the whole by cross-correlation."""
    path = os.path.join(out, "car-noise.mp4")
    common.ffmpeg("-i", CAR, "-f", "lavfi", "-i", "anoisesrc=r=48000:a=0.5:seed=7:d=31",
                  "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-aac_coder",
                  "fast", "-b:a", "96k", "-ac", "1", "-shortest", path)
    return path


def with_ulaw(out):
    """CAR's video (stream-copied) with 30 s of white noise as G.711 mu-law, 8 kHz mono, as IP
    cameras send it (a MOV: MP4 cannot carry it); the server serves it as PCMU or PCMA."""
    path = os.path.join(out, "car-ulaw.mov")
    common.ffmpeg("-i", CAR, "-f", "lavfi", "-i", "anoisesrc=r=8000:a=0.5:seed=7:d=31",
                  "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "pcm_mulaw", "-shortest",
                  "-f", "mov", path)
    return path


def stopped(live):
    """Stops live (SIGTERM): a clean exit, no sanitizer report. Returns its stderr."""
    code = live.stop()
    live.log.seek(0)
    log = live.log.read()
    check(code == 0 and "runtime error" not in log and "Sanitizer" not in log,
          f"{live.name}: clean exit on SIGTERM", f"exit {code}: {log[-600:]}")
    return log


def slices(path):
    """SHA-256 of each coded-slice NAL unit (types 1-5; parameter sets, SEI and delimiters,
    which RTP re-inserts, left out) of the file's video, in decode order, with its type."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:v:0", "-c", "copy",
                          "-bsf:v", "h264_mp4toannexb", "-f", "h264", "-"],
                         capture_output=True, check=True).stdout
    out = []
    for nal in re.split(b"\x00\x00\x01", raw):
        nal = nal.rstrip(b"\x00")
        if nal and 1 <= (nal[0] & 0x1F) <= 5:
            out.append((nal[0] & 0x1F, hashlib.sha256(nal).hexdigest()))
    return out


def audio_packets(path):
    """(pts_time, SHA-256 of the payload) of each audio packet, decode order."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries",
                          "packet=pts_time,data", "-show_data", "-of", "json", path],
                         capture_output=True, text=True, check=True).stdout
    return [(float(p["pts_time"]), hashlib.sha256(p["data"].encode()).hexdigest())
            for p in json.loads(out).get("packets", [])]


def pcm(path):
    """The first audio stream decoded to mono floats at 48 kHz (the served rate: resampling
    a span that starts off the file's grid of 6 samples would change it)."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:a:0", "-ac", "1",
                          "-ar", "48000", "-f", "s16le", "-"], capture_output=True,
                         check=True).stdout
    return numpy.frombuffer(raw, numpy.int16).astype(numpy.float64)


def gray(path, frames=None):
    """Frames of the video as 64x36 gray arrays (the first `frames`, else all)."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:v:0"] +
                         (["-frames:v", str(frames)] if frames else []) +
                         ["-vf", "scale=64:36", "-pix_fmt", "gray", "-f", "rawvideo", "-"],
                         capture_output=True, check=True).stdout
    return numpy.frombuffer(raw, numpy.uint8).astype(numpy.int32).reshape(-1, 36, 64)


def locate(part, whole):
    """(seconds into `whole` where `part` fits best, normalised cross-correlation there)."""
    n = 1 << math.ceil(math.log2(len(whole) + len(part)))
    corr = numpy.fft.irfft(numpy.fft.rfft(whole, n) * numpy.conj(numpy.fft.rfft(part, n)), n)
    energy = numpy.concatenate(([0.0], numpy.cumsum(whole ** 2)))
    spans = energy[len(part):] - energy[:-len(part)]
    corr = corr[:len(spans)] / numpy.sqrt(numpy.maximum(spans, 1e-9) * (part ** 2).sum())
    best = int(numpy.argmax(corr))
    return best / 48000, float(corr[best])


def find_run(whole, part):
    """Index in `whole` where the list `part` occurs as a run, or -1."""
    return next((i for i in range(len(whole) - len(part) + 1)
                 if whole[i:i + len(part)] == part), -1) if part else -1


class Served:
    """What the test server serves of a file: its slices, video packet times (one slice per
    picture in CAR), audio packets, and (on demand) its sound and pictures."""

    def __init__(self, path):
        self.path = path
        self.slices = slices(path)
        self.vtimes = [t for t, _ in packets(path)]
        self.audio = audio_packets(path)
        self.g711 = common.audio_stream(common.probe(path))["codec_name"] == "pcm_mulaw"
        self._pcm = self._gray = None

    def sound(self):
        if self._pcm is None:
            self._pcm = pcm(self.path)
        return self._pcm

    def pictures(self):
        if self._gray is None:
            self._gray = gray(self.path)
        return self._gray


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def packets(path):
    """(pts_time, key) of the video packets, decode order."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
                          "packet=pts_time,flags", "-of", "csv=p=0", path],
                         capture_output=True, text=True, check=True).stdout
    return [(float(p), "K" in f) for p, f in (ln.split(",")[:2] for ln in out.split())]


def verify(*args):
    return common.run(["verify"] + list(args), timeout=60).returncode


def check_copy(what, native, entry, src, audio=True, aframe=AFRAME):
    """The copy holds a run of the served file's slices from an IDR, from 0, faststart (MP4);
    and (`audio`: the stream has audio) a run of its AAC frames (G.711 audio, `src.g711`: its
    samples, as the RTP packets are not the file's: the file's sound, found by
    cross-correlation, the same samples but for PCMA's re-quantizing), from the keyframe's
    time, in sync with the video as in the file, ending with it (within `aframe`, an audio
    packet); the manifest counts both."""
    got = slices(native)
    pos = find_run(src.slices, got)
    check(pos >= 0 and got[0][0] == 5,
          f"{what}: the copy's {len(got)} slices are the served file's own, from an IDR",
          f"first {got[:2]}")
    pk = packets(native)
    check(pk and pk[0] == (0.0, True), f"{what}: starts with a keyframe at 0", str(pk[:2]))
    au = audio_packets(native)
    check(entry["video"]["packets"] == len(pk) and
          (entry["audio"] or {}).get("packets", 0) == len(au) and (len(au) > 0) == audio,
          f"{what}: manifest counts the copy's packets (audio: {audio})",
          f"{entry['video']} vs {len(pk)}, {entry['audio']} vs {len(au)}")
    if audio and au and pk and src.g711:
        at, corr = locate(pcm(native), src.sound())
        skew = (at - au[0][0]) - src.vtimes[pos] if pos >= 0 else 1
        check(corr > 0.99 and abs(skew) < 0.002 and 0 <= au[0][0] < aframe + 0.002,
              f"{what}: the copy's audio is the file's samples (G.711) from the keyframe's "
              "time, in sync with the video as in the file",
              f"correlation {corr:.4f}, skew {skew:+.4f} s, "
              f"audio from {au[0][0]:.3f} s")
    elif audio and au and pk:
        apos = find_run([h for _, h in src.audio], [h for _, h in au])
        check(apos >= 0, f"{what}: the copy's {len(au)} audio packets are the served file's "
              "own, byte for byte")
        check(0 <= au[0][0] < AFRAME + 0.002, f"{what}: audio from the keyframe's time",
              str(au[0][0]))
        skew = (src.audio[apos][0] - au[0][0]) - src.vtimes[pos] if pos >= 0 and apos >= 0 \
            else 1
        check(abs(skew) < 0.002, f"{what}: audio in sync with the video as in the file",
              f"{skew:+.4f} s")
    if audio and au and pk:
        ends = (au[-1][0] + aframe, pk[-1][0] + FRAME)
        check(abs(ends[0] - ends[1]) <= FRAME + aframe, f"{what}: audio ends with the video",
              f"audio {ends[0]:.3f} s, video {ends[1]:.3f} s")
    check(entry["sha256"] == sha256(native) and entry["size"] == os.path.getsize(native),
          f"{what}: manifest hash and size of the copy")
    if native.endswith(".mp4"):
        atoms = common.top_level_atoms(native)
        check(atoms.index("moov") < atoms.index("mdat"), f"{what}: faststart", str(atoms))
    return pk


def check_clip_audio(what, clip, src, aframe=AFRAME, at_end=False, sound=True):
    """The encoded clip keeps the stream's audio: its AAC frames stream-copied (G.711 audio,
    `src.g711`: re-encoded to AAC at its rate), as long as the video (within `aframe`, one AAC
    frame), the file's sound at the clip's source time (found by cross-correlation; the time of
    the clip's first picture found among the file's pictures; `at_end`: its last second and
    its last picture, in sync after whatever came before, e.g. an outage; not `sound`: its
    length only)."""
    info = common.probe(clip)
    v, a = common.video_stream(info), common.audio_stream(info)
    if not check(a is not None and a["codec_name"] == "aac", f"{what}: the clip has AAC audio",
                 str(a and a["codec_name"])):
        return
    au = [h for _, h in audio_packets(clip)]
    if src.g711:
        check(int(a["sample_rate"]) == 8000 and a["channels"] == 1,
              f"{what}: G.711's 8 kHz mono re-encoded to AAC at 8 kHz mono",
              f"{a['sample_rate']} Hz, {a['channels']} channels")
    else:
        check(find_run([h for _, h in src.audio], au) >= 0,
              f"{what}: its {len(au)} audio packets are the stream's own (stream copy)")
    starts = (float(a["start_time"]), float(v["start_time"]))
    durations = (float(a["duration"]), float(v["duration"]))
    check(abs(starts[0] - starts[1]) <= aframe + 0.002 and
          abs(durations[0] - durations[1]) <= FRAME + aframe,
          f"{what}: its audio starts with its video and is as long",
          f"starts {starts}, durations {durations}")
    if not sound:
        return
    first = gray(clip)[-1] if at_end else gray(clip, 1)[0]
    picture = int(numpy.argmin(numpy.abs(src.pictures() - first).sum(axis=(1, 2))))
    sound = pcm(clip)
    # from 0.1 s: the first frame decodes without its predecessor
    seg = len(sound) / 48000 - 1 if at_end else 0.1
    at, corr = locate(sound[int(seg * 48000):], src.sound())
    shown = packets(clip)[-1][0] if at_end else starts[1]
    skew = (at - seg - starts[0]) - (src.vtimes[picture] - shown)
    check(corr > 0.9 and abs(skew) <= FRAME + aframe,
          f"{what}: its audio is the file's sound at the clip's source time",
          f"correlation {corr:.3f}, audio {at:.3f} s vs picture {picture} at "
          f"{src.vtimes[picture]:.3f} s: {skew:+.3f} s")


def recording_temps(out, stem, end):
    """Names of the outputs of clip `stem` seen as temp files in `out` before wall clock
    `end` (a temp file is ".NAME.PID-TAG.evclip-tmp")."""
    seen = set()
    while time.time() < end:
        for n in os.listdir(out):
            m = re.fullmatch(r"\.(.+)\.[0-9]+-[0-9a-f]+\.evclip-tmp", n)
            if m and m.group(1).startswith(stem + "."):
                seen.add(m.group(1))
        time.sleep(0.05)
    return seen


def merge_restart(live, out, src):
    """A merged trigger whose pre-roll reaches a keyframe before the clip's start begins the
    encode again, and the copy with it: one copy, of the widened window, from its keyframe."""
    live.send({"type": "trigger", "stream": "cam", "pre": 0.5, "post": 2, "id": "r1"})
    sa = live.wait_type("clip_started", 5, id="r1")
    time.sleep(0.3)  # GOP 4.8 s: a keyframe lies between 0.5 s and 6.3 s back
    live.send({"type": "trigger", "stream": "cam", "pre": 6.5, "post": 0.5, "id": "r2"})
    done = live.wait_type("clip_finished", 20, id="r1")
    if not check(sa and done and done["trigger_ids"] == ["r1", "r2"],
                 "native restart: the merged clip finished", str(live.events[-3:])):
        return
    native = os.path.join(out, "cam-r1.native.mp4")
    m = json.load(open(done["path"] + ".evidence.json"))
    pk = check_copy("native restart", native, m["native"][0], src)
    span = pk[-1][0] + 0.08 if pk else 0
    check(done["start"] < sa["start"] - 1 and done["frames"] == len(pk) and
          span >= done["end"] - done["start"] - 0.2,
          "native restart: the copy covers the widened window, frame for packet",
          f"start {sa['start']:.2f} -> {done['start']:.2f}, {done['frames']} frames, "
          f"{len(pk)} packets, span {span:.2f} of {done['end'] - done['start']:.2f}")
    others = [n for n in os.listdir(out) if n.startswith(".cam-r1")]
    check(verify(done["path"]) == 0 and not others,
          "native restart: verify passes, no temp file left", str(others))


def scenario_native(server, out, src):
    live = tl.Live(["--url", server.url(0), "--native", "--output-dir", out, "--preset",
                    "ultrafast", "--detection-delay", "0"], "native")
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "native: stream up"):
            return
        # A trigger reaching back to the connection's first packets (which the RTCP clock
        # re-stamps before the stream timeline's 0): the clip holds every recorded frame.
        time.sleep(1.5)
        live.send({"type": "trigger", "stream": "cam", "pre": 10, "post": 0.5, "id": "n0"})
        first = live.wait_type("clip_finished", 20, id="n0")
        if check(first is not None, "native: first clip finished", str(live.events[-3:])):
            copy0 = os.path.join(out, "cam-n0.native.mp4")
            m = json.load(open(first["path"] + ".evidence.json"))
            pk = check_copy("native first", copy0, m["native"][0], src)
            check(first["frames"] == len(pk) > 25,
                  "native: a clip from the connection's first packets holds each of them",
                  f"{first['frames']} frames, {len(pk)} packets in the copy")
        time.sleep(3)
        live.send({"type": "trigger", "stream": "cam", "pre": 2, "post": 1.5, "id": "n1"})
        started = live.wait_type("clip_started", 5, id="n1")
        seen = recording_temps(out, "cam-n1", started["end"] if started else 0)
        check(seen == {"cam-n1.mp4", "cam-n1.native.mp4"},
              "native: the clip is encoded and its copy written while it records (both temp "
              "files before the window end)", str(seen))
        done = live.wait_type("clip_finished", 20, id="n1")
        if not check(done is not None, "native: clip finished", str(live.events[-3:])):
            return
        ready = done.get("ready_after_end_s")
        check(ready is not None and abs(ready - (done["time"] - done["end"])) < 0.2,
              "native: clip_finished says how soon after its window end it was published",
              str(ready))
        clip, native = done["path"], os.path.join(out, "cam-n1.native.mp4")
        check(done.get("native") == native and os.path.exists(native) and os.path.exists(clip),
              "native: clip_finished names the copy beside the clip", str(done))
        m = json.load(open(clip + ".evidence.json"))
        entry = (m.get("native") or [{}])[0]
        check(entry.get("file") == "cam-n1.native.mp4" and entry.get("container") == "mp4" and
              m["live"]["native_only"] is False and m["encoder"]["name"] == "libx264",
              "native: the clip's manifest lists the copy", json.dumps(m.get("native")))
        pk = check_copy("native", native, entry, src)
        span = pk[-1][0] + 0.08 if pk else 0
        check(span >= done["end"] - done["start"] - 0.2,
              "native: the copy covers the window from its keyframe",
              f"{span} vs {done['end'] - done['start']}")
        check(verify(clip) == 0, "native: verify passes")
        check_clip_audio("native clip", clip, src)
        merge_restart(live, out, src)
        keep = os.path.join(out, "cam-x.native.mp4")
        with open(keep, "w") as f:
            f.write("keep")
        live.send({"type": "trigger", "stream": "cam", "pre": 1, "post": 0.5, "id": "x"})
        failed = live.wait_type("clip_failed", 15, id="x")
        check(failed is not None and "exists" in failed.get("message", "") and
              open(keep).read() == "keep" and not os.path.exists(os.path.join(out, "cam-x.mp4")),
              "native: an existing copy fails the clip, nothing written", str(failed))
        with open(native, "r+b") as f:
            f.seek(os.path.getsize(native) // 2)
            b = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([b[0] ^ 1]))
        check(verify(clip) == 10, "native: a changed copy fails verify (exit 10)")
    finally:
        stopped(live)


def scenario_native_only(server, out, src):
    config = os.path.join(out, "cameras.json")
    with open(config, "w") as f:
        json.dump([{"name": "cam", "url": server.url(1), "native_only": True}], f)
    # cam-x's copy exists: its trigger is refused; cam-y.mp4 (a file a native-only clip never
    # writes) exists: its trigger is not
    for name in ("cam-x.native.mp4", "cam-y.mp4"):
        with open(os.path.join(out, name), "w") as f:
            f.write("keep")
    # --detection-delay 5: nothing is drawn, so no frame waits for detections (else the copy
    # would come 5 s after its end)
    live = tl.Live(["--config", config, "--output-dir", out, "--detection-delay", "5",
                    "--overlap", "separate"], "native-only", verbose=True)
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "native-only: stream up"):
            return
        time.sleep(5)
        n = len(live.events)
        live.send({"type": "trigger", "stream": "cam", "pre": 2, "post": 1, "id": "o1"})
        live.send({"type": "trigger", "stream": "cam", "pre": 1, "post": 1, "id": "x"})
        live.send({"type": "trigger", "stream": "cam", "pre": 1, "post": 1, "id": "y"})
        done = live.wait_type("clip_finished", 20, id="o1")
        refused = live.wait(lambda e: e.get("event") == "error" and
                            "cam-x.native.mp4' exists (overwrite is off)" in e.get("message", ""),
                            5, start=n)
        other = live.wait_type("clip_finished", 20, id="y")
        if not check(done is not None, "native-only: clip finished", str(live.events[-3:])):
            return
        native = os.path.join(out, "cam-o1.native.mp4")
        started = live.wait_type("clip_started", 1, id="o1")
        check(started is not None and started["path"] == done["path"] == native and
              done.get("native") == native and
              done["manifest"] == native + ".evidence.json" and
              not os.path.exists(os.path.join(out, "cam-o1.mp4")),
              "native-only: only the copy is written, events name it (clip_started too)",
              f"{started} / {done}")
        # latency: the clip is published right after the first packet past its end
        check(done["time"] - done["end"] < 1.0, "native-only: trigger-to-file latency < 1 s "
              "after the window end", f"{done['time'] - done['end']:.3f} s")
        m = json.load(open(native + ".evidence.json"))
        entry = m["native"][0]
        check(m["output"]["file"] == entry["file"] == "cam-o1.native.mp4" and
              m["output"]["sha256"] == entry["sha256"] and m["encoder"]["name"] == "copy" and
              m["drawing"] is None and m["live"]["native_only"] is True and
              m["output"]["frames"] == entry["video"]["packets"] == done["frames"],
              "native-only: its own manifest (output = the copy, encoder copy)",
              json.dumps(m["output"]))
        check_copy("native-only", native, entry, src)
        check(verify(native) == 0 and verify(native, "--sources") == 0,
              "native-only: verify (and --sources) pass")
        check(refused is not None and open(os.path.join(out, "cam-x.native.mp4")).read() ==
              "keep" and not os.path.exists(os.path.join(out, "cam-x.native.mp4.evidence.json"))
              and live.wait_type("clip_started", 0, id="x") is None,
              "native-only: a trigger whose copy exists is refused (the copy kept)", str(refused))
        check(other is not None and other["path"] == os.path.join(out, "cam-y.native.mp4") and
              open(os.path.join(out, "cam-y.mp4")).read() == "keep",
              "native-only: a file of the encoded clip's name does not stop a copy", str(other))
    finally:
        log = stopped(live)
        ms = re.findall(r"passthrough clip published ([0-9.]+) ms after its last packet", log)
        check(ms and float(ms[0]) < 500, "native-only: published milliseconds after its last "
              "packet", str(ms))
        check("libx264" not in log and "decoder" not in log.lower(),
              "native-only: no encoder or decoder opened", log[-400:])


def scenario_sigint(server, out, src):
    """SIGINT while a clip with a copy records (a stream without audio): the clip and its copy
    (written while it recorded) are cut at the last packet and published together, complete; a
    second SIGINT at once leaves both complete or neither, and no temp file."""
    for twice in (False, True):
        d = os.path.join(out, "twice" if twice else "once")
        os.mkdir(d)
        what = "native sigint twice" if twice else "native sigint"
        live = tl.Live(["--url", server.url(2), "--native", "--output-dir", d, "--preset",
                        "ultrafast", "--detection-delay", "0"], what)
        try:
            if not check(live.wait_type("stream_up", 15) is not None, f"{what}: stream up"):
                return
            time.sleep(1)
            live.send({"type": "trigger", "stream": "cam", "pre": 1, "post": 30, "id": "s"})
            live.wait_type("clip_started", 5, id="s")
            time.sleep(1.5)
            live.proc.send_signal(signal.SIGINT)
            if twice:
                live.proc.send_signal(signal.SIGINT)
            code = live.stop(sig=None)
            fin = live.wait_type("clip_finished", 0, id="s")
            clip, native = os.path.join(d, "cam-s.mp4"), os.path.join(d, "cam-s.native.mp4")
            if not twice:
                check(code == 0 and fin and fin["incomplete"] and fin.get("native") == native,
                      f"{what}: the clip is cut and published with its copy", f"{code} {fin}")
            if fin:
                m = json.load(open(clip + ".evidence.json"))
                check_copy(what, native, m["native"][0], src, audio=False)
                check(verify(clip) == 0, f"{what}: verify passes")
            else:
                check(not os.path.exists(clip) and not os.path.exists(native),
                      f"{what}: an abandoned clip leaves neither file")
            left = [n for n in os.listdir(d) if n.startswith(".")]
            check(not left, f"{what}: no temp file left", str(left))
        finally:
            live.stop()


def scenario_gap(out, src):
    """Server gone for ~2.5 s inside a native-only recording: the copy keeps the hole in its
    timestamps as the clip's events list it, in its audio as in its video."""
    server = file_server(src, seconds=40)
    port = server.port
    live = tl.Live(["--url", server.url(0), "--native-only", "--output-dir", out,
                    "--stall-timeout", "1", "--backoff-max", "0.5", "--detection-delay", "0"],
                   "gap")
    try:
        if not check(live.wait_type("stream_up", 15) is not None, "gap: stream up"):
            return
        time.sleep(3)
        live.send({"type": "trigger", "stream": "cam", "pre": 1, "post": 7, "id": "g"})
        time.sleep(1)
        server.kill()
        check(live.wait_type("stream_down", 5) is not None, "gap: outage seen")
        time.sleep(2)
        server = file_server(src, seconds=30, port=port)
        done = live.wait(lambda e: e.get("event") in ("clip_finished", "clip_failed") and
                         e.get("id") == "g", 25)
        if not check(done is not None and done["event"] == "clip_finished", "gap: copy written",
                     str(done)):
            return
        gaps = done.get("gaps", [])
        pk = packets(done["path"])
        holes = [(a[0], b[0]) for a, b in zip(pk, pk[1:]) if b[0] - a[0] > 1.0]
        check(done["incomplete"] and len(gaps) == 1 and len(holes) == 1 and
              abs(holes[0][1] - holes[0][0] - (gaps[0][1] - gaps[0][0])) < 0.2,
              "gap: the copy's timestamps keep the listed hole", f"{holes} {gaps}")
        au = audio_packets(done["path"])
        aholes = [(a[0], b[0]) for a, b in zip(au, au[1:]) if b[0] - a[0] > 1.0]
        check(len(aholes) == 1 == len(holes) and
              abs(aholes[0][0] - holes[0][0]) <= FRAME + AFRAME and
              abs(aholes[0][1] - holes[0][1]) <= FRAME + AFRAME,
              "gap: the audio's hole is the video's", f"audio {aholes}, video {holes}")
        check(verify(done["path"]) == 0, "gap: verify passes")
    finally:
        stopped(live)
        server.kill()


def scenario_g711(out, src):
    """G.711 audio (PCMU, pt 0, and PCMA, pt 8: 8 kHz mono, as IP cameras send it), which MP4
    cannot carry: the clip re-encodes it to AAC (the file's sound, in sync, as long as the
    video, also after an outage inside the clip; no encoder warning); the copy is Matroska with
    the stream's G.711 as it came, plays (decodes without error) and verifies, and the manifest
    says so."""
    server = tl.Server(mounts=2, seconds=40, media=src.path, audio=("0:pcmu", "1:pcma"))
    lives = [tl.Live(["--url", server.url(i), "--native", "--output-dir", out, "--name", name,
                      "--preset", "ultrafast", "--detection-delay", "0", "--stall-timeout", "1",
                      "--backoff-max", "0.5"], name, verbose=True)
             for i, name in enumerate(("pcmu", "pcma"))]
    try:
        for live in lives:
            if not check(live.wait_type("stream_up", 15) is not None, f"{live.name}: stream up"):
                return
        time.sleep(2)
        for live in lives:
            live.send({"type": "trigger", "stream": live.name, "pre": 1, "post": 1, "id": "g"})
        clips = [live.wait_type("clip_finished", 20, id="g") for live in lives]
        # An outage inside an encoded clip (checked below): its re-encoded audio keeps its time
        # (silence fills the hole), in sync with the video after it and as long as it.
        port = server.port
        lives[0].send({"type": "trigger", "stream": "pcmu", "pre": 0.5, "post": 5.5, "id": "h"})
        time.sleep(1)
        server.kill()
        check(lives[0].wait_type("stream_down", 5) is not None, "pcmu outage: outage seen")
        time.sleep(1)
        server = tl.Server(mounts=1, port=port, seconds=30, media=src.path, audio=("0:pcmu",))
        for live, codec, done in zip(lives, ("pcm_mulaw", "pcm_alaw"), clips):
            what = live.name
            if not check(done is not None, f"{what}: clip finished", str(live.events[-3:])):
                continue
            native = os.path.join(out, f"{what}-g.native.mkv")
            m = json.load(open(done["path"] + ".evidence.json"))
            entry = m["native"][0]
            check(done.get("native") == native and entry["file"] == os.path.basename(native) and
                  entry["container"] == "matroska",
                  f"{what}: MP4 cannot carry G.711: the copy is Matroska, events and manifest "
                  "name it", f"{done.get('native')} {entry['file']} {entry['container']}")
            a = common.audio_stream(common.probe(native))
            check(a and (a["codec_name"], int(a["sample_rate"]), a["channels"]) ==
                  (codec, 8000, 1), f"{what}: the copy keeps the stream's G.711 as it came",
                  str(a and a["codec_name"]))
            played = subprocess.run(["ffmpeg", "-v", "error", "-xerror", "-i", native, "-f",
                                     "null", "-"], capture_output=True, text=True)
            check(played.returncode == 0 and not played.stderr,
                  f"{what}: the copy decodes, video and audio, without an error", played.stderr)
            # the sound of each (found by cross-correlation) for PCMU only: PCMA's path differs
            # only in its decoder, and the suite's time is short
            if codec == "pcm_mulaw":
                check_copy(what, native, entry, src, aframe=AFRAME_G711)
            check_clip_audio(f"{what} clip", done["path"], src, aframe=AFRAME_G711,
                             sound=codec == "pcm_mulaw")
            check(verify(done["path"]) == 0, f"{what}: verify passes")
        done = lives[0].wait(lambda e: e.get("event") in ("clip_finished", "clip_failed") and
                         e.get("id") == "h", 20)
        if check(done is not None and done["event"] == "clip_finished" and
                 len(done["gaps"]) == 1, "pcmu outage: clip with the outage's gap finished",
                 str(done)):
            check_clip_audio("pcmu outage clip", done["path"], src, aframe=AFRAME_G711,
                             at_end=True)
            pk = packets(done["path"])
            hole = max(((x[0] + FRAME, y[0]) for x, y in zip(pk, pk[1:])),
                       key=lambda h: h[1] - h[0], default=(0, 0))
            sound = pcm(done["path"])
            quiet = sound[int((hole[0] + 0.15) * 48000):int((hole[1] - 0.15) * 48000)]
            check(len(quiet) > 0 and numpy.sqrt((quiet ** 2).mean()) <
                  0.01 * numpy.sqrt((sound ** 2).mean()),
                  "pcmu outage clip: silence where the video has its hole (its longest)",
                  f"hole {hole}, {len(quiet)} samples")
    finally:
        for live in lives:
            log = stopped(live)
            check("audio: pcm_" in log and "re-encoding to AAC" in log and
                  "warning: ffmpeg: [aac" not in log,
                  f"{live.name}: re-encoded to AAC without an encoder warning",
                  repr([ln for ln in log.splitlines() if "aac" in ln.lower()]))
        server.kill()


def main():
    if not tl.gst_available():
        print("SKIP: GStreamer RTSP server not installed")
        sys.exit(77)
    out = common.tempdir()
    bad = os.path.join(out, "bad.json")
    with open(bad, "w") as f:
        json.dump([{"name": "a", "url": "rtsp://127.0.0.1:9/x", "native": "yes"}], f)
    r = common.run(["live", "--config", bad], timeout=20, stdin=subprocess.DEVNULL)
    check(r.returncode == 3 and "field 'native': true or false" in r.stderr,
          "cameras.json: a non-boolean native is refused (exit 3)", r.stderr)
    src = Served(with_sound(out))
    server = file_server(src)
    try:
        dirs = [os.path.join(out, d) for d in ("native", "only", "gap", "sigint", "g711")]
        for d in dirs:
            os.mkdir(d)
        tl.run_scenarios((scenario_native, server, dirs[0], src),
                         (scenario_native_only, server, dirs[1], src),
                         (scenario_gap, dirs[2], src),
                         (scenario_sigint, server, dirs[3], src),
                         (scenario_g711, dirs[4], Served(with_ulaw(out))))
    finally:
        server.kill()
        common.cleanup(out)
    tl.checks.close()


if __name__ == "__main__":
    main()
