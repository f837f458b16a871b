"""Colours in Python: "#rrggbb" and CSS names parsed by the C library (the one colour table,
src/color.c) and the palette read from it (src/overlay.c): same pixels as the C side."""

import json
import subprocess

import pytest

import evclip
from conftest import ROOT
from evclip import Detection, FrameDetections, from_jsonl, render_from_jsonl
from evclip.render import _prepare

FAST = {"preset": "ultrafast", "manifest": False}


def colors_of(*colors):
    frames = [FrameDetections([Detection((1, 2, 30, 40), "car", color=c) for c in colors],
                              timestamp=1.0)]
    return [tuple(d.color) if d.has_color else None for d, _ in _prepare(frames, None, 0)]


def test_strings_parsed_by_the_library(lib):
    assert colors_of("#ff0000", "#00FF80", "teal", "RebeccaPurple", (1, 2, 3), None) == [
        (0, 0, 255), (0x80, 0xFF, 0), (128, 128, 0), (0x99, 0x33, 0x66), (1, 2, 3), None]
    for bad in ("#ff00", "reddish", "", "#gg0000"):
        with pytest.raises(ValueError) as info:
            colors_of(bad)
        assert str(info.value) == (f"frame 1.0 detection 0: colour '{bad}' is neither "
                                   "\"#rrggbb\" nor a CSS colour name")
    with pytest.raises(ValueError, match=r"color must be \(B, G, R\) with values 0..255, "
                                         r"\"#rrggbb\" or a CSS colour name"):
        colors_of((1, 2, 300))


def test_from_jsonl_takes_colour_strings(lib, tmp_path):
    log = tmp_path / "c.jsonl"
    log.write_text(json.dumps({"frame_idx": 1, "bbox": [1, 2, 3, 4], "label": "a",
                               "color": "Navy"}) + "\n")
    (frame,) = from_jsonl(log)
    assert frame.detections[0].color == (128, 0, 0)
    log.write_text('{"frame_idx": 1, "bbox": [1, 2, 3, 4], "label": "a", "color": "#12"}\n')
    with pytest.raises(ValueError, match="'color': colour '#12' is neither"):
        list(from_jsonl(log))


def test_one_colour_table_and_palette():
    # The binding keeps no copy of the CSS names or of the palette: both come from the library.
    for path in (ROOT / "python" / "evclip").glob("*.py"):
        text = path.read_text()
        assert "rebeccapurple" not in text.lower(), path
        assert "0x38" not in text and "_PALETTE" not in text, path


def framemd5(path):
    out = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-map", "0:v",
                          "-f", "framemd5", "-"], capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if not line.startswith("#")]


def test_same_pixels_as_the_c_side(lib, car, tmp_path):
    def render(name, color, track=None):
        frames = [FrameDetections([Detection((100, 100, 300, 250), "car", track_id=track,
                                             color=color)], frame_idx=i) for i in range(50, 60)]
        out = tmp_path / f"{name}.mp4"
        render_from_jsonl(car, frames, 4, 4.8, out, **FAST)
        return framemd5(out)

    assert render("hex", "#ff0000") == render("bgr", (0, 0, 255))
    assert render("name", "teal") == render("teal", (128, 128, 0))
    assert render("hex", "#ff0000") != render("name", "teal")
    # palette_color() is the colour the library draws an uncoloured box with.
    assert render("palette", None, 5) == render("explicit", evclip.palette_color("car", 5), 5)
    assert render("label", None) == render("label-explicit", evclip.palette_color("car"))
