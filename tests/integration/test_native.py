"""test_native.py: --native (the source's own packets of the window beside the clip): packets
bit-identical to the source range (checked with ffprobe packet hashes), playable (ffmpeg, and
headless Chromium to the end), from 0, faststart, recorded in the manifest, verified (and
--sources), bad input leaves nothing."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
from fractions import Fraction

sys.path.insert(0, os.path.dirname(__file__))
import common as C  # noqa: E402
from browser import chromium_binary, page_results  # noqa: E402

CHECK = C.Checks()
check = CHECK.check
T = C.tempdir()
CAR = C.media("car-detection.mp4")        # H.264 + AAC, keyframe every 2.4 s
BOTTLE = C.media("bottle-detection.mp4")  # H.264 with B-frames
WALK = C.media("walk.mkv")                # Matroska, H.264 with B-frames
BOOK = C.media("book.mkv")


def path(name):
    return os.path.join(T, name)


def render(output, *args, sources=None):
    src = sources or [(CAR, 5.3, 7.0)]
    cmd = ["render", "-q", "--preset", "ultrafast", "--size", "320x180", "--native"]
    for p, start, end in src:
        cmd += ["-i", p, "--start", str(start), "--end", str(end)]
    return C.run(cmd + ["-o", output] + list(args))


def packets(p):
    """Per codec type, the packets of the first video / audio stream in file (decode) order:
    (pts, dts or None, key, md5), with the streams' time bases and start times."""
    out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_packets",
                          "-show_data_hash", "MD5", "-of", "json", p],
                         capture_output=True, text=True, check=True).stdout
    info = json.loads(out)
    streams, result = {}, {}
    for s in info["streams"]:
        if s["codec_type"] in ("video", "audio") and s["codec_type"] not in result:
            streams[s["index"]] = s["codec_type"]
            result[s["codec_type"]] = {"tb": Fraction(s["time_base"]),
                                       "start": int(s.get("start_pts", 0)), "packets": []}
    for k in info["packets"]:
        kind = streams.get(k["stream_index"])
        if kind:
            dts = k.get("dts")
            result[kind]["packets"].append((int(k["pts"]), None if dts is None else int(dts),
                                            "K" in k["flags"], k["data_hash"]))
    return result


def expected_range(src, start, end):
    """The source packets a native copy of [start, end) must hold, chosen here from ffprobe's
    listing: video from the last keyframe at or before start to the last packet whose dts is
    before end (decode order); audio whose pts lie in [keyframe, end)."""
    v = src["video"]
    tb, origin = v["tb"], v["start"]
    s = origin + round(Fraction(start) / tb)
    e = origin + round(Fraction(end) / tb)
    keys = [p[0] for p in v["packets"] if p[2] and p[0] <= s] or \
        [next(p[0] for p in v["packets"] if p[2])]
    kf = max(keys)
    i0 = next(i for i, p in enumerate(v["packets"]) if p[2] and p[0] == kf)
    video = []
    for p in v["packets"][i0:]:
        if p[1] is not None and p[1] >= e:
            break
        video.append(p)
    audio = []
    if "audio" in src:
        a = src["audio"]
        audio = [p for p in a["packets"]
                 if kf * tb <= p[0] * a["tb"] < e * tb]
    return kf, video, audio


