"""test_integrity.py: manifests, signatures, verify, and per-frame detections in SEI (inspect)."""
import base64
import json
import os
import shutil
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from browser import chromium_binary, page_results  # noqa: E402
from common import EVCLIP, Checks, cleanup, frame_times, media, read_jsonl, run, tempdir

C = Checks()
TMP = tempdir()
CAR = media("car-detection.mp4")
CAR_LOG = media("car-detection.detections.jsonl")
BOTTLE = media("bottle-detection.mp4")
BOTTLE_LOG = media("bottle-detection.detections.jsonl")


def path(name):
    return os.path.join(TMP, name)


def manifest_of(clip):
    with open(clip + ".evidence.json") as f:
        return json.load(f)


def render(out, *extra, inputs=None):
    inputs = inputs or ["-i", CAR, "-d", CAR_LOG, "--start", "4", "--end", "8"]
    return run(["render", *inputs, "-o", out, "-q", *extra])


def inspect(clip):
    r = run(["inspect", clip])
    rows = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    return r, rows


def test_keygen():
    r = run(["keygen", "-o", path("k1")])
    C.check(r.returncode == 0, "keygen", r.stderr)
    run(["keygen", "-o", path("k2"), "-q"])
    for name, mode in (("k1.key", 0o600), ("k1.pub", 0o644), ("k2.key", 0o600)):
        st = os.stat(path(name))
        C.check(stat.S_IMODE(st.st_mode) == mode, f"{name} mode", oct(st.st_mode))
    before = open(path("k1.key")).read()
    r = run(["keygen", "-o", path("k1")])
    C.check(r.returncode == 6 and "exists" in r.stderr, "keygen refuses to overwrite",
            f"{r.returncode} {r.stderr}")
    C.check(open(path("k1.key")).read() == before, "existing key untouched")
    # Even under a permissive umask the secret key is private.
    r = subprocess.run([EVCLIP, "keygen", "-q", "-o", path("k3")],
                       preexec_fn=lambda: os.umask(0), capture_output=True)
    C.check(r.returncode == 0 and stat.S_IMODE(os.stat(path("k3.key")).st_mode) == 0o600,
            "secret key 0600 under umask 0")
    for cmd in (["keygen", "extra"], ["verify"], ["inspect"], ["verify", "a", "b"],
                ["verify", "x.mp4", "--bogus"]):
        r = run(cmd)
        C.check(r.returncode == 2, f"usage error: {cmd}", f"{r.returncode} {r.stderr}")
    for cmd in ("keygen", "verify", "inspect"):
        r = run([cmd, "--help"])
        C.check(r.returncode == 0 and "Usage: evclip " + cmd in r.stdout, f"{cmd} --help")
    with open(path("k1.pub")) as f:
        lines = f.read().split("\n")
    C.check(lines[0] == "evclip-ed25519-public-key-v1" and len(base64.b64decode(lines[1])) == 32,
            "public key file format", repr(lines))


def check_canonical_with_openssl(m):
    """The signature verifies with OpenSSL over Python's canonical form (as documented)."""
    if not shutil.which("openssl"):
        print("SKIP: openssl not installed: canonical form not cross-checked")
        return
    sig = m["signature"]
    body = {k: v for k, v in m.items() if k != "signature"}
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    with open(path("canon.bin"), "wb") as f:
        f.write(canon.encode("utf-8"))
    with open(path("sig.bin"), "wb") as f:
        f.write(base64.b64decode(sig["value"]))
    der = bytes.fromhex("302a300506032b6570032100") + base64.b64decode(sig["public_key"])
    with open(path("pub.pem"), "w") as f:
        f.write("-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode() +
                "\n-----END PUBLIC KEY-----\n")
    r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", path("pub.pem"),
                        "-rawin", "-in", path("canon.bin"), "-sigfile", path("sig.bin")],
                       capture_output=True, text=True)
    C.check(r.returncode == 0 and "Success" in r.stdout,
            "signature verifies over json.dumps(sort_keys, compact) with OpenSSL",
            r.stdout + r.stderr)


