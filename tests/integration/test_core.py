#!/usr/bin/env python3
"""Core integration tests: counting, windows, dedupe, DLQ, restarts, embedded Kafka.

Each test starts a fresh redis-server, tests/mockkafka and src/feedbackd.
Run all:   python3 tests/integration/test_core.py -v
Run one:   python3 tests/integration/test_core.py -v TestCore.test_duplicates
Env:       FEEDBACKD_BUILDDIR (default: repo root), FEEDBACKD_KEEP_TMP, FEEDBACKD_SHOW_LOG
"""

import json
import os
import random
import re
import sys
import threading
import time
import unittest
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness as h  # noqa: E402
from harness import DAY, HOUR, MINUTE, SECOND  # noqa: E402

GROUP = "feedbackd-test"


class TestCore(h.FeedbackTestCase):

    # -- helpers -------------------------------------------------------------

    def assert_agents(self, redis, events):
        """fb:agents holds exactly the agents with counted events, scored by their latest ts."""
        longest = max(span for _, span in h.parse_windows())
        late = h.now_ms() - longest
        want = {}
        for e in events:
            d = json.loads(e)
            ts = h.parse_ts(d["ts"])
            if ts >= late:
                want[d["agent_id"]] = max(want.get(d["agent_id"], 0), ts)
        self.assertEqual(redis.zrange_withscores("fb:agents"), want, "fb:agents")

    def assert_updated_at(self, redis, agents):
        for a in agents:
            v = redis.hgetall(h.stats_key(a)).get("updated_at")
            self.assertIsNotNone(v, "updated_at missing for %s" % a)
            self.assertTrue(v.isdigit(), "updated_at %r not epoch ms" % v)
            self.assertLess(abs(int(v) - h.now_ms()), 10 * MINUTE, "updated_at %s far from now" % v)

    @staticmethod
    def shown(redis, agents):
        """Ratings and replies the stats hashes show over all agents (30d): how far a run got."""
        total = 0
        for a in agents:
            st = redis.hgetall(h.stats_key(a))
            total += int(st.get("ratings_30d", 0)) + int(st.get("replies_30d", 0))
        return total

    @staticmethod
    def expected_shown(events):
        """What shown() must reach once every one of events is applied."""
        want = h.expected_stats(events, h.now_ms())
        return sum(int(st["ratings_30d"]) + int(st["replies_30d"]) for st in want.values())

    # -- tests -----------------------------------------------------------------

    def test_depths_all_fields(self):
        """Every field of every window, two agents, events from 2 min to 40 d old."""
        redis, kafka, _ = self.stack()
        now = h.now_ms()
        depths = [2 * MINUTE, 3 * HOUR, 2 * DAY, 10 * DAY, 40 * DAY]
        plan = {
            # agent: (scale-5 scores per depth, scale-10 scores per depth)
            "agent-A": ([[5, 4, 3], [2, 5], [1, 4], [5, 5, 3], [1]],
                        [[10], [6], [9, 7], [0], [10]]),
            "agent-B": ([[4], [3, 3, 1], [5], [2, 2], [5, 5]],
                        [[8, 9], [], [3], [10, 10, 6], [0]]),
        }
        by_agent = {a: [] for a in plan}
        for agent, (s5, s10) in plan.items():
            ev = by_agent[agent]
            for i, age in enumerate(depths):
                ts = now - age
                for j, s in enumerate(s5[i]):
                    ev.append(h.rating(agent, s, ts - j * SECOND))
                for j, s in enumerate(s10[i]):
                    ev.append(h.rating(agent, s, ts - (j + 10) * SECOND, scale=10))
                # a complaint answered 30 min later (clock met), counted at both ts
                t = "t-%s-c%d" % (agent, i)
                ev.append(h.complaint(agent, ts - 30 * MINUTE, t, severity="high"))
                ev.append(h.reply(agent, ts, t))
                if age <= 3 * HOUR:
                    # a customer message answered 10 min 7.5 s later
                    t = "t-%s-m%d" % (agent, i)
                    ev.append(h.message(agent, ts - 10 * MINUTE - 7500, t))
                    ev.append(h.reply(agent, ts, t))
            # a reply on a ticket nobody opened: a reply, but no response time
            ev.append(h.reply(agent, now - 2 * DAY, "t-%s-orphan" % agent))
        # one message still waiting for a reply: open, not overdue
        by_agent["agent-A"].append(h.message("agent-A", now - 5 * MINUTE, "t-agent-A-open"))
        # a complaint nobody answered: open, overdue, missed at its deadline (2 d ago)
        by_agent["agent-B"].append(h.complaint("agent-B", now - 3 * DAY, "t-agent-B-overdue"))
        # a message answered after 26 h: missed at start + 24 h, response time still counted
        by_agent["agent-B"].append(h.message("agent-B", now - 2 * DAY - 26 * HOUR, "t-agent-B-late"))
        by_agent["agent-B"].append(h.reply("agent-B", now - 2 * DAY, "t-agent-B-late"))

        events = []
        for agent, ev in by_agent.items():
            h.produce(kafka.bootstrap, h.TOPIC_EVENTS, ev, key=agent)
            events += ev
        self.wait_stats(redis, events, timeout=60)
        self.assertEqual(self.stats_mismatch(redis, events), "")
        self.assert_agents(redis, events)
        self.assert_updated_at(redis, plan)
        self.assertEqual(h.consume_all(kafka.bootstrap, h.TOPIC_DLQ), [], "nothing to the DLQ")

    def test_duplicates(self):
        """One event_id produced 3 times (two batches apart) is counted once."""
        redis, kafka, _ = self.stack()
        now = h.now_ms()
        dup = h.rating("agent-D", 2, now - 5 * MINUTE)
        others = [h.rating("agent-D", 5, now - 4 * MINUTE), h.rating("agent-D", 4, now - 90 * MINUTE)]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [dup, others[0], dup], key="agent-D")
        self.wait_stats(redis, [dup, others[0]])
        # the third copy: another partition (no key), after the first ones were applied
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [dup, others[1]], partition=3)
        self.wait_stats(redis, [dup] + others)
        time.sleep(2)
        self.assertEqual(self.stats_mismatch(redis, [dup] + others), "")
        self.assertEqual(redis.hgetall(h.stats_key("agent-D"))["ratings_24h"], "3")
        self.assertEqual(redis.hgetall(h.stats_key("agent-D"))["dissatisfied_24h"], "1")

    def test_malformed_to_dlq(self):
        """Each malformed message is on the DLQ once, byte-identical, with its source; none counted."""
        redis, kafka, _ = self.stack()
        now = h.now_ms()
        tag = uuid.uuid4().hex[:8]

        def ev(**kw):
            d = {"event_id": "bad-%s-%s" % (tag, uuid.uuid4().hex[:6]), "type": "rating",
                 "agent_id": "agent-bad", "ts": h.iso(now - MINUTE), "score": 4}
            d.update(kw)
            return {k: v for k, v in d.items() if v is not None}

        # name: (payload, the exact `error` header: docs/events.md, src/core/event.c)
        bad = {
            "not json": (("this is not json {%s" % tag).encode(), "not json"),
            "json array": (('[1, 2, "%s"]' % tag).encode(), "not an object"),
            "missing agent_id": (json.dumps(ev(agent_id=None)).encode(), "missing field: agent_id"),
            "bad score": (json.dumps(ev(score=7)).encode(), "score out of range"),
            "score as text": (json.dumps(ev(score="5")).encode(), "wrong type: score"),
            "unknown type": (json.dumps(ev(type="praise", ticket_id="t1")).encode(), "unknown type"),
            "future ts": (json.dumps(ev(ts=h.iso(now + HOUR))).encode(), "ts in the future"),
            "invalid utf-8": (json.dumps(ev(agent_id="agent-bad-XX")).encode().replace(b"XX", b"\xff\xfe"),
                              "invalid utf-8"),
            "oversize": (json.dumps(ev(pad="x" * (64 * 1024 + 10))).encode(), "too large"),
            "newlines, truncated": (('{"event_id": "bad-%s",\n"type": "rating",\n' % tag).encode(), "not json"),
        }
        # Spread over the partitions, so source_partition has to be right, not just constant.
        for i, (name, (payload, _)) in enumerate(bad.items()):
            h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [payload], key="agent-bad",
                      partition=i % self.partitions)
        good = [h.rating("agent-ok", 5, now - MINUTE)]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, good, key="agent-bad")

        # where each bad payload landed on the source topic
        src = {m["payload"]: m for m in h.consume_all(kafka.bootstrap, h.TOPIC_EVENTS)}
        self.assertEqual(len(src), len(bad) + 1)
        self.assertEqual({src[p]["partition"] for p, _ in bad.values()}, set(range(self.partitions)),
                         "the bad messages did not reach every partition")
        self.wait_stats(redis, good)
        h.wait_until(lambda: len(h.consume_all(kafka.bootstrap, h.TOPIC_DLQ)) >= len(bad), 30, 0.5,
                     what="%d DLQ records" % len(bad))
        time.sleep(2)
        dlq = h.consume_all(kafka.bootstrap, h.TOPIC_DLQ)
        reasons = {}
        problems = []
        for name, (payload, reason) in bad.items():
            hits = [m for m in dlq if m["payload"] == payload]
            if len(hits) != 1:
                problems.append("%s: on the DLQ %d times (want 1)" % (name, len(hits)))
                continue
            m, s = hits[0], src[payload]
            reasons[name] = m["headers"].get("error")
            # exactly these four headers, each once, in this order (src/io/dlq.c)
            want = [("error", reason), ("source_topic", h.TOPIC_EVENTS),
                    ("source_partition", str(s["partition"])), ("source_offset", str(s["offset"]))]
            if m["headers_list"] != want:
                problems.append("%s: headers %r, want %r" % (name, m["headers_list"], want))
            if m["key"] != "agent-bad":
                problems.append("%s: key %r, want the original 'agent-bad'" % (name, m["key"]))
        payloads = [p for p, _ in bad.values()]
        extra = [m for m in dlq if m["payload"] not in payloads]
        if extra:
            problems.append("unexpected DLQ records: %r" % [m["payload"][:80] for m in extra])
        self.assertEqual(problems, [], "DLQ problems (reasons seen: %r)" % reasons)
        self.assertEqual(len(dlq), len(bad))
        self.assertEqual(redis.keys("fb:agent:{agent-bad*"), [], "malformed events counted")
        self.assertEqual(list(redis.zrange_withscores("fb:agents")), ["agent-ok"])
        self.assertEqual(self.stats_mismatch(redis, good), "")

    def test_extreme_numbers_and_type_counts(self):
        """Numbers too large to hold never make an event "not json"; a reject's readable type is counted."""
        port = h.free_port()
        redis, kafka, _ = self.stack({"http": {"listen": "127.0.0.1:%d" % port}})
        ts = h.now_ms() - MINUTE

        def raw(agent="agent-xn", **members):
            """A rating as text: each member value is raw JSON, so any number goes in verbatim."""
            d = {"event_id": '"%s"' % h.new_event_id(), "type": '"rating"', "agent_id": '"%s"' % agent,
                 "ts": '"%s"' % h.iso(ts), "score": "4"}
            d.update(members)
            return "{" + ",".join('"%s":%s' % (k, v) for k, v in d.items() if v is not None) + "}"

        def metrics():
            """{(name, frozenset(labels)): value} of the daemon's /metrics."""
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
                text = r.read().decode()
            out = {}
            for m in re.finditer(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", text, re.M):
                out[(m.group(1), frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or "")))] = float(m.group(3))
            return out

        good = [raw(agent="agent-xg", score="5", extra="1e400"),
                raw(agent="agent-xg", score="2", extra="123456789012345678901234567890")]
        # payload: (the exact `error` header, the type it is counted under)
        bad = {
            raw(score="99999999999999999999"): ("score out of range", "rating"),
            raw(score="-99999999999999999999"): ("score out of range", "rating"),
            raw(score="1e400"): ("wrong type: score", "rating"),
            raw(ts="99999999999999999999"): ("ts in the future", "rating"),
            raw(ts="-99999999999999999999"): ("bad ts", "rating"),
            raw(ts="1e400"): ("wrong type: ts", "rating"),
            raw(scale="99999999999999999999"): ("bad scale", "rating"),
            # rejected for what jansson cannot read, the type still readable
            raw(pad='"%s"' % ("x" * 70000)): ("too large", "rating"),
            raw(agent="agent-\udcff").encode("utf-8", "surrogateescape"): ("invalid utf-8", "rating"),
            raw(comment='"a\\u0000b"'): ("nul character", "rating"),
            raw(score="1E+400", extra="-99999999999999999999"): ("wrong type: score", "rating"),
            # no readable type
            "not json {%s" % h.new_event_id(): ("not json", "unknown"),
            '["rating", 1e400]': ("not an object", "unknown"),
            raw(type='"praise"', extra="1e400"): ("unknown type", "unknown"),
        }
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, good + list(bad), key="agent-xn")
        self.wait_stats(redis, good)
        h.wait_until(lambda: len(h.consume_all(kafka.bootstrap, h.TOPIC_DLQ)) >= len(bad), 30, 0.5,
                     what="%d DLQ records" % len(bad))
        dead = ("feedbackd_events_dead_lettered_total", frozenset())
        h.wait_until(lambda: metrics().get(dead, 0) >= len(bad), 30, 0.25, what="dead letters counted")
        time.sleep(1.0)  # nothing more may arrive

        dlq = h.consume_all(kafka.bootstrap, h.TOPIC_DLQ)
        got = {}
        for m in dlq:
            got.setdefault(m["payload"], []).append(m["headers"].get("error"))
        want = {h._as_bytes(p): [err] for p, (err, _) in bad.items()}
        self.assertEqual(got, want)
        self.assertEqual(self.stats_mismatch(redis, good), "")
        self.assertEqual(redis.keys("fb:agent:{agent-xn*"), [], "rejected events counted")

        m = metrics()

        def events(t, r):
            return m.get(("feedbackd_events_total", frozenset({("type", t), ("result", r)})))
        counted = [t for _, t in bad.values()]
        self.assertEqual(events("rating", "applied"), len(good))
        self.assertEqual(events("rating", "dead_lettered"), counted.count("rating"))
        self.assertEqual(events("unknown", "dead_lettered"), counted.count("unknown"))
        self.assertEqual(m[dead], len(bad))

    def test_windows_slide(self):
        """With no new events a rating leaves the 1m window after 59.4-60 s (buckets of 600 ms); 1h keeps it."""
        sizes = "1m,1h"
        redis, kafka, _ = self.stack(config={"windows": {"sizes": sizes, "refresh": "2s"}})
        ts = h.now_ms()
        ev = [h.rating("agent-W", 5, ts)]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, ev)
        key = h.stats_key("agent-W")
        h.wait_until(lambda: redis.hgetall(key).get("ratings_1m") == "1", 20, 0.2,
                     what="ratings_1m == 1")
        got = redis.hgetall(key)
        self.assertEqual(got.get("csat_1m"), "100.0")
        self.assertEqual(got.get("score_avg_1m"), "5.00")
        # poll until it leaves the 1m window
        h.wait_until(lambda: redis.hgetall(key).get("ratings_1m") == "0", 75, 0.25,
                     what="ratings_1m == 0")
        age_s = (h.now_ms() - ts) / 1000.0
        got = redis.hgetall(key)
        self.assertGreaterEqual(age_s, 57.0, "left the 1m window too early (%.1f s)" % age_s)
        self.assertLessEqual(age_s, 66.0, "left the 1m window too late (%.1f s; refresh 2s)" % age_s)
        self.assertNotIn("csat_1m", got)
        self.assertNotIn("score_avg_1m", got)
        self.assertEqual(got.get("ratings_1h"), "1")
        self.assertEqual(got.get("csat_1h"), "100.0")
        got.pop("updated_at", None)
        want = h.expected_stats(ev, h.now_ms(), sizes)["agent-W"]
        self.assertEqual(got, want, h.diff_dicts(want, got))

    def _restart_midstream(self, how):
        """3000 events; the daemon is stopped (how) while applying them, then restarted."""
        rnd = random.Random(42)
        redis = self.start_redis()
        kafka = self.start_kafka()
        d = self.start_daemon(kafka.bootstrap, redis)
        now = h.now_ms()
        # ages kept away from every window edge (and the 40 d ones are late)
        bands = [(1 * MINUTE, 45 * MINUTE), (90 * MINUTE, 22 * HOUR), (26 * HOUR, 6 * DAY),
                 (8 * DAY, 27 * DAY), (32 * DAY, 40 * DAY)]
        agents = ["agent-%02d" % i for i in range(10)]
        events, keyed = [], []
        for i in range(3000):
            a = rnd.choice(agents)
            lo, hi = rnd.choice(bands)
            ts = now - rnd.randint(lo, hi)
            r = rnd.random()
            if r < 0.55:
                e = h.rating(a, rnd.randint(1, 5), ts)
            elif r < 0.85:
                e = h.rating(a, rnd.randint(0, 10), ts, scale=10)
            else:
                e = h.reply(a, ts, "t-%s-%d" % (a, i))
            events.append(e)
            keyed.append((a, e))
        # some redeliveries of already produced events
        for i in rnd.sample(range(1500), 40):
            keyed.insert(rnd.randint(i + 1, 1500), keyed[i])
        first, rest = keyed[:1540], keyed[1540:]
        whole = self.expected_shown([e for _, e in first])

        def trickle():
            # In small steps, so that the stop lands while the first part is still arriving.
            for i in range(0, len(first), 70):
                h.produce(kafka.bootstrap, h.TOPIC_EVENTS, first[i:i + 70])
                time.sleep(0.15)
        th = threading.Thread(target=trickle)
        th.start()
        applied = h.wait_until(lambda: self.shown(redis, agents), 30, 0.01,
                               what="the first events shown")
        if how == "term":
            d.stop()
        else:
            d.kill()
        after = self.shown(redis, agents)
        sys.stderr.write("\n[%s after %d, with %d of %d events shown] " % (how, applied, after, whole))
        # The views are written only from committed checkpoints: the stop must have hit the
        # stream midway for the restart to prove anything.
        self.assertGreater(after, 0, "nothing applied before the %s" % how)
        self.assertGreaterEqual(after, applied, "shown events went backwards")
        self.assertLess(after, whole, "the whole first part was applied before the %s: "
                        "the stop was not mid-stream" % how)
        th.join(60)
        d.start()
        d.wait_ready(timeout=60)
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, rest)
        self.wait_stats(redis, events, timeout=90)
        time.sleep(2)  # late redeliveries, if any, would show now
        self.assertEqual(self.stats_mismatch(redis, events), "")
        self.assert_agents(redis, events)
        self.assertEqual(h.consume_all(kafka.bootstrap, h.TOPIC_DLQ), [], "nothing to the DLQ")
        d.stop()

    def test_restart_sigterm(self):
        self._restart_midstream("term")

    def test_restart_sigkill(self):
        self._restart_midstream("kill")

    @staticmethod
    def redis_info(redis, section):
        """INFO section as {name: value}, values holding '=' split into dicts; None when this
        Redis has no such section."""
        text = redis.cmd("INFO", section)
        if not text.strip():
            return None
        out = {}
        for line in text.splitlines():
            if not line or line.startswith("#") or ":" not in line:
                continue
            k, v = line.split(":", 1)
            out[k] = dict(kv.split("=", 1) for kv in v.split(",")) if "=" in v else v
        return out

    def script_stats(self, redis):
        """(NOSCRIPT errors, EVAL calls, EVALSHA calls) Redis has seen so far.

        NOSCRIPT errors are None before Redis 6.2 (no INFO errorstats); EVAL calls tell the
        same there: the daemon only sends EVAL to retry an EVALSHA that met NOSCRIPT."""
        errs = self.redis_info(redis, "errorstats")
        cmds = self.redis_info(redis, "commandstats") or {}
        noscript = None if errs is None else int(errs.get("errorstat_NOSCRIPT", {}).get("count", 0))
        return (noscript, int(cmds.get("cmdstat_eval", {}).get("calls", 0)),
                int(cmds.get("cmdstat_evalsha", {}).get("calls", 0)))

    @staticmethod
    def clock_stream(rnd, tag, n, now, agents):
        """n keyed events of every type: ratings (both scales), complaints and messages that
        open clocks, replies that close most of them. Each ticket's events share a key (one
        partition, in order), so the result does not depend on how partitions interleave.
        Ages are 1 min-20 h, away from window edges and from every 24 h deadline."""
        out = []
        while len(out) < n:
            a = rnd.choice(agents)
            ts = now - rnd.randint(MINUTE, 20 * HOUR)
            r = rnd.random()
            if r < 0.4:
                scale = rnd.choice((5, 10))
                out.append((a, h.rating(a, rnd.randint(1 if scale == 5 else 0, scale), ts, scale=scale)))
                continue
            t = "t-%s-%d" % (tag, len(out))
            if r < 0.6:
                opener = h.complaint(a, ts, t, severity=rnd.choice(("low", "normal", "high", "critical")),
                                     category=rnd.choice((None, "billing", "login")))
            else:
                opener = h.message(a, ts, t)
            out.append((t, opener))
            if rnd.random() < 0.8:  # most are answered, some by another agent
                who = a if rnd.random() < 0.9 else rnd.choice(agents)
                out.append((t, h.reply(who, min(ts + rnd.randint(SECOND, 3 * HOUR), now - SECOND), t)))
        return out

    def test_noscript_reload(self):
        """After SCRIPT FLUSH the daemon reloads its scripts on NOSCRIPT; nothing is lost or doubled.

        1. events applied; 2. SCRIPT FLUSH, more events; 3. SCRIPT FLUSH again and again while
        many small batches are in flight. Stats must be exact after each phase."""
        rnd = random.Random(7)
        # frequent small commits; no refresh to reload the cache first
        cfg = {"engine": {"flush_interval": "1ms"},
               "windows": {"sizes": h.DEFAULT_WINDOWS, "refresh": "1h"}}
        redis, kafka, _ = self.stack(config=cfg)
        now = h.now_ms()
        agents = ["agent-N%d" % i for i in range(4)]

        phase1 = self.clock_stream(rnd, "p1", 200, now, agents)
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, phase1)
        events = [e for _, e in phase1]
        self.wait_stats(redis, events)
        noscript0, eval0, evalsha0 = self.script_stats(redis)
        self.assertIn(noscript0, (0, None))
        self.assertEqual(eval0, 0, "scripts run by EVALSHA while cached")
        self.assertGreater(evalsha0, 0)

        # 2. the cache is gone (as after a Redis restart or failover without the daemon noticing)
        self.assertEqual(redis.cmd("SCRIPT", "FLUSH"), "OK")
        phase2 = self.clock_stream(rnd, "p2", 200, now, agents)
        # a reply to a phase-1 ticket still open: a clock that spans the flush
        open1 = [json.loads(e) for _, e in phase1]
        replied = {d["ticket_id"] for d in open1 if d["type"] == "reply"}
        still = [d for d in open1 if d["type"] in ("complaint", "message") and d["ticket_id"] not in replied]
        self.assertTrue(still, "phase 1 left no clock open")
        t = still[0]
        phase2.append((t["ticket_id"], h.reply(t["agent_id"], now - SECOND, t["ticket_id"])))
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, phase2)
        events += [e for _, e in phase2]
        self.wait_stats(redis, events)
        noscript1, eval1, _ = self.script_stats(redis)
        if noscript1 is not None:
            self.assertGreaterEqual(noscript1, 1, "the daemon never met NOSCRIPT: the flush was not exercised")
        self.assertGreaterEqual(eval1, 1, "no EVAL retry: the NOSCRIPT path was not exercised")

        # 3. flushes while batches are in flight (pipelined EVALSHAs meet NOSCRIPT together)
        phase3 = self.clock_stream(rnd, "p3", 1500, now, agents)
        base = self.shown(redis, agents)
        total = self.expected_shown(events + [e for _, e in phase3])
        done = threading.Event()
        failure = []

        def producer():
            try:
                h.produce(kafka.bootstrap, h.TOPIC_EVENTS, phase3)
            except Exception as e:  # noqa: BLE001 - reported by the main thread
                failure.append(e)
            finally:
                done.set()
        th = threading.Thread(target=producer)
        th.start()
        midway = 0
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                got = self.shown(redis, agents)
                if got >= total and done.is_set():
                    break
                redis.cmd("SCRIPT", "FLUSH")
                if base < got < total:
                    midway += 1
                time.sleep(0.01)
        finally:
            th.join(60)
        self.assertEqual(failure, [])
        events += [e for _, e in phase3]
        self.wait_stats(redis, events)
        sys.stderr.write("\n[%d flushes while phase 3 was applied; EVAL retries %d] "
                         % (midway, self.script_stats(redis)[1]))
        self.assertGreaterEqual(midway, 3, "too few flushes landed while phase 3 was being applied")
        time.sleep(2)
        self.assertEqual(self.stats_mismatch(redis, events), "")
        self.assertEqual(self.shown(redis, agents), total)
        self.assert_agents(redis, events)
        self.assertEqual(h.consume_all(kafka.bootstrap, h.TOPIC_DLQ), [], "nothing to the DLQ")

    @staticmethod
    def keying_stream(rnd, now, agents, n):
        """About n events as (agent, ticket or None, JSON) whose figures do not depend on the
        order the tasks see them in: each ticket has one opener and at most one reply stamped
        after it (an early reply pairs up as that reply would have closed the clock), late
        clocks are missed either way. Ages avoid the 1h and 24h window edges (bands 1-50 min,
        70 min-20 h; late openers 26-30 h, missed at 2-6 h). A few events come twice."""
        bands = ((MINUTE, 50 * MINUTE), (70 * MINUTE, 20 * HOUR))

        def ago(below=None):
            """An age in the bands, below `below` (None when none is)."""
            if below is not None and below <= MINUTE:
                return None
            while True:
                lo, hi = rnd.choice(bands)
                age = rnd.randint(lo, hi)
                if below is None or age < below:
                    return age
        out = []
        while len(out) < n:
            a, r, t = rnd.choice(agents), rnd.random(), "t-k%d" % len(out)
            if r < 0.40:
                scale, ticket = rnd.choice((5, 10)), (t if rnd.random() < 0.3 else None)
                lo = 1 if scale == 5 else 0
                out.append((a, ticket, h.rating(a, rnd.randint(lo, scale), now - ago(), scale, ticket=ticket)))
            elif r < 0.98:
                late = rnd.random() < 0.06
                opened = rnd.randint(26 * HOUR, 30 * HOUR) if late else ago()
                if r < 0.65:
                    out.append((a, t, h.complaint(a, now - opened, t, rnd.choice(("low", "normal", "high")),
                                                  category=rnd.choice((None, "billing")))))
                else:
                    out.append((a, t, h.message(a, now - opened, t)))
                # a late clock's reply more than 24 h after it (missed), others any time after it
                answered = ago(opened - DAY - 10 * MINUTE) if late else ago(opened - SECOND)
                if rnd.random() < 0.8 and answered is not None:
                    who = a if rnd.random() < 0.85 else rnd.choice(agents)
                    out.append((who, t, h.reply(who, now - answered, t)))
            else:  # a reply on a ticket nobody opened
                out.append((a, t, h.reply(a, now - ago(), t)))
            if rnd.random() < 0.02:
                out.append(rnd.choice(out))  # the same event again
        return out

    def test_keying(self):
        """The same events keyed by agent, by ticket and at random end with the same figures.

        Keyed by agent, most events are applied where they are read; keyed by ticket or at
        random, most are forwarded to their agent's task, and a ticket's opener and reply can
        reach its task in either order. Every run must end with exactly the calculator's
        stats hashes (so also equal to each other) and fb:agents."""
        started = time.monotonic()
        rnd = random.Random(2024)
        now = h.now_ms()
        agents = ["agent-K%d" % i for i in range(8)]
        stream = self.keying_stream(rnd, now, agents, 2000)
        events = [e for _, _, e in stream]
        keyings = {
            "agent": [(a, e) for a, _, e in stream],
            "ticket": [(t or a, e) for a, t, e in stream],
            "random": [("k%d" % rnd.randrange(10 ** 9), e) for _, _, e in stream],
        }
        # the stream holds what makes order matter: cross-agent replies, late and overdue
        # clocks, early replies' pairs, duplicates
        want = h.expected_stats(events, now)
        for field in ("overdue_tickets", "reply_sla_missed_30d", "reply_sla_met_30d", "open_tickets"):
            self.assertGreater(sum(int(st[field]) for st in want.values()), 0, field)
        self.assertGreater(len(events) - len(set(events)), 10, "duplicates")
        crossed = {json.loads(e)["ticket_id"]: json.loads(e)["agent_id"] for e in events
                   if json.loads(e)["type"] in ("complaint", "message")}
        self.assertGreater(sum(1 for e in map(json.loads, events) if e["type"] == "reply"
                               and crossed.get(e["ticket_id"], e["agent_id"]) != e["agent_id"]), 10,
                           "replies to another agent's ticket")
        runs = {}
        for name, keyed in keyings.items():
            redis, kafka, d = self.stack()
            h.produce(kafka.bootstrap, h.TOPIC_EVENTS, keyed)
            self.wait_stats(redis, events, timeout=40)
            self.assert_agents(redis, events)
            stats = {}
            for key in redis.keys("fb:agent:*:stats"):
                stats[key] = redis.hgetall(key)
                stats[key].pop("updated_at")
            runs[name] = (stats, redis.zrange_withscores("fb:agents"))
            routed = len(h.consume_all(kafka.bootstrap, h.TOPIC_ROUTE))
            self.assertEqual(h.consume_all(kafka.bootstrap, h.TOPIC_DLQ), [], "nothing to the DLQ")
            sys.stderr.write("\n[keyed by %s: %d records on the route topic] " % (name, routed))
            if name == "random":
                self.assertGreater(routed, 0, "nothing forwarded: the keying did not matter")
            d.stop()
            kafka.stop()
            redis.stop()
        want = runs["agent"]
        self.assertEqual(sorted(want[0]), sorted(h.stats_key(a) for a in agents))
        for name in ("ticket", "random"):
            self.assertEqual(runs[name], want, "keyed by %s vs by agent" % name)
        sys.stderr.write("[%d events, %.1f s] " % (len(stream), time.monotonic() - started))

    def test_embedded_kafka(self):
        """brokers = embedded starts an in-process mock cluster and logs its bootstrap."""
        redis = self.start_redis()
        d = self.start_daemon("embedded", redis, wait=False)
        m = d.wait_log(r"embedded kafka ready: bootstrap=(127\.0\.0\.1:\d+)")
        d.wait_ready()
        bootstrap = m.group(1)
        now = h.now_ms()
        ev = [h.rating("agent-E", 4, now - MINUTE), h.rating("agent-E", 9, now - 2 * HOUR, scale=10),
              h.complaint("agent-E", now - 3 * DAY, "t-e1"), h.reply("agent-E", now - 3 * DAY + 20 * SECOND, "t-e1")]
        h.produce(bootstrap, h.TOPIC_EVENTS, ev, key="agent-E")
        self.wait_stats(redis, ev)
        self.assert_agents(redis, ev)
        d.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
