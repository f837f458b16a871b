"""test_batch_report.py: the batch report is appended (and fsynced) as each job finishes, so a
batch killed with SIGKILL keeps the lines of the jobs that finished; the final report of a run
that completes lists every job in job order."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import EVCLIP, Checks, cleanup, media, read_jsonl, tempdir, write_jsonl

C = Checks()
TMP = tempdir()
CAR, BOTTLE = media("car-detection.mp4"), media("bottle-detection.mp4")


def report_lines(path):
    try:
        with open(path) as f:
            return [line for line in f.read().split("\n") if line]
    except FileNotFoundError:
        return []


def test_killed_batch_keeps_finished_lines():
    # Job 1 (its own source, 0.5 s) finishes first; jobs 2-4 decode the whole bottle video
    # at the slowest preset, long enough to be killed while they run.
    out = [os.path.join(TMP, f"k{i}.mp4") for i in range(4)]
    jobs = [{"input": CAR, "start": 5, "end": 5.5, "output": out[0]}]
    jobs += [{"input": BOTTLE, "start": 0, "end": 39, "output": o, "preset": "veryslow"}
             for o in out[1:]]
    jobs_path = os.path.join(TMP, "kill.jsonl")
    write_jsonl(jobs_path, jobs)
    report = os.path.join(TMP, "kill-report.jsonl")
    proc = subprocess.Popen([EVCLIP, "batch", jobs_path, "--report", report, "-q",
                             "--jobs", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not report_lines(report):
        time.sleep(0.05)
    still_running = proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    C.check(still_running, "kill: the batch was still running when its first job finished")
    lines = report_lines(report)
    C.check(len(lines) == 1, "kill: the report holds the finished job's line only", lines)
    try:
        first = json.loads(lines[0]) if lines else {}
    except ValueError as e:
        first = {}
        C.check(False, "kill: the report line is valid JSON", (lines[0], e))
    C.check(first.get("job") == 1 and first.get("status") == "ok" and first.get("frames", 0) > 0
            and first.get("output") == out[0], "kill: line of job 1, ok", first)
    C.check(os.path.exists(out[0]), "kill: the finished job's clip was published")
    C.check(not any(os.path.exists(o) for o in out[1:]), "kill: unfinished clips not published")


def test_final_report_in_job_order():
    # A refused line (bad spec), a clip that fails at render time and two good clips: the
    # running report is in completion order, the final one in job order.
    out = [os.path.join(TMP, f"o{i}.mp4") for i in range(3)]
    jobs = [{"input": BOTTLE, "start": 5, "end": 5.5, "output": out[0]},
            {"input": CAR, "start": 5, "end": 5.5, "output": out[1], "thickness": 300},
            {"input": os.path.join(TMP, "missing.mp4"), "start": 0, "end": 1,
             "output": out[2]},
            {"input": CAR, "start": 6, "end": 6.5, "output": os.path.join(TMP, "o3.mp4")}]
    jobs_path = os.path.join(TMP, "order.jsonl")
    write_jsonl(jobs_path, jobs)
    report = os.path.join(TMP, "order-report.jsonl")
    r = subprocess.run([EVCLIP, "batch", jobs_path, "--report", report, "-q"],
                       capture_output=True, text=True, timeout=300)
    C.check(r.returncode == 9, "order: exit 9 (some clips failed)", (r.returncode, r.stderr))
    rep = read_jsonl(report)
    C.check([x["job"] for x in rep] == [1, 2, 3, 4], "order: final report in job order", rep)
    C.check([x["status"] for x in rep] == ["ok", "invalid", "error", "ok"],
            "order: statuses", [x["status"] for x in rep])
    C.check(not os.path.exists(report + ".partial"), "order: no temp report left")


C.run_all((test_killed_batch_keeps_finished_lines, test_final_report_in_job_order))
cleanup(TMP)
C.close()
