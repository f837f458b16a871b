"""epoch= / tz= / ClipSource.epoch of the render functions: the origin recorded in the manifest
(float, aware datetime, ISO text), per source, and bad values refused before any work."""

import datetime
import json

import pytest

from evclip import Clip, ClipSource, render_clip, render_clips, render_from_jsonl

FAST = {"preset": "ultrafast", "width": 320, "height": 180, "audio": False}
SPRING = 1774746000.0  # 2026-03-29T01:00:00Z


def wall(path, i=0):
    with open(str(path) + ".evidence.json") as f:
        m = json.load(f)
    return m["sources"][i]["wallclock"], m["wallclock"]


def test_epoch_forms_and_tz(lib, car, tmp_path):
    berlin = datetime.timezone(datetime.timedelta(hours=1))
    forms = (SPRING, datetime.datetime(2026, 3, 29, 2, 0, tzinfo=berlin),
             "2026-03-29T03:00:00+02:00", "1774746000")
    for i, epoch in enumerate(forms):
        out = tmp_path / f"c{i}.mp4"
        render_from_jsonl(car, None, 1, 1.5, out, epoch=epoch, tz="Europe/Berlin",
                          timestamp=True, **FAST)
        src, clip = wall(out)
        assert src["epoch"] == SPRING and src["epoch_source"] == "option", epoch
        assert clip["timezone"] == "Europe/Berlin" and clip["timestamp"] == "wallclock"
        assert clip["first_frame"] == pytest.approx(SPRING + 1, abs=0.1)


def test_default_origin_is_creation_time(lib, car, tmp_path):
    out = tmp_path / "c.mp4"
    render_from_jsonl(car, None, 1, 1.5, out, **FAST)
    src, clip = wall(out)
    assert src["epoch_source"] == "creation_time" and src["epoch"] == 1524177960.0
    assert clip["timestamp"] is None and clip["timezone"] == "UTC"


def test_epoch_per_source(lib, car, media, tmp_path):
    bottle = media / "bottle-detection.mp4"
    out = tmp_path / "two.mp4"
    render_clip([ClipSource(car, None, 1, 1.5, epoch=1e9), ClipSource(bottle, None, 1, 1.5)],
                out, timestamp=True, **FAST)
    assert wall(out, 0)[0]["epoch"] == 1e9
    assert wall(out, 1)[0]["epoch_source"] is None  # bottle has no creation_time
    clip = wall(out)[1]
    assert clip["timestamp"] == "mixed" and clip["last_frame"] is None
    assert clip["first_frame"] == pytest.approx(1e9 + 1, abs=0.1)
    out2 = tmp_path / "two2.mp4"
    render_clips([Clip([ClipSource(bottle, None, 1, 1.5)], out2)], epoch=5.0, **FAST)
    assert wall(out2)[0]["epoch"] == 5.0


@pytest.mark.parametrize("epoch, error, match", [
    (datetime.datetime(2026, 3, 29), ValueError, "naive datetime"),
    ("2026-03-29T01:00:00", ValueError, "no zone"),
    ("2026-02-30T00:00:00Z", ValueError, "no such date"),
    (-1.0, ValueError, "before 1970"),
    (1e13, ValueError, "outside"),
    (float("nan"), ValueError, "not a finite"),
    (True, TypeError, "epoch must be"),
    ([1], TypeError, "epoch must be"),
])
def test_bad_epoch(lib, car, tmp_path, epoch, error, match):
    out = tmp_path / "bad.mp4"
    with pytest.raises(error, match=match):
        render_from_jsonl(car, None, 1, 1.5, out, epoch=epoch, **FAST)
    with pytest.raises(error, match=match):
        render_clip([ClipSource(car, None, 1, 1.5, epoch=epoch)], out, **FAST)
    assert not out.exists()


@pytest.mark.parametrize("tz, match", [("Mars/Base", "unknown zone"),
                                        ("../../etc/passwd", "not a zone name"),
                                        ("+25:00", "offset")])
def test_bad_tz(lib, car, tmp_path, tz, match):
    out = tmp_path / "bad.mp4"
    with pytest.raises(ValueError, match=match):
        render_from_jsonl(car, None, 1, 1.5, out, tz=tz, timestamp=True, **FAST)
    assert not out.exists()


def test_one_epoch_for_two_videos_refused(lib, car, media, tmp_path):
    sources = [ClipSource(car, None, 1, 1.5), ClipSource(media / "walk.mkv", None, 0, 0.5)]
    with pytest.raises(ValueError, match="ClipSource.epoch"):
        render_clip(sources, tmp_path / "x.mp4", epoch=SPRING, **FAST)
    with pytest.raises(ValueError, match="ClipSource.epoch"):
        render_clips([Clip([s], tmp_path / f"{i}.mp4") for i, s in enumerate(sources)],
                     epoch=SPRING, **FAST)
