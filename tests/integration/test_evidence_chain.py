"""test_evidence_chain.py: the manifest certifies what was rendered: sources and logs changed
mid-render, outputs that would replace inputs, clip + manifest published together."""
import hashlib
import json
import os
import re
import pty
import select
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import EVCLIP, Checks, cleanup, ffmpeg, run, tempdir, write_jsonl

C = Checks()
TMP = tempdir()


def path(name):
    return os.path.join(TMP, name)


def sha256(p):
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def make_video(name, pattern, seconds=8):
    out = path(name)
    ffmpeg("-f", "lavfi", "-i", f"{pattern}=size=320x240:rate=25:duration={seconds}",
           "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", out)
    return out


def make_log(name, frames=200):
    rows = [{"frame_idx": i, "bbox": [10 + i % 50, 20, 90 + i % 50, 100], "label": "car",
             "score": 0.9, "track_id": 1} for i in range(frames)]
    p = path(name)
    write_jsonl(p, rows)
    return p


# The progress line: "42% 123/456 ..." (with or without a bar and " frames").
PROGRESS = re.compile(r"\d+% (\d+)/(\d+)")


def run_interrupted(args, action, timeout=120):
    """Runs evclip with stderr on a terminal (so it draws its per-frame progress bar). On the
    first progress output the process is stopped (SIGSTOP), `action()` runs, and the process
    is resumed: the action happens while the render is deterministically in progress (checked:
    the last progress seen before resuming is below the total). Returns (exit code, stderr
    text, frames done when stopped, frames total)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([EVCLIP] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=slave)
    os.close(slave)
    text, stopped, done, total = b"", False, -1, -1
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            text += chunk
        if not stopped and PROGRESS.search(text.decode(errors="replace")):
            p.send_signal(signal.SIGSTOP)
            stopped = True
            time.sleep(0.2)  # let the terminal deliver what was written before the stop
            while select.select([master], [], [], 0.1)[0]:
                text += os.read(master, 65536)
            last = PROGRESS.findall(text.decode(errors="replace"))[-1]
            done, total = int(last[0]), int(last[1])
            action()
            p.send_signal(signal.SIGCONT)
        if p.poll() is not None and not ready:
            break
    p.wait(timeout=timeout)
    os.close(master)
    return p.returncode, text.decode(errors="replace"), done, total


def test_source_hash_is_what_was_read():
    src, other = make_video("src.mp4", "testsrc2"), make_video("other.mp4", "testsrc")
    log = make_log("src.jsonl")
    clip = path("ok.mp4")
    r = run(["render", "-i", src, "-d", log, "--start", "1", "--end", "3", "-o", clip, "-q"])
    C.check(r.returncode == 0, "plain render", r.stderr)
    m = json.load(open(clip + ".evidence.json"))
    C.check(m["sources"][0]["sha256"] == sha256(src) and
            m["sources"][0]["size"] == os.path.getsize(src), "manifest hashes the source")

    # Replaced by mv while rendering: the render fails, nothing is published.
    saved = path("src.orig.mp4")
    shutil.copy(src, saved)
    clip = path("swapped.mp4")
    code, err, done, total = run_interrupted(
        ["render", "-i", src, "-d", log, "--start", "0", "--end", "8", "-o", clip],
        lambda: os.rename(other, src))
    C.check(0 < done < total, "source swapped mid-render", f"{done}/{total}")
    C.check(code == 3 and "replaced by another file while rendering" in err,
            "source replaced mid-render fails with exit 3", f"{code} {err[-300:]}")
    C.check(not os.path.exists(clip) and not os.path.exists(clip + ".evidence.json"),
            "no clip or manifest after a replaced source")
    C.check(not [n for n in os.listdir(TMP) if n.endswith(".evclip-tmp")],
            "no temp file left after a replaced source")

    # Modified in place (appended) while rendering.
    shutil.copy(saved, src)
    clip = path("appended.mp4")

    def append():
        with open(src, "ab") as f:
            f.write(b"\0" * 100)

    code, err, done, total = run_interrupted(
        ["render", "-i", src, "-d", log, "--start", "0", "--end", "8", "-o", clip], append)
    C.check(0 < done < total, "source appended mid-render", f"{done}/{total}")
    C.check(code == 3 and "was modified while rendering" in err,
            "source modified mid-render fails with exit 3", f"{code} {err[-300:]}")
    C.check(not os.path.exists(clip), "no clip after a modified source")
    shutil.copy(saved, src)


def test_log_hash_never_null():
    src, log = path("src.mp4"), path("src.jsonl")
    saved = path("src.orig.jsonl")
    shutil.copy(log, saved)
    clip = path("logchanged.mp4")

    def append():
        with open(log, "a") as f:
            f.write(json.dumps({"frame_idx": 5, "bbox": [1, 2, 30, 40], "label": "x"}) + "\n")

    code, err, done, total = run_interrupted(
        ["render", "-i", src, "-d", log, "--start", "0", "--end", "8", "-o", clip], append)
    C.check(0 < done < total, "log appended mid-render", f"{done}/{total}")
    C.check(code == 4 and "detection log" in err and "changed" in err,
            "log changed mid-render fails with exit 4", f"{code} {err[-300:]}")
    C.check(not os.path.exists(clip) and not os.path.exists(clip + ".evidence.json"),
            "no clip or manifest after a changed log")
    shutil.copy(saved, log)

    # A manifest entry without a hash (as older versions wrote for a changed log) fails.
    clip = path("nullhash.mp4")
    r = run(["render", "-i", src, "-d", log, "--start", "1", "--end", "2", "-o", clip, "-q"])
    C.check(r.returncode == 0, "render for the null-hash check", r.stderr)
    mpath = clip + ".evidence.json"
    m = json.load(open(mpath))
    m["sources"][0]["detections"]["logs"][0]["sha256"] = None
    m["sources"][0]["detections"]["logs"][0]["changed_after_load"] = True
    json.dump(m, open(mpath, "w"))
    r = run(["verify", clip, "--sources"])
    C.check(r.returncode == 13 and "no hash recorded" in r.stderr,
            "verify --sources fails a log with sha256 null", f"{r.returncode} {r.stderr}")
    os.unlink(log)
    r = run(["verify", clip, "--sources"])
    C.check(r.returncode == 13, "... also once that log is deleted", f"{r.returncode}")
    shutil.copy(saved, log)
    m["sources"][0]["detections"]["logs"][0]["sha256"] = sha256(log)
    m["sources"][0]["sha256"] = None
    json.dump(m, open(mpath, "w"))
    r = run(["verify", clip, "--sources"])
    C.check(r.returncode == 13 and "no hash recorded: video" in r.stderr,
            "verify --sources fails a local video with sha256 null", f"{r.returncode}")


def test_pair_published_together():
    src, log = path("src.mp4"), path("src.jsonl")
    saved = path("pair.orig.jsonl")
    shutil.copy(log, saved)
    clip = path("pair.mp4")
    r = run(["render", "-i", src, "-d", log, "--start", "1", "--end", "2", "-o", clip, "-q"])
    C.check(r.returncode == 0, "first pair", r.stderr)
    old_clip, old_manifest = sha256(clip), sha256(clip + ".evidence.json")

    def append():
        with open(log, "a") as f:
            f.write(json.dumps({"frame_idx": 3, "bbox": [1, 2, 30, 40], "label": "y"}) + "\n")

    # The new clip is fully encoded, then its manifest fails: the old pair must survive.
    code, err, done, total = run_interrupted(
        ["render", "-i", src, "-d", log, "--start", "0", "--end", "8", "-o", clip,
         "--overwrite"], append)
    C.check(0 < done < total and code == 4, "manifest failure after encoding", f"{code}")
    C.check(os.path.exists(clip) and sha256(clip) == old_clip and
            sha256(clip + ".evidence.json") == old_manifest,
            "a failed manifest leaves the previous clip and manifest intact")
    shutil.copy(saved, log)
    r = run(["verify", clip, "--sources"])
    C.check(r.returncode == 0, "the previous pair still verifies", r.stderr)
    C.check(not [n for n in os.listdir(TMP) if n.endswith(".evclip-tmp")],
            "no temp file left after a failed manifest")


def test_output_never_replaces_input():
    src = path("src.mp4")
    log = path("src.jsonl")
    before, log_before = sha256(src), sha256(log)
    os.symlink(src, path("link.mp4"))
    os.link(log, path("hardlog.jsonl"))
    cases = [("output = input", src), ("output = symlink to the input", path("link.mp4")),
             ("output = the detection log", log),
             ("output = hard link of the log", path("hardlog.jsonl"))]
    for what, out in cases:
        r = run(["render", "-i", src, "-d", log, "--start", "1", "--end", "2", "-o", out,
                 "--overwrite", "-q"])
        C.check(r.returncode == 6 and "never replaces an input" in r.stderr,
                f"{what} refused with --overwrite (exit 6)", f"{r.returncode} {r.stderr}")
    # the manifest path may not be an input either
    shutil.copy(log, path("m.mp4.evidence.json"))
    r = run(["render", "-i", src, "-d", path("m.mp4.evidence.json"), "--start", "1", "--end",
             "2", "-o", path("m.mp4"), "--overwrite", "-q"])
    C.check(r.returncode == 6 and "manifest" in r.stderr and "never replaces" in r.stderr,
            "manifest path = detection log refused", f"{r.returncode} {r.stderr}")
    C.check(sha256(src) == before and sha256(log) == log_before, "inputs untouched")
    C.check(not [n for n in os.listdir(TMP) if n.endswith(".evclip-tmp")],
            "no temp file left by refused renders")


def test_spec_output_path():
    """render --spec used to print the output path from the freed JSON tree."""
    spec = path("spec.json")
    out = path("from-spec-with-a-long-name-to-fill-the-freed-memory.mp4")
    with open(spec, "w") as f:
        json.dump({"output": out, "input": path("src.mp4"), "detections": path("src.jsonl"),
                   "start": 1, "end": 2}, f)
    r = run(["render", "--spec", spec])
    C.check(r.returncode == 0 and f"evclip: wrote {out} (" in r.stderr,
            "render --spec names its output", r.stderr)
    r = run(["render", "--spec", spec, "--json", "--overwrite"])
    res = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {}
    C.check(r.returncode == 0 and res.get("output") == out, "render --spec --json output",
            r.stdout + r.stderr)


def test_truncated_exit_codes():
    full = path("ok.mp4")  # a 2 s clip rendered (with SEI) by the first test
    data = open(full, "rb").read()
    cut = path("cut.mp4")
    with open(cut, "wb") as f:
        f.write(data[:len(data) // 2])
    r = run(["inspect", cut])
    C.check(r.returncode == 3 and "truncated" in r.stderr and r.stdout == "",
            "inspect of a truncated clip exits 3, prints no frame",
            f"{r.returncode} {r.stderr[-200:]}")
    # A faststart source cut at 40 %: a window past the cut is an input error (3).
    src = path("fs.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=8", "-c:v", "libx264",
           "-preset", "ultrafast", "-g", "25", "-movflags", "+faststart", src)
    full = data = open(src, "rb").read()
    shutil.copy(src, path("fs-full.mp4"))
    with open(src, "wb") as f:
        f.write(data[:len(data) * 4 // 10])
    r = run(["render", "-i", src, "--start", "6", "--end", "7", "-o", path("past.mp4"), "-q"])
    C.check(r.returncode == 3, "window past the cut of a truncated input exits 3",
            f"{r.returncode} {r.stderr[-200:]}")
    # Cut exactly at a packet boundary (no decode error): still 3, not 5 (window).
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
                          "packet=pos,pts_time", "-of", "csv=p=0", path("fs-full.mp4")],
                         capture_output=True, text=True, check=True).stdout
    pos = next(int(p) for t, p in (x.split(",")[:2] for x in out.split()) if float(t) >= 4)
    with open(src, "wb") as f:
        f.write(full[:pos])
    r = run(["render", "-i", src, "--start", "7", "--end", "7.5", "-o", path("past.mp4"),
             "-q"])
    C.check(r.returncode == 3 and "truncated" in r.stderr,
            "window past a clean cut exits 3", f"{r.returncode} {r.stderr[-200:]}")


def test_batch_shared_output():
    os.makedirs(path("sub"), exist_ok=True)
    out = path("same.mp4")
    other = os.path.join(TMP, "sub", "..", "same.mp4")
    jobs = path("dup.jsonl")
    base = {"input": path("src.mp4"), "detections": path("src.jsonl")}
    write_jsonl(jobs, [dict(base, output=out, start=1, end=2),
                       dict(base, output=path("fine.mp4"), start=2, end=3),
                       dict(base, output=other, start=3, end=4)])
    report = path("dup.report.jsonl")
    r = run(["batch", jobs, "--report", report, "-q"])
    rows = [json.loads(x) for x in open(report)] if os.path.exists(report) else []
    C.check(r.returncode == 9, "batch with a shared output exits 9", f"{r.returncode}")
    C.check(len(rows) == 3 and [x["status"] for x in rows] == ["error", "ok", "error"],
            "both clips writing one file refused, the other rendered", str(rows))
    C.check(all("clips 1 and 3" in (rows[i]["error"] or "") or
                "clips 3 and 1" in (rows[i]["error"] or "") for i in (0, 2)),
            "each refusal names both clips", str(rows))
    C.check(not os.path.exists(out), "no file at the shared output")


def test_stale_temp_cleanup():
    d = path("killed")
    os.makedirs(d)
    jobs = path("kill.jsonl")
    base = {"input": path("src.mp4"), "detections": path("src.jsonl")}
    write_jsonl(jobs, [dict(base, output=os.path.join(d, f"k{i}.mp4"), start=0, end=8)
                       for i in range(2)])
    master, slave = pty.openpty()
    p = subprocess.Popen([EVCLIP, "batch", jobs, "--jobs", "1"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    text = b""
    while (not PROGRESS.search(text.decode(errors="replace"))
           and select.select([master], [], [], 60)[0]):
        text += os.read(master, 65536)
    p.send_signal(signal.SIGKILL)
    p.wait()
    os.close(master)
    left = [n for n in os.listdir(d) if n.endswith(".evclip-tmp")]
    C.check(len(left) >= 1, "a killed batch leaves temp files", str(os.listdir(d)))
    # A temp file of a live process (this one) is never removed.
    live = os.path.join(d, f".x.mp4.{os.getpid()}-0badcafe.evclip-tmp")
    open(live, "w").close()
    r = run(["render", "-i", path("src.mp4"), "--start", "1", "--end", "2", "-o",
             os.path.join(d, "next.mp4"), "-q"])
    C.check(r.returncode == 0, "next render into the directory", r.stderr)
    C.check(sorted(os.listdir(d)) == sorted(["next.mp4", "next.mp4.evidence.json",
                                             os.path.basename(live)]),
            "the next render removed the killed run's temp files, not a live one",
            str(os.listdir(d)))


def test_sei_records_every_box():
    rows = [{"frame_idx": 0, "bbox": [i % 300, (i // 300) % 220, i % 300 + 4, (i // 300) % 220
             + 4], "label": f"b{i}", "score": 0.5, "track_id": i} for i in range(5000)]
    log = path("many.jsonl")
    write_jsonl(log, rows)
    clip = path("many.mp4")
    r = run(["render", "-i", path("src.mp4"), "-d", log, "--start", "0", "--end", "0.12",
             "-o", clip, "-q", "--json"])
    res = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {}
    C.check(r.returncode == 0 and res.get("boxes_drawn") == 5000, "5000 boxes drawn on one frame",
            r.stdout + r.stderr[-300:])
    r = run(["inspect", clip])
    frames = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    dets = frames[0].get("detections", []) if frames else []
    C.check(r.returncode == 0 and len(dets) == 5000 and
            sorted(d["track_id"] for d in dets) == list(range(5000)),
            "inspect gives all 5000 boxes of the frame", f"{r.returncode} {len(dets)}")


def test_help_exit_codes():
    r = run(["--help"])
    C.check(r.returncode == 0 and re.search(r"\b9\s+batch", r.stdout), "top-level help lists exit 9",
            r.stdout)


def test_verify_never_hangs_on_a_fifo():
    # A source (or log) replaced by a FIFO has no fixed bytes: verify --sources says so, exit
    # 13, instead of waiting forever for a writer.
    src, log = path("fifo-src.mp4"), path("src.jsonl")
    shutil.copy(path("src.mp4"), src)
    clip = path("fifo.mp4")
    r = run(["render", "-i", src, "-d", log, "--start", "1", "--end", "2", "-o", clip, "-q"])
    C.check(r.returncode == 0, "render for the FIFO check", r.stderr)
    os.unlink(src)
    os.mkfifo(src)
    try:
        r = run(["verify", clip, "--sources"], timeout=30)
        C.check(r.returncode == 13 and "not a regular file" in r.stderr,
                "verify --sources: a FIFO in place of the source fails (13), no hang",
                f"{r.returncode} {r.stderr}")
    except subprocess.TimeoutExpired:
        C.check(False, "verify --sources: a FIFO in place of the source fails (13), no hang",
                "timed out")
    finally:
        os.unlink(src)
    # A log read from a pipe cannot be certified: refused before any work (exit 3), and fine
    # without a manifest.
    text = open(log).read()  # input= feeds stdin through a pipe
    args = ["render", "-i", path("src.mp4"), "-d", "/dev/stdin", "--start", "1", "--end", "2",
            "-o", path("pipe.mp4")]
    r = subprocess.run([EVCLIP] + args, input=text, capture_output=True, text=True, timeout=120)
    C.check(r.returncode == 3 and "is not a regular file" in r.stderr and
            "progress" not in r.stderr and not os.path.exists(path("pipe.mp4")),
            "a log from a pipe is refused before rendering (exit 3)",
            f"{r.returncode} {r.stderr[-300:]}")
    r = subprocess.run([EVCLIP] + args + ["-q", "--no-manifest"], input=text,
                       capture_output=True, text=True, timeout=120)
    C.check(r.returncode == 0 and os.path.exists(path("pipe.mp4")),
            "a log from a pipe renders with --no-manifest", r.stderr)


def main():
    try:
        test_source_hash_is_what_was_read()
        test_log_hash_never_null()
        test_pair_published_together()
        test_output_never_replaces_input()
        test_spec_output_path()
        test_truncated_exit_codes()
        test_batch_shared_output()
        test_stale_temp_cleanup()
        test_sei_records_every_box()
        test_help_exit_codes()
        test_verify_never_hangs_on_a_fifo()
    finally:
        cleanup(TMP)
    C.close()


main()
