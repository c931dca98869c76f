"""What the delivery-guarantee tests share (test_delivery, test_cluster): a workload with
exact expected figures, a paced producer, the broker of the module (mock per test, or one
real broker), and the assertions that the figures, dead letters and alerts are exact.

The broker is chosen by FEEDBACKD_KAFKA:
  mock (default)  tests/mockkafka, one per test; tests marked real_only are skipped.
  real            one real Apache Kafka 3.9.1 KRaft broker (tests/kafka/realkafka.sh)
                  for the whole module; every test gets fresh topics and its own group.
"""

import collections
import json
import os
import random
import shutil
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
STREAM_KEEPS = 10000  # fb:alerts is trimmed to about this many messages (docs/alerts.md)

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


_broker = None      # the module's RealKafka, FEEDBACKD_KAFKA=real only
_broker_tmp = None


def start_broker(module):
    """A test module's setUpModule: says how it runs and starts the real broker if asked for."""
    global _broker, _broker_tmp
    sys.stderr.write("\n[%s: kafka=%s seed=%d (FEEDBACKD_SEED to repeat)]\n" % (module, MODE, SEED))
    if REAL:
        _broker_tmp = tempfile.mkdtemp(prefix="feedbackd-kafka-")
        _broker = h.RealKafka(_broker_tmp, partitions=4, topics=())
        _broker.start()


def stop_broker():
    """A test module's tearDownModule."""
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
# the test case


class DeliveryCase(h.FeedbackTestCase):
    """Fresh topics and group per test on the module's broker, and the exact assertions."""

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

    def assert_agent_index(self, redis, wl, shards=1):
        """The agent index (fb:agents, or its shards fb:agents:0.. with agents_shards > 1, read
        and merged as a reader must) holds exactly the agents with a counted event, each
        scored by its newest one, and each in the shard its id's slot names."""
        late = h.now_ms() - max(span for _, span in h.parse_windows())
        want = {}
        for e in wl.events:
            ts = h.parse_ts(e["ts"])
            if ts >= late:
                want[e["agent_id"]] = max(want.get(e["agent_id"], 0), ts)
        got, misplaced = {}, []
        for k in range(shards):
            part = redis.zrange_withscores("fb:agents" if shards == 1 else "fb:agents:%d" % k)
            misplaced += [a for a in part if shards > 1 and int(redis.cmd("CLUSTER", "KEYSLOT", a, key="k")) % shards != k]
            got.update(part)
        self.assertEqual(misplaced, [], "agents in another shard than their slot names")
        self.assertEqual(got, want, "the agent index")

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
