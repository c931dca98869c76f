#!/usr/bin/env python3
"""Operations integration tests: /metrics, /healthz, /readyz, --check-config, sd_notify.

Each test starts a fresh redis-server, tests/mockkafka and src/feedbackd (harness.py).
Run all:   python3 tests/integration/test_ops.py -v
Run one:   python3 tests/integration/test_ops.py -v TestOps.test_notify_socket
Env:       FEEDBACKD_BUILDDIR (default: repo root), FEEDBACKD_KEEP_TMP, FEEDBACKD_SHOW_LOG
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness as h  # noqa: E402
from harness import DAY, MINUTE, SECOND  # noqa: E402

TYPES = ("rating", "complaint", "message", "reply")
RESULTS = ("applied", "duplicate", "redelivered", "late")


def http_get(port, path, method="GET", timeout=5.0):
    """(status, content-type, body text) of one request; HTTP errors are answers too."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def parse_metrics(text):
    """Prometheus text -> {(name, frozenset(labels)): value}; checks HELP/TYPE come first."""
    out, typed = {}, set()
    rx = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if not line or line.startswith("#"):
            continue
        m = rx.match(line)
        if not m:
            raise AssertionError("bad exposition line %r" % line)
        name, labels, value = m.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        if name not in typed and family not in typed:
            raise AssertionError("sample %s before its TYPE line" % name)
        lab = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels or ""))
        out[(name, lab)] = float(value)
    return out


def events_by(metrics):
    """{(type, result): count} from feedbackd_events_total."""
    got = {}
    for (name, lab), v in metrics.items():
        if name == "feedbackd_events_total":
            d = dict(lab)
            got[(d["type"], d["result"])] = int(v)
    return got


