"""test_cli_help.py: a command line that helps: did-you-mean for commands and options, exact
option names, `evclip help CMD`, clean preset and encoder messages, output checks, exit codes,
and the progress display (TTY bar in a 40-column tmux terminal, periodic lines otherwise)."""
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import EVCLIP, Checks, cleanup, leftovers, media, run, tempdir

C = Checks()
TMP = tempdir()
CAR = media("car-detection.mp4")
CAR_LOG = media("car-detection.detections.jsonl")
WINDOW = ["--start", "5", "--end", "5.5"]


def expect(name, args, code, *needles, absent=()):
    """Runs evclip args; checks exit code, each exact substring on stderr, and absent ones."""
    r = run(args)
    C.check(r.returncode == code, f"{name}: exit {code}", f"got {r.returncode}: {r.stderr}")
    for n in needles:
        C.check(n in r.stderr, f"{name}: says {n!r}", r.stderr)
    for n in absent:
        C.check(n not in r.stderr, f"{name}: does not say {n!r}", r.stderr)
    return r


def outdir(name):
    d = os.path.join(TMP, name)
    os.makedirs(d, exist_ok=True)
    return d


def test_did_you_mean():
    expect("command typo", ["rendr"], 2, "unknown command 'rendr'; did you mean 'render'?")
    expect("command typo 2", ["verfy", "x"], 2, "did you mean 'verify'?")
    expect("command far", ["frobnicate"], 2, "unknown command 'frobnicate'\n",
           absent=("did you mean",))
    d = outdir("typo")
    out = os.path.join(d, "o.mp4")
    expect("option typo", ["render", "-i", CAR, "--strat", "5", "--end", "6", "-o", out], 2,
           "unknown option '--strat'; did you mean '--start'?", "Try 'evclip render --help'.")
    expect("option typo =", ["render", "--overwrit=1"], 2,
           "unknown option '--overwrit'; did you mean '--overwrite'?")
    expect("single dash long", ["render", "-start", "5"], 2,
           "unknown option '-s' in '-start'; did you mean '--start'?")
    for cmd, typo, right in (("batch", "--jbos", "--jobs"), ("verify", "--pubky", "--pubkey"),
                             ("live", "--confg", "--config"), ("demo", "--overwrit",
                                                               "--overwrite"),
                             ("inspect", "--only-dat", "--only-data"), ("keygen", "--outptu", "--output")):
        expect(f"{cmd} typo", [cmd, typo, "x"], 2, f"did you mean '{right}'?",
               f"Try 'evclip {cmd} --help'.")
    C.check(leftovers(d) == [], "typos: nothing written", leftovers(d))


def test_exact_names():
    d = outdir("exact")
    out = os.path.join(d, "o.mp4")
    # getopt would take "--enc" as --encoder and "--out" as --output: refused, with the name.
    expect("prefix --enc", ["render", "-i", CAR, "--enc", "libx264", "-o", out] + WINDOW, 2,
           "unknown option '--enc'; did you mean '--encoder'?")
    expect("prefix --out", ["render", "-i", CAR, "--out", out] + WINDOW, 2,
           "unknown option '--out'; did you mean '--output'?")
    expect("value missing", ["render", "-i", CAR, "-o", out, "--start"], 2,
           "option '--start' needs a value")
    expect("value on a flag", ["render", "-i", CAR, "-o", out, "--clamp=yes"] + WINDOW, 2,
           "option '--clamp' takes no value")
    # An option's value that looks like an option is a value, not a typo.
    r = run(["render", "-i", CAR, "-o", out, "--title", "--strat", "-q"] + WINDOW)
    C.check(r.returncode == 0, "value looking like an option: accepted", r.stderr)
    C.check(leftovers(d) == ["o.mp4", "o.mp4.evidence.json"], "prefixes: only the good run",
            leftovers(d))


def test_help():
    r = run(["help", "render"])
    own = run(["render", "--help"])
    C.check(r.returncode == 0 and r.stdout == own.stdout and "--start" in r.stdout,
            "help render = render --help", r.stdout[:200])
    r = run(["help", "batch"])
    C.check(r.returncode == 0 and r.stdout == run(["batch", "--help"]).stdout,
            "help batch = batch --help")
    expect("help typo", ["help", "rendr"], 2, "did you mean 'render'?")
    top = run(["help"])
    C.check(top.returncode == 0 and top.stdout == run(["--help"]).stdout, "help = --help")
    for code, what in (("0", "ok"), ("1", "other failure"), ("2", "usage"), ("3", "input"),
                       ("4", "detection log"), ("5", "window"), ("6", "output"),
                       ("7", "encoder or font"), ("9", "batch: some clips failed"),
                       ("10", "verify: the clip differs"), ("11", "verify: manifest edited"),
                       ("12", "verify: signed by another key"),
                       ("13", "verify: a source or detection log"),
                       ("130/143", "interrupted")):
        C.check(re.search(rf"^  {re.escape(code)} +{re.escape(what)}", top.stdout, re.M),
                f"top-level help lists exit code {code}", top.stdout)
    C.check("no abbreviations" in top.stdout, "help says long options are not abbreviated")


