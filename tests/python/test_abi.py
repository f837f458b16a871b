"""The ctypes structures mirror include/evclip/evclip.h field by field (names and order)."""

import ctypes
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT
from evclip import _lib


def test_structs_match_header():
    for struct in ("EvclipProgress", "EvclipDetection", "EvclipDetectionStats",
                   "EvclipSettings", "EvclipSource", "EvclipClip", "EvclipResult",
                   "EvclipLiveSettings", "EvclipStreamParams", "EvclipStreamStats",
                   "EvclipLiveEvent"):
        ours = [f[0] for f in getattr(_lib, struct)._fields_]
        assert ours == all_header_structs()[struct], struct


def test_error_codes_match_header():
    text = (ROOT / "include" / "evclip" / "evclip.h").read_text()
    for name, value in re.findall(r"EVCLIP_(ERR_\w+) = (-\d+)", text):
        assert getattr(_lib, name) == int(value), name


def test_library_loads(lib):
    import evclip

    assert evclip.library_version() == evclip.__version__
    assert _lib.strerror(_lib.ERR_WINDOW)
    assert _lib.strerror(12345) == "unknown error"


def test_missing_library_is_a_clear_error(tmp_path):
    import os
    import subprocess
    import sys

    code = ("import evclip\n"
            "try:\n"
            "    evclip.render_from_jsonl('v.mp4', None, 1, 2, 'o.mp4')\n"
            "except OSError as e:\n"
            "    print(e)\n")
    env = dict(os.environ, EVCLIP_LIBRARY=str(tmp_path / "nope.so"),
               PYTHONPATH=str(ROOT / "python"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "cannot load libevclip.so" in proc.stdout and "nope.so ($EVCLIP_LIBRARY)" in proc.stdout


def all_header_structs():
    """Every struct of the public header with its fields, in header order."""
    text = (ROOT / "include" / "evclip" / "evclip.h").read_text()
    structs = {}
    for m in re.finditer(r"(?:typedef )?struct (Evclip\w+) \{(.*?)\n\}", text, re.S):
        code = re.sub(r"/\*.*?\*/", "", m.group(2), flags=re.S)
        fields = []
        for decl in code.split(";"):
            decl = decl.strip()
            if decl:
                head, *rest = decl.split(",")
                fields.append(re.findall(r"(\w+)\s*(?:\[\w+\])?$", head.strip())[0])
                fields += [re.sub(r"[\s*]|\[\w+\]", "", r) for r in rest]
        structs[m.group(1)] = fields
    return structs


def test_snapshot_covers_every_header_field():
    """tests/unit/abi.snapshot (checked by test_abi.c) lists every struct and field of the
    header: a struct cannot change without the C snapshot test seeing it."""
    snap = (ROOT / "tests" / "unit" / "abi.snapshot").read_text().split("\n")
    names = [line.split()[0] for line in snap if line and not line.startswith("#")]
    want = []
    for struct, fields in all_header_structs().items():
        want += [struct] + [f"{struct}.{f}" for f in fields]
    assert names == want


def test_ctypes_sizes_match_library(lib):
    assert lib.evclip_version_api() >> 16 == _lib.API_VERSION_MAJOR
    for struct in _lib.MIRRORED_STRUCTS:
        assert ctypes.sizeof(struct) == lib.evclip_struct_size(struct.__name__.encode()), \
            struct.__name__
    # The live event is allocated by the library and grows at its end: ours is its prefix.
    for struct in _lib.GROWING_STRUCTS:
        assert ctypes.sizeof(struct) <= lib.evclip_struct_size(struct.__name__.encode())
    # Every struct the binding passes to the library is checked at load.
    assert {s.__name__ for s in _lib.MIRRORED_STRUCTS} >= {
        "EvclipSettings", "EvclipSource", "EvclipClip", "EvclipResult", "EvclipDetection"}


def test_abi_mismatch_is_a_clear_import_error(lib, tmp_path):
    """A binding whose ctypes struct disagrees with the library refuses to import (instead of
    corrupting memory on the first render)."""
    copy = tmp_path / "evclip"
    shutil.copytree(ROOT / "python" / "evclip", copy)
    src = (copy / "_lib.py").read_text()
    stale = src.replace('        ("reserved", c_uint8 * 128),\n', "")
    assert stale != src
    (copy / "_lib.py").write_text(stale)
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", "import evclip"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode != 0
    assert "AbiMismatchError" in proc.stderr and "ImportError" not in proc.stdout
    size = lib.evclip_struct_size(b"EvclipResult")
    assert (f"sizeof(EvclipResult) is {size} in the library, {size - 128} in "
            "python/evclip/_lib.py") in proc.stderr
    # The error is an ImportError.
    code = ("try:\n    import evclip\nexcept ImportError as e:\n    print('ImportError:', e)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=60)
    assert proc.stdout.startswith("ImportError: evclip: ") and "does not match" in proc.stdout


@pytest.mark.parametrize("option,field,value,message", [
    ("--thickness", "thickness", 300,
     "settings: thickness 300 is outside 1..256 (0 = scaled to the frame height)"),
    ("--font-size", "font_size", 3,
     "settings: font_size 3 is outside 6..512 (0 = scaled to the frame height)"),
    ("--crf", "crf", 60, "settings: crf 60 is outside 0..51"),
    ("--label-max", "label_max", -1, "settings: label_max -1 is outside 0..65535 (0 = no limit)"),
])
def test_settings_ranges_are_the_library_s(car, car_log, tmp_path, option, field, value,
                                           message):
    """One validation (evclip_settings_validate): the CLI option, a batch clip spec and the
    Python keyword give the same message for the same out-of-range value."""
    import evclip

    binary = os.environ["EVCLIP_BIN"]
    out = tmp_path / "o.mp4"
    cli = subprocess.run([binary, "render", "-i", str(car), "-d", str(car_log), "--start", "5",
                          "--end", "6", "-o", str(out), option, str(value)],
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 2 and message in cli.stderr, cli.stderr
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"input": str(car), "start": 5, "end": 6, "output": str(out),
                                field: value}) + "\n")
    report = tmp_path / "report.jsonl"
    batch = subprocess.run([binary, "batch", str(jobs), "--report", str(report), "-q"],
                           capture_output=True, text=True, timeout=120)
    assert batch.returncode != 0
    assert message in json.loads(report.read_text().splitlines()[0])["error"]
    with pytest.raises(ValueError) as info:
        evclip.render_from_jsonl(str(car), str(car_log), 5, 6, str(out), **{field: value})
    assert str(info.value) == message
    assert not out.exists()
