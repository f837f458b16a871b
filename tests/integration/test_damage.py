"""test_damage.py: damaged input is reported, not hidden. Barcode MPEG-TS and MP4 inputs get
damaged bytes in the middle (garbage payload in some video TS packets; dropped TS packets, a
continuity error; garbage inside the MP4's media data); the render must still succeed, print no
error (decoder chatter is debug only), and report the damaged packets in --json, the manifest
(per source), the warnings and the batch report, while the clean input reports 0."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import test_frame_identity as fi  # noqa: E402  (barcode inputs)
from common import Checks, cleanup, run, tempdir  # noqa: E402

C = Checks()
TMP = tempdir()
TS_SIZE = 188
WARNING = "damaged video packets were skipped or concealed in"


def video_pid(data):
    """PID of the first TS packet that starts a PES with a video stream id (0xE0..0xEF)."""
    for off in range(0, len(data) - TS_SIZE, TS_SIZE):
        pkt = data[off:off + TS_SIZE]
        if pkt[0] != 0x47 or not pkt[1] & 0x40 or (pkt[3] >> 4) & 3 != 1:
            continue
        if pkt[4:7] == b"\0\0\1" and 0xE0 <= pkt[7] <= 0xEF:
            return ((pkt[1] & 0x1F) << 8) | pkt[2]
    raise AssertionError("no video PID")


def video_packets(data, pid):
    """Offsets of the TS packets of `pid` that carry payload only (no adaptation field) and do
    not start a PES (their bytes are all elementary stream)."""
    offs = []
    for off in range(0, len(data) - TS_SIZE + 1, TS_SIZE):
        p = data[off:off + TS_SIZE]
        if (((p[1] & 0x1F) << 8) | p[2]) == pid and (p[3] >> 4) & 3 == 1 and not p[1] & 0x40:
            offs.append(off)
    return offs


def garbage_ts(src, dst):
    """Overwrites the payload of a few video TS packets in the middle with noise (headers and
    continuity counters intact: only the decoder can tell)."""
    data = bytearray(open(src, "rb").read())
    offs = video_packets(data, video_pid(data))
    rng = np.random.default_rng(7)
    mid = len(offs) // 2
    for off in offs[mid:mid + 12:3]:
        data[off + 4:off + TS_SIZE] = rng.integers(0, 256, TS_SIZE - 4, np.uint8).tobytes()
    open(dst, "wb").write(bytes(data))


def dropped_ts(src, dst):
    """Drops a run of video TS packets in the middle (a continuity error, as on a lossy link)."""
    data = open(src, "rb").read()
    offs = video_packets(data, video_pid(data))
    drop = set(offs[len(offs) // 2:len(offs) // 2 + 6])
    open(dst, "wb").write(b"".join(data[o:o + TS_SIZE] for o in range(0, len(data), TS_SIZE)
                                   if o not in drop))


def garbage_mp4(src, dst):
    """Noise over a stretch of the MP4's media data (mdat), in the middle."""
    data = bytearray(open(src, "rb").read())
    at = data.find(b"mdat")
    size = int.from_bytes(data[at - 4:at], "big")
    mid = at + size // 2
    rng = np.random.default_rng(3)
    for k in range(4):
        off = mid + k * 700
        data[off:off + 64] = rng.integers(0, 256, 64, np.uint8).tobytes()
    open(dst, "wb").write(bytes(data))


def render(src, name, start=0.5, end=3.5, extra=()):
    out = os.path.join(TMP, name)
    log = os.path.join(TMP, "log.jsonl")
    r = run(["render", "-i", src, "-d", log, "--start", str(start), "--end", str(end), "-o", out,
             "--overwrite", "--json", "--thickness", "2", "--font-size", "8"] + list(extra))
    C.check(r.returncode == 0, f"{name}: renders", f"{r.returncode}: {r.stderr}")
    C.check("error" not in r.stderr, f"{name}: no error printed", r.stderr[:400])
    if r.returncode != 0:
        return None, None, r
    return json.loads(r.stdout), json.load(open(out + ".evidence.json")), r