def test_presets_and_encoders():
    d = outdir("preset")
    out = os.path.join(d, "o.mp4")
    expect("unknown preset", ["render", "-i", CAR, "--preset", "turbo", "-o", out] + WINDOW, 2,
           "evclip: error: encoder libx264: unknown preset 'turbo'; valid presets: ultrafast, "
           "superfast, veryfast, faster, fast, medium, slow, slower, veryslow, placebo",
           absent=("x264 [error]", "0x", "@"))
    C.check(leftovers(d) == [], "unknown preset: nothing written", leftovers(d))
    r = run(["render", "-i", CAR, "--encoder", "auto", "-o", out, "--json"] + WINDOW)
    C.check(r.returncode == 0, "auto: exit 0", r.stderr)
    lines = [ln for ln in r.stderr.splitlines() if "encoder" in ln or "ffmpeg" in ln]
    C.check(lines == ["evclip: info: encoder auto: no hardware H.264 encoder available; "
                      "using libx264"], "auto: exactly one quiet fallback line", r.stderr)
    C.check("error:" not in r.stderr and "0x" not in r.stderr, "auto: no probing errors",
            r.stderr)
    if r.returncode == 0:
        C.check(json.loads(r.stdout)["encoder"] == "libx264", "auto: libx264 used")
    # The probing details stay available with -v, at debug level.
    os.unlink(out)
    r = run(["render", "-i", CAR, "--encoder", "auto", "-o", out, "-v"] + WINDOW)
    C.check("evclip: debug: encoder auto: h264_nvenc: " in r.stderr and "error:" not in
            r.stderr, "auto -v: reasons at debug level", r.stderr)


def test_outputs():
    d = outdir("outputs")
    for name, container in (("o.mkv", "matroska"), ("o.avi", "avi"), ("o.webm", "webm")):
        out = os.path.join(d, name)
        expect(f"-o {name}", ["render", "-i", CAR, "-o", out] + WINDOW, 2,
               f"output '{out}': '.{name[2:]}' is the {container} container, but evclip writes "
               "MP4 only: name the output .mp4")
    C.check(leftovers(d) == [], "non-MP4 names: nothing written", leftovers(d))
    a, b = os.path.join(d, "a.mp4"), os.path.join(d, "b.mp4")
    expect("two -o", ["render", "-i", CAR, "-o", a, "--output", b] + WINDOW, 2,
           f"two -o/--output ('{a}' and '{b}'): one clip has one output")
    C.check(leftovers(d) == [], "two -o: nothing written", leftovers(d))
    # MP4-family names are accepted: .m4v and .mov are the same ISO BMFF file.
    for name in ("c.m4v", "c.mov", "c.clip"):
        r = run(["render", "-i", CAR, "-o", os.path.join(d, name), "-q"] + WINDOW)
        C.check(r.returncode == 0, f"-o {name} accepted", r.stderr)


def test_progress_lines():
    """stderr not a TTY: periodic 'evclip: progress:' lines, never a carriage return."""
    d = outdir("lines")
    r = run(["render", "-i", CAR, "--start", "1", "--end", "4", "-o", os.path.join(d, "p.mp4")])
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("evclip: progress: ")]
    C.check(r.returncode == 0 and 5 <= len(lines) <= 10, "pipe: a line per 10%", r.stderr)
    C.check("\r" not in r.stderr and "\033" not in r.stderr, "pipe: no bar redraws",
            repr(r.stderr[:200]))
    C.check(all(re.search(r"\d+% \d+/\d+ frames [\d.]+ fps ETA \d+:\d\d$", ln)
                for ln in lines), "pipe: lines show fps and ETA", lines)
    r = run(["render", "-i", CAR, "--start", "1", "--end", "4", "-q", "--overwrite", "-o",
             os.path.join(d, "p.mp4")])
    C.check("progress" not in r.stderr, "-q: no progress", r.stderr)


def test_progress_tmux():
    """A 40-column terminal: the bar is one line, at most 39 columns, redrawn in place."""
    if not shutil.which("tmux"):
        C.check(False, "tmux installed (scripts/install-deps.sh)")
        return
    d = outdir("tmux")
    session = f"evclip-test-{os.getpid()}"
    cmd = (f"{EVCLIP} render -i {media('bottle-detection.mp4')} --start 0 --end 12 "
           f"--preset slower -o {os.path.join(d, 't.mp4')}; sleep 5")
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "40", "-y", "12", cmd],
                   check=True)
    seen = []
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            pane = subprocess.run(["tmux", "capture-pane", "-p", "-t", session],
                                  capture_output=True, text=True).stdout
            bar = [ln for ln in pane.splitlines() if "fps" in ln]
            if bar:
                seen.append((pane, bar))
            if len(seen) >= 3 or "wrote" in pane:
                break
            time.sleep(0.2)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    C.check(bool(seen), "tmux: progress bar seen", seen)
    for pane, bar in seen:
        C.check(len(bar) == 1, "tmux: exactly one progress line (redrawn, not scrolled)", pane)
        C.check(all(len(ln.rstrip()) <= 39 for ln in pane.splitlines()),
                "tmux: every line fits 40 columns", pane)
        C.check(re.match(r"^\[[#.]{5,}\] +\d+% \d+/\d+ \d+ fps ETA \d+:\d\d",
                         bar[0]), "tmux: bar with percent, frames, fps and ETA", bar[0])


C.run_all((test_progress_lines, test_progress_tmux, test_did_you_mean, test_exact_names, test_help, test_presets_and_encoders,
             test_outputs))
cleanup(TMP)
C.close()