def test_manifest_and_verify():
    clip = path("signed.mp4")
    r = render(clip, "--sign-key", path("k1.key"))
    if not C.check(r.returncode == 0, "render signed clip", r.stderr):
        return
    m = manifest_of(clip)
    C.check(m["format"] == "evclip-evidence-manifest" and m["format_version"] == 1, "format")
    out = m["output"]
    C.check(out["size"] == os.path.getsize(clip), "output size")
    C.check(m["created_utc"].endswith("Z"), "UTC creation time", m["created_utc"])
    C.check(len(m["sources"]) == 1, "one source")
    src = m["sources"][0]
    C.check(src["size"] == os.path.getsize(CAR) and len(src["sha256"]) == 64, "source hash")
    C.check(src["window"] == {"start": 4.0, "end": 8.0}, "window", src["window"])
    C.check(src["detections"]["count"] == len(read_jsonl(CAR_LOG)), "detections count")
    logs = src["detections"]["logs"]
    if logs:
        C.check(os.path.basename(logs[0]["path"]) == os.path.basename(CAR_LOG) and
                len(logs[0]["sha256"]) == 64, "detection log hashed", logs)
    else:
        print("SKIP: detection log not listed (the reader does not call detections_note_file)")
    C.check(m["boxes_drawn"] > 0 and m["encoder"]["name"] == "libx264", "boxes and encoder")
    C.check(m["timing"]["speed"] == 1.0 and m["timing"]["pre_roll"] == 0.0, "timing")
    C.check(m["signature"]["algorithm"] == "ed25519", "signed")
    check_canonical_with_openssl(m)
    C.check(not [n for n in os.listdir(TMP) if "tmp" in n], "no temp file left", os.listdir(TMP))

    r = run(["verify", clip, "--pubkey", path("k1.pub"), "--sources"])
    C.check(r.returncode == 0 and "OK" in r.stdout, "verify passes", r.stdout + r.stderr)
    r = run(["verify", clip, "--json"])
    v = json.loads(r.stdout)
    C.check(r.returncode == 0 and v["ok"] and v["signature"] == "passed" and
            v["key"] == "skipped", "verify --json", r.stdout)

    # Wrong key.
    r = run(["verify", clip, "--pubkey", path("k2.pub")])
    C.check(r.returncode == 12 and "wrong key" in r.stderr, "wrong key named",
            f"{r.returncode} {r.stderr}")

    # One byte of the clip flipped (in the middle: media data).
    bad = path("flipped.mp4")
    shutil.copy(clip, bad)
    shutil.copy(clip + ".evidence.json", bad + ".evidence.json")
    with open(bad, "r+b") as f:
        f.seek(os.path.getsize(bad) // 2)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0x01]))
    r = run(["verify", bad, "--pubkey", path("k1.pub"), "--json"])
    v = json.loads(r.stdout)
    C.check(r.returncode == 10 and v["output"] == "failed" and v["signature"] == "passed" and
            "output modified" in v["detail"], "flipped byte named", r.stdout)

    # One manifest field edited.
    edited = path("edited.mp4")
    shutil.copy(clip, edited)
    m2 = dict(m)
    m2["boxes_drawn"] = m["boxes_drawn"] + 1
    with open(edited + ".evidence.json", "w") as f:
        json.dump(m2, f, indent=2)
    r = run(["verify", edited, "--pubkey", path("k1.pub")])
    C.check(r.returncode == 11 and "manifest edited" in r.stderr, "edited manifest named",
            f"{r.returncode} {r.stderr}")
    # Re-serialising without editing keeps the signature valid (canonical form).
    with open(edited + ".evidence.json", "w") as f:
        json.dump(m, f)
    r = run(["verify", edited, "--pubkey", path("k1.pub")])
    C.check(r.returncode == 0, "reformatted manifest still verifies", r.stderr)

    # Missing manifest.
    os.unlink(edited + ".evidence.json")
    r = run(["verify", edited])
    C.check(r.returncode == 3, "missing manifest: exit 3", f"{r.returncode} {r.stderr}")


def test_sources_changed():
    seg = path("segment.mp4")
    shutil.copy(CAR, seg)
    clip = path("fromcopy.mp4")
    r = render(clip, inputs=["-i", seg, "--start", "1", "--end", "2"])
    if not C.check(r.returncode == 0, "render from a copy", r.stderr):
        return
    C.check(run(["verify", clip, "--sources"]).returncode == 0, "sources verify")
    with open(seg, "r+b") as f:
        f.seek(1000)
        b = f.read(1)
        f.seek(1000)
        f.write(bytes([b[0] ^ 0xFF]))
    r = run(["verify", clip, "--sources"])
    C.check(r.returncode == 13 and "source changed" in r.stderr, "changed source named",
            f"{r.returncode} {r.stderr}")
    r = run(["verify", clip])
    C.check(r.returncode == 0, "without --sources the clip alone verifies", r.stderr)
    os.unlink(seg)
    r = run(["verify", clip, "--sources"])
    C.check(r.returncode == 13 and "source missing" in r.stderr, "missing source named",
            f"{r.returncode} {r.stderr}")


def test_key_permissions():
    os.chmod(path("k2.key"), 0o640)
    clip = path("badkey.mp4")
    r = render(clip, "--sign-key", path("k2.key"))
    C.check(r.returncode != 0 and "group or others" in r.stderr, "group-readable key refused",
            f"{r.returncode} {r.stderr}")
    C.check(not os.path.exists(clip) and not os.path.exists(clip + ".evidence.json"),
            "nothing written with a refused key")
    os.chmod(path("k2.key"), 0o600)


def expected_by_time(rows):
    by = {}
    for d in rows:
        by.setdefault(round(d["ts"], 3), []).append(d)
    return by


def test_inspect_round_trip():
    clip = path("signed.mp4")
    if not os.path.exists(clip):
        return
    r, frames = inspect(clip)
    C.check(r.returncode == 0, "inspect", r.stderr)
    times = frame_times(clip)
    C.check(len(frames) == len(times) == 50, "one line per frame", f"{len(frames)} {len(times)}")
    C.check(all(abs(f["pts"] - t) < 1e-3 for f, t in zip(frames, times)), "pts match ffprobe")
    C.check(all(f["source_time"] is not None for f in frames), "every frame carries data")
    C.check([f["frame"] for f in frames] == list(range(len(frames))), "frame indices")
    by = expected_by_time(read_jsonl(CAR_LOG))
    mismatches = 0
    total = 0
    for f in frames:
        want = by.get(round(f["source_time"], 3), [])
        got = f["detections"]
        total += len(got)
        key = lambda d: (d["label"], [round(v) for v in (d.get("box") or d.get("bbox"))])
        if sorted(map(key, got)) != sorted(map(key, want)) or any(
                abs(g["score"] - w["score"]) > 1e-5 for g, w in
                zip(sorted(got, key=key), sorted(want, key=key))):
            mismatches += 1
            if mismatches < 3:
                print(f"frame {f['frame']} t={f['source_time']}: got {got} want {want}")
    C.check(mismatches == 0, "same detections per frame as the log", f"{mismatches} frames")
    C.check(total == manifest_of(clip)["boxes_drawn"], "SEI boxes == boxes drawn", total)

    # Players decode it without complaint.
    d = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", clip, "-f", "null", "-"],
                       capture_output=True, text=True)
    C.check(d.returncode == 0 and d.stderr.strip() == "", "ffmpeg decodes cleanly", d.stderr)


