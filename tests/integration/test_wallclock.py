"""test_wallclock.py: real-world time: each source's wall-clock origin from --epoch / spec
"epoch", the log's wallclock fields, the container's creation_time (or unknown), recorded in
the manifest (verified); --timestamp drawing wall-clock time in a zone (DST-crossing window)
or source time, and saying which; logs keyed by wallclock; the frame's wall time in the SEI
(inspect); bad input (ISO strings, zones, ../ names, range, a wallclock log without origin)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import common as C  # noqa: E402

CHECK = C.Checks()
check = CHECK.check
T = C.tempdir()
CAR = C.media("car-detection.mp4")        # creation_time 2018-04-19T22:46:00Z
CAR_LOG = C.media("car-detection.detections.jsonl")
BOTTLE = C.media("bottle-detection.mp4")  # no creation_time
BOTTLE_LOG = C.media("bottle-detection.detections.jsonl")
CAR_EPOCH = 1524177960.0
SPRING = 1774746000.0                      # 2026-03-29T01:00:00Z: Berlin 02:00 CET -> 03:00 CEST
W, H = 320, 180


def path(name):
    return os.path.join(T, name)


def render(output, *args, src=BOTTLE, log=None, start=1.0, end=2.0):
    cmd = ["render", "--preset", "ultrafast", "--size", f"{W}x{H}", "--no-audio",
           "-i", src, "--start", str(start), "--end", str(end), "-o", output]
    if log:
        cmd += ["-d", log]
    return C.run(cmd + list(args))


def manifest(output):
    with open(output + ".evidence.json") as f:
        return json.load(f)


def inspect(output):
    r = C.run(["inspect", output])
    return [json.loads(line) for line in r.stdout.splitlines()] if r.returncode == 0 else []


def verify(output):
    return C.run(["verify", output]).returncode == 0


def caption_region(output, index):
    """Luma rows of the bottom-left caption band of frame `index`."""
    frames = C.decode_frames(output, W, H)
    rows = [frames[index][y * W:y * W + W // 2 + 40] for y in range(H - 16, H)]
    return b"".join(rows)


def test_creation_time():
    out = path("car.mp4")
    r = render(out, "--timestamp", src=CAR, log=CAR_LOG, start=4.0, end=5.0)
    check(r.returncode == 0, "creation_time render", r.stderr)
    m = manifest(out)
    w = m["sources"][0]["wallclock"]
    check(w["epoch_source"] == "creation_time" and w["epoch"] == CAR_EPOCH and
          w["epoch_utc"] == "2018-04-19T22:46:00.000Z", "creation_time origin", str(w))
    check(w["start"] == CAR_EPOCH + 4 and w["end"] == CAR_EPOCH + 5 and
          w["start_utc"] == "2018-04-19T22:46:04.000Z", "wall-clock window", str(w))
    check(m["wallclock"]["first_frame"] == CAR_EPOCH + 4.0 and
          m["wallclock"]["timestamp"] == "wallclock" and m["wallclock"]["timezone"] == "UTC",
          "clip wall-clock window", str(m["wallclock"]))
    check("starts at 2018-04-19T22:46:00.000Z (wall-clock origin from creation_time)" in r.stderr
          and "timestamps of input" in r.stderr and "are wall-clock time" in r.stderr,
          "log says the origin and what is drawn", r.stderr)
    frames = inspect(out)
    check(frames and all(abs(f["wallclock"] - (CAR_EPOCH + f["source_time"])) < 1e-3
                         for f in frames), "SEI wall time = origin + source time")
    check(frames and frames[0]["wallclock_utc"] == "2018-04-19T22:46:04.000Z", "inspect utc")
    check(verify(out), "verify a manifest with wallclock entries")


def test_unknown():
    out = path("unknown.mp4")
    r = render(out, "--timestamp", log=BOTTLE_LOG)
    check(r.returncode == 0, "no-origin render", r.stderr)
    m = manifest(out)
    w = m["sources"][0]["wallclock"]
    check(w["epoch_source"] is None and w["epoch"] is None and w["start"] is None,
          "unknown origin recorded as null", str(w))
    check(m["wallclock"]["timestamp"] == "source" and m["wallclock"]["first_frame"] is None,
          "clip says source time was drawn", str(m["wallclock"]))
    check("are source time (its wall-clock origin is unknown" in r.stderr,
          "log says source time", r.stderr)
    frames = inspect(out)
    check(frames and all("wallclock" not in f for f in frames), "no SEI wall time")
    check(verify(out), "verify unknown-origin manifest")
    return out


def test_option_and_dst(unknown):
    """--epoch with an offset; Europe/Berlin across 02:00 CET -> 03:00 CEST: the frames'
    wall times cross it, the caption changes with the zone, UTC draws otherwise."""
    berlin, utc = path("berlin.mp4"), path("utc.mp4")
    epoch = "2026-03-29T02:59:58.500+02:00"  # the same instant as below, another offset
    # source time 1.0 (the window start) is 00:59:59.500Z: the window ends past 01:00:00Z
    r = render(berlin, "--timestamp", "--tz", "Europe/Berlin", "--epoch",
               "2026-03-29T01:59:58.5+01:00", log=BOTTLE_LOG)
    check(r.returncode == 0, "--epoch + --tz render", r.stderr)
    m = manifest(berlin)
    w = m["sources"][0]["wallclock"]
    check(w["epoch_source"] == "option" and w["epoch"] == SPRING - 1.5, "option origin", str(w))
    check(m["wallclock"]["timezone"] == "Europe/Berlin", "zone recorded")
    check("timestamp zone Europe/Berlin" in r.stderr, "zone logged", r.stderr)
    frames = inspect(berlin)
    before = [f for f in frames if f["wallclock"] < SPRING]
    after = [f for f in frames if f["wallclock"] >= SPRING]
    check(before and after, "window crosses the DST change",
          str([f["wallclock"] for f in frames][:3]))
    r = render(utc, "--timestamp", "--epoch", epoch, log=BOTTLE_LOG)
    check(r.returncode == 0 and manifest(utc)["sources"][0]["wallclock"]["epoch"] == SPRING - 1.5,
          "same instant written with another offset", r.stderr)
    # same video, same boxes: only the caption differs between the zones and source time
    last = len(frames) - 1
    check(caption_region(berlin, last) != caption_region(utc, last), "zone changes the caption")
    check(caption_region(utc, last) != caption_region(unknown, last),
          "wall clock drawn, not source time")
    check(verify(berlin), "verify DST clip")


def test_log_origin_and_wallclock_keys():
    """A log whose lines carry ts and wallclock gives the origin; a log keyed by wallclock
    alone draws the same boxes as its ts twin once the origin is known."""
    rows = C.read_jsonl(BOTTLE_LOG)
    origin = 1700000000.25
    both = path("both.jsonl")
    C.write_jsonl(both, [dict(d, wallclock=origin + d["ts"]) for d in rows])
    out = path("logorigin.mp4")
    r = render(out, "--timestamp", log=both)
    w = manifest(out)["sources"][0]["wallclock"] if r.returncode == 0 else {}
    check(r.returncode == 0 and w.get("epoch_source") == "log" and
          abs(w.get("epoch", 0) - origin) < 1e-6, "origin from the log", r.stderr + str(w))
    keyed = path("keyed.jsonl")
    C.write_jsonl(keyed, [{k: v for k, v in dict(d, wallclock=origin + d["ts"]).items()
                           if k not in ("ts", "frame_idx")} for d in rows])
    ts_out, wall_out = path("ts.mp4"), path("wall.mp4")
    r1 = render(ts_out, log=BOTTLE_LOG, start=2.0, end=3.0)
    r2 = render(wall_out, "--epoch", str(origin), log=keyed, start=2.0, end=3.0)
    check(r1.returncode == 0 and r2.returncode == 0, "ts and wallclock renders", r2.stderr)
    m1, m2 = manifest(ts_out), manifest(wall_out)
    check(m1["boxes_drawn"] > 0 and m1["boxes_drawn"] == m2["boxes_drawn"],
          "same boxes drawn", f"{m1['boxes_drawn']} vs {m2['boxes_drawn']}")
    d1 = [[d["box"] for d in f["detections"]] for f in inspect(ts_out)]
    d2 = [[d["box"] for d in f["detections"]] for f in inspect(wall_out)]
    check(d1 and d1 == d2, "same boxes on every frame")
    check(m1["sources"][0]["detections"]["sha256_canonical"] !=
          m2["sources"][0]["detections"]["sha256_canonical"], "wallclock keys hashed apart")
    # ISO text keys too
    iso = path("iso.jsonl")
    C.write_jsonl(iso, [{"wallclock": "2023-11-14T22:13:21.750Z", "bbox": [1, 2, 30, 40],
                         "label": "x"}])
    r = render(path("iso.mp4"), "--epoch", "2023-11-14T22:13:20.250Z", log=iso)
    check(r.returncode == 0 and manifest(path("iso.mp4"))["boxes_drawn"] >= 1,
          "ISO wallclock key matched", r.stderr)
    # without an origin: an error naming the line, nothing written
    bad = path("noorigin.mp4")
    r = render(bad, log=keyed)
    check(r.returncode == 4 and f"{keyed}:1: field 'wallclock'" in r.stderr and
          "unknown" in r.stderr and not os.path.exists(bad), "wallclock log needs an origin",
          r.stderr)
    r = render(bad, "--redact-detections", keyed)
    check(r.returncode == 4 and "redaction boxes keyed by wall-clock" in r.stderr and
          f"{keyed}:1" in r.stderr and not os.path.exists(bad), "redaction log needs an origin",
          r.stderr)
    red = path("red.mp4")
    r = render(red, "--epoch", str(origin), "--redact-detections", keyed, start=2.0, end=3.0)
    check(r.returncode == 0 and manifest(red)["redaction"]["regions"] == m1["boxes_drawn"],
          "wallclock redaction log hides its boxes", r.stderr)
    r = render(bad, log=BOTTLE_LOG)  # a plain log needs none
    check(r.returncode == 0, "ts log without origin renders")
    os.unlink(bad)
    bad_log = path("badwall.jsonl")
    for value, why in ((-3, "outside"), ("yesterday", "not ISO 8601"), ([1], "expected"),
                       (1e300, "outside")):
        C.write_jsonl(bad_log, [{"ts": 1, "bbox": [1, 2, 3, 4], "label": "a"},
                                {"wallclock": value, "bbox": [1, 2, 3, 4], "label": "a"}])
        r = render(bad, log=bad_log)
        check(r.returncode == 4 and f"{bad_log}:2: field 'wallclock'" in r.stderr and
              why in r.stderr and not os.path.exists(bad), f"bad wallclock {value!r}",
              r.stderr)


def test_spec_sources():
    """Per-source "epoch" in a multi-source clip spec and a batch job line, "tz" per clip."""
    spec = path("two.json")
    clip = {"output": path("two.mp4"), "timestamp": True, "tz": "+05:30", "size": f"{W}x{H}",
            "preset": "ultrafast", "audio": False,
            "sources": [{"input": BOTTLE, "from": 1, "to": 1.5, "epoch": 1000000000},
                        {"input": CAR, "from": 4, "to": 4.5},
                        {"input": BOTTLE, "from": 3, "to": 3.5,
                         "epoch": "2001-09-09T01:46:40Z"}]}
    with open(spec, "w") as f:
        json.dump(clip, f)
    r = C.run(["render", "--spec", spec])
    check(r.returncode == 0, "multi-source spec", r.stderr)
    m = manifest(path("two.mp4"))
    ws = [s["wallclock"] for s in m["sources"]]
    check([w["epoch_source"] for w in ws] == ["option", "creation_time", "option"] and
          ws[0]["epoch"] == 1e9 and ws[2]["epoch"] == 1e9 and ws[1]["epoch"] == CAR_EPOCH,
          "each source its own origin", str(ws))
    frames = inspect(path("two.mp4"))
    by_src = {i: [f for f in frames if f["source_index"] == i] for i in range(3)}
    check(all(abs(f["wallclock"] - ({0: 1e9, 1: CAR_EPOCH, 2: 1e9}[i] + f["source_time"])) < 1e-3
              for i in by_src for f in by_src[i]) and all(by_src.values()),
          "SEI wall time per source")
    check(m["wallclock"]["timezone"] == "+05:30" and m["wallclock"]["last_frame"] is not None,
          "spec tz recorded")
    jobs = path("jobs.jsonl")
    with open(jobs, "w") as f:
        f.write(json.dumps({"output": "j1.mp4", "input": BOTTLE, "start": 1, "end": 1.5,
                            "epoch": "2026-03-29T00:59:59Z", "tz": "Europe/Berlin",
                            "timestamp": True, "preset": "ultrafast"}) + "\n")
        f.write(json.dumps({"output": "j2.mp4", "input": BOTTLE, "start": 1, "end": 1.5,
                            "epoch": "2026-03-29T00:59:59", "preset": "ultrafast"}) + "\n")
        f.write(json.dumps({"output": "j3.mp4", "input": BOTTLE, "start": 1, "end": 1.5,
                            "tz": "../../etc/passwd", "preset": "ultrafast"}) + "\n")
        f.write(json.dumps({"output": "j4.mp4", "epoch": 5, "preset": "ultrafast",
                            "sources": [{"input": BOTTLE, "from": 1, "to": 1.5}]}) + "\n")
    r = C.run(["batch", jobs, "--report", path("report.jsonl")])
    rep = C.read_jsonl(path("report.jsonl")) if os.path.exists(path("report.jsonl")) else []
    check(r.returncode == 9 and [x["status"] for x in rep] == ["ok", "invalid", "invalid",
                                                                "invalid"],
          "batch: epoch/tz keys, bad ones refused per line", r.stderr + str(rep))
    check(len(rep) == 4 and "no zone" in rep[1]["error"] and "not a zone name" in rep[2]["error"]
          and "its 'sources' entry" in rep[3]["error"],
          "batch errors name the problem", str(rep))
    j1 = path("j1.mp4")
    check(os.path.exists(j1) and manifest(j1)["sources"][0]["wallclock"]["epoch"] == SPRING - 1,
          "batch epoch")
    check(not os.path.exists(path("j2.mp4")) and not os.path.exists(path("j3.mp4")),
          "refused jobs write nothing")


def test_attacks():
    out = path("attack.mp4")
    for epoch, why in (("2026-03-02T14:03:22", "no zone"), ("2026-02-30T00:00:00Z", "no such"),
                       ("tomorrow", "not ISO 8601"), ("253402300800", "outside"),
                       ("1969-12-31T23:59:59Z", "outside"), ("2026-03-02T14:03+25:00", "zone"),
                       ("", "empty"), ("x" * 5000, "too long")):
        r = render(out, "--epoch", epoch)
        check(r.returncode == 2 and "--epoch" in r.stderr and why in r.stderr,
              f"--epoch {epoch[:30]!r} refused", r.stderr[-300:])
    for zone, why in (("Mars/Base", "unknown zone"), ("../../etc/passwd", "not a zone name"),
                      ("/etc/passwd", "not a zone name"), ("Europe/../../etc/shadow",
                                                            "not a zone name"),
                      ("+99:00", "offset"), ("Europe", "not a zone file")):
        r = render(out, "--tz", zone, "--timestamp")
        check(r.returncode == 2 and "--tz" in r.stderr and why in r.stderr,
              f"--tz {zone!r} refused", r.stderr[-300:])
    check(not os.path.exists(out), "no output after refused options")


def main():
    try:
        test_creation_time()
        unknown = test_unknown()
        test_option_and_dst(unknown)
        test_log_origin_and_wallclock_keys()
        test_spec_sources()
        test_attacks()
    finally:
        C.cleanup(T)
    CHECK.close()


if __name__ == "__main__":
    main()
