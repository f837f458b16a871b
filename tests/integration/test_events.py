"""test_events.py: `evclip events` (windows from logs, filters, clamping, splits, per track,
several files, patterns, bad input), `evclip batch -` on its output, and --poster."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


class _C:
    """common's helpers, and one Checks instance for this file."""

    def __init__(self):
        self.checks = common.Checks()

    def __getattr__(self, name):
        return getattr(common, name)

    def check(self, *a):
        return self.checks.check(*a)


C = _C()
T = C.tempdir()
CAR = C.media("car-detection.mp4")
EPOCH = 1772460200                 # 2026-03-02T14:03:20Z: wall-clock time of h1.mp4's start
EPOCH_ISO = "2026-03-02T15:03:20+01:00"


def path(*p):
    return os.path.join(T, *p)


def det(t, label="person", track=None, score=0.9, x=10):
    d = {"ts": round(t, 3), "bbox": [x, 10, x + 30, 50], "label": label, "score": score}
    if track is not None:
        d["track_id"] = track
    return d


def events(*args, stdin=None):
    return C.run(["events"] + list(args), input=stdin)


def jobs_of(r):
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def setup():
    # Two 4 s files of one "camera", 10 fps, 160x120 (the second one follows the first).
    for name in ("h1.mp4", "h2.mp4"):
        C.ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=4",
                 "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path(name))
    rows = [det(0.5 + 0.1 * i) for i in range(6)]                 # person 0.5..1.0
    rows += [det(2.0, "car", score=0.3), det(2.1, "car", score=0.95), det(2.2, "person")]
    rows += [det(3.5 + 0.1 * i, "car") for i in range(5)]          # runs into h2
    C.write_jsonl(path("h1.jsonl"), rows)
    C.write_jsonl(path("h2.jsonl"), [det(0.1 * i, "car") for i in range(4)])


def test_windows():
    r = events("-i", path("h1.mp4"), "-d", path("h1.jsonl"), "--gap", "0.5")
    C.check(r.returncode == 0, "events exits 0", r.stderr)
    jobs = jobs_of(r)
    C.check(len(jobs) == 3, "three events at gap 0.5", r.stdout)
    if len(jobs) != 3:
        return
    j = jobs[0]
    C.check(j["start"] == 0.5 and j["end"] == 1.1, "window = first .. last detection + one "
            "frame", j)
    C.check(j["input"] == os.path.realpath(path("h1.mp4")), "input written absolute", j)
    C.check(j["output"] == "h1-00000.50-person.mp4", "default output pattern", j["output"])
    C.check(jobs[1]["extra"]["labels"] == {"car": 2, "person": 1} and
            jobs[1]["extra"]["label"] == "car", "label = most frequent, all counted",
            jobs[1]["extra"])
    C.check("end" not in jobs[2] and jobs[2]["start"] == 3.5, "a window that runs to the end "
            "of the file has no end", jobs[2])
    r = events("-i", path("h1.mp4"), "-d", path("h1.jsonl"), "--gap", "2")
    C.check(len(jobs_of(r)) == 1, "gap 2 joins everything", r.stdout)


def test_filters():
    base = ["-i", path("h1.mp4"), "-d", path("h1.jsonl"), "--gap", "0.5"]
    r = events(*base, "--label", "car")
    C.check([j["extra"]["labels"] for j in jobs_of(r)] == [{"car": 2}, {"car": 5}],
            "--label keeps only those labels", r.stdout)
    r = events(*base, "--label", "car", "--min-score", "0.5")
    C.check([j["extra"]["boxes"] for j in jobs_of(r)] == [1, 5], "--min-score drops low "
            "scores", r.stdout)
    C.write_jsonl(path("unscored.jsonl"), [{"ts": 0.5, "bbox": [1, 1, 9, 9], "label": "x"},
                                           det(2.5, "y", score=0.7)])
    r = events("-i", path("h1.mp4"), "-d", path("unscored.jsonl"), "--min-score", "0.5")
    C.check([j["extra"]["label"] for j in jobs_of(r)] == ["y"], "unscored detections fail "
            "--min-score", r.stdout)
    r = events(*base, "--min-boxes", "4")
    C.check([j["extra"]["boxes"] for j in jobs_of(r)] == [6, 5], "--min-boxes drops small "
            "events", r.stdout)
    r = events(*base, "--min-duration", "0.45")
    C.check([j["start"] for j in jobs_of(r)] == [0.5, 3.5], "--min-duration drops short "
            "events (0.3 s + one frame)", r.stdout)


