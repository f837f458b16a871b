"""The ctypes structures mirror include/evclip/evclip.h field by field (names and order)."""

import re

from conftest import ROOT
from evclip import _lib


def header_fields(struct):
    text = (ROOT / "include" / "evclip" / "evclip.h").read_text()
    body = re.search(r"typedef struct %s \{(.*?)\n\} %s;" % (struct, struct), text, re.S)
    assert body, struct
    code = re.sub(r"/\*.*?\*/", "", body.group(1), flags=re.S)
    names = []
    for decl in code.split(";"):
        decl = decl.strip()
        if not decl:
            continue
        # "double x1, y1" / "uint8_t color[3]" / "const char *label"
        head, *rest = decl.split(",")
        names.append(re.findall(r"(\w+)\s*(?:\[\w+\])?$", head.strip())[0])
        names += [re.sub(r"[\s*]|\[\w+\]", "", r) for r in rest]
    return names


def test_structs_match_header():
    for struct in ("EvclipProgress", "EvclipDetection", "EvclipDetectionStats",
                   "EvclipSettings", "EvclipSource", "EvclipClip", "EvclipResult"):
        ours = [f[0] for f in getattr(_lib, struct)._fields_]
        assert ours == header_fields(struct), struct


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
