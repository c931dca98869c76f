#!/usr/bin/env python3
"""Operations integration tests: /metrics, /healthz, /readyz, --check-config, sd_notify, SIGHUP, logging,
and --rebuild of a Redis the previous release wrote.

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
from harness import DAY, HOUR, MINUTE, SECOND  # noqa: E402

TYPES = ("rating", "complaint", "message", "reply", "status", "follow_up")
RESULTS = ("applied", "duplicate", "redelivered", "late", "dead_lettered")
# Dead letters rejected before their type was read.
UNKNOWN = ("unknown", "dead_lettered")
# Upper bounds of feedbackd_batch_size_events (src/metrics.c).
BATCH_BOUNDS = ("1", "2", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000")


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


def histogram(metrics, name):
    """{le: cumulative count} of a histogram, "+Inf" included, plus its sum and count."""
    buckets = {dict(lab)["le"]: v for (n, lab), v in metrics.items() if n == name + "_bucket"}
    return buckets, metrics[(name + "_sum", frozenset())], metrics[(name + "_count", frozenset())]


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
        st = h.status("agent-1", ts, "t-1", "pending")
        # Same event_id again, as separate messages: counted as duplicates.
        dups = [r1, r1, p1, c2]
        # Two rejected before the type is read, two after: a rating without its score, a complaint
        # with a bad severity.
        no_score = h.rating("agent-1", 5, ts, as_dict=True)
        del no_score["score"]
        bad_severity = h.complaint("agent-2", ts, "t-9", severity="urgent")
        bad = ['{"not": "an event"}', "garbage", json.dumps(no_score), bad_severity]
        events = [r1, r2, r3, c1, c2, m1, m2, p1, p2, lr, lm, st]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, events + dups + bad, key="k")
        want = {(t, r): 0 for t in TYPES for r in RESULTS}
        want.update({("rating", "applied"): 3, ("complaint", "applied"): 2, ("message", "applied"): 2,
                     ("reply", "applied"): 2, ("status", "applied"): 1, ("rating", "duplicate"): 2, ("reply", "duplicate"): 1,
                     ("complaint", "duplicate"): 1, ("rating", "late"): 1, ("message", "late"): 1,
                     ("rating", "dead_lettered"): 1, ("complaint", "dead_lettered"): 1, UNKNOWN: 2})
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
        # How the events fell into batches depends on the consumer's reads; the histogram agrees
        # with the two counters, and no batch exceeds the 15 valid events (test_batch_sizes: exact).
        sizes, size_sum, size_count = histogram(m, "feedbackd_batch_size_events")
        self.assertEqual(sorted(sizes), sorted(BATCH_BOUNDS + ("+Inf",)))
        self.assertEqual((size_count, size_sum), (batches, len(events) + len(dups)))
        self.assertEqual([sizes[b] for b in BATCH_BOUNDS[4:]] + [sizes["+Inf"]], [batches] * 10)
        self.assertEqual([sizes[b] for b in BATCH_BOUNDS[:4]], sorted(sizes[b] for b in BATCH_BOUNDS[:4]))
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

    def test_batch_sizes(self):
        """With batch_size = 1 a task commits its first event at once, alone; the histogram adds up.

        Events that arrive while that commit is out wait for its answer and go in the next one
        (one commit in flight per task), so only the first size is known exactly."""
        port = h.free_port()
        redis = self.start_redis()
        kafka = self.start_kafka()
        self.start_daemon(kafka.bootstrap, redis, {"http": {"listen": "127.0.0.1:%d" % port},
                                                   "ingest": {"batch_size": "1"},
                                                   "engine": {"flush_interval": "10s"}})
        ts = h.now_ms() - 10 * MINUTE
        events = [h.rating("agent-1", 4, ts + i * SECOND) for i in range(7)]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, events, key="agent-1")
        # The flush interval is 10 s: only batch_size can commit them this soon.
        h.wait_until(lambda: self.metrics(port)[("feedbackd_batch_events_total", frozenset())] == 7, 8,
                     what="7 events committed")
        m = self.metrics(port)
        sizes, size_sum, size_count = histogram(m, "feedbackd_batch_size_events")
        batches = m[("feedbackd_batches_total", frozenset())]
        self.assertEqual((size_sum, size_count), (7, batches))
        self.assertGreaterEqual(sizes["1"], 1, "the first commit held the first event alone")
        self.assertGreaterEqual(batches, 2)
        self.assertEqual(sizes["+Inf"], batches)

    def test_backlog_fetched_as_the_queue_drains(self):
        """A backlog larger than the prefetch is fetched again as the local queues drain.

        librdkafka 2.0 stops fetching a partition while its queue holds queued.min.messages
        and looks again only when its broker thread wakes, at the latest after 1 s. Keyed by
        agent, the route partitions (on a queue of their own, nearly empty) keep a Fetch
        outstanding that wakes it every fetch.wait.max.ms; keyed at random, both queues fill
        and the loop wakes it with a seek once it emptied one (src/io/consumer.c). With a
        prefetch of 100 messages and record batches of 100, the 12,000 events took one 1 s
        cycle per ~400 (30 s) when every partition shared the one queue, and 22 s keyed at
        random with the route partitions apart but no seek."""
        n = 12000
        agents = ["agent-f%d" % i for i in range(48)]
        for keying in ("agent", "random"):
            port = h.free_port()
            redis = self.start_redis()
            kafka = self.start_kafka()
            ts = h.now_ms() - HOUR
            h.produce(kafka.bootstrap, h.TOPIC_EVENTS,
                      [(agents[i % 48] if keying == "agent" else "k%d" % i,
                        h.rating(agents[i % 48], 1 + i % 5, ts + i)) for i in range(n)], batch=100)
            d = self.start_daemon(kafka.bootstrap, redis, {"http": {"listen": "127.0.0.1:%d" % port},
                                                           "kafka": {"rdkafka.queued.min.messages": "100"}})
            applied = lambda: events_by(self.metrics(port)).get(("rating", "applied"), 0)  # noqa: E731
            h.wait_until(lambda: applied() > 0, 30, 0.02, what="the first event applied")
            started = time.monotonic()
            h.wait_until(lambda: applied() == n, 60, 0.05, what="%d events applied" % n)
            took = time.monotonic() - started
            sys.stderr.write("[keyed by %s: %d events in %.1f s] " % (keying, n, took))
            self.assertLess(took, 5.0, "keyed by %s: the consumer waited for librdkafka's 1 s wake-ups" % keying)
            d.stop()
            kafka.stop()
            redis.stop()

    # -- SIGHUP ----------------------------------------------------------------------

    def rewrite_config(self, d, sections, extra=""):
        """Replaces d's file: its sections with these merged over them, then extra text as is."""
        for sec, kv in sections.items():
            d.sections.setdefault(sec, {}).update(kv)
        with open(d.config_path, "w") as f:
            f.write(h._ini(d.sections) + extra)

    def complaints_stack(self, complaints):
        """A daemon whose complaints_above rule is only evaluated by batches and reloads (the
        periodic pass is an hour away), with `complaints` complaints of agent-r applied."""
        port = h.free_port()
        redis = self.start_redis()
        kafka = self.start_kafka()
        d = self.start_daemon(kafka.bootstrap, redis, {
            "http": {"listen": "127.0.0.1:%d" % port},
            "windows": {"refresh": "1h"},
            "rule.complaints_above": {"threshold": "5"},
            # -v (the harness's) must survive a reload that reads this.
            "log": {"level": "warning"},
        })
        self.produce_complaints(kafka, port, complaints)
        return redis, kafka, d, port

    def produce_complaints(self, kafka, port, n):
        """n more complaints of agent-r, waited for until applied."""
        before = events_by(self.metrics(port))[("complaint", "applied")]
        ts = h.now_ms() - 10 * MINUTE
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS,
                  [h.complaint("agent-r", ts + i * SECOND, "t-%s" % h.new_event_id()) for i in range(n)], key="k")
        h.wait_until(lambda: events_by(self.metrics(port))[("complaint", "applied")] == before + n, 30,
                     what="%d complaints applied" % n)

    def complaint_alerts(self, port):
        m = self.metrics(port)
        return tuple(int(m[("feedbackd_alerts_published_total", frozenset({("rule", "complaints_above"),
                                                                           ("state", s)}))])
                     for s in ("firing", "resolved"))

    def test_reload_applies_change(self):
        """SIGHUP with a lower complaints threshold: the reload's re-evaluation fires the alert
        at once; -v outlives a file that says level = warning."""
        redis, kafka, d, port = self.complaints_stack(3)
        time.sleep(1.0)  # the batch's own evaluation, with threshold 5: nothing
        self.assertEqual(self.complaint_alerts(port), (0, 0))
        self.rewrite_config(d, {"rule.complaints_above": {"threshold": "2"}})
        os.kill(d.proc.pid, signal.SIGHUP)
        h.wait_until(lambda: self.complaint_alerts(port) == (1, 0), 10, what="complaints_above firing")
        self.assertEqual(h.rule_states(h.agent_records(redis)["agent-r"])["complaints_above"].split(":")[0],
                         "firing")
        m = self.metrics(port)
        self.assertEqual(m[("feedbackd_reloads_total", frozenset())], 1)
        self.assertEqual(m[("feedbackd_last_reload_success", frozenset())], 1)
        # A notice, written after the new level was set: -v still holds; it says what changed.
        d.wait_log(r"reload complete: (.*, )?\[rule\.complaints_above\] threshold \S+ -> 2", 5)
        d.stop()

    def test_reload_broken_file_keeps_old(self):
        """SIGHUP with a broken file that also lowers the threshold: nothing of it applies; once
        fixed, the same threshold fires."""
        redis, kafka, d, port = self.complaints_stack(3)
        self.rewrite_config(d, {"rule.complaints_above": {"threshold": "2"}}, "[sla]\nat_risk = 1.5\n")
        with open(d.config_path) as f:
            lineno = f.read().splitlines().index("at_risk = 1.5") + 1
        os.kill(d.proc.pid, signal.SIGHUP)
        d.wait_log(r"reload failed, keeping the running configuration: %s:%d: \[sla\] at_risk: "
                   r"'1\.5' is not a number from 0 up to \(not including\) 1"
                   % (re.escape(d.config_path), lineno), 10)
        m = self.metrics(port)
        self.assertEqual(m[("feedbackd_reloads_total", frozenset())], 1)
        self.assertEqual(m[("feedbackd_last_reload_success", frozenset())], 0)
        # A fourth complaint is evaluated with the running threshold (5): still nothing.
        self.produce_complaints(kafka, port, 1)
        time.sleep(2.0)
        self.assertEqual(self.complaint_alerts(port), (0, 0))
        self.assertNotIn("complaints_above", h.rule_states(h.agent_records(redis)["agent-r"]))
        # The same change in a valid file fires at once: it would have been seen.
        self.rewrite_config(d, {})
        os.kill(d.proc.pid, signal.SIGHUP)
        h.wait_until(lambda: self.complaint_alerts(port) == (1, 0), 10, what="complaints_above firing")
        self.assertEqual(self.metrics(port)[("feedbackd_last_reload_success", frozenset())], 1)
        d.stop()

    # -- logging -----------------------------------------------------------------------

    def test_suppressed_count_reported(self):
        """A burst of rejections that stops: five lines, then the count of the rest, unprompted."""
        redis, kafka, d = self.stack()
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, ["garbage %d" % i for i in range(8)], key="k")
        d.wait_log(r"3 similar messages suppressed \(dlq\)", 30)
        self.assertEqual(len(re.findall(r"rejected feedback\.events/", d.log())), 5)
        d.stop()
        self.assertEqual(len(re.findall(r"similar messages suppressed", d.log())), 1)

    def test_debug_level_says_more(self):
        """[log] level = debug adds each task's commit summary and the views' round summary, once a second."""
        redis, kafka, d = self.stack(config={"log": {"level": "debug"}})
        now = h.now_ms()
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [h.rating("agent-d", 5, now - i * SECOND) for i in range(20)],
                  key="agent-d")
        d.wait_log(r"debug: engine: task \d+: \d+ commits in [0-9.]+ s, \d+ offsets, mean [0-9.]+ ms a commit, 0 retried", 15)
        d.wait_log(r"debug: views: \d+ rounds in [0-9.]+ s, \d+ agents written", 15)
        d.stop()

    # -- /healthz, /readyz, routing ------------------------------------------------

    def test_healthz_follows_redis(self):
        """/healthz and /readyz: 200 with both up, 503 "redis down" while Redis is stopped, 200 again after."""
        redis, kafka, d, port = self.http_stack()

        def probe(path):
            status, ctype, body = http_get(port, path)
            self.assertEqual(ctype, "application/json")
            return status, json.loads(body)
        h.wait_until(lambda: probe("/healthz") == (200, {"status": "ok"}), 20, what="healthz 200")
        self.assertEqual(probe("/readyz"), (200, {"status": "ready"}))
        redis.stop()
        got = h.wait_until(lambda: (lambda s: s[0] == 503 and s)(probe("/healthz")), 20, what="healthz 503")
        self.assertEqual(got[1], {"status": "unavailable", "reason": "redis down"})
        self.assertEqual(probe("/readyz"), (503, {"status": "unavailable", "reason": "redis down"}))
        redis.start()
        h.wait_until(lambda: probe("/healthz") == (200, {"status": "ok"}), 30, what="healthz 200 after restart")
        self.assertEqual(probe("/readyz"), (200, {"status": "ready"}))
        # the log names the server with its port, and the one it lost
        d.wait_log(r"(?m)redis: connected to 127\.0\.0\.1:%d$" % redis.port, 5)
        d.wait_log(r"redis: connection to 127\.0\.0\.1:%d lost" % redis.port, 5)
        d.stop()

    def test_redis_sigstop(self):
        """A Redis that stops answering (SIGSTOP): 503 "redis unresponsive" within timeout + 1 s,
        redis_up 0, a timeout counted, nothing applied meanwhile; after SIGCONT, 200 and exact stats."""
        timeout = 2.0
        port = h.free_port()
        redis = self.start_redis()
        kafka = self.start_kafka()
        # A short fetch wait (librdkafka's default is 500 ms), so the time measured below is the
        # daemon's reaction to Redis, not the consumer's long poll.
        d = self.start_daemon(kafka.bootstrap, redis, {"http": {"listen": "127.0.0.1:%d" % port},
                                                       "redis": {"timeout": "%dms" % (timeout * 1000)},
                                                       "kafka": {"rdkafka.fetch.wait.max.ms": "50"}})

        def health():
            status, _, body = http_get(port, "/healthz")
            return status, json.loads(body)

        def gauge(m, name):
            return m.get((name, frozenset()), 0)

        def applied(m):
            return sum(n for (t, r), n in events_by(m).items() if r == "applied")
        h.wait_until(lambda: health() == (200, {"status": "ok"}), 20, what="healthz 200")
        ts = h.now_ms() - 10 * MINUTE
        before = [h.rating("agent-%d" % (i % 3), 1 + i % 5, ts + i * SECOND) for i in range(12)]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, before, key="k")
        self.wait_stats(redis, before, timeout=30)
        self.assertEqual(applied(self.metrics(port)), len(before))

        def resume():
            if redis.proc is not None and redis.proc.poll() is None:
                os.kill(redis.proc.pid, signal.SIGCONT)
        self.addCleanup(resume)  # before the harness kills it, should an assertion fail
        os.kill(redis.proc.pid, signal.SIGSTOP)
        stopped = time.monotonic()
        during = [h.rating("agent-%d" % (i % 3), 1 + i % 5, ts + (100 + i) * SECOND) for i in range(12)]
        during += [h.complaint("agent-1", ts, "t-stop"), h.message("agent-2", ts, "t-stop-2")]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, during, key="k")
        produced = time.monotonic()
        got = h.wait_until(lambda: (lambda s: s[0] == 503 and s)(health()), timeout + 5, 0.05,
                           what="healthz 503")
        noticed = time.monotonic()
        self.assertEqual(got[1], {"status": "unavailable", "reason": "redis unresponsive"})
        # The batch goes out as soon as the consumer has the events (no later than the produce
        # returned, plus one short fetch); it is given up timeout later, checked every timeout/4.
        sys.stderr.write("\n  503 %.2f s after SIGSTOP, %.2f s after the produce returned\n"
                         % (noticed - stopped, noticed - produced))
        self.assertLessEqual(noticed - produced, timeout + 1.0)
        m = self.metrics(port)
        self.assertEqual(gauge(m, "feedbackd_redis_up"), 0)
        self.assertGreaterEqual(gauge(m, "feedbackd_redis_timeouts_total"), 1)
        self.assertGreaterEqual(gauge(m, "feedbackd_batch_retries_total"), 1)
        self.assertRegex(d.log(), r"redis: no reply for [0-9.]+ s from 127\.0\.0\.1:%d; reconnecting"
                         % redis.port)
        d.wait_log(r"kafka: paused fetching from [1-9]\d* partitions", 2)
        # Reconnects are accepted by the kernel but never answered: the daemon keeps cycling
        # (connect, no reply to the setup, timeout) and stays unhealthy, with nothing applied.
        while time.monotonic() - stopped < 20:
            self.assertEqual(health(), (503, {"status": "unavailable", "reason": "redis unresponsive"}))
            m = self.metrics(port)
            self.assertEqual(gauge(m, "feedbackd_redis_up"), 0)
            self.assertEqual(applied(m), len(before))
            time.sleep(1.0)
        self.assertGreaterEqual(gauge(self.metrics(port), "feedbackd_redis_timeouts_total"), 2)

        resume()
        h.wait_until(lambda: health() == (200, {"status": "ok"}), 15, what="healthz 200 after SIGCONT")
        d.wait_log(r"kafka: resumed fetching from [1-9]\d* partitions", 5)
        m = self.metrics(port)
        self.assertEqual(gauge(m, "feedbackd_redis_up"), 1)
        # Each timeout was one loss: the disconnect handling ran once per dropped connection.
        self.assertEqual(gauge(m, "feedbackd_redis_reconnects_total"),
                         gauge(m, "feedbackd_redis_timeouts_total"))
        # Exactly once: the batch the stopped server still held may run on SIGCONT, and then its
        # re-send is skipped by the high-water mark; the figures count every event once.
        self.wait_stats(redis, before + during, timeout=30)
        m = self.metrics(port)
        self.assertEqual(sum(n for (t, r), n in events_by(m).items() if r in ("applied", "redelivered")),
                         len(before) + len(during))
        d.stop()

    def test_readyz_without_partitions(self):
        """Two members join one partition together: the one given none is ready all the same."""
        redis = self.start_redis()
        kafka = self.start_kafka(partitions=1)
        ports = [h.free_port(), h.free_port()]
        # Started together, both are in the group's first generation: one's first assignment is empty.
        members = [self.start_daemon(kafka.bootstrap, redis, {"http": {"listen": "127.0.0.1:%d" % port}},
                                     wait=False) for port in ports]
        for d in members:
            # 1 input and 1 route partition: the range assignor gives both to one member.
            d.wait_log(r"kafka: assigned [02] partitions", 30)
        for port in ports:
            h.wait_until(lambda: http_get(port, "/readyz")[0] == 200, 15, what="readyz 200 on %d" % port)
            self.assertEqual(json.loads(http_get(port, "/readyz")[2]), {"status": "ready"})
        ready = sorted(d.wait_log(r"ready: Redis is up and the group is joined, (\d+) partitions assigned", 10)
                       .group(1) for d in members)
        self.assertEqual(ready, ["0", "2"])
        assigned = [self.metrics(p)[("feedbackd_kafka_assigned_partitions", frozenset())] for p in ports]
        self.assertEqual(sorted(assigned), [0, 2])
        for d in members:
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
            "[redis]\ntimeout = 0s\n": (2, r"\[redis\] timeout: '0s' is not a duration"),
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


    # -- the previous release's Redis: refused, then --rebuild ------------------

    # Keys of the previous release's layout (src/lua of 1.x), one of each kind.
    LEGACY = {
        "fb:offsets:feedbackd-test": ("HSET", "fb:offsets:feedbackd-test", "feedback.events:0", "7"),
        "fb:due": ("ZADD", "fb:due", "1", "t-old"),
        "fb:clocks": ("HSET", "fb:clocks", "open", "1"),
        "fb:outbox": ("RPUSH", "fb:outbox", "x"),
        "fb:outbox:json": ("HSET", "fb:outbox:json", "1", "{}"),
        "fb:rules:active": ("SADD", "fb:rules:active", "agent-1"),
        "fb:evt:e-old": ("SET", "fb:evt:e-old", "1"),
        "fb:ticket:{t-old}": ("HSET", "fb:ticket:{t-old}", "state", "open"),
        "fb:agent:{agent-1}:sums": ("HSET", "fb:agent:{agent-1}:sums", "n", "3"),
        "fb:agent:{ghost}:b:1h:5": ("HSET", "fb:agent:{ghost}:b:1h:5", "n", "1"),
    }

    def seed_legacy(self, redis):
        for args in self.LEGACY.values():
            redis.cmd(*args)

    def rebuild(self, d):
        """Runs feedbackd --rebuild with d's configuration: (exit code, output)."""
        r = subprocess.run([h.FEEDBACKD, "-c", d.config_path, "--rebuild"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return r.returncode, r.stdout.decode("utf-8", "replace")

    def test_legacy_redis_refused(self):
        """The previous release's keys: exit 1 with the way to rebuild, and Redis left alone."""
        redis = self.start_redis()
        kafka = self.start_kafka()
        self.seed_legacy(redis)
        before = redis.keys("*")
        d = self.make_daemon(kafka.bootstrap, redis).start()
        self.assertEqual(d.proc.wait(timeout=30), 1, d.log_tail())
        log = d.log()
        self.assertIn("fb:offsets:feedbackd-test, fb:due, fb:clocks, fb:outbox, fb:rules:active", log)
        self.assertIn("run `feedbackd --rebuild -c %s` once" % d.config_path, log)
        self.assertIn("the longest window (30d)", log)
        self.assertNotRegex(log, h.DEFAULT_READY)
        self.assertEqual(redis.keys("*"), before)
        # An unfinished rebuild blocks the start just the same.
        redis.cmd("DEL", *before)
        redis.cmd("SET", "fb:rebuild", "2026-12-01T10:00:00.000Z")
        d.kill()
        d.start()
        self.assertEqual(d.proc.wait(timeout=30), 1, d.log_tail())
        self.assertIn("started at 2026-12-01T10:00:00.000Z did not finish", d.log())

    def test_rebuild_from_kafka(self):
        """--rebuild clears old and new state, resets offsets; the next start rebuilds exact stats."""
        redis = self.start_redis()
        kafka = self.start_kafka()
        ts = h.now_ms() - 20 * MINUTE
        first = [h.rating("agent-%d" % (i % 3), 1 + i % 5, ts + i * SECOND) for i in range(12)]
        first += [h.message("agent-1", ts, "t-1"), h.reply("agent-2", ts + MINUTE, "t-1")]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, first)
        # A run of this release: its offsets are committed, its checkpoints and views written.
        d = self.start_daemon(kafka.bootstrap, redis)
        self.wait_stats(redis, first, timeout=30)
        # The site's figures follow the agents' a flush or two later (partials between
        # tasks): the daemon is idle once they show every rating and the keys stay put.
        h.wait_until(lambda: redis.hgetall("fb:site:stats").get("ratings_30d") == "12", 30, what="the site")
        h.wait_until(lambda: redis.keys("*") == (time.sleep(1) or redis.keys("*")), 30, what="idle")
        # Not while an instance runs: refused, nothing changed.
        before = redis.keys("*")
        rc, out = self.rebuild(d)
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"group feedbackd-test has (other|\d+) active members[^:]*: stop every feedbackd "
                              r"instance of the group and run --rebuild again.*; nothing was changed")
        # Its look at the group is a rebalance for the running daemon, whose restored tasks
        # send the site their agents again (the same figures): once that is delivered, the
        # keys are as they were.
        h.wait_until(lambda: redis.keys("*") == (time.sleep(1) or redis.keys("*")), 30, what="idle")
        self.assertEqual(redis.keys("*"), before)
        d.stop()
        self.assertTrue(redis.keys("fb:task:*"))
        # Then the previous release's keys turn up, with a figure no event explains.
        self.seed_legacy(redis)
        redis.cmd("HSET", "fb:agent:{ghost}:stats", "ratings_count_1h", "9")
        redis.cmd("ZADD", "fb:agents", "1", "ghost")
        redis.cmd("SET", "fb:dlq:feedbackd-test", "kept")  # not a figure: stays
        d.start()
        self.assertEqual(d.proc.wait(timeout=30), 1, d.log_tail())
        d.kill()
        second = [h.rating("agent-%d" % (i % 4), 5 - i % 5, ts + (20 + i) * SECOND) for i in range(8)]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, second)

        rc, out = self.rebuild(d)
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"(?m)^rebuild: \d+ keys deleted \(scanned \d+\)$")
        m = re.search(r"(?m)^rebuild: done: (\d+) keys deleted \(scanned (\d+)\); group feedbackd-test: "
                      r"(\d+) input partitions set to their first offset, (\d+) partitions of "
                      r"feedback.events.route to their end", out)
        self.assertIsNotNone(m, out)
        self.assertEqual((m.group(3), m.group(4)), (str(self.partitions), str(self.partitions)), out)
        self.assertGreaterEqual(int(m.group(1)), len(self.LEGACY) + 3, out)
        self.assertEqual(redis.keys("*"), ["fb:dlq:feedbackd-test"])
        # Twice is harmless: nothing left to delete, offsets reset again.
        rc, out = self.rebuild(d)
        self.assertEqual(rc, 0, out)
        # What it scans: the dead-letter positions, kept, and its own unfinished-run marker.
        self.assertRegex(out, r"rebuild: done: 0 keys deleted \(scanned 2\)")

        # Every event is read again, the old ones included: the stats are exact, no ghost.
        d.start()
        d.wait_ready()
        self.wait_stats(redis, first + second, timeout=30)
        self.assertEqual(redis.hgetall("fb:agent:{ghost}:stats"), {})
        self.assertNotIn("ghost", redis.zrange_withscores("fb:agents"))
        d.stop()

if __name__ == "__main__":
    unittest.main()