def test_rolls_and_split():
    r = events("-i", path("h1.mp4"), "-d", path("h1.jsonl"), "--gap", "0.5", "--pre", "1",
               "--post", "0.5", "--label", "person")
    jobs = jobs_of(r)
    C.check(jobs and jobs[0]["start"] == 0 and jobs[0]["extra"]["pre"] == 0.5 and
            "pre roll" in jobs[0]["extra"].get("clamped", ""), "pre clamped at the video "
            "start, and said so", jobs[:1])
    C.check(jobs and jobs[0]["end"] == 1.6, "post roll added", jobs[:1])
    r = events("-i", path("h1.mp4"), "-d", path("h1.jsonl"), "--gap", "2",
               "--max-duration", "1.5")
    jobs = jobs_of(r)
    C.check(len(jobs) == 3 and [j["extra"]["part"] for j in jobs] == [[1, 3], [2, 3], [3, 3]],
            "--max-duration splits into equal parts", r.stdout)
    C.check(len({j["output"] for j in jobs}) == 3, "split parts get distinct names",
            [j["output"] for j in jobs])
    C.check(all(("end" not in j or j["end"] - j["start"] <= 1.5 + 1e-6) for j in jobs),
            "each part within the cap", jobs)


def test_per_track():
    rows = [det(0.1 * i, "person", track=1 + i % 2, x=10 + 40 * (i % 2)) for i in range(10)]
    rows.append(det(1.0, "dog"))  # untracked: ignored in --per-track
    C.write_jsonl(path("tracks.jsonl"), rows)
    r = events("-i", path("h1.mp4"), "-d", path("tracks.jsonl"), "--per-track")
    jobs = jobs_of(r)
    C.check(sorted(j["extra"]["track"] for j in jobs) == [1, 2], "one event per track",
            r.stdout)
    C.check(all(j["output"].endswith("-%d.mp4" % j["extra"]["track"]) for j in jobs),
            "per-track names carry the track", [j["output"] for j in jobs])
    C.check("untracked" in r.stderr, "untracked detections reported", r.stderr)


def test_multi_file():
    r = events("-i", path("h1.mp4"), "-d", path("h1.jsonl"), "-i", path("h2.mp4"), "-d",
               path("h2.jsonl"), "--gap", "0.5", "--label", "car")
    jobs = jobs_of(r)
    last = jobs[-1] if jobs else {}
    srcs = last.get("sources", [])
    C.check(len(srcs) == 2 and srcs[0]["from"] == 3.5 and "to" not in srcs[0] and
            srcs[1]["from"] == 0 and srcs[1]["to"] == 0.4, "an event across the file "
            "boundary is one multi-source job", last)
    C.check(last.get("extra", {}).get("boxes") == 9, "its boxes come from both logs", last)
    C.check(last.get("output") == "h1-00003.50-car.mp4", "{start} on the first file's "
            "timeline", last.get("output"))
    r = events("-i", path("h1.mp4"), "-d", path("h1.jsonl"), "-i", path("h2.mp4"), "-d",
               path("h2.jsonl"), "--gap", "0.5", "--label", "car", "--pre", "1")
    srcs = jobs_of(r)[-1].get("sources", [{}]) if r.returncode == 0 else [{}]
    C.check(srcs[0].get("from") == 2.5, "rolls on the joined timeline", srcs)


