"""test_redis.py: evclip submit/worker/status/results on a real redis-server (loopback, AOF):
two workers, a worker killed mid-unit, Redis restarted mid-run, a poison unit, idempotent
submit, SIGTERM semantics, bad URLs, wrong passwords and Redis down."""
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import EVCLIP, Checks, cleanup, ffmpeg, run, tempdir, write_jsonl

C = Checks()
TMP = tempdir()
REDIS_SERVER = shutil.which("redis-server")
SERVERS = []  # every redis-server started, killed at the end whatever happens


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    C.check(False, f"timed out after {timeout} s waiting for {what}")
    return False


class Redis:
    """A redis-server on 127.0.0.1 with AOF (fsync always) in its own folder."""

    def __init__(self, name, *extra):
        self.dir = os.path.join(TMP, "redis-" + name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.extra = list(extra)
        self.proc = None
        SERVERS.append(self)
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--logfile", os.path.join(self.dir, "log")] + self.extra,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.up() or self.proc.poll() is not None, 10,
                 "redis-server to accept connections")
        if not C.check(self.proc.poll() is None, "redis-server started", self.dir):
            raise SystemExit(open(os.path.join(self.dir, "log")).read()[-2000:])

    def up(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def kill(self):
        self.proc.kill()
        self.proc.wait(timeout=10)

    def url(self, auth=""):
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def cmd(self, *args, password=None):
        """One command through a tiny RESP client (no client library needed)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            f = s.makefile("rwb")
            for a in ([("AUTH", password)] if password else []) + [args]:
                f.write(b"*%d\r\n" % len(a))
                for x in a:
                    x = str(x).encode()
                    f.write(b"$%d\r\n%s\r\n" % (len(x), x))
                f.flush()
                reply = read_reply(f)
            return reply


def read_reply(f):
    line = f.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind in (b"+", b"-"):
        return rest.decode()
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode()
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [read_reply(f) for _ in range(n)]
    raise ValueError(line)


def source(name, size="160x120", rate=10):
    path = os.path.join(TMP, name)
    ffmpeg("-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}:duration=8", "-c:v",
           "libx264", "-preset", "ultrafast", "-g", str(rate), "-pix_fmt", "yuv420p", path)
    return path


def job_file(name, rows):
    path = os.path.join(TMP, name)
    write_jsonl(path, rows)
    return path


def clips(out, src, count, prefix, preset="ultrafast"):
    return [{"output": f"{out}/{prefix}{k}.mp4", "input": src, "start": k, "end": k + 1,
             "preset": preset} for k in range(count)]


def worker(r, name, *extra):
    return subprocess.Popen([EVCLIP, "worker", "--redis", r.url(), "--name", name, "-j", "1"]
                            + list(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def finish(p, timeout=60):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        C.check(False, "worker finished in time", err[-2000:])
    return p.returncode, err


def results(r):
    got = run(["results", "--redis", r.url()], timeout=30)
    C.check(got.returncode == 0, "results: exit 0", got.stderr)
    return [json.loads(x) for x in got.stdout.splitlines()]


def status(r):
    got = run(["status", "--redis", r.url(), "--json"], timeout=30)
    C.check(got.returncode == 0, "status: exit 0", got.stderr)
    return json.loads(got.stdout)


def check_all_ok_once(res, outputs, what):
    ok = [x for x in res if x["status"] == "ok"]
    ids = [x["id"] for x in ok]
    C.check(len(ids) == len(set(ids)), f"{what}: each clip ok at most once",
            [i for i in ids if ids.count(i) > 1])
    C.check(sorted(x["output"] for x in ok) == sorted(outputs),
            f"{what}: every clip ok exactly once", (len(ok), len(outputs)))
    for x in ok:
        v = run(["verify", x["output"]], timeout=30)
        C.check(v.returncode == 0, f"{what}: {os.path.basename(x['output'])} verifies", v.stdout)
        with open(x["output"] + ".evidence.json") as f:
            C.check(json.load(f).get("worker") == x["worker"],
                    f"{what}: the manifest records the worker of the result", x["worker"])
    return ok


def no_temp_files(folder, what):
    tmp = [n for n in os.listdir(folder) if n.endswith(".evclip-tmp")]
    C.check(not tmp, f"{what}: no temp files left", tmp)


def scenario(name):
    """A fresh Redis server and output folder for one test, both named `name`."""
    out = os.path.join(TMP, name)
    os.makedirs(out)
    return Redis(name), out


def twenty_clips(out, src):
    """20 one-second clips over the three sources (7 + 7 + 6)."""
    return clips(out, src[0], 7, "a") + clips(out, src[1], 7, "b") + clips(out, src[2], 6, "c")


def test_two_workers(src):
    r, out = scenario("two")
    rows = twenty_clips(out, src)
    jobs = job_file("two.jsonl", rows)
    s = run(["submit", "--redis", r.url(), jobs], timeout=30)
    C.check(s.returncode == 0 and "20 clips in 3 units" in s.stderr and "3 new" in s.stderr,
            "submit: 20 clips over 3 sources make 3 units", s.stderr)
    follow = subprocess.Popen([EVCLIP, "results", "--redis", r.url(), "--follow"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ws = [worker(r, f"w{i}", "--drain") for i in (1, 2)]
    for w in ws:
        code, err = finish(w)
        C.check(code == 0, "two workers: exit 0 when drained", err[-2000:])
    res = results(r)
    time.sleep(1.5)  # --follow polls every second
    follow.send_signal(signal.SIGTERM)
    out, err = follow.communicate(timeout=30)
    C.check(follow.returncode == 0 and [json.loads(x) for x in out.splitlines()] == res,
            "results --follow: printed every result as it came, exit 0 on SIGTERM", err)
    check_all_ok_once(res, [x["output"] for x in rows], "two workers")
    C.check(all(x["attempt"] == 1 and not x["skipped"] and x["frames"] == 10 and
                x["seconds"] == 1.0 for x in res),
            "two workers: first attempts, 10 frames and 1 s each", res[:1])
    for x in res:
        with open(x["output"] + ".evidence.json", "rb") as f:
            data = f.read()
        C.check(x["manifest_sha256"] == hashlib.sha256(data).hexdigest() and
                x["output_sha256"] == json.loads(data)["output"]["sha256"],
                "results: manifest_sha256 and output_sha256", x)
        spec = rows[x["line"] - 1]
        C.check(spec["output"] == x["output"] and x["id"] == hashlib.sha256(
                    (TMP + "\n" + json.dumps(spec, sort_keys=True, separators=(",", ":")))
                    .encode()).hexdigest()[:32], "results: line and stable clip id", x)
    units = {}
    for x in sorted(res, key=lambda x: x["line"]):
        units.setdefault(x["unit"], []).append(x["id"])
    C.check(all(u == hashlib.sha256("".join(ids).encode()).hexdigest()[:32]
                for u, ids in units.items()) and len(units) == 3,
            "results: unit id = hash of its clips' ids", units)
    st = status(r)
    C.check((st["ok"], st["failed"], st["dead"], st["units"]) == (20, 0, 0, 3),
            "status: 20 ok, 0 failed, 0 dead, 3 units", st)
    C.check(st["groups"][0]["pending"] == 0 and st["groups"][0]["waiting"] == 0,
            "status: nothing pending or waiting", st["groups"])
    C.check(sorted(w["name"] for w in st["workers"]) == ["w1", "w2"], "status: workers seen",
            st["workers"])
    text = run(["status", "--redis", r.url()], timeout=30).stdout
    C.check("stream evclip:jobs: 3 units\ngroup renderers: 0 waiting, 0 pending\n" in text and
            "results: 20 ok, 0 failed; dead letters: 0\n" in text, "status: text", text)

    # Submit twice: nothing added, nothing rendered again.
    mtimes = {x["output"]: os.stat(x["output"]).st_mtime_ns for x in rows}
    s = run(["submit", "--redis", r.url(), jobs], timeout=30)
    C.check(s.returncode == 0 and "0 new, 3 already queued" in s.stderr,
            "submit twice: nothing enqueued again", s.stderr)
    code, err = finish(worker(r, "w3", "--drain"))
    C.check(code == 0 and len(results(r)) == 20, "submit twice: no new result", err[-1000:])
    # Even with the queue's memory of units gone, done clips are not rendered again.
    r.cmd("DEL", "evclip:units", "evclip:done")
    s = run(["submit", "--redis", r.url(), jobs], timeout=30)
    C.check("3 new" in s.stderr, "resubmit after DEL: 3 units again", s.stderr)
    w4 = subprocess.Popen([EVCLIP, "worker", "--redis", r.url(), "--drain"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    code, err = finish(w4)
    again = results(r)[20:]
    C.check(code == 0 and len(again) == 20 and all(x["skipped"] and x["status"] == "ok"
                                                   for x in again),
            "resubmit: every clip skipped as already done", err[-1000:])
    C.check(all(x["checked_by"] == f"{socket.gethostname()}-{w4.pid}" and
                x["worker"] in ("w1", "w2") for x in again),
            "resubmit: default worker name HOST-PID; results name who rendered", again[:1])
    C.check(mtimes == {x["output"]: os.stat(x["output"]).st_mtime_ns for x in rows},
            "resubmit: no output rewritten")
    r.kill()


def test_kill_worker(slow):
    r, out = scenario("kill")
    rows = clips(out, slow, 8, "k", preset="veryslow")
    run(["submit", "-q", "--redis", r.url(), job_file("kill.jsonl", rows)], timeout=30)
    a = worker(r, "doomed", "--claim-timeout", "1.5")
    # The next clip's own temp file (".k1.mp4.PID-TAG.evclip-tmp"), not k0's manifest temp
    # that can still be there for a moment after k0.mp4 appears.
    wait_for(lambda: os.path.exists(f"{out}/k0.mp4") and any(
        n.endswith(".evclip-tmp") and not n.startswith(".k0.") for n in os.listdir(out)), 60,
        "the first clip of the unit and the next one's temp file")
    a.kill()
    a.wait(timeout=10)
    C.check(any(n.endswith(".evclip-tmp") for n in os.listdir(out)),
            "kill -9: the dead worker left a temp file", os.listdir(out))
    done_at_kill = {x["output"] for x in rows if os.path.exists(x["output"])}
    C.check(len(done_at_kill) < len(rows), "kill -9: the worker died in the middle of its unit",
            done_at_kill)
    pending = r.cmd("XPENDING", "evclip:jobs", "renderers")
    C.check(pending[0] == 1 and pending[3] == [["doomed", "1"]],
            "kill -9: the unit stays pending on the dead worker", pending)
    code, err = finish(worker(r, "rescuer", "--claim-timeout", "1.5", "--drain"))
    C.check(code == 0, "kill -9: the other worker drains the queue", err[-2000:])
    res = results(r)
    ok = check_all_ok_once(res, [x["output"] for x in rows], "kill -9")
    C.check(all(x["attempt"] == 2 and x.get("checked_by", x["worker"]) == "rescuer"
                for x in ok), "kill -9: the unit was taken over (attempt 2)",
            [(x["worker"], x["attempt"]) for x in ok])
    C.check(all((x["skipped"], x["worker"]) == ((True, "doomed") if x["output"] in done_at_kill
                                                else (False, "rescuer")) for x in ok),
            "kill -9: clips published before the kill are kept (skipped), the others redone",
            [(x["output"], x["skipped"], x["worker"]) for x in ok])
    no_temp_files(out, "kill -9")
    r.kill()


def test_redis_restart(src):
    r, out = scenario("restart")
    rows = twenty_clips(out, src)
    s = run(["submit", "--redis", r.url(), "--unit-clips", "2",
             job_file("restart.jsonl", rows)], timeout=30)
    C.check("in 11 units" in s.stderr, "--unit-clips 2: 20 clips in 4 + 4 + 3 units", s.stderr)
    ws = [worker(r, f"r{i}", "--drain", "--claim-timeout", "3") for i in (1, 2)]
    wait_for(lambda: r.cmd("HLEN", "evclip:workers") == 2, 30, "both workers to connect")
    wait_for(lambda: len(os.listdir(out)) >= 4, 60, "the first clips")
    r.kill()  # kill -9: only what AOF (fsync always) kept survives
    time.sleep(1.0)
    r.start()
    errs = []
    for w in ws:
        code, err = finish(w)
        errs.append(err)
        C.check(code == 0, "restart: the workers carry on and drain the queue", err[-2000:])
    C.check(any("reconnected" in e for e in errs), "restart: the workers reconnected",
            [e[-500:] for e in errs])
    check_all_ok_once(results(r), [x["output"] for x in rows], "restart")
    no_temp_files(out, "restart")
    r.kill()


def test_poison(src):
    r, out = scenario("poison")
    bad = os.path.join(TMP, "poison.mp4")
    with open(bad, "w") as f:
        f.write("this is not a video\n")
    good = clips(out, src[0], 3, "g")
    rows = good + [{"output": f"{out}/p.mp4", "input": bad, "start": 0, "end": 1}]
    run(["submit", "-q", "--redis", r.url(), job_file("poison.jsonl", rows)], timeout=30)
    expect_error(["worker", "--redis", r.url(), "--max-attempts", "0"], 2,
                 ["--max-attempts"], "--max-attempts 0")
    code, err = finish(worker(r, "pw", "--drain", "--claim-timeout", "0.5"))
    C.check(code == 0, "poison: the worker drains the queue", err[-2000:])
    dead = r.cmd("XRANGE", "evclip:dead", "-", "+")
    C.check(len(dead) == 1, "poison: one dead letter", dead)
    if dead:
        d = dict(zip(dead[0][1][::2], dead[0][1][1::2]))
        C.check(d["attempts"] == "3" and "poison.mp4" in d["error"],
                "poison: dead letter has the attempts and the last error", d)
    res = results(r)
    check_all_ok_once(res, [x["output"] for x in good], "poison: the others")
    bad_res = [x for x in res if x["output"].endswith("/p.mp4")]
    C.check([x["attempt"] for x in bad_res] == [1, 2, 3] and
            all(x["status"] == "error" and "poison.mp4" in x["error"] for x in bad_res),
            "poison: an error result per attempt", bad_res)
    st = status(r)
    C.check((st["ok"], st["failed"], st["dead"]) == (3, 1, 1), "poison: status counts", st)
    C.check(not os.path.exists(f"{out}/p.mp4"), "poison: no output")
    r.kill()


def test_signals(slow):
    r, out = scenario("signals")
    rows = clips(out, slow, 5, "t", preset="veryslow")
    run(["submit", "-q", "--redis", r.url(), job_file("sig1.jsonl", rows)], timeout=30)
    w = worker(r, "polite")
    wait_for(lambda: os.path.exists(f"{out}/t0.mp4"), 60, "the first clip")
    w.send_signal(signal.SIGTERM)
    code, err = finish(w)
    C.check(code == 0 and "stopped after 1 unit" in err, "SIGTERM: finishes the unit, exit 0",
            err[-1500:])
    check_all_ok_once(results(r), [x["output"] for x in rows], "SIGTERM")

    rows2 = clips(out, slow, 5, "u", preset="veryslow")
    run(["submit", "-q", "--redis", r.url(), job_file("sig2.jsonl", rows2)], timeout=30)
    w = worker(r, "impatient")
    wait_for(lambda: os.path.exists(f"{out}/u0.mp4"), 60, "the first clip")
    w.send_signal(signal.SIGTERM)
    time.sleep(0.05)
    w.send_signal(signal.SIGTERM)
    code, err = finish(w)
    C.check(code == 143 and "abandoned" in err, "second SIGTERM: abandons the unit, exit 143",
            (code, err[-1500:]))
    pending = r.cmd("XPENDING", "evclip:jobs", "renderers")
    C.check(pending[0] == 1, "second SIGTERM: the unit is left pending (unacked)", pending)
    no_temp_files(out, "second SIGTERM")
    code, err = finish(worker(r, "after", "--drain", "--claim-timeout", "0.5"))
    check_all_ok_once(results(r), [x["output"] for x in rows + rows2], "after SIGTERM")
    r.kill()


def expect_error(args, code, words, what, hidden=None):
    got = run(args, timeout=30)
    C.check(got.returncode == code and all(w in got.stderr for w in words),
            f"{what}: exit {code} and the reason", (got.returncode, got.stderr))
    if hidden:
        C.check(hidden not in got.stderr + got.stdout, f"{what}: password not printed")
    return got


def test_errors(src):
    helps = run(["worker", "--help"]).stdout + run(["submit", "--help"]).stdout
    C.check(all(x in helps for x in ("--claim-timeout S      take over units idle for S seconds "
                                     "(default 60)", "(default 3)", "(default 600)",
                                     "(default 8)")), "help: the documented defaults", helps)
    jobs = job_file("err.jsonl", clips(os.path.join(TMP, "err"), src[0], 2, "e"))
    os.makedirs(os.path.join(TMP, "err"))
    for url, word in [("http://127.0.0.1:6379", "expected redis://"),
                      ("redis://127.0.0.1:99999", "port '99999'"),
                      ("redis://:pw@", "no host name"), ("redis://h/x", "database 'x'"),
                      ("unix://relative.sock", "unix:///absolute")]:
        expect_error(["status", "--redis", url], 2, ["--redis", word], f"bad URL {url}")
    expect_error(["worker", "--redis", "redis://127.0.0.1", "--name", "a\nb"], 2,
                 ["--name", "control character"], "worker --name with a newline")
    down = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    for cmd in (["submit", jobs], ["worker"], ["status"], ["results"]):
        expect_error([cmd[0], "--redis", down] + cmd[1:], 20,
                     ["cannot connect", "redis://:***@127.0.0.1"], f"{cmd[0]}: Redis down",
                     hidden="hunter2")
    sock = os.path.join(TMP, "redis.sock")
    r = Redis("auth", "--requirepass", "s3cret-pw", "--unixsocket", sock,
              "--user", "alice", "on", ">alice-pw", "~*", "&*", "+@all")
    expect_error(["submit", "--redis", r.url(":wrong-pw@"), jobs], 21,
                 ["authentication refused", "wrong user or password"], "wrong password",
                 hidden="wrong-pw")
    expect_error(["status", "--redis", r.url()], 21, ["wants a password"], "no password")
    for url in (r.url(":s3cret-pw@"), r.url("alice:alice-pw@"), f"unix://:s3cret-pw@{sock}"):
        got = run(["status", "--redis", url], timeout=30)
        C.check(got.returncode == 0 and "pw" not in got.stdout + got.stderr,
                f"status over {url.split(':')[0]} with a password: exit 0", got.stderr)
    bad = job_file("bad.jsonl", clips(os.path.join(TMP, "err"), src[0], 2, "e") +
                   [{"output": "x.mp4", "input": src[0], "start": "soon"}])
    got = expect_error(["submit", "--redis", r.url(":s3cret-pw@"), bad], 9,
                       ["bad.jsonl:3", "nothing enqueued"], "submit: bad line")
    C.check(r.cmd("EXISTS", "evclip:jobs", password="s3cret-pw") == 0,
            "submit: a bad line enqueues nothing")
    got = run(["submit", "--redis", r.url(":s3cret-pw@"), "--stream", "other:jobs",
               "--unit-seconds", "2", job_file("seven.jsonl", clips(os.path.join(TMP, "err"),
                                                                     src[0], 7, "s"))])
    C.check(got.returncode == 0 and r.cmd("XLEN", "other:jobs", password="s3cret-pw") == 4,
            "--unit-seconds 2 --stream other:jobs: 7 one-second clips in 4 units", got.stderr)
    got = run(["submit", "--redis", r.url(":s3cret-pw@"), "--skip-bad", bad], timeout=30)
    C.check(got.returncode == 9 and r.cmd("XLEN", "evclip:jobs", password="s3cret-pw") == 1,
            "submit --skip-bad: the good lines are enqueued, exit 9", got.stderr)
    r.kill()


def main():
    if not REDIS_SERVER:
        print("redis-server not installed: skipped")
        sys.exit(77)
    try:
        src = [source(f"src{i}.mp4") for i in range(3)]
        slow = source("slow.mp4", size="320x240", rate=25)
        for t in (test_errors, test_two_workers, test_poison, test_redis_restart):
            t(src)
        test_kill_worker(slow)
        test_signals(slow)
    finally:
        for r in SERVERS:
            if r.proc.poll() is None:
                r.kill()
        cleanup(TMP)
    C.close()


if __name__ == "__main__":
    main()
