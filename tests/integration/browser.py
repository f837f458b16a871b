"""Headless Chromium for the integration tests: serve a folder on 127.0.0.1, open a page, wait
for what it reports (GET /result?TEXT) in real time."""
import os
import shutil
import subprocess
import threading
import time
import urllib.parse
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--mute-audio", "--autoplay-policy=no-user-gesture-required"]


def chromium_binary():
    """Path of the Chromium binary, or None (scripts/install-deps.sh installs `chromium`)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _handler(directory, results, pages):
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=directory, **kw)

        def do_GET(self):
            url_path = urllib.parse.unquote(self.path.split("?")[0])
            if url_path == "/result":
                results.append(urllib.parse.unquote(self.path.split("?", 1)[1]))
                self.send_response(204)
                self.end_headers()
                return
            if url_path in pages:
                self.send_body(200, "text/html; charset=utf-8", pages[url_path])
                return
            rng = self.headers.get("Range", "")
            local = os.path.join(directory, url_path.lstrip("/"))
            if rng.startswith("bytes=") and os.path.isfile(local):
                self.send_range(local, rng[6:])
                return
            super().do_GET()

        def send_body(self, status, ctype, body, extra=()):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            for key, value in extra:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def send_range(self, local, spec):
            """Byte ranges, as a file server gives them (media seeking needs them)."""
            size = os.path.getsize(local)
            first, _, last = spec.partition("-")
            first = int(first or 0)
            last = min(int(last), size - 1) if last else size - 1
            with open(local, "rb") as f:
                f.seek(first)
                body = f.read(last - first + 1)
            self.send_body(206, self.guess_type(local), body,
                           (("Accept-Ranges", "bytes"),
                            ("Content-Range", f"bytes {first}-{last}/{size}")))

        def log_message(self, *a):
            pass

    return Handler


class PageServer:
    """Serves `directory` (byte ranges included) on 127.0.0.1 while in a `with` block.
    `pages` maps URL paths to bodies served instead of files; GET /result?TEXT appends the
    unquoted TEXT to `self.results`."""

    def __init__(self, directory, pages=None):
        self.results = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0),
                                          _handler(directory, self.results, pages or {}))

    def url(self, page):
        return f"http://127.0.0.1:{self.server.server_address[1]}/{page}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def page_results(chromium, directory, page, profile, timeout=30, pages=None):
    """Opens `page` of `directory` in headless Chromium and waits (up to `timeout` s) for its
    first /result report or for Chromium to exit. Returns (results, Chromium's exit status)."""
    with PageServer(directory, pages) as server:
        proc = subprocess.Popen([chromium] + CHROMIUM_FLAGS +
                                ["--user-data-dir=" + profile, server.url(page)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + timeout
            while not server.results and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            proc.kill()
            proc.wait()
        return list(server.results), proc.returncode