def test_switches():
    clip = path("plain.mp4")
    r = render(clip, "--no-manifest", "--no-sei")
    C.check(r.returncode == 0, "render --no-manifest --no-sei", r.stderr)
    C.check(not os.path.exists(clip + ".evidence.json"), "no manifest")
    r, frames = inspect(clip)
    C.check(r.returncode == 0 and frames and all(f["source_time"] is None for f in frames),
            "no SEI data", r.stderr)
    # Re-clipping an evidence clip must not carry the old clip's boxes over.
    reclip = path("reclip.mp4")
    r = run(["render", "-i", path("signed.mp4"), "--start", "1", "--end", "2", "-o", reclip,
             "-q"])
    C.check(r.returncode == 0, "re-clip", r.stderr)
    r, frames = inspect(reclip)
    C.check(r.returncode == 0 and all(not f["detections"] for f in frames),
            "old SEI not carried into a re-clip", str(frames[:2]))
    r = run(["inspect", path("nonexistent.mp4")])
    C.check(r.returncode == 3, "inspect missing file: exit 3", r.stderr)
    mpeg4 = path("mpeg4.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i",
                    "testsrc=d=0.2:s=64x48", "-c:v", "mpeg4", mpeg4], check=True)
    r = run(["inspect", mpeg4])
    C.check(r.returncode == 1 and "not H.264" in r.stderr, "inspect non-H.264: exit 1",
            f"{r.returncode} {r.stderr}")


