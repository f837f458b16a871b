"""Issue 19 in Python: mkdirs (the library's evclip_output_dir, as the CLI's --mkdirs) and
from_jsonl reading `evclip inspect` output (re-render with a label_formatter)."""

import ctypes
import json
import os
import subprocess

import pytest

import evclip
from evclip import (Clip, ClipSource, OutputError, from_jsonl, render_clips,
                    render_from_jsonl)

FAST = {"preset": "ultrafast"}


def is_mp4(path):
    with open(path, "rb") as f:
        return f.read(8)[4:8] == b"ftyp"


# ---- mkdirs --------------------------------------------------------------------------------

def test_missing_folder_is_named_and_not_created(lib, car, tmp_path):
    missing = tmp_path / "nodir" / "deeper"
    with pytest.raises(OutputError) as info:
        render_from_jsonl(car, None, 1, 1.5, missing / "o.mp4", **FAST)
    assert str(info.value) == (f"output folder '{missing}' does not exist "
                               "(mkdirs=True creates it)")
    assert info.value.code == evclip._lib.ERR_OUTPUT
    assert not (tmp_path / "nodir").exists()


def test_mkdirs_creates_the_folders(lib, car, car_log, tmp_path):
    out = tmp_path / "a" / "b" / "c" / "o.mp4"
    got = render_from_jsonl(car, car_log, 4, 4.5, out, mkdirs=True, **FAST)
    assert got == out and out.is_file() and is_mp4(out)
    # An existing folder with mkdirs is no error; False is the default.
    render_from_jsonl(car, None, 4, 4.5, out, mkdirs=True, **FAST)
    render_from_jsonl(car, None, 4, 4.5, tmp_path / "a" / "o2.mp4", mkdirs=False, **FAST)


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
        render_from_jsonl(car, None, 4, 4.5, tmp_path / "afile" / "o.mp4", **FAST)


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
        render_clips(clips, **FAST)
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
    data = [ln for ln in lines if ln["source_time"] is not None]
    assert len(data) == 25 and sum(len(ln["detections"]) for ln in data) >= 15
    frames = list(from_jsonl(inspected))
    assert len(frames) == len(data)
    for fd, ln in zip(frames, data):
        assert fd.frame_idx is None and fd.timestamp == ln["source_time"]
        assert [(d.bbox, d.label, d.score, d.track_id, d.color) for d in fd.detections] == [
            (tuple(item["box"]), item["label"], item.get("score"), item.get("track_id"),
             tuple(item["color"]) if "color" in item else None)
            for item in ln["detections"]]


def test_label_formatter_on_an_inspect_log_draws_the_c_reader_s_boxes(lib, car, inspected,
                                                                        tmp_path):
    # The C reader (no formatter) and from_jsonl (formatter) give the same boxes.
    by_c = render_from_jsonl(car, inspected, 4, 6, tmp_path / "c.mp4", return_result=True,
                             **FAST)
    seen = []

    def fmt(d):
        seen.append(d)
        return f"{d.label} {d.score:.2f}"

    by_py = render_from_jsonl(car, inspected, 4, 6, tmp_path / "py.mp4", return_result=True,
                              label_formatter=fmt, detections_format="inspect", **FAST)
    assert by_c.boxes_drawn > 0 and by_py.boxes_drawn == by_c.boxes_drawn
    assert seen and all(d.label == "car" for d in seen)


def test_inspect_log_errors(lib, tmp_path):
    log = tmp_path / "bad.jsonl"
    base = {"frame": 0, "pts": 0.0, "source_index": 0, "source_time": 1.0,
            "detections": [{"label": "car", "box": [1, 2, 3, 4]}]}
    cases = [
        (dict(base, source_time=None), "bad.jsonl:2 'source_time' missing, and the frame "
                                       "has detections"),
        (dict(base, source_time=-1), "bad.jsonl:2 'source_time' must be a number of seconds"),
        (dict(base, source_index=1), "bad.jsonl:2 'source_index' is 1, but earlier lines are "
                                     "of source 0"),
        (dict(base, detections=[{"label": "car", "bbox": [1, 2, 3, 4]}]),
         "bad.jsonl:2 detections[0] 'box' must be a list of 4 numbers"),
    ]
    for line, message in cases:
        log.write_text(json.dumps(base) + "\n" + json.dumps(line) + "\n")
        with pytest.raises(ValueError) as info:
            list(from_jsonl(log))
        assert message in str(info.value)
    # A clip frame without embedded data is skipped; normalized boxes stay normalized.
    log.write_text(json.dumps(dict(base, source_time=None, source_index=None, detections=[]))
                   + "\n" + json.dumps(dict(base, detections=[
                       {"label": "p", "box": [0.1, 0.2, 0.3, 0.4], "normalized": True}])) + "\n")
    (fd,) = from_jsonl(log)
    assert fd.timestamp == 1.0 and fd.detections[0].extra == {"normalized": True}


def test_ctypes_declares_output_dir(lib):
    assert lib.evclip_output_dir.argtypes == [ctypes.c_char_p, ctypes.c_int]
