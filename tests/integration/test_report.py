"""test_report.py: `evclip report`: the page's contents (integrity states, failed jobs, escaping
of hostile labels and paths), then the page in headless Chromium: no console errors, the
cards, a filter, a video played and seeked from the timeline; a screenshot is kept in the
build folder (test-artifacts/review.png)."""
import json
import os
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from browser import chromium_binary, page_results  # noqa: E402
from common import EVCLIP, Checks, cleanup, ffmpeg, run, tempdir, write_jsonl  # noqa: E402

C = Checks()
TMP = tempdir()
EVIL = "<script>alert(1)</script>"
WEIRD = 'b "q" <i>.mp4'   # an output name with a quote and markup


def path(*p):
    return os.path.join(TMP, *p)


def det(t, label, x=10):
    return {"ts": round(t, 3), "bbox": [x, 10, x + 40, 60], "label": label, "score": 0.9}


def setup():
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=3", "-c:v", "libx264",
           "-preset", "ultrafast", "-pix_fmt", "yuv420p", path("cam.mp4"))
    rows = [det(0.1 * i, "person") for i in range(30)]
    rows += [det(0.1 * i, "car", x=80) for i in range(10, 20)]
    write_jsonl(path("cam.jsonl"), rows)
    write_jsonl(path("evil.jsonl"), [det(0.1 * i, EVIL) for i in range(30)])
    jobs = [
        {"output": "a.mp4", "input": "cam.mp4", "detections": "cam.jsonl", "start": 0,
         "end": 3},
        {"output": WEIRD, "input": "cam.mp4", "detections": "evil.jsonl", "start": 0, "end": 2},
        {"output": "c.mp4", "input": "cam.mp4", "detections": "cam.jsonl", "start": 1,
         "end": 2},
        {"output": "e.mp4", "input": "cam.mp4", "detections": "cam.jsonl", "start": 0,
         "end": 1},
        {"output": "f.mp4", "input": "missing.mp4", "start": 0, "end": 1},
    ]
    write_jsonl(path("jobs.jsonl"), jobs)
    r = run(["batch", path("jobs.jsonl"), "--poster", "--preset", "ultrafast", "-q",
             "--report", path("report.jsonl")])
    C.check(r.returncode == 9, "batch: one job fails", r.stderr)
    with open(path("c.mp4"), "ab") as f:
        f.write(b"\0")                    # modified
    os.unlink(path("e.mp4.evidence.json"))  # missing (no manifest)
    r = run(["keygen", "-o", path("k")])
    r = run(["render", "-i", path("cam.mp4"), "-d", path("cam.jsonl"), "--start", "0",
             "--end", "3", "--preset", "ultrafast", "--poster", "--sign-key", path("k.key"),
             "-o", path("d.mp4"), "-q"])
    C.check(r.returncode == 0, "signed clip", r.stderr)


def cards(html):
    return html.count('<article class="card"')


def test_page():
    r = run(["report", "--title", "Week <1>", "-o", path("review.html"), path("report.jsonl"),
             path("d.mp4")])
    C.check(r.returncode == 0, "report exits 0", r.stderr)
    html = open(path("review.html"), encoding="utf-8").read()
    C.check(cards(html) == 5, "one card per clip (4 ok jobs + 1 clip)", cards(html))
    C.check(EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html,
            "a hostile label is escaped")
    C.check(html.count("<script") == 1, "the page's own script is the only one")
    C.check("b%20%22q%22%20%3Ci%3E.mp4" in html and WEIRD not in html and
            "b &quot;q&quot; &lt;i&gt;.mp4" in html, "a hostile file name is encoded")
    C.check("Week &lt;1&gt;" in html, "the title is escaped")
    C.check("http://" not in html and "https://" not in html, "no network reference")
    states = {}
    for chunk in html.split('<article class="card"')[1:]:
        name = chunk.split("<h3 title=\"")[1].split('"')[0]
        states[os.path.basename(name)] = chunk.split('data-state="')[1].split('"')[0]
    C.check(states == {"a.mp4": "unsigned", "b &quot;q&quot; &lt;i&gt;.mp4": "unsigned",
                       "c.mp4": "modified", "e.mp4": "missing", "d.mp4": "ok"},
            "integrity verified now", states)
    C.check("1 failed jobs" in html and "missing.mp4" in html, "failed job in the summary")
    C.check('<span id="clips">5 clips</span><span>9.0 s total</span><span>ok: 1</span>'
            '<span>unsigned: 2</span><span>modified: 1</span><span>missing: 1</span>' in html
            and "<span>person: 80 boxes</span>" in html, "header sums")
    C.check('fill="#' in html and "<rect" in html, "timelines drawn")
    r = run(["report", "-o", path("nodir", "x.html"), path("a.mp4")])
    C.check(r.returncode == 6 and not os.path.exists(path("nodir")), "unwritable page: 6",
            r.stderr)
    r = run(["report", "-o", path("x.html"), path("nope.jsonl")])
    C.check(r.returncode == 3 and not os.path.exists(path("x.html")), "missing input: 3",
            r.stderr)
    r = run(["report", "-o", path("dir.html"), TMP])
    dir_html = open(path("dir.html")).read() if r.returncode == 0 else ""
    C.check(cards(dir_html) == 6 and 'data-href="cam.mp4"' in dir_html,
            "a folder gives its clips (cam.mp4, without a manifest, too)", r.stderr)