BROWSER_PAGE = """<!doctype html><html><body><script>
function report(s) { fetch("/result?" + encodeURIComponent(s)); }
const v = document.createElement("video");
v.muted = true; v.src = "signed.mp4"; document.body.appendChild(v);
v.onended = () => report(`ended ${v.currentTime.toFixed(3)} ` +
    `${v.getVideoPlaybackQuality().totalVideoFrames}`);
v.onerror = () => report(`error ${v.error && v.error.code}`);
v.play().catch(e => report("play failed " + e));
</script></body></html>"""


def test_browser():
    """Headless Chromium plays the clip (SEI included) to its end, every frame decoded."""
    chromium = chromium_binary()
    if not chromium or not os.path.exists(path("signed.mp4")):
        print("SKIP: chromium not installed: browser playback not checked")
        return
    with open(path("page.html"), "w") as f:
        f.write(BROWSER_PAGE)
    results, _ = page_results(chromium, TMP, "page.html", path("chromium-profile"))
    C.check(results and results[0] == "ended 4.000 50", "Chromium plays the clip to the end",
            str(results))


def test_multi_source():
    clip = path("multi.mp4")
    r = render(clip, inputs=["-i", CAR, "-d", CAR_LOG, "--from", "4", "--to", "6",
                             "-i", BOTTLE, "-d", BOTTLE_LOG, "--from", "1", "--to", "3"])
    if r.returncode == 2:
        print("SKIP: evclip render does not take several -i yet")
        return
    if not C.check(r.returncode == 0, "multi-source render", r.stderr):
        return
    m = manifest_of(clip)
    C.check([os.path.basename(s["path"]) for s in m["sources"]] ==
            ["car-detection.mp4", "bottle-detection.mp4"], "every source listed", m["sources"])
    C.check([s["window"] for s in m["sources"]] ==
            [{"start": 4.0, "end": 6.0}, {"start": 1.0, "end": 3.0}], "windows per source")
    C.check(all(len(s["sha256"]) == 64 for s in m["sources"]), "every source hashed")
    C.check(run(["verify", clip, "--sources"]).returncode == 0, "multi-source verify")
    r, frames = inspect(clip)
    C.check(sorted({f["source_index"] for f in frames}) == [0, 1], "source index per frame")


def test_batch():
    jobs = path("jobs.jsonl")
    with open(jobs, "w") as f:
        for i, (a, b) in enumerate(((2, 4), (10, 12))):
            f.write(json.dumps({"output": path(f"batch{i}.mp4"), "sources": [
                {"input": CAR, "detections": CAR_LOG, "from": a, "to": b},
                {"input": BOTTLE, "from": 1, "to": 2}]}) + "\n")
    r = run(["batch", jobs, "-q"])
    C.check(r.returncode == 0, "batch", r.stderr)
    for i in range(2):
        clip = path(f"batch{i}.mp4")
        if not C.check(os.path.exists(clip + ".evidence.json"), f"batch clip {i} manifest",
                       r.stderr):
            continue
        m = manifest_of(clip)
        C.check([s["path"] for s in m["sources"]] == [CAR, BOTTLE],
                f"batch clip {i} lists every source", m["sources"])
        C.check(run(["verify", clip]).returncode == 0, f"batch clip {i} verifies")


def main():
    try:
        test_keygen()
        test_manifest_and_verify()
        test_sources_changed()
        test_key_permissions()
        test_inspect_round_trip()
        test_browser()
        test_switches()
        test_multi_source()
        test_batch()
    finally:
        cleanup(TMP)
    C.close()


main()