def check(src, name, damaged, start=0.5, end=3.5, extra=()):
    summary, manifest, r = render(src, name + ".mp4", start, end, extra)
    if summary is None:
        return 0
    n = summary["damaged_packets"]
    per_source = manifest["sources"][0]["damaged_packets"]
    warned = [w for w in summary["warnings"] if WARNING in w]
    print(f"{name}: damaged_packets {n}")
    if damaged:
        C.check(n > 0, f"{name}: --json damaged_packets > 0", summary)
        C.check(per_source == n, f"{name}: manifest source damaged_packets = --json", per_source)
        C.check(len(warned) == 1 and f"{n} {WARNING} '{src}'" in warned[0],
                f"{name}: warning names the count and the source", summary["warnings"])
        C.check(any(WARNING in w for w in manifest["warnings"]),
                f"{name}: manifest lists the warning", manifest["warnings"])
        C.check(WARNING in r.stderr, f"{name}: warning on stderr", r.stderr)
    else:
        C.check(n == 0 and per_source == 0 and not warned, f"{name}: clean input reports 0",
                summary)
    return n


def check_batch(damaged_src, clean_src):
    jobs = os.path.join(TMP, "jobs.jsonl")
    report = os.path.join(TMP, "report.jsonl")
    with open(jobs, "w") as f:
        for name, src in (("b-damaged", damaged_src), ("b-clean", clean_src)):
            f.write(json.dumps({"output": os.path.join(TMP, name + ".mp4"), "input": src,
                                "start": 0.5, "end": 3.5, "overwrite": True}) + "\n")
    r = run(["batch", jobs, "--report", report])
    C.check(r.returncode == 0, "batch: ok", r.stderr)
    lines = [json.loads(x) for x in open(report)]
    C.check(lines[0]["damaged_packets"] > 0 and any(WARNING in w for w in lines[0]["warnings"]),
            "batch report: damaged clip counted and warned", lines[0])
    C.check(lines[1]["damaged_packets"] == 0, "batch report: clean clip 0", lines[1])


def main():
    clean_ts = os.path.join(TMP, "clean.ts")
    fi.encode(clean_ts, 100, ["-c:v", "libx264", "-g", "25", "-bf", "2", "-preset", "veryfast",
                              "-f", "mpegts"], noise=True)
    clean_mp4 = os.path.join(TMP, "clean.mp4")
    fi.encode(clean_mp4, 100, ["-c:v", "libx264", "-g", "25", "-preset", "veryfast"],
              noise=True)
    fi.write_log(os.path.join(TMP, "log.jsonl"),
                 [fi.log_row(n, {"frame_idx": n}) for n in range(100)])
    bad_ts, cut_ts, bad_mp4 = (os.path.join(TMP, n) for n in ("garbage.ts", "dropped.ts",
                                                              "garbage.mp4"))
    garbage_ts(clean_ts, bad_ts)
    dropped_ts(clean_ts, cut_ts)
    garbage_mp4(clean_mp4, bad_mp4)
    check(clean_ts, "clean-ts", False)
    check(clean_mp4, "clean-mp4", False)
    check(clean_ts, "clean-ts-seek", False, 3.2, 3.8)  # a seek into the TS: not damage
    check(bad_ts, "garbage-ts-before", False, 3.2, 3.8)  # damage outside the window: 0
    # Concealed errors are seen through the decoder's per-frame error flags, which frame-threaded
    # H.264 decoding does not always carry over (README: Damaged input; seen as 0 on a loaded
    # CI machine): garbage that only the decoder can see is checked with one decoding thread.
    check(bad_ts, "garbage-ts", True, extra=["--threads", "1"])
    check(cut_ts, "dropped-ts", True)  # flagged by the demuxer: counted with any threads
    check(bad_mp4, "garbage-mp4", True, extra=["--threads", "1"])
    check_batch(cut_ts, clean_ts)
    r = run(["render", "-i", cut_ts, "--start", "0.5", "--end", "3.5", "-o",
             os.path.join(TMP, "strict.mp4"), "--strict"])
    C.check(r.returncode == 8 and WARNING in r.stderr, "--strict: damaged input exits 8",
            f"{r.returncode}: {r.stderr}")
    cleanup(TMP)
    cleanup(fi.TMP)
    C.close()


if __name__ == "__main__":
    main()