# Injected by the test server only: catches errors from the first line of the page on, then
# drives the page and reports what it saw.
HOOK = """<script>
var ERRORS = [];
window.addEventListener('error', function (e) {
  ERRORS.push('error: ' + (e.message || (e.target && (e.target.src || e.target.outerHTML))));
}, true);
var origError = console.error;
console.error = function () { ERRORS.push('console: ' + [].join.call(arguments, ' '));
  origError.apply(console, arguments); };
function send(r) { fetch('/result?' + encodeURIComponent(JSON.stringify(r))); }
function visible() { return [].filter.call(document.querySelectorAll('.card'),
  function (c) { return !c.hidden; }).map(function (c) {
    return c.querySelector('h3').textContent; }); }
function pick(id, v) { var s = document.getElementById(id); s.value = v;
  s.dispatchEvent(new Event('change')); }
window.addEventListener('load', function () { setTimeout(function () {
  var R = {cards: document.querySelectorAll('.card').length};
  pick('label', 'car'); R.car = visible(); pick('label', '');
  pick('state', 'modified'); R.modified = visible(); pick('state', '');
  R.all = visible().length;
  pick('sort', 'boxes'); R.by_boxes = [].map.call(document.querySelectorAll('.card'),
    function (c) { return parseInt(c.dataset.boxes); }); pick('sort', 'time');
  var a = [].filter.call(document.querySelectorAll('.card'), function (c) {
    return c.querySelector('h3').textContent === 'a.mp4'; })[0];
  a.querySelector('.media img').click();
  R.poster_click = !!a.querySelector('video');
  var card = [].filter.call(document.querySelectorAll('.card'), function (c) {
    return c.querySelector('h3').textContent === 'd.mp4'; })[0];
  var tl = card.querySelector('svg.tl'); card.scrollIntoView();
  var r = tl.getBoundingClientRect();
  tl.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: r.left + r.width * 0.5,
                                            clientY: r.top + 3}));
  var v = card.querySelector('video'); R.expected = parseFloat(card.dataset.duration) * 0.5;
  var t0 = Date.now();
  (function wait() {
    if (v && v.currentTime > 0 && !v.paused && !v.seeking) {
      R.seeked = v.currentTime; R.playing = true;
      setTimeout(function () { R.later = v.currentTime; R.errors = ERRORS; send(R); }, 400);
    } else if (Date.now() - t0 > 15000) {
      R.timeout = true; R.state = v ? [v.readyState, v.paused, v.currentTime,
        v.error && v.error.code] : null; R.errors = ERRORS; send(R);
    } else setTimeout(wait, 50);
  })();
}, 200); });
</script>"""





def test_browser():
    chromium = chromium_binary()
    if not chromium:
        print("SKIP: chromium not installed: review page not checked in a browser")
        return
    page = open(path("review.html"), encoding="utf-8").read()
    hooked = {"/review.html": page.replace("<head>", "<head>" + HOOK, 1).encode()}
    results, status = page_results(chromium, TMP, "review.html", path("profile"), timeout=60,
                                   pages=hooked)
    if not C.check(results, "the page reported back", status):
        return
    R = json.loads(results[0])
    C.check(R.get("errors") == [], "no console errors", R.get("errors"))
    C.check(R.get("cards") == 5 and R.get("all") == 5, "5 cards, all shown", R)
    C.check(sorted(R.get("car", [])) == ["a.mp4", "c.mp4", "d.mp4"],
            "the label filter hides the cards without cars", R.get("car"))
    C.check(R.get("modified") == ["c.mp4"], "the integrity filter", R.get("modified"))
    C.check(R.get("playing") and abs(R.get("seeked", -9) - R["expected"]) < 0.35,
            "a timeline click plays from that time", R)
    C.check(R.get("later", 0) > R.get("seeked", 0), "the video plays on", R)
    C.check(R.get("by_boxes") == sorted(R.get("by_boxes", []), reverse=True) and
            len(set(R.get("by_boxes", []))) > 1, "sort by boxes", R.get("by_boxes"))
    C.check(R.get("poster_click"), "clicking the poster opens the player", R)


