"""Issue 19 in Python: mkdirs (the library's evclip_output_dir, as the CLI's --mkdirs) and
from_jsonl reading `evclip inspect` output through the C reader (evclip_detections_get), so
a label_formatter re-renders from it."""

import ctypes
import json
import os
import subprocess

import pytest

import evclip
from evclip import (Clip, ClipSource, OutputError, from_jsonl, read_log, render_clips,
                    render_from_jsonl)

FAST = {"preset": "ultrafast"}


def is_mp4(path):
    with open(path, "rb") as f:
        return f.read(8)[4:8] == b"ftyp"


# ---- mkdirs --------------------------------------------------------------------------------

def test_missing_folder_is_named_and_not_created(lib, car, tmp_path):
    missing = tmp_path / "nodir" / "deeper"
    with pytest.raises(OutputError) as info:
        render_from_jsonl(car, None, 1, 1.5, missing / "o.mp4", mkdirs=False, **FAST)
    assert str(info.value) == (f"output folder '{missing}' does not exist "
                               "(mkdirs=True creates it)")
    assert info.value.code == evclip._lib.ERR_OUTPUT
    assert not (tmp_path / "nodir").exists()


def test_mkdirs_creates_the_folders(lib, car, car_log, tmp_path):
    out = tmp_path / "a" / "b" / "c" / "o.mp4"
    got = render_from_jsonl(car, car_log, 4, 4.5, out, mkdirs=True, **FAST)
    assert got == out and out.is_file() and is_mp4(out)
    # An existing folder with mkdirs is no error; True is the default (as cv-evidence-renderer).
    render_from_jsonl(car, None, 4, 4.5, out, mkdirs=True, **FAST)
    render_from_jsonl(car, None, 4, 4.5, tmp_path / "a" / "o2.mp4", mkdirs=False, **FAST)
    assert render_from_jsonl(car, None, 4, 4.5, tmp_path / "d" / "e" / "o.mp4",
                             **FAST) == tmp_path / "d" / "e" / "o.mp4"