def test_frame_index_and_kill():
    C.write_jsonl(path("frames.jsonl"), [{"frame_idx": 5 + i, "bbox": [1, 1, 9, 9],
                                           "label": "p"} for i in range(3)])
    r = events("-i", path("h1.mp4"), "-d", path("frames.jsonl"))
    jobs = jobs_of(r)
    C.check(jobs and jobs[0]["start"] == 0.5 and jobs[0]["end"] == 0.8, "frame_idx timed by "
            "the video's frame rate", r.stdout + r.stderr)
    with open(path("mot.txt"), "w") as f:  # MOTChallenge: 1-based frames 8..10
        f.write("".join(f"{n},3,10,10,20,20,0.9,-1,-1,-1\n" for n in (8, 9, 10)))
    r = events("-i", path("h1.mp4"), "-d", path("mot.txt"), "--format", "mot")
    jobs = jobs_of(r)
    C.check(jobs and jobs[0]["start"] == 0.7 and jobs[0]["extra"]["boxes"] == 3,
            "--format mot", r.stdout + r.stderr)
    r = events("-i", path("h1.mp4"), "-d", path("mot.txt"), "--format", "xml")
    C.check(r.returncode == 2 and "xml" in r.stderr, "unknown --format", r.stderr)
    # Killed while reading its log (a FIFO that never ends): neither the jobs file nor its
    # temp file is left.
    fifo = path("fifo.jsonl")
    os.mkfifo(fifo)
    p = subprocess.Popen([C.EVCLIP, "events", "-i", path("h1.mp4"), "-d", fifo, "-o",
                          path("killed.jsonl")], stderr=subprocess.PIPE)
    writer = open(fifo, "w")
    writer.write(json.dumps(det(0.5)) + "\n")
    writer.flush()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(n.startswith("killed.jsonl.")
                                                  for n in os.listdir(T)):
        time.sleep(0.05)
    started = any(n.startswith("killed.jsonl.") for n in os.listdir(T))
    p.terminate()
    p.wait()
    writer.close()
    C.check(started and p.returncode == -15, "events was running when killed", p.returncode)
    C.check(not [n for n in os.listdir(T) if n.startswith("killed.jsonl")], "a killed events "
            "leaves no file", os.listdir(T))


def test_patterns():
    rows = [det(0.5, "../../x <script>"), det(0.6, "../../x <script>")]
    C.write_jsonl(path("evil.jsonl"), rows)
    r = events("-i", path("h1.mp4"), "-d", path("evil.jsonl"), "--output-pattern",
               "clips/{source}_{index:03d}_{start:07.3f}_{label}.mp4")
    jobs = jobs_of(r)
    C.check(jobs and jobs[0]["output"] == "clips/h1_001_000.500_______x__script_.mp4",
            "pattern fields, formats, and labels made file-name safe",
            jobs[0]["output"] if jobs else r.stderr)
    r = events("-i", path("h1.mp4"), "-d", path("evil.jsonl"), "--output-pattern", "{nope}.mp4")
    C.check(r.returncode == 2 and "unknown field '{nope}'" in r.stderr, "unknown field refused",
            r.stderr)
    r = events("-i", path("h1.mp4"), "-d", path("h1.jsonl"), "--gap", "0.5",
               "--output-pattern", "same.mp4", "-o", path("same.jsonl"))
    C.check(r.returncode == 2 and "two clips" in r.stderr and
            not os.path.exists(path("same.jsonl")), "two clips with one name refused, no "
            "jobs file left", r.stderr)


def test_bad_input():
    C.write_jsonl(path("unordered.jsonl"), [det(3.0), det(0.5)])
    r = events("-i", path("h1.mp4"), "-d", path("unordered.jsonl"))
    C.check(r.returncode == 4 and "time order" in r.stderr, "a log out of time order is "
            "refused", r.stderr)
    with open(path("broken.jsonl"), "w") as f:
        f.write(json.dumps(det(0.5)) + "\n{\"ts\": 1, \"bbox\": [1, 2]}\n")
    r = events("-i", path("h1.mp4"), "-d", path("broken.jsonl"), "-o", path("b.jsonl"))
    C.check(r.returncode == 4 and "broken.jsonl:2" in r.stderr and
            not os.path.exists(path("b.jsonl")), "a malformed log names file:line, writes "
            "nothing", r.stderr)
    r = events("-i", path("h1.jsonl"), "-d", path("h1.jsonl"))
    C.check(r.returncode == 3, "a log given as the video: input error", r.stderr)
    r = events("-i", path("h1.mp4"))
    C.check(r.returncode == 2 and "no -d" in r.stderr, "-i without -d", r.stderr)
    # Detections past the video's end make no event, and are never dropped silently: those
    # keyed by wall clock alone are named as such.
    C.write_jsonl(path("late.jsonl"), [det(0.5), det(0.6), det(500.0), det(501.0)])
    r = events("-i", path("h1.mp4"), "-d", path("late.jsonl"), "-q")
    C.check(r.returncode == 0 and "2 detections are timed past the end" in r.stderr and
            "first at 500.000 s" in r.stderr and "wall-clock" not in r.stderr,
            "detections past the video's end are counted in a warning", r.stderr)
    C.write_jsonl(path("epoch_ts.jsonl"), [det(EPOCH + 2.5 + i * 0.1) for i in range(3)])
    r = events("-i", path("h1.mp4"), "-d", path("epoch_ts.jsonl"))
    C.check(r.returncode == 0 and "3 detections are timed past the end" in r.stderr and
            "look like wall-clock times given as ts" in r.stderr and "0 events" in r.stderr,
            "epoch seconds given as ts: events says why it made no event", r.stderr)
    r = events("-i", path("h1.mp4"), "-d", path("h1.jsonl"), "-o", path("nodir", "j.jsonl"))
    C.check(r.returncode == 6, "unwritable -o", r.stderr)


