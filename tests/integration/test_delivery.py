#!/usr/bin/env python3
"""Delivery-guarantee tests (docs/delivery.md): crash, Redis outage, broker restart,
rebalance and dead letters under an outage, each asserting exact final values.

The broker is chosen by FEEDBACKD_KAFKA:
  mock (default)  tests/mockkafka, one per test; the tests that need a real broker
                  (the 1,000,000-event crash, the broker restarts) are skipped.
  real            one real Apache Kafka 3.9.1 KRaft broker (tests/kafka/realkafka.sh)
                  for the whole module; every test gets fresh topics and its own group.
                  tests/kafka/run.sh runs this.

Every test checks that each agent's whole stats hash equals the harness calculator's,
from the events the test produced (not "some events arrived").

Run:  FEEDBACKD_BUILDDIR=_build FEEDBACKD_KAFKA=real python3 tests/integration/test_delivery.py -v
Env:  FEEDBACKD_SEED (random seed, printed), FEEDBACKD_CRASH_EVENTS (default 1000000),
      FEEDBACKD_KEEP_TMP, FEEDBACKD_SHOW_LOG (see harness.py)
"""

import collections
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness as h  # noqa: E402
from harness import DAY, HOUR, MINUTE, SECOND  # noqa: E402

MODE = h.kafka_mode()
REAL = MODE == "real"
SEED = int(os.environ.get("FEEDBACKD_SEED") or random.randrange(1, 1 << 30))
CRASH_EVENTS = int(os.environ.get("FEEDBACKD_CRASH_EVENTS") or 1000000)
CRASH_KILLS = 5
STREAM_KEEPS = 10000  # fb:alerts is trimmed to about this many messages (docs/alerts.md)
MiB = 1024 * 1024

real_only = unittest.skipUnless(REAL, "needs the real broker (FEEDBACKD_KAFKA=real, tests/kafka/run.sh)")


def partitions(n):
    """Gives a test n partitions per topic instead of 4 (read by setUp)."""
    def mark(fn):
        fn.partitions = n
        return fn
    return mark

# Event ages, kept away from every window edge and from the 24 h reply deadline, with room
# for a test run of up to 15 minutes. An OLD clock's miss counts at start + 24 h, so its
# start is kept away from 48 h and 8 d too (the miss then sits on the 24h or 7d edge).
YOUNG = [(1 * MINUTE, 40 * MINUTE), (90 * MINUTE, 21 * HOUR)]       # clocks still running
OLD = [(27 * HOUR, 46 * HOUR), (50 * HOUR, 6 * DAY), (8 * DAY + 2 * HOUR, 27 * DAY)]  # deadline passed
LATE = [(32 * DAY, 40 * DAY)]                                        # older than 30d: ignored
SEVERITIES = (None, "low", "normal", "high", "critical")


_broker = None      # the module's RealKafka
_broker_tmp = None


def setUpModule():
    global _broker, _broker_tmp
    sys.stderr.write("\n[test_delivery: kafka=%s seed=%d (FEEDBACKD_SEED to repeat)]\n" % (MODE, SEED))
    if REAL:
        _broker_tmp = tempfile.mkdtemp(prefix="feedbackd-kafka-")
        _broker = h.RealKafka(_broker_tmp, partitions=4, topics=())
        _broker.start()


def tearDownModule():
    if _broker is not None:
        _broker.stop()
        shutil.rmtree(_broker_tmp, ignore_errors=True)


# ----------------------------------------------------------------------------
# workload


