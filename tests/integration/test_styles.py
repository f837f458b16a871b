"""test_styles.py: --style FILE.json on pixels (colour, thickness, corners only, chip off / below,
template width, fill alpha, legend), templates with a detection's extra keys (chip text from
them, SEI/inspect unchanged), the manifest record, and bad style files or job styles refused
with the place named and nothing written."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import (Checks, cleanup, ffmpeg, first_frame_rgb, read_jsonl, run, tempdir,
                    write_jsonl)

C = Checks()
TMP = tempdir()
W, H = 320, 240
SRC = os.path.join(TMP, "grey.mp4")
FAST = ["--preset", "ultrafast", "--crf", "0", "-q", "--start", "0", "--end", "0.2"]
GREY = (128, 128, 128)
CAR = [40, 60, 140, 140]     # label car, track 7
SIGN = [200, 60, 280, 140]   # label sign, untracked


def path(name):
    return os.path.join(TMP, name)


def near(a, b, tol=24):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def render(name, style, log="log.jsonl"):
    with open(path(name + ".json"), "w") as f:
        f.write(style if isinstance(style, str) else json.dumps(style))
    out = path(name + ".mp4")
    r = run(["render", "-i", SRC, "-d", path(log), "-o", out, "--style",
             path(name + ".json")] + FAST)
    C.check(r.returncode == 0, f"render {name}", r.stderr)
    return first_frame_rgb(out, W, H), out


def chip_width(px, y, x0, colour):
    n = 0
    while x0 + n < W and near(px(x0 + n, y), colour, 40):
        n += 1
    return n


def test_pixels():
    px, out = render("main", {
        "default": {"template": "{label}"},
        "labels": {"car": {"color": "#ff0000", "thickness": 6, "chip_position": "below"},
                   "sign": {"color": "#0000ff", "corners": True, "chip": False,
                            "fill_alpha": 0.5}},
        "legend": "top-right"})
    red, blue = (255, 0, 0), (0, 0, 255)
    C.check(near(px(CAR[0] + 2, 100), red) and near(px(CAR[0] + 5, 100), red) and
            near(px(CAR[0] + 8, 100), GREY), "label colour and thickness 6",
            f"{px(CAR[0] + 2, 100)} {px(CAR[0] + 5, 100)} {px(CAR[0] + 8, 100)}")
    C.check(near(px(CAR[0] + 1, CAR[3] + 1), red) and near(px(CAR[0] + 1, CAR[1] - 2), GREY),
            "chip below the box, none above", f"{px(CAR[0] + 1, CAR[3] + 1)}")
    C.check(near(px(SIGN[0] + 1, SIGN[1] + 1), blue) and
            not near(px((SIGN[0] + SIGN[2]) // 2, SIGN[1] + 1), blue),
            "corners only: corner drawn, middle of the edge not",
            f"{px((SIGN[0] + SIGN[2]) // 2, SIGN[1] + 1)}")
    C.check(near(px(240, 100), (64, 64, 191), 30), "fill alpha 0.5: halfway to blue",
            str(px(240, 100)))
    C.check(near(px(SIGN[0] + 4, SIGN[1] - 4), GREY), "chip off: nothing above the sign")
    C.check(not near(px(W - 3, 3), GREY, 10), "legend in the top-right corner", str(px(W - 3, 3)))
    C.check(near(px(3, 3), GREY), "nothing in the top-left corner")
    m = json.load(open(out + ".evidence.json"))["drawing"]
    C.check(m.get("custom_style") == open(path("main.json")).read(),
            "manifest records the style text", str(m.get("custom_style"))[:80])
    # the template decides the chip text: a longer template makes a wider chip
    short, _ = render("short", {"default": {"template": "{label}"}})
    long, _ = render("long", {"default": {"template": "{label} #{track_id} {score:.0%} !!!"}})
    car_rgb = short(CAR[0] + 1, 100)
    ws, wl = (chip_width(p, CAR[1] - 1, CAR[0], car_rgb) for p in (short, long))
    C.check(ws > 10 and wl > ws + 20, "template sets the chip text", f"{ws} {wl}")
    # the untracked sign's "{track_id}" is left out with the " #" before it: same chip as
    # "{label} {score:.0%} !!!"
    alt, _ = render("alt", {"default": {"template": "{label} {score:.0%} !!!"}})
    sign_rgb = alt(SIGN[0] + 1, 100)
    C.check(chip_width(alt, SIGN[1] - 1, SIGN[0], sign_rgb) ==
            chip_width(long, SIGN[1] - 1, SIGN[0], sign_rgb), "absent track id left out")


def test_extra():
    """{extra[KEY]} draws the detection's extra value; a box without it drops the field."""
    plain, plain_out = render("x_plain", {"default": {"template": "{label}"}}, "extra.jsonl")
    plate, plate_out = render("x_plate", {"default": {
        "template": "{label} {extra[plate]} {extra[speed]:.1f}"}}, "extra.jsonl")
    missing, _ = render("x_missing", {"default": {"template": "{label} {extra[owner]}"}},
                        "extra.jsonl")
    longer, _ = render("x_longer", {"default": {
        "template": "{label} {extra[plate]}{extra[plate]} {extra[speed]:.1f}"}}, "extra.jsonl")
    car_rgb, sign_rgb = plain(CAR[0] + 1, 100), plain(SIGN[0] + 1, 100)
    clips = (plain, plate, missing, longer)
    # widest run of chip colour over the chip's rows (a glyph may cut one row short)
    wc = [max(chip_width(p, y, CAR[0], car_rgb) for y in range(CAR[1] - 24, CAR[1]))
          for p in clips]
    ws = [max(chip_width(p, y, SIGN[0], sign_rgb) for y in range(SIGN[1] - 24, SIGN[1]))
          for p in clips]
    C.check(wc[0] > 10 and wc[1] > wc[0] + 30 and wc[3] > wc[1] + 20,
            "extra keys make the car's chip text (its value, repeated = wider)", str(wc))
    C.check(wc[2] == wc[0], "a missing extra key is left out with the text before it", str(wc))
    C.check(ws[0] > 10 and ws[0] == ws[1] == ws[2] == ws[3],
            "a box without extra drops the extra fields", str(ws))
    # the same template language as Python's str.format on a Detection's fields
    C.check("{label} {extra[plate]} {extra[speed]:.1f}".format(
        label="car", extra={"plate": "AB-123", "speed": 42.5}) == "car AB-123 42.5",
        "Python reads the template the same way")
    # the boxes recorded in the clip (SEI, inspect) are the same with and without the template
    insp = [run(["inspect", o]) for o in (plain_out, plate_out)]
    C.check(all(r.returncode == 0 and r.stdout.strip() for r in insp) and
            insp[0].stdout == insp[1].stdout, "inspect is unchanged by an extra template",
            insp[0].stderr + insp[1].stderr)
    C.check('"plate"' not in insp[1].stdout and '"car"' in insp[1].stdout,
            "extra values stay out of the SEI", insp[1].stdout[:200])
    # the plain log's clip (no extra at all) records the same boxes
    _, ref_out = render("x_ref", {"default": {"template": "{label}"}})
    ref = run(["inspect", ref_out])
    C.check(ref.returncode == 0 and ref.stdout == insp[0].stdout,
            "SEI of a log with extra = SEI of the same log without it")


