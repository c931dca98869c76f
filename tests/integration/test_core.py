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
import sys
import time
import unittest
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

    def offsets_applied(self, redis):
        """Sum over partitions of the applied high-water marks (0 when none yet)."""
        return sum(int(v) + 1 for v in redis.hgetall("fb:offsets:" + GROUP).values())

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

        bad = {
            "not json": ("this is not json {%s" % tag).encode(),
            "json array": ('[1, 2, "%s"]' % tag).encode(),
            "missing agent_id": json.dumps(ev(agent_id=None)).encode(),
            "bad score": json.dumps(ev(score=7)).encode(),
            "score as text": json.dumps(ev(score="5")).encode(),
            "unknown type": json.dumps(ev(type="praise", ticket_id="t1")).encode(),
            "future ts": json.dumps(ev(ts=h.iso(now + HOUR))).encode(),
            "invalid utf-8": json.dumps(ev(agent_id="agent-bad-XX")).encode().replace(b"XX", b"\xff\xfe"),
            "oversize": json.dumps(ev(pad="x" * (64 * 1024 + 10))).encode(),
            "newlines, truncated": ('{"event_id": "bad-%s",\n"type": "rating",\n' % tag).encode(),
        }
        for name, payload in bad.items():
            h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [payload], key="agent-bad")
        good = [h.rating("agent-ok", 5, now - MINUTE)]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, good, key="agent-bad")

        # where each bad payload landed on the source topic
        src = {m["payload"]: m for m in h.consume_all(kafka.bootstrap, h.TOPIC_EVENTS)}
        self.assertEqual(len(src), len(bad) + 1)
        self.wait_stats(redis, good)
        dlq = h.wait_until(lambda: (lambda l: l if len(l) >= len(bad) else None)(
            h.consume_all(kafka.bootstrap, h.TOPIC_DLQ)), 30, 0.5, what="%d DLQ records" % len(bad))
        time.sleep(2)
        dlq = h.consume_all(kafka.bootstrap, h.TOPIC_DLQ)
        reasons = {}
        problems = []
        for name, payload in bad.items():
            hits = [m for m in dlq if m["payload"] == payload]
            if len(hits) != 1:
                problems.append("%s: on the DLQ %d times (want 1)" % (name, len(hits)))
                continue
            m, s = hits[0], src[payload]
            hd = m["headers"]
            want = {"source_topic": h.TOPIC_EVENTS, "source_partition": str(s["partition"]),
                    "source_offset": str(s["offset"])}
            for k, v in want.items():
                if hd.get(k) != v:
                    problems.append("%s: header %s = %r, want %r" % (name, k, hd.get(k), v))
            if not hd.get("error"):
                problems.append("%s: header error missing or empty (headers %r)" % (name, hd))
            reasons[name] = hd.get("error")
        extra = [m for m in dlq if m["payload"] not in bad.values()]
        if extra:
            problems.append("unexpected DLQ records: %r" % [m["payload"][:80] for m in extra])
        self.assertEqual(problems, [], "DLQ problems (reasons seen: %r)" % reasons)
        self.assertEqual(redis.keys("fb:agent:{agent-bad*"), [], "malformed events counted")
        self.assertEqual(list(redis.zrange_withscores("fb:agents")), ["agent-ok"])
        self.assertEqual(self.stats_mismatch(redis, good), "")

    def test_windows_slide(self):
        """With no new events a rating leaves the 1m window after 57.5-60 s; 1h keeps it."""
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
        cfg = {"ingest": {"batch_size": "10", "max_inflight_batches": "1"}}
        d = self.start_daemon(kafka.bootstrap, redis, cfg)
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
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, first)
        applied = h.wait_until(lambda: self.offsets_applied(redis), 30, 0.01,
                               what="the first batch applied")
        if how == "term":
            d.stop()
        else:
            d.kill()
        after = self.offsets_applied(redis)
        # Informational: how far the first run got (all of it means the stop was not mid-stream).
        sys.stderr.write("\n[%s after %d, with %d of %d records applied] "
                         % (how, applied, after, len(first)))
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