class Workload:
    """A stream of (key, payload) records: valid events of many agents, duplicates, and
    malformed messages; remembers what is expected from it.

    All events of an agent are keyed by the agent (one partition, produced order), and a
    reply always answers a ticket of its own agent, so the apply order of everything that
    interacts is the produced order. Clocks opened in OLD bands are never replied to
    (their breach fires at once); clocks in YOUNG bands may be, well inside the target.
    """

    def __init__(self, rnd, agents=200, tag=None, malformed=0.005, dups=0.01, now=None, aged=0.5):
        self.rnd = rnd
        self.agents = ["ag-%03d" % i for i in range(agents)]
        self.tag = tag or uuid.uuid4().hex[:6]
        self.malformed_rate = malformed
        self.dup_rate = dups
        self.aged_rate = aged  # tickets opened at a random age (OLD ones breach), not YOUNG
        self.now = now or h.now_ms()
        self.records = []      # (key, payload str) as produced
        self.events = []       # dicts of valid events, produced order (duplicates included)
        self.bad = {}          # malformed payload bytes -> reason kind
        self.open = collections.defaultdict(list)   # agent -> [(ticket, ts)] replyable
        self.breach_tickets = set()                 # clocks whose breach must fire
        self._n = 0

    def _ts(self, bands):
        lo, hi = self.rnd.choice(bands)
        return self.now - self.rnd.randint(lo, hi)

    def _ticket(self):
        self._n += 1
        return "T-%s-%d" % (self.tag, self._n)

    def _valid(self, agent, d):
        self.records.append((agent, json.dumps(d)))
        self.events.append(d)

    def _malformed(self, agent):
        self._n += 1
        i, r = self._n, self.rnd.randrange(5)
        eid = "bad-%s-%d" % (self.tag, i)
        base = {"event_id": eid, "type": "rating", "agent_id": agent,
                "ts": h.iso(self.now - MINUTE), "score": 4}
        if r == 0:
            kind, p = "not json", "not json %s {" % eid
        elif r == 1:
            kind, p = "bad score", json.dumps(dict(base, score=7))
        elif r == 2:
            kind, p = "unknown type", json.dumps(dict(base, type="praise", ticket_id="x"))
        elif r == 3:
            kind, p = "no agent", json.dumps({k: v for k, v in base.items() if k != "agent_id"})
        else:
            kind, p = "future ts", json.dumps(dict(base, ts=h.iso(self.now + 2 * HOUR)))
        self.records.append((agent, p))
        self.bad[p.encode()] = kind

    def one(self, kinds=None):
        """Appends one record (a duplicate, a malformed message or a new event)."""
        rnd = self.rnd
        agent = rnd.choice(self.agents)
        if self.events and rnd.random() < self.dup_rate:
            d = rnd.choice(self.events)             # same event_id, same key: a redelivery
            self.records.append((d["agent_id"], json.dumps(d)))
            self.events.append(d)
            return
        if rnd.random() < self.malformed_rate:
            self._malformed(agent)
            return
        x = rnd.random()
        if kinds == "ratings" or x < 0.40:
            self._valid(agent, h.rating(agent, rnd.randint(1, 5), self._ts(YOUNG + OLD + LATE), as_dict=True))
        elif x < 0.58:
            self._valid(agent, h.rating(agent, rnd.randint(0, 10), self._ts(YOUNG + OLD + LATE), scale=10,
                                        as_dict=True))
        elif x < 0.80:
            bands = rnd.choice((YOUNG, OLD, LATE)) if rnd.random() < self.aged_rate else YOUNG
            ts, t = self._ts(bands), self._ticket()
            if x < 0.68:
                d = h.complaint(agent, ts, t, severity=rnd.choice(SEVERITIES),
                                category=rnd.choice((None, "billing")), as_dict=True)
            else:
                d = h.message(agent, ts, t, as_dict=True)
            self._valid(agent, d)
            if bands is YOUNG:
                self.open[agent].append((t, ts))
            elif bands is OLD:
                self.breach_tickets.add(t)
        else:
            if self.open[agent] and rnd.random() < 0.8:
                t, ts0 = self.open[agent].pop(rnd.randrange(len(self.open[agent])))
                age = self.now - ts0
                ts = ts0 + rnd.randint(SECOND, min(10 * MINUTE, age - 30 * SECOND))
            else:
                t, ts = self._ticket(), self._ts(YOUNG + OLD)   # a reply nobody asked for
            self._valid(agent, h.reply(agent, ts, t, as_dict=True))

    def add(self, n, kinds=None):
        start = len(self.records)
        for _ in range(n):
            self.one(kinds)
        return self.records[start:]

    def live_messages(self, n, ts):
        """n unanswered messages stamped ts (for short reply targets)."""
        start = len(self.records)
        for _ in range(n):
            agent, t = self.rnd.choice(self.agents), self._ticket()
            self._valid(agent, h.message(agent, ts, t, as_dict=True))
            self.breach_tickets.add(t)
        return self.records[start:]


class Streamer(threading.Thread):
    """Produces chunks of records one kcat run each, `interval` seconds apart."""

    def __init__(self, bootstrap, topic, chunks, interval, tmpdir, retry_errors=False, before=None):
        super().__init__(daemon=True)
        self.args = (bootstrap, topic)
        self.chunks, self.interval, self.tmpdir = chunks, interval, tmpdir
        self.retry_errors = retry_errors
        self.before = before          # before(i) -> extra records for chunk i (or None)
        self.sent_chunks = 0
        self.error = None

    def run(self):
        try:
            for i, chunk in enumerate(self.chunks):
                t0 = time.monotonic()
                if self.before is not None:
                    chunk = list(chunk) + list(self.before(i) or ())
                h.produce_bulk(*self.args, chunk, tmpdir=self.tmpdir, retry_errors=self.retry_errors)
                self.sent_chunks = i + 1
                time.sleep(max(0.0, self.interval - (time.monotonic() - t0)))
        except BaseException as e:  # noqa: BLE001 - reported by finish()
            self.error = e

    def finish(self, timeout=300):
        self.join(timeout)
        if self.is_alive():
            raise AssertionError("producer thread still running after %ds" % timeout)
        if self.error is not None:
            raise AssertionError("producer thread failed: %s" % self.error)


def chunked(seq, n):
    return [seq[i:i + n] for i in range(0, len(seq), n)]


# ----------------------------------------------------------------------------
# tests


