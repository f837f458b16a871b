"""test_demo.py: `evclip demo` renders the synthetic scene: a playable H.264 clip with boxes."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import (Checks, cleanup, decode_frames, probe, run, tempdir, top_level_atoms,
                    video_stream, yuv_at)

C = Checks()
TMP = tempdir()
out = os.path.join(TMP, "demo.mp4")
r = run(["demo", "-o", out, "--json"])
C.check(r.returncode == 0, "demo: exit 0", r.stderr)
if r.returncode == 0:
    res = json.loads(r.stdout)
    C.check(res["frames"] == 240 and abs(res["duration"] - 8.0) < 1e-6, "demo: 240 frames, 8 s",
            res)
    C.check(res["boxes_drawn"] > 500, "demo: boxes drawn", res["boxes_drawn"])
    v = video_stream(probe(out))
    C.check((v["codec_name"], v["pix_fmt"], v["width"], v["height"]) ==
            ("h264", "yuv420p", 960, 540), "demo: h264 yuv420p 960x540", v)
    atoms = top_level_atoms(out)
    C.check(atoms.index("moov") < atoms.index("mdat"), "demo: faststart", atoms)
    frames = decode_frames(out, 960, 540)
    C.check(len(frames) == 240, "demo: decodes 240 frames", len(frames))
    # The title chip is a dark band in the top-left corner.
    C.check(yuv_at(frames[0], 960, 540, 2, 2)[0] < 80, "demo: title band drawn")
    r2 = run(["demo", "-o", out])
    C.check(r2.returncode == 6 and "exists" in r2.stderr, "demo: refuses to overwrite", r2.stderr)
    r3 = run(["demo", "-o", out, "--overwrite", "-q"])
    C.check(r3.returncode == 0, "demo: --overwrite replaces", r3.stderr)
    C.check(sorted(os.listdir(TMP)) == ["demo.mp4"], "demo: no temp files", os.listdir(TMP))
cleanup(TMP)
C.close()