def has_libsystemd():
    try:
        r = subprocess.run(["ldd", h.FEEDBACKD], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return True
    return b"libsystemd" in r.stdout


class TestOps(h.FeedbackTestCase):

    def http_stack(self):
        """Redis, mock Kafka and a ready daemon with the HTTP endpoint on a free port."""
        port = h.free_port()
        redis = self.start_redis()
        kafka = self.start_kafka()
        d = self.start_daemon(kafka.bootstrap, redis, {"http": {"listen": "127.0.0.1:%d" % port}})
        return redis, kafka, d, port

    def metrics(self, port):
        status, ctype, body = http_get(port, "/metrics")
        self.assertEqual(status, 200, body)
        self.assertTrue(ctype.startswith("text/plain; version=0.0.4"), ctype)
        return parse_metrics(body)

    # -- /metrics ------------------------------------------------------------

    def test_metrics_exact_counts(self):
        """A known mix of events: every feedbackd_events_total sample is exact."""
        redis, kafka, d, port = self.http_stack()
        now = h.now_ms()
        ts = now - 10 * MINUTE
        late = now - 40 * DAY  # older than the longest window (30d)
        r1 = h.rating("agent-1", 5, ts)
        r2 = h.rating("agent-1", 2, ts + SECOND)
        r3 = h.rating("agent-2", 9, ts + 2 * SECOND, scale=10)
        c1 = h.complaint("agent-1", ts, "t-1", severity="high")
        c2 = h.complaint("agent-2", ts, "t-2")
        m1 = h.message("agent-1", ts, "t-3")
        m2 = h.message("agent-2", ts, "t-4")
        p1 = h.reply("agent-1", ts + MINUTE, "t-1")
        p2 = h.reply("agent-1", ts + MINUTE, "t-3")
        lr = h.rating("agent-3", 4, late)
        lm = h.message("agent-3", late, "t-old")
        # Same event_id again, as separate messages: counted as duplicates.
        dups = [r1, r1, p1, c2]
        bad = ['{"not": "an event"}', "garbage"]
        events = [r1, r2, r3, c1, c2, m1, m2, p1, p2, lr, lm]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, events + dups + bad, key="k")
        want = {(t, r): 0 for t in TYPES for r in RESULTS}
        want.update({("rating", "applied"): 3, ("complaint", "applied"): 2, ("message", "applied"): 2,
                     ("reply", "applied"): 2, ("rating", "duplicate"): 2, ("reply", "duplicate"): 1,
                     ("complaint", "duplicate"): 1, ("rating", "late"): 1, ("message", "late"): 1})
        total = sum(want.values())

        def counted():
            m = self.metrics(port)
            n = sum(events_by(m).values())
            dead = m.get(("feedbackd_events_dead_lettered_total", frozenset()), 0)
            return (n >= total and dead >= len(bad)) and m
        try:
            h.wait_until(counted, 30, 0.25, what="all events counted in /metrics")
            time.sleep(1.0)  # nothing more may arrive
        except AssertionError:
            pass  # the exact comparison below shows what is missing
        m = self.metrics(port)
        self.assertEqual(events_by(m), want)
        self.assertEqual(m[("feedbackd_events_dead_lettered_total", frozenset())], len(bad))
        batches = m[("feedbackd_batches_total", frozenset())]
        self.assertGreaterEqual(batches, 1)
        self.assertEqual(m[("feedbackd_batch_events_total", frozenset())], len(events) + len(dups))
        # The histogram is cumulative and its +Inf bucket equals its count.
        count = m[("feedbackd_redis_latency_seconds_count", frozenset())]
        self.assertGreaterEqual(count, batches)
        self.assertEqual(m[("feedbackd_redis_latency_seconds_bucket", frozenset({("le", "+Inf")}))], count)
        buckets = sorted((float(dict(lab)["le"]), v) for (n, lab), v in m.items()
                         if n == "feedbackd_redis_latency_seconds_bucket" and dict(lab)["le"] != "+Inf")
        self.assertEqual([v for _, v in buckets], sorted(v for _, v in buckets))
        for name in ("feedbackd_open_clocks", "feedbackd_overdue_clocks", "feedbackd_reloads_total",
                     "feedbackd_last_reload_success", "feedbackd_process_resident_memory_bytes",
                     "feedbackd_uptime_seconds", "feedbackd_redis_errors_total"):
            self.assertIn((name, frozenset()), m, name)
        self.assertGreater(m[("feedbackd_process_resident_memory_bytes", frozenset())], 1 << 20)
        self.assertEqual(m[("feedbackd_reloads_total", frozenset())], 0)
        self.assertEqual(m[("feedbackd_last_reload_success", frozenset())], 1)
        alerts = [k for k in m if k[0] == "feedbackd_alerts_published_total"]
        self.assertEqual(len(alerts), 14)
        d.stop()

    def test_metrics_reload_count(self):
        """SIGHUP counts a reload; a broken file is counted as a failed one."""
        redis, kafka, d, port = self.http_stack()
        os.kill(d.proc.pid, signal.SIGHUP)
        h.wait_until(lambda: self.metrics(port)[("feedbackd_reloads_total", frozenset())] == 1, 10,
                     what="reloads_total 1")
        self.assertEqual(self.metrics(port)[("feedbackd_last_reload_success", frozenset())], 1)
        with open(d.config_path, "a") as f:
            f.write("\n[nosuchsection]\nx = 1\n")
        os.kill(d.proc.pid, signal.SIGHUP)
        h.wait_until(lambda: self.metrics(port)[("feedbackd_reloads_total", frozenset())] == 2, 10,
                     what="reloads_total 2")
        self.assertEqual(self.metrics(port)[("feedbackd_last_reload_success", frozenset())], 0)
        d.stop()

    # -- /healthz, /readyz, routing ------------------------------------------------

    def test_healthz_follows_redis(self):
        """/healthz: 200 with both up, 503 "redis down" while Redis is stopped, 200 again after."""
        redis, kafka, d, port = self.http_stack()

        def health():
            status, ctype, body = http_get(port, "/healthz")
            self.assertEqual(ctype, "application/json")
            return status, json.loads(body)
        h.wait_until(lambda: health() == (200, {"status": "ok"}), 20, what="healthz 200")
        status, _, body = http_get(port, "/readyz")
        self.assertEqual(status, 200, body)
        redis.stop()
        got = h.wait_until(lambda: (lambda s: s[0] == 503 and s)(health()), 20, what="healthz 503")
        self.assertEqual(got[1], {"status": "unavailable", "reason": "redis down"})
        redis.start()
        h.wait_until(lambda: health() == (200, {"status": "ok"}), 30, what="healthz 200 after restart")
        d.stop()

    def test_http_routes(self):
        """Unknown paths 404, other methods 405, HEAD allowed, /readyz before any Kafka is 503."""
        port = h.free_port()
        redis = self.start_redis()
        # A broker address nobody listens on: the group is never joined.
        d = self.start_daemon("127.0.0.1:%d" % h.free_port(), redis,
                              {"http": {"listen": "127.0.0.1:%d" % port}}, wait=False)
        h.wait_until(lambda: d.running() and http_get(port, "/readyz")[0], 15, what="http up")
        status, ctype, body = http_get(port, "/readyz")
        self.assertEqual(status, 503, body)
        self.assertEqual(json.loads(body)["status"], "unavailable")
        self.assertEqual(http_get(port, "/nope")[0], 404)
        self.assertEqual(http_get(port, "/metrics", method="POST")[0], 405)
        self.assertEqual(http_get(port, "/healthz", method="DELETE")[0], 405)
        self.assertEqual(http_get(port, "/metrics", method="HEAD")[0], 200)
        status, _, body = http_get(port, "/healthz")
        self.assertEqual(status, 503)
        self.assertIn("kafka down", json.loads(body)["reason"])
        d.stop()

    def test_http_bind_failure(self):
        """An address already in use is a clear startup error (exit 1)."""
        redis = self.start_redis()
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            port = s.getsockname()[1]
            d = self.make_daemon("127.0.0.1:%d" % h.free_port(), redis,
                                 {"http": {"listen": "127.0.0.1:%d" % port}})
            d.start()
            rc = d.proc.wait(timeout=15)
        self.assertEqual(rc, 1, d.log_tail())
        self.assertRegex(d.log(), r"http: cannot listen on 127\.0\.0\.1:%d: Address already in use" % port)
        d.cleanup()

    # -- --check-config ------------------------------------------------------------

    def check(self, path):
        return subprocess.run([h.FEEDBACKD, "--check-config", "-c", path], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=10)

    def test_check_config(self):
        """Exit 0 on good files (the shipped sample too), 1 and FILE:LINE: reason on bad ones."""
        good = h.Daemon(self.tmp, "127.0.0.1:9092", 6379).config_path
        sample = os.path.join(h.REPO, "conf", "feedbackd.conf")
        for path in (good, sample):
            r = self.check(path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b"configuration is valid", r.stdout)
        bad = {
            "[kafka]\nbrokers = 127.0.0.1:9092\nnosuchkey = 1\n": (3, r"nosuchkey"),
            "[redis]\nport = 70000\n": (2, r"\[redis\] port"),
            "# comment\n\n[sla]\nat_risk = 1.5\n": (4, r"\[sla\] at_risk"),
            "[windows]\nsizes = 1h\nsizes = 2h\n": (3, r"sizes"),
            "[http]\nlisten = nowhere\n": (2, r"\[http\] listen"),
        }
        for i, (text, (line, why)) in enumerate(bad.items()):
            path = os.path.join(self.tmp, "bad-%d.conf" % i)
            with open(path, "w") as f:
                f.write(text)
            r = self.check(path)
            err = r.stderr.decode()
            self.assertEqual(r.returncode, 1, "%r: %s" % (text, err))
            self.assertRegex(err, r"%s:%d: .*%s" % (re.escape(path), line, why), text)
            self.assertEqual(r.stdout, b"")
        r = self.check(os.path.join(self.tmp, "missing.conf"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing.conf", r.stderr.decode())

    # -- sd_notify -------------------------------------------------------------

    def test_notify_socket(self):
        """READY=1 after the join; SIGHUP: RELOADING=1 then READY=1; SIGTERM: STOPPING=1."""
        if not has_libsystemd():
            self.skipTest("feedbackd built without libsystemd")
        redis = self.start_redis()
        kafka = self.start_kafka()
        path = os.path.join(self.tmp, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        sock.bind(path)
        sock.settimeout(0.2)
        got = []

        def read_until(line, start, timeout, what):
            """Index of the first message at or after start holding line; reads as needed."""
            deadline = time.monotonic() + timeout
            while True:
                for i in range(start, len(got)):
                    if line in got[i].split("\n"):
                        return i
                if time.monotonic() >= deadline:
                    raise AssertionError("no %s from the daemon in %.0fs; got %r\n--- log:\n%s"
                                         % (what, timeout, got, d.log_tail()))
                try:
                    got.append(sock.recv(4096).decode())
                except socket.timeout:
                    pass

        d = self.make_daemon(kafka.bootstrap, redis)
        # The harness passes the test's environment on to the daemon.
        old = os.environ.get("NOTIFY_SOCKET")
        os.environ["NOTIFY_SOCKET"] = path
        try:
            d.start()
        finally:
            if old is None:
                del os.environ["NOTIFY_SOCKET"]
            else:
                os.environ["NOTIFY_SOCKET"] = old
        i = read_until("READY=1", 0, 30, "READY=1")
        # READY only after Redis and the group join: the assignment was logged by then.
        self.assertRegex(d.log(), h.DEFAULT_READY)

        os.kill(d.proc.pid, signal.SIGHUP)
        i = read_until("RELOADING=1", i + 1, 10, "RELOADING=1")
        self.assertRegex(got[i], r"(^|\n)MONOTONIC_USEC=\d+($|\n)")
        i = read_until("READY=1", i + 1, 10, "READY=1 after the reload")

        os.kill(d.proc.pid, signal.SIGTERM)
        read_until("STOPPING=1", i + 1, 10, "STOPPING=1")
        self.assertEqual(d.stop(), 0)
        # Order over everything but STATUS lines: READY, RELOADING, READY, STOPPING.
        states = [l for m in got for l in m.split("\n")
                  if l in ("READY=1", "RELOADING=1", "STOPPING=1")]
        self.assertEqual(states, ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"], got)
        status = [l for m in got for l in m.split("\n") if l.startswith("STATUS=")]
        self.assertTrue(all(len(s) < 200 for s in status), status)


if __name__ == "__main__":
    unittest.main()
