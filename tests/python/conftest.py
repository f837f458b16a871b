"""Shared fixtures of the evclip Python tests: paths of the test media and of the built tools.

Run by meson (`meson test python`) with EVCLIP_LIBRARY, EVCLIP_BIN, EVCLIP_MEDIA and
PYTHONPATH=python set; by hand: PYTHONPATH=python EVCLIP_LIBRARY=build/libevclip.so
/usr/bin/python3 -m pytest -q tests/python
"""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "python") not in sys.path:
    sys.path.insert(0, str(ROOT / "python"))


def media_dir() -> Path:
    return Path(os.environ.get("EVCLIP_MEDIA", ROOT.parent / "shared" / "media"))


@pytest.fixture(scope="session")
def media():
    d = media_dir()
    if not (d / "car-detection.mp4").exists():
        pytest.skip(f"test media not found in {d}")
    return d


@pytest.fixture(scope="session")
def car(media):
    return media / "car-detection.mp4"


@pytest.fixture(scope="session")
def car_log(media):
    return media / "car-detection.detections.jsonl"


@pytest.fixture(scope="session")
def lib():
    from evclip import _lib

    try:
        return _lib.load()
    except OSError as exc:
        pytest.skip(str(exc))