def payload_sha256(p, stream):
    """SHA-256 of a file's packet payloads of one stream, concatenated (FFmpeg's data muxer)."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", p, "-map", stream,
                          "-c", "copy", "-f", "data", "-"], capture_output=True, check=True)
    return hashlib.sha256(out.stdout).hexdigest()


def check_copy(name, source, start, end, native, entry, mp4=True):
    src, got = packets(source), packets(native)
    kf, video, audio = expected_range(src, start, end)
    check([p[3] for p in got["video"]["packets"]] == [p[3] for p in video],
          f"{name}: video packets bit-identical to the source range",
          f"{len(got['video']['packets'])} vs {len(video)}")
    check(len(video) > 10, f"{name}: a real range", str(len(video)))
    check([p[3] for p in got.get("audio", {"packets": []})["packets"]] ==
          [p[3] for p in audio], f"{name}: audio packets identical", str(len(audio)))
    vt = src["video"]["tb"]
    check(entry["video"]["packets"] == len(video) and entry["video"]["first_pts"] == video[0][0]
          and entry["video"]["last_pts"] == video[-1][0] and
          Fraction(entry["video"]["time_base"]) == vt, f"{name}: manifest packet range",
          str(entry["video"]))
    # every frame shown before the window end is in the copy
    e = src["video"]["start"] + round(Fraction(end) / vt)
    shown = sorted(p[0] for p in src["video"]["packets"] if kf <= p[0] < e)
    check(sorted(p[0] for p in video if p[0] < e) == shown, f"{name}: every frame shown in "
          "[keyframe, end) copied")
    check(abs(entry["copy_start"] - float((kf - src["video"]["start"]) * vt)) < 1e-6 and
          entry["copy_start"] <= start, f"{name}: copy starts at the keyframe at or before the "
          "window start", str(entry["copy_start"]))
    check(entry["video"]["sha256"] == payload_sha256(native, "0:v:0"),
          f"{name}: manifest video digest = the payloads' SHA-256")
    if audio:
        check(entry["audio"]["packets"] == len(audio) and
              entry["audio"]["sha256"] == payload_sha256(native, "0:a:0"),
              f"{name}: manifest audio digest")
    info = C.probe(native)
    check(all(abs(float(s["start_time"])) < 1e-3 for s in info["streams"]),
          f"{name}: timestamps from 0", str([s["start_time"] for s in info["streams"]]))
    if mp4:
        atoms = C.top_level_atoms(native)
        check("moov" in atoms and atoms.index("moov") < atoms.index("mdat"),
              f"{name}: faststart", str(atoms))
    dec = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", native, "-f", "null", "-"],
                         capture_output=True, text=True)
    check(dec.returncode == 0 and dec.stderr == "", f"{name}: decodes without errors",
          dec.stderr[:300])
    frames = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams",
                             "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0",
                             native], capture_output=True, text=True).stdout.strip()
    check(frames == str(len(video)), f"{name}: every copied packet decodes to a frame",
          frames)


def manifest(clip):
    with open(clip + ".evidence.json") as f:
        return json.load(f)


def verify(clip, *args):
    return C.run(["verify", clip] + list(args))


# -- copies of the shared media ------------------------------------------------------------
for name, source, start, end in (("car", CAR, 5.3, 7.0), ("bottle", BOTTLE, 10.2, 11.5),
                                 ("walk", WALK, 1.0, 2.0)):
    clip = path(name + ".mp4")
    r = render(clip, sources=[(source, start, end)])
    native = path(name + ".native.mp4")
    if check(r.returncode == 0 and os.path.exists(native), f"{name}: rendered with its copy",
             r.stderr):
        entry = manifest(clip)["native"][0]
        check(entry["file"] == name + ".native.mp4" and entry["container"] == "mp4" and
              entry["size"] == os.path.getsize(native) and
              entry["sha256"] == hashlib.sha256(open(native, "rb").read()).hexdigest() and
              entry["window"] == {"start": start, "end": end} and entry["source"] == 0,
              f"{name}: manifest entry", json.dumps(entry)[:300])
        check_copy(name, source, start, end, native, entry)
        r = verify(clip, "--sources")
        check(r.returncode == 0, f"{name}: verify --sources", r.stdout + r.stderr)
check(manifest(path("car.mp4"))["native"][0]["audio"]["packets"] > 50, "car: audio included")
check(manifest(path("bottle.mp4"))["native"][0]["copy_start"] < 10.2 - 1,
      "bottle: the copy starts at an earlier keyframe")


# -- the copies play in a browser ------------------------------------------------------------
PLAY_PAGE = """<!doctype html><html><body><script>
// Plays every copy at once, at 4x; reports each one's name, end time and frames once all ended.
const names = %s, out = [];
function done(r) {
  out.push(r);
  if (out.length == names.length) fetch("/result?" + encodeURIComponent(JSON.stringify(out)));
}
for (const name of names) {
  const v = document.createElement("video");
  v.muted = true; v.src = name + ".native.mp4"; document.body.appendChild(v);
  v.onended = () => done([name, v.currentTime, v.getVideoPlaybackQuality().totalVideoFrames]);
  v.onerror = () => done([name, "error " + (v.error && v.error.code)]);
  v.playbackRate = 4;
  v.play().catch(e => done([name, "play failed " + e]));
}
</script></body></html>"""


def check_browser_playback(names):
    """Headless Chromium plays each copy (H.264 + AAC, B-frames, from Matroska) to its end,
    every frame decoded: what ffprobe counts and what the copy lasts."""
    chromium = chromium_binary()
    if not chromium:
        print("SKIP: chromium not installed: copies not played in a browser")
        return
    with open(path("play.html"), "w") as f:
        f.write(PLAY_PAGE % json.dumps(names))
    results, _ = page_results(chromium, T, "play.html", path("chromium-profile"), timeout=60)
    got = {r[0]: r[1:] for r in json.loads(results[0])} if results else {}
    for name in names:
        native = path(name + ".native.mp4")
        frames = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams",
                                 "v:0", "-show_entries", "stream=nb_read_frames", "-of",
                                 "csv=p=0", native], capture_output=True, text=True).stdout
        length = float(C.probe(native)["format"]["duration"])
        r = got.get(name, ["no result"])
        check(len(r) == 2 and abs(r[0] - length) < 0.1 and r[1] == int(frames),
              f"{name}: Chromium plays the copy to its end, every frame",
              f"{r} vs {length:.3f} s, {frames.strip()} frames")


check_browser_playback(["car", "bottle", "walk"])

# -- a codec MP4 cannot carry (PCM audio): OUT.native.mkv ------------------------------------
pcm = path("pcm-source.mkv")
C.ffmpeg("-i", WALK, "-f", "lavfi", "-i", "sine=f=440:d=3", "-map", "0:v", "-map", "1:a",
         "-c:v", "copy", "-c:a", "pcm_s16le", "-shortest", pcm)
r = render(path("pcm.mp4"), sources=[(pcm, 1.0, 2.0)])
mkv = path("pcm.native.mkv")
if check(r.returncode == 0 and os.path.exists(mkv) and not os.path.exists(path("pcm.native.mp4")),
         "PCM audio: the copy is OUT.native.mkv", r.stderr):
    entry = manifest(path("pcm.mp4"))["native"][0]
    check(entry["file"] == "pcm.native.mkv" and entry["container"] == "matroska",
          "PCM audio: manifest names the Matroska copy", json.dumps(entry)[:200])
    check(C.probe(mkv)["format"]["format_name"].startswith("matroska"), "PCM: Matroska file")
    check_copy("pcm", pcm, 1.0, 2.0, mkv, entry, mp4=False)
    check(verify(path("pcm.mp4"), "--sources").returncode == 0, "PCM: verify --sources")

# -- verify fails when the copy is changed or missing; --sources proves the footage ----------
clip, native = path("car.mp4"), path("car.native.mp4")
keep = open(native, "rb").read()
with open(native, "r+b") as f:
    f.seek(len(keep) // 2)
    f.write(b"\x00\x01\x02\x03")
r = verify(clip)
check(r.returncode == 10 and "native copy modified" in r.stderr and native in r.stderr,
      "changed native copy: exit 10 with the reason", f"{r.returncode} {r.stderr}")
os.unlink(native)
r = verify(clip)
check(r.returncode == 10 and "native copy missing" in r.stderr,
      "missing native copy: exit 10 with the reason", f"{r.returncode} {r.stderr}")
with open(native, "wb") as f:
    f.write(keep)
check(verify(clip).returncode == 0, "restored native copy verifies")
# A copy swapped for other footage with its hash updated in the (unsigned) manifest passes the
# hash check, but --sources finds that it does not hold the source's packets.
m = manifest(clip)
C.ffmpeg("-i", CAR, "-ss", "4.8", "-t", "2.2", "-c:v", "libx264", "-preset", "ultrafast",
         "-c:a", "copy", "-movflags", "+faststart", path("swap.mp4"))
swap = open(path("swap.mp4"), "rb").read()
with open(native, "wb") as f:
    f.write(swap)
m["native"][0]["sha256"] = hashlib.sha256(swap).hexdigest()
m["native"][0]["size"] = len(swap)
with open(clip + ".evidence.json", "w") as f:
    json.dump(m, f)
check(verify(clip).returncode == 0, "swapped copy with its hash updated passes the hash check")
r = verify(clip, "--sources")
check(r.returncode == 13 and "does not hold the packets" in r.stderr,
      "verify --sources: the swapped copy is not the source's footage", f"{r.returncode} "
      f"{r.stderr}")
# The recorded digest edited: the source's packets no longer match it.
with open(native, "wb") as f:
    f.write(keep)
m["native"][0]["sha256"] = hashlib.sha256(keep).hexdigest()
m["native"][0]["size"] = len(keep)
m["native"][0]["video"]["sha256"] = "0" * 64
with open(clip + ".evidence.json", "w") as f:
    json.dump(m, f)
r = verify(clip, "--sources")
check(r.returncode == 13 and "no longer match" in r.stderr,
      "verify --sources: a digest the source does not give fails", f"{r.returncode} {r.stderr}")

# -- several sources: one copy per part ----------------------------------------------------
clip = path("multi.mp4")
r = render(clip, sources=[(WALK, 1.0, 2.0), (BOOK, 0.5, 1.5)])
m = manifest(clip) if r.returncode == 0 else {"native": []}
check([e["file"] for e in m["native"]] == ["multi.native.1.mp4", "multi.native.2.mp4"] and
      [e["source"] for e in m["native"]] == [0, 1], "two sources: OUT.native.1/2.mp4",
      r.stderr + json.dumps(m["native"])[:200])
if len(m["native"]) == 2:
    check_copy("multi part 2", BOOK, 0.5, 1.5, path("multi.native.2.mp4"), m["native"][1])
r = verify(clip, "--sources")
check(r.returncode == 0, "two sources: verify --sources", r.stdout + r.stderr)

# -- batch (--native and the spec key), --no-manifest ----------------------------------------
spec = path("jobs.jsonl")
C.write_jsonl(spec, [{"input": CAR, "start": 1, "end": 2, "output": path("b1.mp4"),
                      "native": True, "preset": "ultrafast", "size": "320x180"},
                     {"input": CAR, "start": 2, "end": 3, "output": path("b2.mp4"),
                      "preset": "ultrafast", "size": "320x180"}])
r = C.run(["batch", "-q", spec])
check(r.returncode == 0 and os.path.exists(path("b1.native.mp4")) and
      not os.path.exists(path("b2.native.mp4")), "batch: spec key native", r.stderr)
for n in ("b1", "b2"):
    for f in (n + ".mp4", n + ".mp4.evidence.json", n + ".native.mp4"):
        if os.path.exists(path(f)):
            os.unlink(path(f))
r = C.run(["batch", "-q", "--native", spec])
check(r.returncode == 0 and os.path.exists(path("b2.native.mp4")), "batch --native",
      r.stderr)
C.write_jsonl(spec, [{"input": CAR, "start": 1, "end": 2, "output": path("b3.mp4"),
                      "native": 1}])
r = C.run(["batch", spec])
check(r.returncode == 9 and "field 'native': expected true or false" in r.stderr and
      not os.path.exists(path("b3.mp4")),
      "batch: native must be a bool", r.stderr)
r = render(path("plain.mp4"), "--no-manifest")
check(r.returncode == 0 and os.path.exists(path("plain.native.mp4")) and
      not os.path.exists(path("plain.mp4.evidence.json")), "--no-manifest keeps the copy",
      r.stderr)

# -- bad input: nothing left ------------------------------------------------------------------
d = path("bad")
os.mkdir(d)
shutil.copy(CAR, os.path.join(d, "ev.native.mp4"))
for extra in ((), ("--overwrite",)):
    r = render(os.path.join(d, "ev.mp4"), *extra,
               sources=[(os.path.join(d, "ev.native.mp4"), 1, 2)])
    check(r.returncode == 6 and "native copy" in r.stderr and "is the input video" in r.stderr
          and C.leftovers(d) == ["ev.native.mp4"], f"native copy = the input{extra}: refused",
          f"{r.returncode} {r.stderr} {C.leftovers(d)}")
check(open(os.path.join(d, "ev.native.mp4"), "rb").read() == open(CAR, "rb").read(),
      "the input is untouched")
os.mkdir(os.path.join(d, "x.native.mp4"))
r = render(os.path.join(d, "x.mp4"))
check(r.returncode == 6 and "x.native.mp4' is a directory" in r.stderr and
      C.leftovers(d) == ["ev.native.mp4", "x.native.mp4"] and
      not os.listdir(os.path.join(d, "x.native.mp4")),
      "native copy path is a folder: refused, nothing left", f"{r.returncode} {r.stderr}")
r = render(os.path.join(d, "missing", "y.mp4"))
check(r.returncode == 6 and "does not exist" in r.stderr, "missing folder", r.stderr)
shutil.copy(path("car.native.mp4"), os.path.join(d, "z.native.mp4"))
r = render(os.path.join(d, "z.mp4"))
check(r.returncode == 6 and "z.native.mp4' already exists" in r.stderr and
      not os.path.exists(os.path.join(d, "z.mp4")) and
      sorted(C.leftovers(d)) == ["ev.native.mp4", "x.native.mp4", "z.native.mp4"],
      "existing native copy without --overwrite: refused, nothing left", r.stderr)
r = render(os.path.join(d, "z.mp4"), "--overwrite")
check(r.returncode == 0 and verify(os.path.join(d, "z.mp4"), "--sources").returncode == 0,
      "--overwrite replaces the native copy", r.stderr)

C.cleanup(T)
CHECK.close()
