"""test_batch_syntax.py: one syntax everywhere: jobs and spec files take the command line's time
strings, resolve relative paths against their own folder, create output folders with mkdirs;
batch counts unparsed lines by line; batch --strict."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import Checks, cleanup, media, read_jsonl, run, tempdir

C = Checks()
TMP = tempdir()
CAR = media("car-detection.mp4")
CAR_LOG = media("car-detection.detections.jsonl")


def path(*names):
    return os.path.join(TMP, *names)


def write_lines(name, lines):
    with open(name, "w") as f:
        for line in lines:
            f.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return name


def setup_tree():
    """TMP/proj/{jobs.jsonl, video/car.mp4 (link), logs/car.jsonl}; runs happen in TMP/elsewhere."""
    for d in ("proj/video", "proj/logs", "elsewhere"):
        os.makedirs(path(d), exist_ok=True)
    os.symlink(CAR, path("proj/video/car.mp4"))
    with open(CAR_LOG) as src, open(path("proj/logs/car.jsonl"), "w") as dst:
        dst.write(src.read())


def batch(*args):
    return run(["batch", *args], cwd=path("elsewhere"), timeout=600)


def test_jobs_file():
    base = {"input": "video/car.mp4", "detections": "logs/car.jsonl"}
    jobs = write_lines(path("proj", "jobs.jsonl"), [
        dict(base, output="clips/a.mp4", start="0:04", end="0:05.5", mkdirs=True),   # line 1
        '{"output": "b.mp4", "input": "video/car.mp4", "start": ',                   # line 2
        dict(base, output="c.mp4", start=4, end="1:75"),                              # line 3
        "",                                                                           # line 4
        dict(base, output="num.mp4", start=4, end=5.5),                               # line 5
        dict(base, output="tail.mp4", start="0:28", pre="0:00.5"),                    # line 6
        dict(base, output="nodir/d.mp4", start=4, end=5),                             # line 7
        dict(base, output="e.mp4", start="-1", end=5),                                # line 8
        dict(base, output="hex.mp4", start="0x4", end=5),                             # line 9
    ])
    report = path("report.jsonl")
    r = batch(jobs, "--report", report)
    C.check(r.returncode == 9, "unparsed lines and a failed job: exit 9", r.returncode)
    C.check("evclip: batch: 8 jobs: 3 ok, 1 failed, 4 not parsed (lines 2, 3, 8, 9)\n" in r.stderr,
            "summary counts every job and names the unparsed lines", r.stderr)
    rows = read_jsonl(report)
    C.check([(x["line"], x["status"]) for x in rows] ==
            [(1, "ok"), (2, "invalid"), (3, "invalid"), (5, "ok"), (6, "ok"), (7, "error"),
             (8, "invalid"), (9, "invalid")], "report: one row per job with its line and status",
            [(x["line"], x["status"]) for x in rows])
    by_line = {x["line"]: x for x in rows}
    C.check(by_line[2]["error"].startswith(f"{jobs}:2: invalid JSON"), "line 2 named",
            by_line[2]["error"])
    C.check(by_line[3]["error"] == f"{jobs}:3: field 'end': '1:75' is not a time (seconds, "
            "MM:SS.ms or HH:MM:SS.ms, >= 0)", "bad time string named", by_line[3]["error"])
    C.check(by_line[8]["error"].startswith(f"{jobs}:8: field 'start': '-1' is not a time"),
            "negative time string refused", by_line[8]["error"])
    C.check(by_line[9]["error"].startswith(f"{jobs}:9: field 'start': '0x4' is not a time"),
            "hex time string refused", by_line[9]["error"])
    # Relative paths are the jobs file's, not the working directory's.
    a = path("proj", "clips", "a.mp4")
    C.check(by_line[1]["output"] == a and os.path.isfile(a), "output resolved and mkdirs",
            by_line[1]["output"])
    C.check(not os.path.exists(path("elsewhere", "clips")), "nothing in the working directory")
    with open(a + ".evidence.json") as f:
        m = json.load(f)
    C.check(m["sources"][0]["path"] == path("proj", "video", "car.mp4"),
            "input resolved against the jobs file", m["sources"][0]["path"])
    # "0:04"-"0:05.5" is the same window as 4-5.5.
    C.check(by_line[1]["frames"] == by_line[5]["frames"] > 0 and
            by_line[1]["boxes"] == by_line[5]["boxes"], "time strings = numbers",
            f"{by_line[1]['frames']} {by_line[5]['frames']}")
    # No end: to the end of the input (30.16 s); pre "0:00.5" widens the start.
    C.check(abs(by_line[6]["seconds"] - (30.16 - 27.5)) < 0.05, "no end: to the end, pre as a "
            "time string", by_line[6]["seconds"])
    C.check(by_line[7]["error"] == f"{jobs}:7: output folder '{path('proj', 'nodir')}' does not "
            "exist (--mkdirs, or \"mkdirs\": true in a spec, creates it)",
            "missing output folder named", by_line[7]["error"])
    # "../" is resolved from the jobs file's folder too.
    os.makedirs(path("proj", "sub"), exist_ok=True)
    up = write_lines(path("proj", "sub", "up.jsonl"), [
        {"input": "../video/car.mp4", "detections": "../logs/car.jsonl", "start": "0:04",
         "end": "0:04.5", "output": "../up.mp4"}])
    r = batch(up, "-q")
    C.check(r.returncode == 0 and os.path.isfile(path("proj", "up.mp4")), "'../' paths",
            r.stderr)
    # --mkdirs for every job; the folder must not be a file.
    with open(path("proj", "afile"), "w"):
        pass
    jobs2 = write_lines(path("proj", "jobs2.jsonl"), [
        dict(base, output="deep/er/f.mp4", start=4, end=4.5),
        dict(base, output="afile/g.mp4", start=4, end=4.5),
        dict(base, output="h.mp4", start=4, end=4.5, mkdirs=False),
        dict(base, output="nodir2/i.mp4", start=4, end=4.5, mkdirs=False)])
    r = batch(jobs2, "--mkdirs", "--json", "-q")
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    C.check(r.returncode == 9 and [x["status"] for x in rows] == ["ok", "error", "ok", "error"]
            and os.path.isfile(path("proj", "deep", "er", "f.mp4")), "--mkdirs creates folders",
            r.stdout)
    C.check(rows[3]["error"].startswith(f"{jobs2}:4: output folder '{path('proj', 'nodir2')}' "
                                        "does not exist") and
            not os.path.exists(path("proj", "nodir2")), "\"mkdirs\": false overrides --mkdirs",
            rows[3]["error"])
    C.check(rows[1]["error"] == f"{jobs2}:2: cannot create output folder "
            f"'{path('proj', 'afile')}': a file of that name exists", "a file in the way named",
            rows[1]["error"])


def test_three_good_two_broken():
    base = {"input": CAR, "detections": CAR_LOG, "overwrite": True}
    jobs = write_lines(path("five.jsonl"), [
        dict(base, output=path("g1.mp4"), start=4, end=4.5),
        '{"output": "broken.mp4", "input": ',
        dict(base, output=path("g2.mp4"), start="0:05", end="0:05.5"),
        dict(base, output=path("g4.mp4"), start=4, end=5, colour="red"),
        dict(base, output=path("g3.mp4"), start=6, end=6.5)])
    rep = path("five-report.jsonl")
    r = batch(jobs, "--report", rep)
    rows = read_jsonl(rep)
    C.check(r.returncode == 9 and r.stderr.endswith(
        "evclip: batch: 5 jobs: 3 ok, 0 failed, 2 not parsed (lines 2, 4)\n"),
        "3 good + 2 broken: summary", r.stderr)
    C.check(len(rows) == 5 and [x["status"] for x in rows] ==
            ["ok", "invalid", "ok", "invalid", "ok"] and
            rows[3]["error"] == f"{jobs}:4: unknown field 'colour'" and
            all(os.path.isfile(path(n)) for n in ("g1.mp4", "g2.mp4", "g3.mp4")),
            "3 good + 2 broken: report", rows)


def test_strict():
    base = {"input": CAR, "detections": CAR_LOG, "overwrite": True}
    jobs = write_lines(path("strict.jsonl"), [
        dict(base, output=path("quiet.mp4"), start=0.5, end=1),   # no detection: a warning
        dict(base, output=path("busy.mp4"), start=4, end=5)])
    rep = path("strict-report.jsonl")
    r = batch(jobs, "--report", rep)
    C.check(r.returncode == 0, "without --strict warnings do not fail", r.returncode)
    r = batch(jobs, "--report", rep, "--strict")
    rows = read_jsonl(rep)
    C.check(r.returncode == 8, "--strict: exit 8", f"{r.returncode} {r.stderr}")
    C.check([x["status"] for x in rows] == ["warnings", "ok"] and
            rows[0]["error"] == "--strict: the clip rendered with 1 warning" and
            "no detection" in rows[0]["warnings"][0], "--strict marks the job", rows)
    C.check("evclip: batch: 2 jobs: 1 ok, 0 failed, 0 not parsed, 1 with warnings (--strict)"
            in r.stderr, "--strict summary", r.stderr)
    C.check(os.path.isfile(path("quiet.mp4")), "the warned clip stays written")
    write_lines(jobs, [dict(base, output=path("quiet.mp4"), start=0.5, end=1),
                       dict(base, output=path("never.mp4"), start=40, end=41)])
    r = batch(jobs, "--strict", "-q")
    C.check(r.returncode == 9, "a failed job wins over warnings: exit 9", r.returncode)


def test_missing_log_named():
    jobs = write_lines(path("proj", "nolog.jsonl"), [
        {"input": "video/car.mp4", "detections": "logs/none.jsonl", "start": 4, "end": 5,
         "output": "nolog.mp4"}])
    r = batch(jobs, "-q", "--json")
    row = json.loads(r.stdout.splitlines()[0]) if r.stdout.strip() else {}
    C.check(r.returncode == 9 and row.get("status") == "invalid" and row.get("error") ==
            f"{jobs}:1: field 'detections': {path('proj', 'logs', 'none.jsonl')}: No such file "
            "or directory", "a missing log is named with the job's line", r.stdout)


def test_help():
    h = run(["batch", "--help"]).stdout
    for text in ("Relative input, detections and output paths are relative to JOBS.jsonl's "
                 "folder; times\nare seconds or strings as on the command line (\"1:02.5\")",
                 "--mkdirs          create missing output folders",
                 "--strict          a clip rendered with warnings counts as failed"):
        C.check(text in h, "batch --help: " + text[:30], h)
    h = run(["render", "--help"]).stdout
    C.check("--mkdirs            create the output's missing folders" in h, "render --help",
            h)


def test_spec_and_render():
    spec = path("proj", "clip.json")
    with open(spec, "w") as f:
        json.dump({"output": "spec/out.mp4", "input": "video/car.mp4",
                   "detections": "logs/car.jsonl", "start": "0:27.5", "mkdirs": True}, f)
    r = run(["render", "--spec", spec, "--json"], cwd=path("elsewhere"))
    res = json.loads(r.stdout) if r.stdout.strip() else {}
    C.check(r.returncode == 0 and res.get("output") == path("proj", "spec", "out.mp4") and
            res.get("to_end") is True, "render --spec: relative paths, time string, to the end",
            f"{r.returncode} {r.stderr} {res}")
    typo = path("proj", "typo.json")
    with open(typo, "w") as f:
        json.dump({"ouput": "t.mp4", "input": "video/car.mp4", "start": 1, "end": 2}, f)
    r = run(["render", "--spec", typo])
    C.check(r.returncode == 2 and r.stderr == f"evclip: error: {typo}: unknown field 'ouput' "
            "(did you mean 'output'?)\n", "spec key typo: did you mean", r.stderr)
    out = path("elsewhere", "x", "y", "z.mp4")
    r = run(["render", "-i", CAR, "--start", "4", "--end", "4.5", "-o", out, "-q"])
    C.check(r.returncode == 6 and r.stderr == "evclip: error: output folder "
            f"'{os.path.dirname(out)}' does not exist (--mkdirs, or \"mkdirs\": true in a spec, "
            "creates it)\n", "render: missing folder, exit 6", f"{r.returncode} {r.stderr}")
    r = run(["render", "-i", CAR, "--start", "4", "--end", "4.5", "-o", out, "-q", "--mkdirs",
             "--pre", "0:00.5", "--json"])
    res = json.loads(r.stdout) if r.stdout.strip() else {}
    C.check(r.returncode == 0 and os.path.isfile(out) and abs(res.get("duration", 0) - 1) < 0.05,
            "render --mkdirs, --pre as a time string", f"{r.stderr} {res}")
    # Folders made for a render that then fails stay (empty); no clip is left.
    failed = path("elsewhere", "made", "f.mp4")
    r = run(["render", "-i", CAR, "--start", "40", "--end", "41", "-o", failed, "-q",
             "--mkdirs"])
    C.check(r.returncode == 5 and os.listdir(os.path.dirname(failed)) == [],
            "failed render: folder stays, empty", f"{r.returncode} {r.stderr}")


if __name__ == "__main__":
    try:
        setup_tree()
        test_jobs_file()
        test_three_good_two_broken()
        test_strict()
        test_spec_and_render()
        test_help()
        test_missing_log_named()
    finally:
        cleanup(TMP)
    C.close()
