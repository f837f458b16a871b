#!/usr/bin/python3
"""bench_review.py: `evclip events` on a 1 M-line log (time, peak memory) and `evclip report`
on 2,000 clips (generation time, page load in headless Chromium). Stdlib only."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def timed(cmd, **kw):
    """(wall seconds, peak RSS of that command in MiB (GNU time), CompletedProcess)."""
    t0 = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True,
                       **kw)
    wall = time.monotonic() - t0
    if r.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return wall, int(r.stderr.strip().split("\n")[-1]) / 1024, r


def make_log(path, lines, fps=10, per_frame=3):
    """A time-ordered log: bursts of 20 s with `per_frame` boxes per frame, 20 s apart."""
    labels = ["person", "car", "bicycle", "dog"]
    n = 0
    frame = 0
    with open(path, "w") as f:
        while n < lines:
            t = frame / fps
            if int(t // 20) % 2 == 0:
                for k in range(min(per_frame, lines - n)):
                    f.write('{"frame_idx": %d, "ts": %.3f, "bbox": [%d, 10, %d, 40], '
                            '"label": "%s", "score": 0.%02d, "track_id": %d}\n'
                            % (frame, t, 4 + 8 * k, 20 + 8 * k, labels[(frame // 200 + k) % 4],
                               50 + k * 10, (frame // 200) * 4 + k))
                    n += 1
            frame += 1
    return frame / fps


def bench_events(evclip, work, sizes):
    rows = []
    for lines in sizes:
        log = os.path.join(work, f"log{lines}.jsonl")
        seconds = make_log(log, lines)
        video = os.path.join(work, f"video{lines}.mp4")
        if not os.path.exists(video):
            sh("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
               f"color=c=gray:size=64x48:rate=1:duration={int(seconds) + 2}", "-c:v",
               "libx264", "-preset", "ultrafast", video)
        wall, peak, r = timed([evclip, "events", "-i", video, "-d", log, "--pre", "2",
                               "--post", "2", "--max-duration", "30", "-o",
                               os.path.join(work, "jobs.jsonl")])
        jobs = sum(1 for _ in open(os.path.join(work, "jobs.jsonl")))
        rows.append((lines, os.path.getsize(log) / 2**20, wall, lines / wall / 1e6, peak, jobs))
    print("events: lines | log MiB | wall s | M lines/s | peak RSS MiB | jobs")
    for r in rows:
        print("%9d | %7.1f | %6.2f | %9.2f | %12.1f | %d" % r)


PAGE_HOOK = """<script>
window.addEventListener('load', function () { setTimeout(function () {
  var t = performance.getEntriesByType('navigation')[0];
  var s = document.getElementById('label'); var t0 = performance.now();
  s.value = s.options[1].value; s.dispatchEvent(new Event('change'));
  var filter = performance.now() - t0;
  t0 = performance.now(); var so = document.getElementById('sort'); so.value = 'boxes';
  so.dispatchEvent(new Event('change')); var sort = performance.now() - t0;
  fetch('/result?' + encodeURIComponent(JSON.stringify({dcl: t.domContentLoadedEventEnd,
    load: t.loadEventEnd, cards: document.querySelectorAll('.card').length,
    filter: filter, sort: sort, images: document.querySelectorAll('img').length,
    complete: [].filter.call(document.images, function (i) { return i.complete &&
      i.naturalWidth; }).length})));
}, 0); });
</script>"""


def load_in_chromium(work, page):
    chromium = shutil.which("chromium")
    results = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=work, **kw)

        def do_GET(self):
            if self.path.startswith("/result?"):
                results.append(urllib.parse.unquote(self.path.split("?", 1)[1]))
                self.send_response(204)
                self.end_headers()
                return
            if self.path == "/" + page:
                body = open(os.path.join(work, page), encoding="utf-8").read()
                body = body.replace("<head>", "<head>" + PAGE_HOOK, 1).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proc = subprocess.Popen([chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                             "--window-size=1280,900",
                             "--user-data-dir=" + os.path.join(work, "profile"),
                             f"http://127.0.0.1:{server.server_address[1]}/{page}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(1200):
            if results:
                break
            time.sleep(0.1)
    finally:
        proc.kill()
        proc.wait()
        server.shutdown()
    return json.loads(results[0]) if results else None


def bench_report(evclip, work, cards):
    clips = os.path.join(work, "clips")
    os.makedirs(clips, exist_ok=True)
    src = os.path.join(work, "src.mp4")
    sh("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
       "testsrc2=size=640x360:rate=25:duration=12", "-c:v", "libx264", "-preset",
       "ultrafast", src)
    log = os.path.join(work, "src.jsonl")
    with open(log, "w") as f:
        for i in range(300):
            for k, label in enumerate(("person", "car")):
                f.write(json.dumps({"frame_idx": i, "bbox": [20 + 100 * k, 40, 90 + 100 * k, 200],
                                    "label": label, "track_id": k}) + "\n")
    # Four real clips (10 s each, with posters), linked under 2,000 names: the report verifies
    # and inspects each name as a separate clip.
    for i in range(4):
        sh(evclip, "render", "-i", src, "-d", log, "--start", str(i * 0.5), "--end",
           str(i * 0.5 + 10), "--preset", "ultrafast", "--poster", "-q", "--overwrite",
           "-o", os.path.join(work, f"base{i}.mp4"))
    for n in range(cards):
        base = os.path.join(work, f"base{n % 4}")
        name = os.path.join(clips, f"clip{n:05d}")
        for ext in (".mp4", ".jpg", ".mp4.evidence.json"):
            if not os.path.exists(name + ext):
                os.link(base + ext, name + ext)
    page = os.path.join(work, "review.html")
    wall, peak, _ = timed([evclip, "report", "-q", "-o", page, clips])
    print(f"report: {cards} cards ({cards // 4 * 4} clips of 10 s): generation {wall:.2f} s, "
          f"peak RSS {peak:.1f} MiB, page {os.path.getsize(page) / 2**20:.2f} MiB")
    r = load_in_chromium(work, "review.html")
    if r:
        print(f"chromium: DOMContentLoaded {r['dcl']:.0f} ms, load {r['load']:.0f} ms, "
              f"{r['cards']} cards, label filter {r['filter']:.1f} ms, sort {r['sort']:.1f} ms, "
              f"posters loaded at load time {r['complete']} of {r['images']} (lazy)")
    else:
        print("chromium: no result")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--evclip", default=os.path.join(HERE, "..", "build", "tools", "evclip"))
    ap.add_argument("--lines", default="100000,1000000")
    ap.add_argument("--cards", type=int, default=2000)
    ap.add_argument("--workdir")
    ap.add_argument("--skip-events", action="store_true")
    ap.add_argument("--skip-report", action="store_true")
    a = ap.parse_args()
    work = a.workdir or tempfile.mkdtemp(prefix="evclip-bench-review-")
    os.makedirs(work, exist_ok=True)
    evclip = os.path.abspath(a.evclip)
    print(sh(evclip, "--version").stdout.strip(), "| nproc", os.cpu_count(),
          "| load", os.getloadavg())
    if not a.skip_events:
        bench_events(evclip, work, [int(x) for x in a.lines.split(",")])
    if not a.skip_report:
        bench_report(evclip, work, a.cards)
    if not a.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