def wall_row(row, keys):
    """A row of a ts-keyed log keyed by wallclock ("wall"), by both ("both") or by ts."""
    row = dict(row)
    if keys != "ts":
        row["wallclock"] = EPOCH + row["ts"]
    if keys == "wall":
        del row["ts"]
    return row


def windows(jobs):
    """What events decided (not where it came from): windows, counts, names."""
    return [{k: v for k, v in j.items() if k not in ("detections", "epoch")} for j in jobs]


def test_wallclock_keys():
    ts_jobs = jobs_of(events("-i", path("h1.mp4"), "-d", path("h1.jsonl"), "--gap", "0.5"))
    rows = C.read_jsonl(path("h1.jsonl"))
    C.write_jsonl(path("wall.jsonl"), [wall_row(r, "wall") for r in rows])
    r = events("-i", path("h1.mp4"), "-d", path("wall.jsonl"), "--epoch", EPOCH_ISO,
               "--gap", "0.5")
    jobs = jobs_of(r)
    C.check(r.returncode == 0 and len(ts_jobs) == 3 and windows(jobs) == windows(ts_jobs),
            "a log keyed by wallclock (--epoch) gives the events of the same log keyed by ts",
            r.stdout + r.stderr)
    C.check(all(j.get("epoch") == EPOCH_ISO for j in jobs), "jobs carry --epoch as given",
            jobs)
    # Mixed keys, the origin from a line with both (after the first wallclock-only line).
    C.write_jsonl(path("mixed.jsonl"), [wall_row(r, ("wall", "both", "ts")[i % 3])
                                        for i, r in enumerate(rows)])
    r = events("-i", path("h1.mp4"), "-d", path("mixed.jsonl"), "--gap", "0.5")
    C.check(r.returncode == 0 and windows(jobs_of(r)) == windows(ts_jobs) and
            "epoch" not in r.stdout, "mixed ts / wallclock / both lines: the same events, "
            "origin from the log (the render finds it too)", r.stdout + r.stderr)
    # The origin from the video's creation_time.
    C.ffmpeg("-i", path("h1.mp4"), "-c", "copy", "-metadata",
             "creation_time=2026-03-02T14:03:20Z", path("h1c.mp4"))
    r = events("-i", path("h1c.mp4"), "-d", path("wall.jsonl"), "--gap", "0.5")
    got = [(j["start"], j.get("end"), j["extra"]) for j in jobs_of(r)]
    C.check(r.returncode == 0 and got == [(j["start"], j.get("end"), j["extra"])
                                          for j in ts_jobs], "origin from creation_time",
            r.stdout + r.stderr)
    # The job renders the boxes on their frames: 0.5 .. 1.0 s, one box each.
    out = path("wall_out")
    os.makedirs(out)
    r = C.run(["batch", "-", "--preset", "ultrafast", "-q"], input=json.dumps(jobs[0]) + "\n",
              cwd=out)
    clip = os.path.join(out, jobs[0]["output"]) if jobs else ""
    shown = C.run(["inspect", clip]).stdout.splitlines() if r.returncode == 0 else []
    frames = [json.loads(line) for line in shown]
    C.check(len(frames) == 6 and all(len(f["detections"]) == 1 for f in frames) and
            abs(frames[0]["wallclock"] - (EPOCH + 0.5)) < 1e-6, "events | batch draws the "
            "wallclock-keyed boxes on their frames", r.stderr + "\n".join(shown[:2]))