def test_mkdirs_relative_to_the_working_directory(lib, car, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    render_from_jsonl(car, None, 4, 4.5, "rel/dir/o.mp4", mkdirs=True, **FAST)
    assert (tmp_path / "rel" / "dir" / "o.mp4").is_file()


def test_mkdirs_refuses_a_file_in_the_way(lib, car, tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    with pytest.raises(OutputError) as info:
        render_from_jsonl(car, None, 4, 4.5, tmp_path / "afile" / "sub" / "o.mp4",
                          mkdirs=True, **FAST)
    assert str(info.value) == (f"cannot create output folder '{tmp_path / 'afile'}': a file "
                               "of that name exists")
    # Without mkdirs, a file named as the folder is a missing folder.
    with pytest.raises(OutputError, match="does not exist"):
        render_from_jsonl(car, None, 4, 4.5, tmp_path / "afile" / "o.mp4", mkdirs=False,
                          **FAST)


def test_mkdirs_type_checked(lib, car, tmp_path):
    with pytest.raises(TypeError, match="mkdirs must be a bool"):
        render_from_jsonl(car, None, 4, 4.5, tmp_path / "x" / "o.mp4", mkdirs="yes")
    assert not (tmp_path / "x").exists()


def test_render_clips_checks_every_folder_before_rendering(lib, car, tmp_path):
    first = tmp_path / "one.mp4"
    second = tmp_path / "new" / "two.mp4"
    clips = [Clip([ClipSource(car, None, 4, 4.5)], first),
             Clip([ClipSource(car, None, 5, 5.5)], second)]
    with pytest.raises(OutputError) as info:
        render_clips(clips, mkdirs=False, **FAST)
    assert str(info.value) == (f"clips[1]: output folder '{tmp_path / 'new'}' does not exist "
                               "(mkdirs=True creates it)")
    assert not first.exists()   # refused before any clip was rendered
    assert render_clips(clips, mkdirs=True, **FAST) == [first, second]
    assert is_mp4(first) and is_mp4(second)


def test_output_dir_c_function(lib, tmp_path):
    fn = lib.evclip_output_dir
    assert fn(None, 1) == evclip._lib.ERR_INVALID
    assert fn(b"", 0) == evclip._lib.ERR_INVALID
    assert fn(b"plain.mp4", 0) == 0 and fn(b"/root.mp4", 0) == 0
    target = tmp_path / "p" / "q"
    assert fn(os.fsencode(target / "o.mp4"), 0) == evclip._lib.ERR_OUTPUT
    assert evclip._lib.last_error() == f"output folder '{target}' does not exist"
    assert fn(os.fsencode(target / "o.mp4"), 1) == 0 and target.is_dir()
    assert evclip._lib.last_error() == ""
    assert not any(p.is_file() for p in tmp_path.rglob("*"))   # folders only, no output


# ---- from_jsonl on `evclip inspect` output -------------------------------------------------

def _cli(*args):
    return subprocess.run([os.environ.get("EVCLIP_BIN", "evclip"), *map(str, args)],
                          capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def inspected(car, car_log, tmp_path_factory):
    if "EVCLIP_BIN" not in os.environ:
        pytest.skip("EVCLIP_BIN not set (run through meson test)")
    d = tmp_path_factory.mktemp("inspect")
    clip = d / "clip.mp4"
    r = _cli("render", "-i", car, "-d", car_log, "--start", 4, "--end", 6, "-o", clip,
             "--preset", "ultrafast", "-q")
    assert r.returncode == 0, r.stderr
    r = _cli("inspect", clip)
    assert r.returncode == 0, r.stderr
    log = d / "clip.inspect.jsonl"
    log.write_text(r.stdout)
    return log


def test_from_jsonl_reads_inspect_output(lib, inspected):
    lines = [json.loads(line) for line in inspected.read_text().splitlines()]
    assert len(lines) == 25 and all(ln["source_time"] is not None for ln in lines)
    data = [ln for ln in lines if ln["detections"]]
    assert len(data) >= 15
    frames = list(from_jsonl(inspected))
    assert frames == read_log(inspected, "inspect") == read_log(inspected)
    assert len(frames) == len(data)   # one FrameDetections per clip frame with boxes
    for fd, ln in zip(frames, data):
        assert fd.frame_idx is None and fd.timestamp == ln["source_time"]
        got = [(d.bbox, d.label, d.score, d.track_id, d.color, d.extra)
               for d in fd.detections]
        want = [(pytest.approx(tuple(item["box"]), rel=1e-6), item["label"],
                 pytest.approx(item["score"]) if "score" in item else None,
                 item.get("track_id"), tuple(item["color"]) if "color" in item else None, {})
                for item in ln["detections"]]
        assert got == want


def test_label_formatter_on_an_inspect_log_draws_the_c_reader_s_boxes(lib, car, inspected,
                                                                        tmp_path):
    # Straight from the C reader (no formatter) and read back for the formatter: same boxes.
    by_c = render_from_jsonl(car, inspected, 4, 6, tmp_path / "c.mp4", return_result=True,
                             **FAST)
    for fmt in (None, "inspect"):
        seen = []

        def fmt_label(d):
            seen.append(d)
            return f"{d.label} {d.score:.2f}"

        by_py = render_from_jsonl(car, inspected, 4, 6, tmp_path / "py.mp4",
                                  return_result=True, label_formatter=fmt_label,
                                  detections_format=fmt, **FAST)
        assert by_c.boxes_drawn > 0 and by_py.boxes_drawn == by_c.boxes_drawn
        assert seen and all(d.label == "car" for d in seen)


def test_inspect_log_errors_are_the_c_reader_s(lib, tmp_path):
    log = tmp_path / "bad.jsonl"
    base = {"frame": 0, "pts": 0.0, "source_index": 0, "source_time": 1.0,
            "detections": [{"label": "car", "box": [1, 2, 3, 4]}]}
    cases = [
        (dict(base, source_time=None), f"{log}:2: field 'source_time': missing, and the frame "
                                       "has detections"),
        (dict(base, source_time=-1), f"{log}:2: field 'source_time': expected a number of "
                                     "seconds >= 0"),
        (dict(base, source_index=1), f"{log}:2: field 'source_index': 1, but earlier lines "
                                     "are of source 0"),
    ]
    for line, message in cases:
        log.write_text(json.dumps(base) + "\n" + json.dumps(line) + "\n")
        with pytest.raises(ValueError) as info:
            list(from_jsonl(log))
        assert str(info.value).startswith(message), str(info.value)
    # A clip frame without embedded data is skipped; normalized boxes stay normalized.
    log.write_text(json.dumps(dict(base, source_time=None, source_index=None, detections=[]))
                   + "\n" + json.dumps(dict(base, detections=[
                       {"label": "p", "box": [0.25, 0.5, 0.75, 1], "normalized": True}])) + "\n")
    (fd,) = from_jsonl(log)
    assert fd.timestamp == 1.0 and fd.detections[0].extra == {"normalized": True}
    assert fd.detections[0].bbox == (0.25, 0.5, 0.75, 1.0)
    with pytest.raises(FileNotFoundError):
        read_log(tmp_path / "missing.jsonl")


def test_ctypes_declares_the_new_functions(lib):
    assert lib.evclip_output_dir.argtypes == [ctypes.c_char_p, ctypes.c_int]
    assert lib.evclip_detections_get.restype is ctypes.c_int


def test_detections_get_bounds(lib, tmp_path):
    store = ctypes.c_void_p()
    assert lib.evclip_detections_new(ctypes.byref(store)) == 0
    det = evclip._lib.EvclipDetection(frame_idx=3, ts=-1, x1=1, y1=2, x2=3, y2=4, label=b"a",
                                      score=-1, track_id=-1)
    assert lib.evclip_detections_add(store, ctypes.byref(det)) == 0
    out = evclip._lib.EvclipDetection()
    assert lib.evclip_detections_get(store, 0, ctypes.byref(out)) == 0
    assert (out.frame_idx, out.x2, out.label) == (3, 3.0, b"a")
    assert lib.evclip_detections_get(store, 1, ctypes.byref(out)) == evclip._lib.ERR_INVALID
    assert evclip._lib.last_error() == "evclip_detections_get: index 1 is outside 0..0"
    assert lib.evclip_detections_get(store, -1, ctypes.byref(out)) == evclip._lib.ERR_INVALID
    assert lib.evclip_detections_get(None, 0, ctypes.byref(out)) == evclip._lib.ERR_INVALID
    lib.evclip_detections_free(ctypes.byref(store))