class TestDelivery(h.FeedbackTestCase):

    def setUp(self):
        super().setUp()
        self.rnd = random.Random("%d-%s" % (SEED, self._testMethodName))
        tag = "%s-%s" % (self._testMethodName.replace("test_", "")[:24], uuid.uuid4().hex[:6])
        self.t_events, self.t_dlq, self.t_alerts = "ev." + tag, "dlq." + tag, "alerts." + tag
        self.group = "g." + tag
        self.t0 = time.monotonic()
        # The route topic as the harness names it (Daemon: the first input topic + ".route").
        topics = (self.t_events, self.t_dlq, self.t_alerts, self.t_events + ".route")
        parts = getattr(getattr(self, self._testMethodName), "partitions", 4)
        if REAL:
            _broker.create_topics(topics, parts)
            self.kafka = _broker
        else:
            self.kafka = h.MockKafka(self.tmp, parts, topics)
            self.addCleanup(self.kafka.stop)
            self.kafka.start()
        self.addCleanup(lambda: sys.stderr.write("[%.0f s] " % (time.monotonic() - self.t0)))

    def config(self, **sections):
        c = {"kafka": {"topics": self.t_events, "dlq_topic": self.t_dlq,
                       "alerts_topic": self.t_alerts, "group": self.group},
             "ingest": {}}
        for sec, kv in sections.items():
            c.setdefault(sec, {}).update(kv)
        return c

    def bulk(self, records, **kw):
        h.produce_bulk(self.kafka.bootstrap, self.t_events, records, tmpdir=self.tmp, **kw)

    def applied(self, redis):
        """Distinct events committed so far (records, less duplicates and dead letters)."""
        return h.committed_events(redis, self.group)

    # -- assertions ----------------------------------------------------------

    def mismatch(self, redis, want):
        out = []
        for agent in sorted(want):
            got = redis.hgetall(h.stats_key(agent))
            got.pop("updated_at", None)
            d = h.diff_dicts(want[agent], got)
            if d:
                out.append("agent %s:\n%s" % (agent, d))
        return out

    def assert_exact_stats(self, redis, wl, timeout=120, reply_target_ms=DAY):
        """Waits until every agent's stats hash equals the calculator's, then checks again
        after 2 s with a fresh `now`; also no stats hash for any agent not expected.
        With a short reply target the calculator runs with a fresh `now` on every poll: the
        clocks of the last events fall due while the test waits, and the daemon breaches them;
        the recheck then waits for the last deadline, so that none falls between computing
        and reading. (The workloads keep long-target clocks clear of their deadlines, so once
        is enough.)"""
        last = [[]]
        fixed = None if reply_target_ms < HOUR else \
            h.expected_stats(wl.events, h.now_ms(), reply_target_ms=reply_target_ms)

        def ok():
            expected = fixed or h.expected_stats(wl.events, h.now_ms(), reply_target_ms=reply_target_ms)
            last[0] = self.mismatch(redis, expected)
            return not last[0]
        try:
            h.wait_until(ok, timeout, 0.5, what="exact stats")
            if fixed is None:
                # The recheck must not race a deadline: let the last clocks fall due first.
                last_due = max(h.parse_ts(e["ts"]) for e in wl.events) + reply_target_ms + SECOND
                time.sleep(max(0.0, (last_due - h.now_ms()) / 1000.0))
                h.wait_until(ok, timeout, 0.5, what="exact stats after the last deadline")
        except AssertionError:
            self.fail("stats not as expected after %ds (%d of %d agents differ):\n%s"
                      % (timeout, len(last[0]), len(wl.agents), "\n".join(last[0][:8])))
        time.sleep(2)
        want = h.expected_stats(wl.events, h.now_ms(), reply_target_ms=reply_target_ms)
        bad = self.mismatch(redis, want)
        self.assertEqual(bad, [], "stats changed after they were exact:\n%s" % "\n".join(bad[:8]))
        have = {k[len("fb:agent:{"):-len("}:stats")] for k in redis.keys("fb:agent:*:stats")}
        self.assertEqual(have - set(want), set(), "stats for agents with no counted event")
        self.assertEqual(set(want) - have, set(), "agents without stats")
        return want

    def dlq_records(self, want_distinct, timeout=60):
        def got():
            recs = h.consume_all(self.kafka.bootstrap, self.t_dlq, timeout=120)
            return recs if len({m["payload"] for m in recs}) >= want_distinct else None
        if want_distinct:
            h.wait_until(got, timeout, 1.0, what="%d distinct DLQ records" % want_distinct)
        time.sleep(2)
        return h.consume_all(self.kafka.bootstrap, self.t_dlq, timeout=120)

    def assert_dlq(self, wl, exactly_once):
        """Every malformed message on the DLQ with its source position, byte-identical;
        nothing else. exactly_once: each once; else at least once (copies identical)."""
        src = {}
        for m in h.consume_all(self.kafka.bootstrap, self.t_events, timeout=300):
            if m["payload"] in wl.bad:
                src[m["payload"]] = (str(m["partition"]), str(m["offset"]))
        self.assertEqual(len(src), len(wl.bad), "malformed messages on the source topic")
        dlq = self.dlq_records(len(wl.bad))
        problems, copies = [], collections.Counter()
        for m in dlq:
            p, hd = m["payload"], m["headers"]
            if p not in wl.bad:
                problems.append("not a malformed message: %r" % p[:100])
                continue
            copies[p] += 1
            pos = (hd.get("source_partition"), hd.get("source_offset"))
            if hd.get("source_topic") != self.t_events or pos != src[p]:
                problems.append("%r: source headers %r, want %s %r" % (p[:60], hd, self.t_events, src[p]))
            if not hd.get("error"):
                problems.append("%r: no error header" % p[:60])
        missing = [p for p in wl.bad if copies[p] == 0]
        dups = {p: n for p, n in copies.items() if n > 1}
        problems += ["missing from the DLQ: %r" % p[:80] for p in missing[:10]]
        if exactly_once and dups:
            problems.append("%d malformed messages on the DLQ more than once, e.g. %r"
                            % (len(dups), list(dups.items())[:3]))
        self.assertEqual(problems, [], "DLQ (%d records, %d malformed, %d missing, %d duplicated)"
                         % (len(dlq), len(wl.bad), len(missing), len(dups)))
        return len(dlq), len(dups)

    def kafka_alerts(self):
        return [json.loads(m["payload"]) for m in h.consume_all(self.kafka.bootstrap, self.t_alerts, timeout=120)]

    def stream_alerts(self, redis):
        flat = redis.cmd("XRANGE", "fb:alerts", "-", "+")
        return [json.loads(dict(zip(f[0::2], f[1::2]))["alert"]) for _, f in flat]

    def firing_hash_breaches(self, redis, wl):
        """{ticket: firing JSON} of every reply_sla_breach field in the agents' alerts hashes."""
        out = {}
        for agent in wl.agents:
            for field, v in redis.hgetall("fb:agent:{%s}:alerts" % agent).items():
                if field.startswith("reply_sla_breach:"):
                    out[field[len("reply_sla_breach:"):]] = json.loads(v)
        return out

    def assert_alerts(self, redis, wl, exactly_once, timeout=90):
        """Every breach of wl.breach_tickets fired once on the stream and on Kafka (once or
        at least once), no other breach fired, and no (alert_id, state) twice. A stream
        that reached its length (fb:alerts keeps the newest ~STREAM_KEEPS, docs/alerts.md)
        is checked for what it holds, and the firing hashes for every breach."""
        want = set(wl.breach_tickets)

        def fired(alerts):
            return [a for a in alerts if a["rule"] == "reply_sla_breach" and a["state"] == "firing"]

        def trimmed():
            return redis.cmd("XLEN", "fb:alerts") >= STREAM_KEEPS

        def missing():
            k = want - {a["ticket_id"] for a in fired(self.kafka_alerts())}
            if trimmed():
                s = want - set(self.firing_hash_breaches(redis, wl))
            else:
                s = want - {a["ticket_id"] for a in fired(self.stream_alerts(redis))}
            return k, s

        try:
            h.wait_until(lambda: missing() == (set(), set()), timeout, 1.0,
                         what="%d breach alerts on Kafka and fb:alerts" % len(want))
        except AssertionError:
            k, s = missing()
            self.fail("of %d breach alerts, %d never reached Kafka (e.g. %r) and %d never reached "
                      "fb:alerts (e.g. %r)" % (len(want), len(k), sorted(k)[:5], len(s), sorted(s)[:5]))
        time.sleep(3)
        on_kafka, on_stream = self.kafka_alerts(), self.stream_alerts(redis)
        for where, alerts, once in (("kafka", on_kafka, exactly_once), ("fb:alerts", on_stream, True)):
            br = collections.Counter(a["ticket_id"] for a in fired(alerts))
            if where == "kafka" or not trimmed():
                self.assertEqual(set(br), want, "%s: tickets with a breach firing" % where)
            else:
                self.assertLessEqual(set(br), want, "%s: tickets with a breach firing" % where)
                hashes = self.firing_hash_breaches(redis, wl)
                self.assertEqual(set(hashes), want, "firing hashes: tickets with a breach firing")
                self.note("fb:alerts trimmed to %d messages: %d of %d breaches still in it, all %d in the "
                          "firing hashes", len(alerts), len(br), len(want), len(hashes))
            ids = collections.Counter((a["alert_id"], a["state"]) for a in alerts)
            dups = {k: n for k, n in ids.items() if n > 1}
            if once:
                self.assertEqual(dups, {}, "%s: an (alert_id, state) more than once" % where)
            else:
                # At least once: a repeat must be the very same message.
                by = collections.defaultdict(set)
                for a in alerts:
                    by[(a["alert_id"], a["state"])].add(json.dumps(a, sort_keys=True))
                self.assertEqual({k: v for k, v in by.items() if len(v) > 1}, {},
                                 "%s: differing messages for one (alert_id, state)" % where)
        firing = collections.Counter(a["alert_id"] for a in on_kafka if a["state"] == "firing")
        return len(on_kafka), len(on_stream), sum(n - 1 for n in firing.values())

    def kafka_alert_dups(self):
        """{(alert_id, state): copies} for every alert on the Kafka topic more than once, with
        the rule, ticket and agent of each (for the report)."""
        alerts = self.kafka_alerts()
        n = collections.Counter((a["alert_id"], a["state"]) for a in alerts)
        return {(a["alert_id"], a["state"], a["rule"], a["agent_id"], a["ticket_id"]): n[(a["alert_id"], a["state"])]
                for a in alerts if n[(a["alert_id"], a["state"])] > 1}

    def note(self, fmt, *args):
        sys.stderr.write("[" + (fmt % args) + "] ")

    # -- 1. crash ------------------------------------------------------------

    @real_only
    def test_crash_sigkill_5x(self):
        """1,000,000 mixed events on 4 partitions; SIGKILL at 5 random points, restart each time.

        Exact stats for every agent; breach alerts once on fb:alerts and at least once on
        Kafka, where every repeat is an identical copy (counted and printed); every malformed
        message at least once on the DLQ (docs/delivery.md: a crash may duplicate dead
        letters) and nothing else there.
        """
        redis = self.start_redis(appendonly=True)
        wl = Workload(self.rnd, agents=1000, aged=0.02)
        t = time.monotonic()
        wl.add(CRASH_EVENTS)
        self.bulk(wl.records)
        self.note("%d records (%d malformed, %d breaches) made and produced in %.1f s",
                  len(wl.records), len(wl.bad), len(wl.breach_tickets), time.monotonic() - t)
        d = self.start_daemon(self.kafka.bootstrap, redis, self.config(), wait=False)
        total = len({e["event_id"] for e in wl.events})  # what applied() counts up to
        # One kill in each fifth of the stream, so every restart has progress to lose.
        points = [self.rnd.uniform(0.2 * i + 0.02, 0.2 * i + 0.16) for i in range(CRASH_KILLS)]
        for i, frac in enumerate(points):
            at = int(total * frac)
            h.wait_until(lambda: self.applied(redis) >= at, 180, 0.005,
                         what="%d records applied (kill %d)" % (at, i + 1))
            d.kill()
            self.note("kill %d at %d/%d", i + 1, self.applied(redis), total)
            d.start()
            d.wait_ready(timeout=90)
        t = time.monotonic()
        self.assert_exact_stats(redis, wl, timeout=300)
        self.note("exact %.0f s after the last restart", time.monotonic() - t)
        n_dlq, n_dup = self.assert_dlq(wl, exactly_once=False)
        self.note("DLQ %d records for %d malformed (%d duplicated)", n_dlq, len(wl.bad), n_dup)
        # Alerts taken before a kill are re-driven after their 30 s lease.
        n_k, n_s, dup = self.assert_alerts(redis, wl, exactly_once=False, timeout=120)
        sys.stderr.write("\n[crash: %d kills; alerts: %d on kafka, of them %d identical copies of a "
                         "firing already there (allowed, docs/alerts.md); %d on fb:alerts, each once]\n"
                         % (CRASH_KILLS, n_k, dup, n_s))
        d.stop()

    # -- 2. Redis outage ---------------------------------------------------------

    def test_redis_outage_30s(self):
        """Redis stopped for 30 s mid-stream (AOF on, so it keeps what it acknowledged):
        exact stats, and the daemon's RSS stays bounded while it waits."""
        redis = self.start_redis(appendonly=True)
        d = self.start_daemon(self.kafka.bootstrap, redis, self.config())
        wl = Workload(self.rnd, agents=150)
        n, per = (160000, 2000) if REAL else (48000, 600)
        chunks = chunked(wl.add(n), per)     # 80 chunks, 0.5 s apart: the stream outlasts the outage
        s = Streamer(self.kafka.bootstrap, self.t_events, chunks, 0.5, self.tmp)
        s.start()
        h.wait_until(lambda: s.sent_chunks >= 6 and self.applied(redis) > 0, 60, 0.1, what="stream started")
        before = self.applied(redis)
        redis.stop()
        t_down = time.monotonic()
        rss = []
        while time.monotonic() - t_down < 30:
            r = h.rss_of(d.proc.pid)
            self.assertIsNotNone(r, "daemon gone during the outage:\n" + d.log_tail())
            rss.append(r)
            time.sleep(0.5)
        sent_during = s.sent_chunks
        redis.start()
        self.note("outage after %d applied; %d chunks sent by its end; RSS %.1f..%.1f MiB over %d samples",
                  before, sent_during, min(rss) / MiB, max(rss) / MiB, len(rss))
        s.finish()
        self.assertRegex(d.log(), r"redis: (connection lost|cannot connect)")
        self.assert_exact_stats(redis, wl)
        self.assertLess(max(rss), 100 * MiB, "RSS during the outage: %r" % rss)
        self.assertLess(max(rss) - rss[0], 20 * MiB, "RSS grew during the outage: %r" % rss)
        self.assert_dlq(wl, exactly_once=True)
        d.stop()

    # -- 3. broker restart -------------------------------------------------------

    def test_failover_to_replica_with_wait_replicas(self):
        """wait_replicas = 1, no persistence: the replica stops replicating mid-stream (as one
        cut off by a partition), the stream goes on for 3 s, then the primary dies and what
        the replica held is served at the primary's address (promoted, its dataset saved and
        loaded there: a failover behind a fixed address), with a new replica of its own. No
        commit after the cut was confirmed, so its events are read again: exact stats. (With
        wait_replicas = 0 the commits of those 3 s count, their offsets are committed, and
        they are lost.)"""
        primary = self.start_redis()
        replica = self.start_redis()
        replica.replicate(primary)
        d = self.start_daemon(self.kafka.bootstrap, primary, self.config(redis={"wait_replicas": 1}))
        wl = Workload(self.rnd, agents=150)
        n, per = (60000, 2000) if REAL else (24000, 800)
        s = Streamer(self.kafka.bootstrap, self.t_events, chunked(wl.add(n), per), 0.3, self.tmp)
        s.start()
        h.wait_until(lambda: s.sent_chunks >= 8 and self.applied(primary) > 0, 60, 0.1, what="stream started")
        replica.cmd("REPLICAOF", "NO", "ONE")
        on_replica = self.applied(replica)
        time.sleep(3)
        on_primary = self.applied(primary)
        primary.kill()
        replica.cmd("SAVE")
        shutil.copy(os.path.join(replica.dir, "dump.rdb"), os.path.join(primary.dir, "dump.rdb"))
        replica.kill()
        primary.start()
        # The new primary's replica (in a real failover the old primary rejoins as one):
        # until it is linked, wait_replicas holds every commit.
        self.start_redis().cmd("REPLICAOF", "127.0.0.1", primary.port)
        self.note("cut at %d events on the replica; %d on the primary when it died; %d chunks sent",
                  on_replica, on_primary, s.sent_chunks)
        s.finish()
        self.assert_exact_stats(primary, wl)
        self.assertRegex(d.log(), r"reached 0 of the 1 replicas wait_replicas asks for")
        self.assertNotRegex(d.log(), r"ERR checkpoint")
        d.stop()

    @real_only
    def test_broker_restart(self):
        """The broker restarts mid-stream; messages opened around it (reply_target 3s) all
        breach, and every breach alert reaches Kafka exactly once; stats exact."""
        redis = self.start_redis(appendonly=True)
        d = self.start_daemon(self.kafka.bootstrap, redis, self.config(sla={"reply_target": "3s"}))
        wl = Workload(self.rnd, agents=100, malformed=0.0)
        chunks = chunked(wl.add(30000, kinds="ratings"), 1000)
        # each chunk also opens 3 clocks stamped when it is produced: their deadlines
        # fall before, during and after the restart
        s = Streamer(self.kafka.bootstrap, self.t_events, chunks, 0.5, self.tmp, retry_errors=True,
                     before=lambda i: wl.live_messages(3, h.now_ms()))
        s.start()
        h.wait_until(lambda: s.sent_chunks >= 8, 60, 0.1, what="8 chunks sent")
        t = time.monotonic()
        self.kafka.restart()
        self.note("broker restarted in %.1f s, after chunk %d", time.monotonic() - t, s.sent_chunks)
        s.finish()
        self.assert_exact_stats(redis, wl, reply_target_ms=3 * SECOND)
        n_k, n_s, _ = self.assert_alerts(redis, wl, exactly_once=True)
        self.note("%d breaches; alerts: %d on kafka, %d on fb:alerts", len(wl.breach_tickets), n_k, n_s)
        d.stop()

    # -- 4. rebalance --------------------------------------------------------------

    def _rebalance(self, strategy=None):
        """Two daemons split 8 partitions; a third joins mid-stream and later leaves."""
        redis = self.start_redis(appendonly=True)
        # Alerts confirmed 300 ms after they are produced (linger) hold a task's closing
        # open that long, so the next owner's claim races the commit that records them
        # as delivered on every run, not only on a slow machine.
        extra = {"rdkafka.linger.ms": "300"}
        if strategy:
            extra["rdkafka.partition.assignment.strategy"] = strategy
        cfg = self.config(kafka=extra)
        d1 = self.start_daemon(self.kafka.bootstrap, redis, cfg)
        d2 = self.start_daemon(self.kafka.bootstrap, redis, cfg)
        d3 = self.make_daemon(self.kafka.bootstrap, redis, cfg)
        wl = Workload(self.rnd, agents=200)
        n, per = (60000, 1500) if REAL else (20000, 500)
        chunks = chunked(wl.add(n), per)     # 40 chunks, 0.5 s apart: 20 s of stream
        s = Streamer(self.kafka.bootstrap, self.t_events, chunks, 0.5, self.tmp)
        s.start()
        h.wait_until(lambda: s.sent_chunks >= 6, 60, 0.1, what="6 chunks sent")
        d3.start()
        d3.wait_ready(timeout=60)
        self.note("third daemon assigned after chunk %d", s.sent_chunks)
        h.wait_until(lambda: s.sent_chunks >= 26, 60, 0.1, what="26 chunks sent")
        d3.stop()
        self.note("third daemon stopped after chunk %d", s.sent_chunks)
        s.finish()
        for d in (d1, d2):
            self.assertRegex(d.log(), r"kafka: revoked [1-9]", "a daemon never gave up partitions")
        self.assert_exact_stats(redis, wl)
        # At least once (docs/delivery.md). Letters already delivered are recorded in
        # fb:dlq:<group> and not sent again by the new owner, but one still awaiting its
        # delivery report when its partition is revoked is not recorded yet, so the new owner
        # may dead-letter it again. The number of copies is printed.
        _, dlq_dups = self.assert_dlq(wl, exactly_once=False)
        self.note("%d malformed, %d on the DLQ twice or more", len(wl.bad), dlq_dups)
        # Kafka copies are checked below: at least once here, exactly once further down.
        n_k, n_s, _ = self.assert_alerts(redis, wl, exactly_once=False)
        self.note("%d breaches; alerts: %d on kafka, %d on fb:alerts", len(wl.breach_tickets), n_k, n_s)
        d1.stop()
        d2.stop()
        dups = self.kafka_alert_dups()
        if dups:
            msg = ("%d (alert_id, state) on Kafka more than once (no crash, and no delivery took "
                   "30 s): %r" % (len(dups), sorted(dups.items())[:6]))
            self.fail(msg)

    @partitions(8)
    def test_rebalance_eager(self):
        """Three daemons in one group (eager): two from the start, a third joins mid-stream and
        is stopped (SIGTERM) later."""
        self._rebalance()

    @partitions(8)
    def test_rebalance_cooperative(self):
        """The same with partition.assignment.strategy = cooperative-sticky asked for: feedbackd
        keeps the range assignor (input partition q and task q together), whatever it is told."""
        self._rebalance("cooperative-sticky")

    # -- 5. DLQ under an outage -------------------------------------------------------

    def test_dlq_redis_outage(self):
        """Malformed messages interleaved while Redis is down for 4 s: each on the DLQ exactly
        once (nothing is re-read: the consumer only pauses)."""
        redis = self.start_redis(appendonly=True)
        d = self.start_daemon(self.kafka.bootstrap, redis, self.config())
        wl = Workload(self.rnd, agents=50, malformed=0.05)
        chunks = chunked(wl.add(12000), 600)
        s = Streamer(self.kafka.bootstrap, self.t_events, chunks, 0.4, self.tmp)
        s.start()
        h.wait_until(lambda: s.sent_chunks >= 5, 60, 0.1, what="5 chunks sent")
        redis.stop()
        time.sleep(4)
        redis.start()
        s.finish()
        self.assert_exact_stats(redis, wl)
        n, _ = self.assert_dlq(wl, exactly_once=True)
        self.note("%d malformed, %d DLQ records", len(wl.bad), n)
        d.stop()

    @real_only
    def test_dlq_broker_restart(self):
        """Malformed messages interleaved while the broker restarts: each on the DLQ.

        At least once, as docs/delivery.md promises ("Invalid events reach the dead-letter
        topic at least once"): when the restart outlasts the group session (6 s here; the
        coordinator reloads after the broker is up), the partitions are revoked, the revoke's
        commit fails ("Unknown member") and what followed the last auto-commit is read and
        dead-lettered again. The number of copies is printed.
        """
        redis = self.start_redis(appendonly=True)
        d = self.start_daemon(self.kafka.bootstrap, redis, self.config())
        wl = Workload(self.rnd, agents=50, malformed=0.05)
        chunks = chunked(wl.add(20000), 1000)
        s = Streamer(self.kafka.bootstrap, self.t_events, chunks, 0.4, self.tmp, retry_errors=True)
        s.start()
        h.wait_until(lambda: s.sent_chunks >= 5, 60, 0.1, what="5 chunks sent")
        self.kafka.restart()
        s.finish()
        self.assert_exact_stats(redis, wl)
        n, dups = self.assert_dlq(wl, exactly_once=False)
        self.note("%d malformed, %d DLQ records (%d duplicated)", len(wl.bad), n, dups)
        d.stop()

    # -- 6. no message may stall a partition ------------------------------------------

    def big_rating(self, size):
        """A valid-JSON rating of exactly size bytes (rejected as too large)."""
        d = {"event_id": "big-" + uuid.uuid4().hex, "type": "rating", "agent_id": "ag-big",
             "ts": h.iso(h.now_ms() - MINUTE), "score": 4, "pad": ""}
        d["pad"] = "x" * (size - len(json.dumps(d)))
        payload = json.dumps(d).encode()
        self.assertEqual(len(payload), size)
        return payload

    def assert_moves_past(self, redis, d, big, dlq_topic, max_bytes):
        """A 1,000,000-byte message amid valid events on partition 0: the valid events are
        counted exactly, the big one reaches the DLQ once (whole, or cut to max_bytes and
        marked), the group's committed offset of partition 0 reaches its end (real broker),
        and SIGTERM is prompt."""
        now = h.now_ms()
        good = [h.rating("ag-1", 1 + i % 5, now - MINUTE - i) for i in range(20)]
        h.produce(self.kafka.bootstrap, self.t_events, good[:10] + [big] + good[10:], key="ag-1", partition=0)
        self.wait_stats(redis, good)
        h.wait_until(lambda: h.consume_all(self.kafka.bootstrap, dlq_topic), 60, 0.5, what="the dead letter")
        time.sleep(1)
        [m] = h.consume_all(self.kafka.bootstrap, dlq_topic)
        hd = m["headers"]
        self.assertEqual((hd["error"], hd["source_topic"], hd["source_partition"], hd["source_offset"]),
                         ("too large", self.t_events, "0", "10"))
        if len(big) + 1024 <= max_bytes:
            self.assertEqual(m["payload"], big)
            self.assertNotIn("truncated", hd)
        else:
            self.assertEqual((hd["truncated"], hd["original_size"], hd["original_sha256"]),
                             ("true", str(len(big)), hashlib.sha256(big).hexdigest()))
            self.assertLessEqual(len(m["payload"]), max_bytes)
            self.assertGreater(len(m["payload"]), max_bytes // 2)
            self.assertEqual(m["payload"], big[:len(m["payload"])])
        if REAL:
            h.wait_until(lambda: self.kafka.group_offsets(self.group).get((self.t_events, 0), (None, 0))
                         == (21, 21), 30, 0.5, what="partition 0's committed offset at its end (21)")
        t = time.monotonic()
        d.stop()
        self.assertLess(time.monotonic() - t, 8, "SIGTERM took too long")
        self.assertNotRegex(d.log(), r"giving up|not delivered")

    def test_dlq_million_byte_message(self):
        """A 1,000,000-byte message, which the broker accepts, is dead-lettered whole and the
        partition moves on (librdkafka's producer refused anything over 1,000,000 bytes)."""
        redis = self.start_redis()
        d = self.start_daemon(self.kafka.bootstrap, redis, self.config())
        self.assert_moves_past(redis, d, self.big_rating(1000000), self.t_dlq, 1048588)

    @real_only
    def test_dlq_truncated_to_topic_limit(self):
        """The DLQ topic takes at most 100,000 bytes: the letter is cut to fit, with the
        original's size and SHA-256 in headers, and the partition moves on."""
        redis = self.start_redis()
        small = "dlq-small." + self.group
        self.kafka.create_topic(small, 1, {"max.message.bytes": 100000})
        d = self.start_daemon(self.kafka.bootstrap, redis, self.config(kafka={"dlq_topic": small}))
        self.assert_moves_past(redis, d, self.big_rating(1000000), small, 100000)
        self.assertRegex(d.log(), r"dlq: %s takes records of up to 100000 bytes" % re.escape(small))

    def test_tombstone_dead_lettered_as_null(self):
        """A NULL value is dead-lettered as a NULL value, with reason `null value`."""
        redis = self.start_redis()
        d = self.start_daemon(self.kafka.bootstrap, redis, self.config())
        # -Z sends an empty value as a NULL value (kcat skips an empty line without a key).
        r = subprocess.run([h.KCAT, "-P", "-b", self.kafka.bootstrap, "-t", self.t_events, "-p", "1",
                            "-Z", "-D", "\n", "-K", "\t"], input=b"the-key\t\n", stderr=subprocess.PIPE,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        [src] = h.consume_all(self.kafka.bootstrap, self.t_events)
        self.assertIsNone(src["payload"], "kcat did not produce a tombstone")
        h.wait_until(lambda: h.consume_all(self.kafka.bootstrap, self.t_dlq), 30, 0.5, what="the dead letter")
        [m] = h.consume_all(self.kafka.bootstrap, self.t_dlq)
        self.assertIsNone(m["payload"])
        self.assertEqual(m["key"], "the-key")
        self.assertEqual(m["headers_list"], [("error", "null value"), ("source_topic", self.t_events),
                                             ("source_partition", "1"), ("source_offset", str(src["offset"]))])
        d.stop()

    def test_rdkafka_log_lines_when_they_happen(self):
        """librdkafka's lines are written when they happen: the PAUSE of an outage is in the
        log while Redis is still down (it used to wait in the paused consumer's queue)."""
        redis = self.start_redis(appendonly=True)
        cfg = self.config(kafka={"rdkafka.debug": "topic"}, log={"level": "debug"})
        d = self.start_daemon(self.kafka.bootstrap, redis, cfg)
        events = [h.rating("ag-1", 5, h.now_ms() - MINUTE)]
        h.produce(self.kafka.bootstrap, self.t_events, events, key="ag-1")
        self.wait_stats(redis, events)
        redis.stop()
        t = time.monotonic()
        d.wait_log(r"rdkafka \S+: PAUSE: ", 10)
        self.assertLess(time.monotonic() - t, 10)
        pause = [l for l in d.log().splitlines() if re.search(r"rdkafka \S+: PAUSE: ", l)]
        self.assertRegex(pause[0], r"^\d{4}-\d\d-\d\dT[\d:.]+Z feedbackd\[\d+\]: debug: rdkafka ")
        redis.start()
        more = [h.rating("ag-1", 3, h.now_ms() - MINUTE)]
        h.produce(self.kafka.bootstrap, self.t_events, more, key="ag-1")
        self.wait_stats(redis, events + more)
        d.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