def test_screenshot_from_file():
    chromium = chromium_binary()
    if not chromium:
        return
    build = os.path.dirname(os.path.dirname(os.path.abspath(EVCLIP)))
    artifacts = os.path.join(build, "test-artifacts")
    os.makedirs(artifacts, exist_ok=True)
    shot = os.path.join(artifacts, "review.png")
    if os.path.exists(shot):
        os.unlink(shot)
    url = "file://" + urllib.parse.quote(path("review.html"))
    common = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
              "--user-data-dir=" + path("profile2"), "--virtual-time-budget=3000"]
    subprocess.run(common + ["--window-size=1280,900", "--screenshot=" + shot, url],
                   capture_output=True, timeout=120)
    C.check(os.path.exists(shot) and os.path.getsize(shot) > 20000,
            "screenshot kept in the build folder", shot)
    dom = subprocess.run(common + ["--dump-dom", url], capture_output=True, text=True,
                         timeout=120).stdout
    C.check('<b id="shown">5</b>' in dom, "opened from the file system, the script runs",
            dom[-300:])


def test_readme_walkthrough():
    """README "From a week of footage to a review page", run as written."""
    readme = open(os.path.join(os.environ.get("EVCLIP_SOURCE_ROOT", os.path.join(
        os.path.dirname(__file__), "..", "..")), "README.md")).read()
    block = readme.split("### From a week of footage to a review page")[1]
    block = block.split("```sh\n")[1].split("```")[0]
    work = path("week")
    os.makedirs(os.path.join(work, "cam"))
    for h in ("10h", "11h"):
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=4", "-c:v",
               "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
               os.path.join(work, "cam", f"mon-{h}.mp4"))
    # 10h: a person at 0.5-1.0 s, a dog (not asked for), weak cars; a car from 3.5 s that
    # goes on in 11h until 0.5 s; 11h: a person at 3 s seen twice only (under --min-boxes).
    ten = [det(0.5 + 0.1 * i, "person") for i in range(6)]
    ten += [det(2.0 + 0.1 * i, "dog") for i in range(5)]
    ten += [dict(det(2.6 + 0.1 * i, "car"), score=0.3) for i in range(5)]
    ten += [det(3.5 + 0.1 * i, "car", x=80) for i in range(5)]
    eleven = [det(0.1 * i, "car", x=80) for i in range(6)] + [det(3.0, "person"),
                                                             det(3.1, "person")]
    write_jsonl(os.path.join(work, "cam", "mon-10h.jsonl"), ten)
    write_jsonl(os.path.join(work, "cam", "mon-11h.jsonl"), eleven)
    env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(EVCLIP)) + ":" +
               os.environ["PATH"])
    r = subprocess.run(["sh", "-ec", block], cwd=work, env=env, capture_output=True, text=True)
    C.check(r.returncode == 0, "README walkthrough runs", r.stderr)
    jobs = [json.loads(x) for x in open(os.path.join(work, "jobs.jsonl"))]
    C.check([j["output"] for j in jobs] == ["clips/mon-10h-00000.00-person.mp4",
                                            "clips/mon-10h-00002.50-car.mp4"],
            "two events: the person, the car across the hour", [j["output"] for j in jobs])
    C.check(len(jobs) == 2 and len(jobs[1]["sources"]) == 2 and jobs[0]["poster"],
            "the car event spans both files; posters asked", jobs)
    clips = sorted(os.listdir(os.path.join(work, "clips")))
    C.check(len([c for c in clips if c.endswith(".jpg")]) == 2, "posters rendered", clips)
    html = open(os.path.join(work, "review.html")).read()
    C.check(cards(html) == 2 and "Gate 3, week 48" in html, "the review page", cards(html))
    C.check(html.count('data-state="unsigned"') == 2, "both clips verified", html[-3000:])
    # From another folder: the report's relative clip paths are found beside the report.
    r = run(["report", "-o", path("from-elsewhere.html"), os.path.join(work, "report.jsonl")])
    other = open(path("from-elsewhere.html")).read() if r.returncode == 0 else ""
    C.check(other.count('data-state="unsigned"') == 2 and
            'data-href="week/clips/mon-10h-00000.00-person.mp4"' in other,
            "a batch report read from another folder", r.stderr)


C.run_all((setup, test_page, test_browser, test_screenshot_from_file,
             test_readme_walkthrough))
cleanup(TMP)
C.close()
