"""The README's install path on a fresh venv, as a user runs it: `python3 -m venv
--system-site-packages v`, `v/bin/pip wheel --no-build-isolation .` and `v/bin/pip install
--no-build-isolation .` (meson-python builds libevclip and bundles it), then, with no EVCLIP_*
variable and outside the source tree, `import evclip` and `evclip.render_from_jsonl(...)`.
The build is unoptimised (-Doptimization=0) and shared by the wheel and the install
(meson-python's builddir setting) to keep the test short.

Usage: test_pip_install.py SOURCE_ROOT MEDIA_DIR   (run by `meson test --suite python`)
"""
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PY = "/usr/bin/python3"


def run(cmd, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        sys.exit(f"FAIL: {' '.join(map(str, cmd))} exited {proc.returncode}\n{proc.stdout[-3000:]}"
                 f"\n{proc.stderr[-3000:]}")
    return proc


def git_untracked(root):
    """Untracked, not ignored files of the checkout (None when it is no git checkout)."""
    proc = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                           "--untracked-files=all"], capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    return {line[3:] for line in proc.stdout.splitlines() if line.startswith("??")}


def main():
    root, media = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    video, log = media / "car-detection.mp4", media / "car-detection.detections.jsonl"
    if not video.exists():
        print(f"SKIP: {video} missing")
        sys.exit(77)
    before = git_untracked(root)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("EVCLIP_") and k not in ("PYTHONPATH", "LD_PRELOAD")}
    with tempfile.TemporaryDirectory(prefix="evclip-pip-") as tmp:
        tmp = Path(tmp)
        v = tmp / "v"
        run([PY, "-m", "venv", "--system-site-packages", v], env=env)
        settings = ["--no-cache-dir", "--config-settings", f"builddir={tmp / 'build'}",
                    "--config-settings", "setup-args=-Doptimization=0"]
        run([v / "bin" / "pip", "wheel", "--no-build-isolation", "--no-deps", "-w",
             tmp / "wheels", *settings, root], env=env, cwd=tmp)
        wheels = list((tmp / "wheels").glob("evclip-*.whl"))
        assert len(wheels) == 1, wheels
        names = set(zipfile.ZipFile(wheels[0]).namelist())
        modules = {f"evclip/{p.name}" for p in (root / "python" / "evclip").glob("*.py")}
        assert "evclip/libevclip.so" in names and modules <= names, (modules - names, names)

        run([v / "bin" / "pip", "install", "--no-build-isolation", *settings, root], env=env,
            cwd=tmp)
        out = tmp / "clips" / "clip.mp4"    # a folder that does not exist yet
        code = ("import sys, evclip, evclip.overlay\n"
                "from evclip import _lib\n"
                "r = evclip.render_from_jsonl(sys.argv[1], sys.argv[2], 4, 5, sys.argv[3],\n"
                "                             preset='ultrafast', return_result=True)\n"
                "print(evclip.__file__, _lib.load()._name, r.boxes_drawn, r.frames)\n")
        proc = run([v / "bin" / "python", "-c", code, video, log, out], env=env, cwd=tmp)
        module, library, boxes, frames = proc.stdout.split()
        site = str(v / "lib")
        assert module.startswith(site) and library.startswith(site), proc.stdout
        assert library.endswith("evclip/libevclip.so"), library
        assert int(boxes) > 0 and 12 <= int(frames) <= 13, proc.stdout
        with open(out, "rb") as f:
            assert f.read(8)[4:8] == b"ftyp"
    after = git_untracked(root)
    if before is not None:
        litter = after - before
        assert not litter, f"pip left files .gitignore does not cover: {sorted(litter)}"
    print("ok: venv + pip wheel + pip install + render_from_jsonl without EVCLIP_LIBRARY")


if __name__ == "__main__":
    main()