def test_wallclock_errors():
    # Two files, each with its origin: an event across them is one job, each source with its
    # own epoch.
    C.write_jsonl(path("h2w.jsonl"), [wall_row(r, "wall") for r in C.read_jsonl(
        path("h2.jsonl"))])
    C.write_jsonl(path("h1w.jsonl"), [wall_row(r, "wall") for r in C.read_jsonl(
        path("h1.jsonl"))])
    r = events("-i", path("h1.mp4"), "-d", path("h1w.jsonl"), "--epoch", str(EPOCH), "-i",
               path("h2.mp4"), "-d", path("h2w.jsonl"), "--epoch", str(EPOCH), "--gap", "0.5",
               "--label", "car")
    srcs = jobs_of(r)[-1].get("sources", []) if r.returncode == 0 else []
    C.check([s.get("epoch") for s in srcs] == [str(EPOCH)] * 2 and srcs[1]["to"] == 0.4,
            "several files: each source of a job has its own epoch", r.stdout + r.stderr)
    # No origin: the first line keyed by wallclock is named, exit 4, no jobs file.
    r = events("-i", path("h1.mp4"), "-d", path("mixed.jsonl"), "-i", path("h2.mp4"), "-d",
               path("h2w.jsonl"), "-o", path("none.jsonl"))
    C.check(r.returncode == 4 and "h2w.jsonl:1: field 'wallclock'" in r.stderr and
            "wall-clock origin of input" in r.stderr and
            not [n for n in os.listdir(T) if n.startswith("none.jsonl")],
            "no wall-clock origin: an error naming the first such line, nothing written",
            r.stderr)
    # A log from a pipe cannot be read ahead for its origin: refused, not hung or half read.
    fifo = path("wall.fifo")
    os.mkfifo(fifo)
    p = subprocess.Popen([C.EVCLIP, "events", "-i", path("h1.mp4"), "-d", fifo],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with open(fifo, "w") as writer:
            writer.write(open(path("wall.jsonl")).read())
    except BrokenPipeError:
        pass
    out, err = p.communicate(timeout=20)
    C.check(p.returncode == 4 and "give --epoch" in err and not out, "a piped log keyed by "
            "wallclock without --epoch: exit 4", err)
    r = events("-i", path("h1.mp4"), "-d", path("wall.jsonl"), "--epoch", "2026-03-02T14:03:20")
    C.check(r.returncode == 2 and "2026-03-02T14:03:20" in r.stderr, "--epoch without a zone "
            "is refused", r.stderr)
    r = events("--epoch", str(EPOCH), "-i", path("h1.mp4"), "-d", path("wall.jsonl"))
    C.check(r.returncode == 2 and "needs an -i before it" in r.stderr, "--epoch before -i",
            r.stderr)
    # Lines keyed by wallclock before the video's start (an origin 10 s too late) make no
    # event and are counted.
    r = events("-i", path("h1.mp4"), "-d", path("wall.jsonl"), "--epoch", str(EPOCH + 10), "-q")
    C.check(r.returncode == 0 and "14 detections are timed before the start" in r.stderr and
            "14 of them keyed by wallclock" in r.stderr and not r.stdout,
            "detections before the video's start are counted in a warning", r.stderr)


def test_pipe_to_batch_with_poster():
    # The 3 s event has one box, except at 0.8 s where it has three: that frame is the poster.
    rows = [det(0.5 + 0.1 * i, x=10) for i in range(6)]
    rows += [det(0.8, "car", x=60), det(0.8, "car", x=100)]
    rows += [det(0.9, "car", x=60), det(0.9, "car", x=100)]  # a tie later: earliest wins
    C.write_jsonl(path("poster.jsonl"), rows)
    os.makedirs(path("out"))
    ev = subprocess.run([C.EVCLIP, "events", "-i", path("h1.mp4"), "-d", path("poster.jsonl"),
                         "--poster", "-q"], capture_output=True, text=True)
    r = C.run(["batch", "-", "--preset", "ultrafast", "--report", path("out", "r.jsonl")],
              input=ev.stdout, cwd=path("out"))
    C.check(r.returncode == 0, "events | batch - renders", r.stderr)
    C.check("warning" not in r.stderr, "a poster costs no warning (swscale's 'deprecated pixel "
            "format' for yuvj)", r.stderr)
    clip = path("out", "h1-00000.50-person.mp4")
    poster = clip[:-4] + ".jpg"
    C.check(os.path.exists(poster), "poster beside the clip", os.listdir(path("out")))
    if not os.path.exists(poster):
        return
    m = json.load(open(clip + ".evidence.json"))
    p = m.get("poster", {})
    C.check(p.get("boxes") == 3 and abs(p.get("source_time", 0) - 0.8) < 1e-6,
            "the poster is the earliest frame with the most boxes", p)
    import hashlib
    C.check(p.get("sha256") == hashlib.sha256(open(poster, "rb").read()).hexdigest(),
            "manifest records the poster's hash", p)
    C.check(C.leftovers(path("out")) == sorted([os.path.basename(clip), os.path.basename(poster),
            os.path.basename(clip) + ".evidence.json", "r.jsonl"]), "no temp file left",
            C.leftovers(path("out")))
    r = C.run(["verify", clip])
    C.check(r.returncode == 0, "verify passes", r.stdout + r.stderr)
    m["poster"]["file"] = ".."
    with open(path("evil.json"), "w") as f:
        json.dump(m, f)
    r = C.run(["verify", "--manifest", path("evil.json"), clip])
    C.check(r.returncode == 11 and "poster.file" in r.stderr, "a poster path that climbs "
            "out of the clip's folder is a malformed manifest", r.stderr)
    with open(poster, "ab") as f:
        f.write(b"x")
    r = C.run(["verify", clip])
    C.check(r.returncode == 10 and "poster modified" in r.stderr, "verify sees a changed "
            "poster", r.stderr)
    os.unlink(poster)
    r = C.run(["verify", clip])
    C.check(r.returncode == 10 and "poster missing" in r.stderr, "verify sees a missing "
            "poster", r.stderr)
    r = C.run(["batch", "-"], input="{\"output\": 1}\n", cwd=path("out"))
    C.check(r.returncode == 9 and "stdin:1" in r.stderr, "batch - names stdin:LINE", r.stderr)
    bad = {"output": "x.mp4", "input": path("h1.mp4"), "start": 0, "extra": 5}
    r = C.run(["batch", "-"], input=json.dumps(bad) + "\n", cwd=path("out"))
    C.check(r.returncode == 9 and "field 'extra': expected an object" in r.stderr,
            "extra must be an object", r.stderr)


def test_poster_scaled():
    out = path("wide.mp4")
    r = C.run(["render", "-i", CAR, "-d", C.media("car-detection.detections.jsonl"),
               "--start", "5", "--end", "6", "--preset", "ultrafast", "--poster", "-o", out])
    C.check(r.returncode == 0, "render --poster", r.stderr)
    if r.returncode == 0:
        info = C.video_stream(C.probe(path("wide.jpg")))
        C.check(info["width"] == 640 and info["height"] == 360, "a 768x432 frame's poster is "
                "640x360", (info["width"], info["height"]))
    with open(path("p.jpg"), "w") as f:  # a detection log that the poster would replace
        f.write(json.dumps(det(5.5)) + "\n")
    r = C.run(["render", "-i", CAR, "-d", path("p.jpg"), "--start", "5", "--end", "6",
               "--poster", "--overwrite", "-o", path("p.mp4")])
    C.check(r.returncode == 6 and "poster" in r.stderr and "never replaces an input" in
            r.stderr and json.loads(open(path("p.jpg")).read())["ts"] == 5.5 and
            not os.path.exists(path("p.mp4")), "a poster never replaces an input", r.stderr)


def main():
    setup()
    C.checks.run_all((test_windows, test_filters, test_rolls_and_split, test_per_track,
                      test_multi_file, test_frame_index_and_kill, test_patterns,
                      test_bad_input, test_wallclock_keys, test_wallclock_errors,
                      test_pipe_to_batch_with_poster, test_poster_scaled))
    C.cleanup(T)
    C.checks.close()


if __name__ == "__main__":
    main()