def test_errors():
    base = ["render", "-i", SRC, "-d", path("log.jsonl"), "-o", path("bad.mp4")] + FAST
    cases = [
        ('{"labels": {"face": {"template": "{label} {scor}"}}}',
         ["labels.face.template", "unknown field 'scor'"]),
        ('{"tracks": {"7": {"template": "{score:.9f}"}}}', ["tracks.7.template", ":.9f"]),
        ('{"labels": {"car": {"colour": "red"}}}', ["labels.car", "unknown key 'colour'"]),
        ('{"labels": {"car": {"color": "rouge"}}}', ["labels.car.color", "'rouge'"]),
        ('{"legend": "middle"}', ["legend"]),
        ('{"labels": {\n  "car": {"color": "red",}}}', ["line 2"]),
    ]
    for i, (text, words) in enumerate(cases):
        f = path(f"bad{i}.json")
        open(f, "w").write(text)
        r = run(base + ["--style", f])
        C.check(r.returncode == 2 and f"--style {f}" in r.stderr and
                all(w in r.stderr for w in words), f"bad style {i}", r.stderr)
        C.check(not os.path.exists(path("bad.mp4")), f"bad style {i}: nothing written")
    huge = path("huge.json")
    with open(huge, "w") as f:   # 2 MiB: refused before parsing
        f.write('{"labels": {' + ", ".join(f'"l{i}": {{}}' for i in range(150000)) + "}}")
    r = run(base + ["--style", huge])
    C.check(r.returncode == 2 and "larger than 1 MiB" in r.stderr, "huge style file refused",
            r.stderr)
    many = path("many.json")
    with open(many, "w") as f:   # more rules than allowed
        f.write('{"labels": {' + ", ".join(f'"l{i}": {{}}' for i in range(5000)) + "}}")
    r = run(base + ["--style", many])
    C.check(r.returncode == 2 and "labels: 5000 entries" in r.stderr, "too many rules refused",
            r.stderr)
    r = run(base + ["--style", path("missing.json")])
    C.check(r.returncode == 2 and "cannot read style" in r.stderr and "missing.json" in r.stderr,
            "missing style file", r.stderr)
    jobs = path("jobs.jsonl")
    write_jsonl(jobs, [
        {"input": SRC, "detections": path("log.jsonl"), "start": 0, "end": 0.2,
         "output": path("j1.mp4"), "preset": "ultrafast",
         "style": {"labels": {"car": {"thickness": 999}}}},
        {"input": SRC, "detections": path("log.jsonl"), "start": 0, "end": 0.2,
         "output": path("j2.mp4"), "preset": "ultrafast", "style": 3},
        {"input": SRC, "detections": path("log.jsonl"), "start": 0, "end": 0.2,
         "output": path("j3.mp4"), "preset": "ultrafast", "style": path("main.json")},
    ])
    r = run(["batch", jobs, "--report", path("rep.jsonl"), "-q"])
    rep = read_jsonl(path("rep.jsonl"))
    C.check(r.returncode == 9 and "jobs.jsonl:1" in rep[0].get("error", "") and
            "labels.car.thickness" in rep[0].get("error", ""), "job style error names line "
            "and place", str(rep[:1]))
    C.check("jobs.jsonl:2" in rep[1].get("error", "") and "'style'" in rep[1].get("error", ""),
            "job style of the wrong type", str(rep[1:2]))
    C.check(rep[2].get("status") == "ok" and not os.path.exists(path("j1.mp4")),
            "a style file path in a job works, failed jobs write nothing", str(rep[2:]))


ffmpeg("-f", "lavfi", "-i", f"color=c=0x808080:size={W}x{H}:rate=25:duration=0.4", "-c:v",
       "libx264", "-preset", "ultrafast", "-crf", "0", "-pix_fmt", "yuv420p", SRC)
write_jsonl(path("log.jsonl"), [
    {"frame_idx": f, "bbox": b, "label": label, "score": 0.9, **extra}
    for f in range(10) for b, label, extra in ((CAR, "car", {"track_id": 7}),
                                               (SIGN, "sign", {}))])
write_jsonl(path("extra.jsonl"), [
    {"frame_idx": f, "bbox": b, "label": label, "score": 0.9, **extra}
    for f in range(10) for b, label, extra in (
        (CAR, "car", {"track_id": 7, "extra": {"plate": "AB-123", "speed": 42.5}}),
        (SIGN, "sign", {}))])
test_pixels()
test_extra()
test_errors()
cleanup(TMP)
C.close()
