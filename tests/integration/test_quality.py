#!/usr/bin/env python3
"""Quality-alert integration tests: csat_below, complaints_above, noise control, reload, restarts.

Each test starts a fresh redis-server, tests/mockkafka and src/feedbackd with short windows
([windows] sizes = 1m,1h, refresh = 2s), and reads every alert back from the Kafka alerts
topic AND the fb:alerts stream, and checks the agent's alerts hash, rule-state hash
(kept in each agent's checkpoint record) and which agents have a rule pending or firing
(docs/alert-rules.md, docs/alerts.md).

Run all:   FEEDBACKD_BUILDDIR=_build python3 tests/integration/test_quality.py -v
Run one:   ... test_quality.py -v TestQuality.test_csat_fires_once
Env:       FEEDBACKD_BUILDDIR (default: repo root), FEEDBACKD_KEEP_TMP, FEEDBACKD_SHOW_LOG
"""

import json
import math
import os
import signal
import statistics
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness as h  # noqa: E402
from harness import HOUR, MINUTE, SECOND  # noqa: E402

SIZES = "1m,1h"
REFRESH_MS = 1 * SECOND
# How late after its due time a decision may be: one refresh pass plus processing slack.
LATE_MS = REFRESH_MS + 1500
# Long enough for two refresh passes: "nothing more was published" is checked after this.
SETTLE_S = 2 * REFRESH_MS / 1000.0 + 0.5

BASE_KEYS = {"alert_id", "rule", "state", "agent_id", "ticket_id", "window", "value",
             "threshold", "samples", "since", "at", "message"}


# ----------------------------------------------------------------------------
# reference arithmetic (independent of src/)


def wilson(successes, n, confidence=0.95):
    """Wilson score interval in percent (E. B. Wilson, JASA 22(158), 1927, eq. for p +- z...).

    Brown, Cai & DasGupta (Statistical Science 16(2), 2001) give 8/10 at 95% as
    [0.4902, 0.9433]; the assertion below keeps this function honest.
    """
    z = statistics.NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return 100 * (centre - half), 100 * (centre + half)


_lo, _hi = wilson(8, 10)
assert abs(_lo - 49.016) < 0.01 and abs(_hi - 94.331) < 0.01, (_lo, _hi)


def alert_id(rule, agent, since_ms, ticket=""):
    """64-bit FNV-1a of rule NUL agent NUL ticket NUL since (docs/alerts.md), 16 hex digits."""
    v = 0xcbf29ce484222325
    for b in b"%s\0%s\0%s\0%d" % (rule.encode(), agent.encode(), ticket.encode(), since_ms):
        v = ((v ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % v


def ratings(agent, satisfied, total, ts, score_bad=1):
    """total scale-5 ratings: `satisfied` fives, the rest score_bad, 100 ms apart before ts."""
    return [h.rating(agent, 5 if i < satisfied else score_bad, ts - i * 100) for i in range(total)]


def ini(sections):
    lines = []
    for sec, kv in sections.items():
        lines.append("[%s]" % sec)
        lines += ["%s = %s" % (k, v) for k, v in kv.items() if v is not None]
        lines.append("")
    return "\n".join(lines)


def config(sizes=SIZES, **rules):
    """Short windows plus [rule.NAME] sections: config(csat_below={"window": "1h"})."""
    c = {"windows": {"sizes": sizes, "refresh": "%ds" % (REFRESH_MS // 1000)}}
    for name, kv in rules.items():
        c["rule." + name] = dict(kv)
    return c


class TestQuality(h.FeedbackTestCase):

    # -- reading alerts back ---------------------------------------------------

    def stream(self, redis):
        """fb:alerts as [(entry id, raw JSON bytes)], oldest first; every entry has one field 'alert'."""
        out = []
        for eid, fields in redis.cmd_raw("XRANGE", "fb:alerts", "-", "+"):
            self.assertEqual(len(fields), 2, "fb:alerts entry %r fields %r" % (eid, fields))
            self.assertEqual(fields[0], b"alert")
            out.append((eid.decode(), fields[1]))
        return out

    def topic(self, kafka):
        """The alerts topic as [(key, raw JSON bytes)] in (partition, offset) order."""
        return [(m["key"], m["payload"]) for m in h.consume_all(kafka.bootstrap, h.TOPIC_ALERTS)]

    def published(self, redis, kafka, n, timeout=20.0):
        """Waits until both the stream and the topic hold at least n alerts; checks they agree.

        Returns the stream's alerts as dicts (commit order), each with "_raw" (the bytes)
        and "_ms" (the ms part of its stream id: when it was committed).
        """
        def enough():
            s = self.stream(redis)
            return len(s) >= n and len(self.topic(kafka)) >= n
        h.wait_until(enough, timeout, 0.25, what="%d alerts on fb:alerts and %s" % (n, h.TOPIC_ALERTS))
        return self.exactly(redis, kafka, n)

    def first_published(self, redis, kafka, n, timeout=20.0):
        """Like published(), for one agent whose alerts keep coming: the first n must agree.

        One agent's alerts share a Kafka partition, so the topic and the stream both hold
        them in commit order and their first n must be the same bytes.
        """
        def enough():
            s = self.stream(redis)
            return len(s) >= n and len(self.topic(kafka)) >= n
        h.wait_until(enough, timeout, 0.25, what="%d alerts on fb:alerts and %s" % (n, h.TOPIC_ALERTS))
        s, k = self.stream(redis)[:n], self.topic(kafka)[:n]
        self.assertEqual([raw for _, raw in k], [raw for _, raw in s],
                         "the topic and the stream carry the same JSON in the same order")
        out = []
        for (key, _), (eid, raw) in zip(k, s):
            a = json.loads(raw)
            self.assertEqual(key, a["agent_id"], "Kafka key is the agent id")
            a["_raw"], a["_ms"] = raw, int(eid.split("-")[0])
            out.append(a)
        return out

    def exactly(self, redis, kafka, n):
        """The stream and the topic hold exactly n alerts, the same bytes, keyed by agent."""
        s, k = self.stream(redis), self.topic(kafka)
        self.assertEqual(len(s), n, "fb:alerts: %r" % [raw for _, raw in s])
        self.assertEqual(len(k), n, "%s: %r" % (h.TOPIC_ALERTS, [raw for _, raw in k]))
        self.assertEqual(sorted(raw for _, raw in k), sorted(raw for _, raw in s),
                         "the topic and the stream carry the same JSON")
        out = []
        for key, raw in k:
            self.assertEqual(key, json.loads(raw)["agent_id"], "Kafka key is the agent id")
        for eid, raw in s:
            a = json.loads(raw)
            a["_raw"], a["_ms"] = raw, int(eid.split("-")[0])
            out.append(a)
        return out

    def check_alert(self, a, rule, agent, state, window, value, threshold, samples, message,
                    interval=None, repeat=False):
        """Every member of a quality alert, exactly (lower/upper to 1e-6)."""
        keys = set(BASE_KEYS)
        if interval is not None:
            keys |= {"lower", "upper"}
        if repeat:
            keys.add("repeat")
        got = {k: v for k, v in a.items() if not k.startswith("_")}
        self.assertEqual(set(got), keys, "members of %s" % a["_raw"])
        since = h.parse_ts(a["since"])
        want = {"alert_id": alert_id(rule, agent, since), "rule": rule, "state": state,
                "agent_id": agent, "ticket_id": None, "window": window, "value": value,
                "threshold": threshold, "samples": samples, "message": message}
        self.assertEqual({k: got[k] for k in want}, want, a["_raw"])
        self.assertEqual(h.iso(since), a["since"])
        self.assertEqual(h.iso(h.parse_ts(a["at"])), a["at"])
        if repeat:
            self.assertIs(a["repeat"], True)
        if interval is not None:
            self.assertLess(abs(a["lower"] - interval[0]), 1e-6, "lower %r vs %r" % (a["lower"], interval[0]))
            self.assertLess(abs(a["upper"] - interval[1]), 1e-6, "upper %r vs %r" % (a["upper"], interval[1]))

    def rules_state(self, redis, agent):
        record = h.agent_records(redis).get(agent)
        return h.rule_states(record) if record is not None else {}

    def alerts_hash(self, redis, agent):
        return {k: v.encode("utf-8", "surrogateescape")
                for k, v in redis.hgetall("fb:agent:{%s}:alerts" % agent).items()}

    def active(self, redis):
        """Agents with a rule pending or firing (re-checked even while idle)."""
        return {a for a, r in h.agent_records(redis).items() if h.rule_states(r)}

    def assert_firing_state(self, redis, agent, rule, alert, pending_since=0, last_sent=None):
        """Rule state 'firing:SINCE:PENDING_SINCE:LAST_SENT', the alert in the hash, agent active."""
        since = h.parse_ts(alert["since"])
        last = since if last_sent is None else last_sent
        self.assertEqual(self.rules_state(redis, agent),
                         {rule: "firing:%d:%d:%d" % (since, pending_since, last)})
        self.assertEqual(self.alerts_hash(redis, agent), {rule: alert["_raw"]})
        self.assertIn(agent, self.active(redis))

    def assert_quiet(self, redis, agent):
        """No rule state, no firing alert, no rule pending or firing."""
        self.assertEqual(self.rules_state(redis, agent), {}, "rule state of %s" % agent)
        self.assertEqual(self.alerts_hash(redis, agent), {}, "alerts hash of %s" % agent)
        self.assertNotIn(agent, self.active(redis))

    def wait_stat(self, redis, agent, field, value, timeout=20.0):
        h.wait_until(lambda: redis.hgetall(h.stats_key(agent)).get(field) == value, timeout, 0.1,
                     what="%s %s == %s" % (agent, field, value))

    def wait_outbox_empty(self, redis, timeout=20.0):
        """Every alert decided so far has its Kafka delivery confirmed (docs/alerts.md, Delivery)."""
        h.wait_until(lambda: h.outbox_entries(redis) == 0, timeout, 0.1, what="the tasks' outboxes empty")

    def reload(self, d, changes, expect="reload complete"):
        """Rewrites the daemon's config with changes merged in, sends SIGHUP, waits for `expect`."""
        for sec, kv in changes.items():
            d.sections.setdefault(sec, {}).update(kv)
        with open(d.config_path, "w") as f:
            f.write(ini(d.sections))
        before = d.log().count(expect)
        sent = h.now_ms()
        os.kill(d.proc.pid, signal.SIGHUP)
        h.wait_until(lambda: d.log().count(expect) > before, 10, 0.05, what="log %r after SIGHUP" % expect)
        return sent

    def assert_decided_in(self, alert, lo, hi, what):
        at = h.parse_ts(alert["at"])
        self.assertGreaterEqual(at, lo, "%s decided %d ms too early" % (what, lo - at))
        self.assertLessEqual(at, hi, "%s decided %d ms too late" % (what, at - hi))

    # -- 1, 2, 3: minimum samples and confidence mode ----------------------------

    def test_csat_fires_once(self):
        """10 of 25 satisfied (confidence mode, 80%): csat_below fires once and stays quiet while firing."""
        redis, kafka, _ = self.stack(config(csat_below={"window": "1h"}))
        agent, now = "agent-low", h.now_ms()
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, ratings(agent, 10, 25, now - 5 * SECOND), key=agent)
        [a] = self.published(redis, kafka, 1)
        self.check_alert(a, "csat_below", agent, "firing", "1h", 40.0, 80.0, 25,
                         "CSAT 40.0% over 1h (25 ratings) is below 80.0% (95% interval 23.4-59.3%)",
                         interval=wilson(10, 25))
        self.assertEqual(a["since"], a["at"], "a new episode starts when it fires")
        self.assert_firing_state(redis, agent, "csat_below", a)
        state = self.rules_state(redis, agent)

        # more low ratings: still firing, nothing re-published (repeat_interval = 0)
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, ratings(agent, 0, 5, now - 2 * SECOND), key=agent)
        self.wait_stat(redis, agent, "ratings_1h", "30")
        self.assertEqual(redis.hgetall(h.stats_key(agent)).get("csat_1h"), "33.3")
        time.sleep(SETTLE_S)
        [b] = self.exactly(redis, kafka, 1)
        self.assertEqual(b["_raw"], a["_raw"])
        self.assertEqual(self.rules_state(redis, agent), state)
        self.assert_firing_state(redis, agent, "csat_below", a)

    def test_csat_few_samples_quiet(self):
        """The same 40% CSAT from 5 ratings does not fire: under min_samples (20)."""
        # In confidence mode 2 of 5 would fire on its own: its 95% interval is entirely under 80%.
        self.assertLess(wilson(2, 5)[1], 80.0)
        redis, kafka, _ = self.stack(config(csat_below={"window": "1h"}))
        few, witness, now = "agent-few", "agent-witness", h.now_ms()
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, ratings(few, 2, 5, now - 5 * SECOND), key=few)
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, ratings(witness, 10, 25, now - 5 * SECOND), key=witness)
        # the witness proves rules are being evaluated
        [a] = self.published(redis, kafka, 1)
        self.assertEqual((a["agent_id"], a["rule"], a["state"]), (witness, "csat_below", "firing"))
        self.wait_stat(redis, few, "ratings_1h", "5")
        self.assertEqual(redis.hgetall(h.stats_key(few)).get("csat_1h"), "40.0")
        time.sleep(SETTLE_S)
        self.exactly(redis, kafka, 1)
        self.assert_quiet(redis, few)
        self.assertEqual(self.active(redis), {witness})

    def test_confidence_mode(self):
        """Against 90% at 95% confidence: 17/20 (85%) does not fire, 10/25 (40%) does."""
        lo17, hi17 = wilson(17, 20)
        self.assertGreater(hi17, 90.0)  # [64.0, 94.8]: not confidently under 90%
        redis, kafka, _ = self.stack(config(csat_below={"window": "1h", "threshold": "90"}))
        good, weak, now = "agent-17of20", "agent-10of25", h.now_ms()
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, ratings(good, 17, 20, now - 5 * SECOND), key=good)
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, ratings(weak, 10, 25, now - 5 * SECOND), key=weak)
        [a] = self.published(redis, kafka, 1)
        self.check_alert(a, "csat_below", weak, "firing", "1h", 40.0, 90.0, 25,
                         "CSAT 40.0% over 1h (25 ratings) is below 90.0% (95% interval 23.4-59.3%)",
                         interval=wilson(10, 25))
        self.assert_firing_state(redis, weak, "csat_below", a)
        self.wait_stat(redis, good, "ratings_1h", "20")
        self.assertEqual(redis.hgetall(h.stats_key(good)).get("csat_1h"), "85.0")  # plain mode would fire
        time.sleep(SETTLE_S)
        self.exactly(redis, kafka, 1)
        self.assert_quiet(redis, good)

    # -- 4: windows slide with no new events -------------------------------------

    def test_complaints_age_out(self):
        """3 complaints (threshold 2, 1m window) fire, then resolve on their own when they leave the window."""
        redis, kafka, _ = self.stack(config(complaints_above={"window": "1m", "threshold": "2"}))
        agent = "agent-cmp"
        ts = h.now_ms()
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS,
                  [h.complaint(agent, ts, "T-%d" % i) for i in range(3)], key=agent)
        bucket = h.granularities((MINUTE, HOUR))[0]  # the 1m window's buckets (core/rolling.c)
        leaves = ts // bucket * bucket + MINUTE + 1  # first ms at which their bucket is out of the window
        [a] = self.published(redis, kafka, 1)
        self.check_alert(a, "complaints_above", agent, "firing", "1m", 3.0, 2.0, 3,
                         "3 complaints over 1m is above 2")
        self.assert_firing_state(redis, agent, "complaints_above", a)

        # no new events from here on
        a2, b = self.published(redis, kafka, 2, timeout=(leaves - h.now_ms()) / 1000.0 + 15)
        self.assertEqual(a2["_raw"], a["_raw"])
        self.check_alert(b, "complaints_above", agent, "resolved", "1m", 0.0, 2.0, 0,
                         "complaints back to 0 over 1m, threshold 2")
        self.assertEqual(b["alert_id"], a["alert_id"])
        self.assertEqual(b["since"], a["since"])
        self.assert_decided_in(b, leaves, leaves + LATE_MS, "the resolve")
        self.assertEqual(redis.hgetall(h.stats_key(agent)).get("complaints_1m"), "0")
        self.assertEqual(redis.hgetall(h.stats_key(agent)).get("complaints_1h"), "3")
        self.assert_quiet(redis, agent)
        time.sleep(SETTLE_S)
        self.exactly(redis, kafka, 2)

    # -- 5: SIGHUP ---------------------------------------------------------------

    def test_sighup_thresholds_and_disable(self):
        """Plain mode on an agent at 80% (25 ratings): 50 -> 95 fires, -> 50 resolves; disabling resolves."""
        rule = {"window": "1h", "mode": "plain", "threshold": "50"}
        redis, kafka, d = self.stack(config(csat_below=rule))
        agent, now = "agent-hup", h.now_ms()
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, ratings(agent, 20, 25, now - 5 * SECOND), key=agent)
        self.wait_stat(redis, agent, "csat_1h", "80.0")
        time.sleep(SETTLE_S)
        self.exactly(redis, kafka, 0)
        self.assert_quiet(redis, agent)

        sent = self.reload(d, {"rule.csat_below": {"threshold": "95"}})
        [f1] = self.published(redis, kafka, 1)
        self.check_alert(f1, "csat_below", agent, "firing", "1h", 80.0, 95.0, 25,
                         "CSAT 80.0% over 1h (25 ratings) is below 95.0%")
        self.assert_decided_in(f1, sent, sent + LATE_MS, "the fire after SIGHUP")
        self.assert_firing_state(redis, agent, "csat_below", f1)

        # an invalid config is refused and the running one stays in force
        self.reload(d, {"rule.csat_below": {"threshold": "150"}}, expect="reload failed")
        time.sleep(SETTLE_S)
        self.exactly(redis, kafka, 1)
        self.assert_firing_state(redis, agent, "csat_below", f1)

        sent = self.reload(d, {"rule.csat_below": {"threshold": "50"}})
        _, r1 = self.published(redis, kafka, 2)
        self.check_alert(r1, "csat_below", agent, "resolved", "1h", 80.0, 50.0, 25,
                         "CSAT back to 80.0% over 1h (25 ratings), threshold 50.0%")
        self.assertEqual((r1["alert_id"], r1["since"]), (f1["alert_id"], f1["since"]))
        self.assert_decided_in(r1, sent, sent + LATE_MS, "the resolve after SIGHUP")
        self.assert_quiet(redis, agent)

        self.reload(d, {"rule.csat_below": {"threshold": "95"}})
        _, _, f2 = self.published(redis, kafka, 3)
        self.check_alert(f2, "csat_below", agent, "firing", "1h", 80.0, 95.0, 25,
                         "CSAT 80.0% over 1h (25 ratings) is below 95.0%")
        self.assertNotEqual(f2["alert_id"], f1["alert_id"], "a new episode has a new id")
        self.assert_firing_state(redis, agent, "csat_below", f2)

        sent = self.reload(d, {"rule.csat_below": {"enabled": "false"}})
        _, _, _, r2 = self.published(redis, kafka, 4)
        self.check_alert(r2, "csat_below", agent, "resolved", "1h", 80.0, 95.0, 25,
                         "rule csat_below is disabled")
        self.assertEqual((r2["alert_id"], r2["since"]), (f2["alert_id"], f2["since"]))
        self.assert_decided_in(r2, sent, sent + LATE_MS, "the resolve of a disabled rule")
        self.assert_quiet(redis, agent)
        time.sleep(SETTLE_S)
        self.exactly(redis, kafka, 4)

    # -- 6: restarts -------------------------------------------------------------

    def test_restart_while_firing(self):
        """SIGTERM and SIGKILL restarts while complaints_above fires: no re-fire, one resolve on time."""
        # A 45 s window (the shortest allowed is 24 s) leaves room for both restarts, a SIGKILL
        # one included (about 15 s to rejoin the group), before the complaints age out.
        span = 45 * SECOND
        redis, kafka, d = self.stack(config(sizes="45s,1h",
                                            complaints_above={"window": "45s", "threshold": "2"}))
        agent = "agent-rst"
        ts = h.now_ms()
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS,
                  [h.complaint(agent, ts, "T-%d" % i) for i in range(3)], key=agent)
        bucket = h.granularities((span, HOUR))[0]  # the 45s window's buckets (core/rolling.c)
        leaves = ts // bucket * bucket + span + 1
        [a] = self.published(redis, kafka, 1)
        self.check_alert(a, "complaints_above", agent, "firing", "45s", 3.0, 2.0, 3,
                         "3 complaints over 45s is above 2")
        self.assert_firing_state(redis, agent, "complaints_above", a)
        state = self.rules_state(redis, agent)

        for how in ("SIGTERM", "SIGKILL"):
            self.wait_outbox_empty(redis)
            if how == "SIGTERM":
                d.stop()
            else:
                d.kill()
            d.start()
            d.wait_ready(timeout=40)
            time.sleep(SETTLE_S)
            [b] = self.exactly(redis, kafka, 1)
            self.assertEqual(b["_raw"], a["_raw"], "after %s restart" % how)
            self.assertEqual(self.rules_state(redis, agent), state, "after %s restart" % how)
            self.assert_firing_state(redis, agent, "complaints_above", a)
        self.assertLess(h.now_ms() + SECOND, leaves, "the restarts took too long for this test")

        _, r = self.published(redis, kafka, 2, timeout=(leaves - h.now_ms()) / 1000.0 + 15)
        self.check_alert(r, "complaints_above", agent, "resolved", "45s", 0.0, 2.0, 0,
                         "complaints back to 0 over 45s, threshold 2")
        self.assertEqual((r["alert_id"], r["since"]), (a["alert_id"], a["since"]))
        self.assert_decided_in(r, leaves, leaves + LATE_MS, "the resolve after restarts")
        self.assert_quiet(redis, agent)
        time.sleep(SETTLE_S)
        self.exactly(redis, kafka, 2)

    # -- pending period and repeat -------------------------------------------------

    def test_pending_period(self):
        """for = 3s: the rule goes pending at once and fires only once the condition held 3 s."""
        redis, kafka, _ = self.stack(config(csat_below={"window": "1h", "mode": "plain", "for": "3s"}))
        agent, now = "agent-pend", h.now_ms()
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, ratings(agent, 10, 25, now - 5 * SECOND), key=agent)

        def pending():
            st = self.rules_state(redis, agent).get("csat_below", "")
            return st if st.startswith("pending:") else None
        st = h.wait_until(pending, 20, 0.02, what="csat_below pending")
        kind, z1, p, z2 = st.split(":")
        self.assertEqual((z1, z2), ("0", "0"), st)
        p = int(p)
        self.assertEqual(self.alerts_hash(redis, agent), {})
        self.assertIn(agent, self.active(redis), "a pending rule is re-evaluated every refresh")
        self.assertEqual(self.stream(redis), [])

        [a] = self.published(redis, kafka, 1)
        self.check_alert(a, "csat_below", agent, "firing", "1h", 40.0, 80.0, 25,
                         "CSAT 40.0% over 1h (25 ratings) is below 80.0%")
        self.assert_decided_in(a, p + 3 * SECOND, p + 3 * SECOND + LATE_MS, "the fire after for = 3s")
        self.assertEqual(a["since"], a["at"], "the episode starts when it fires, not when pending began")
        self.assertGreaterEqual(a["_ms"], p + 3 * SECOND, "committed before the pending period was over")
        self.assert_firing_state(redis, agent, "csat_below", a, pending_since=p)
        time.sleep(SETTLE_S)
        self.exactly(redis, kafka, 1)

    def test_repeat_interval(self):
        """repeat_interval = 3s re-publishes the firing alert: same alert_id, state firing, repeat true."""
        redis, kafka, _ = self.stack(config(csat_below={"window": "1h", "mode": "plain",
                                                        "repeat_interval": "3s"}))
        agent, now = "agent-rep", h.now_ms()
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, ratings(agent, 10, 25, now - 5 * SECOND), key=agent)
        msg = "CSAT 40.0% over 1h (25 ratings) is below 80.0%"
        # Reminders keep coming while this reads, so only the first three are compared.
        alerts = self.first_published(redis, kafka, 3, timeout=20)
        first = alerts[0]
        self.check_alert(first, "csat_below", agent, "firing", "1h", 40.0, 80.0, 25, msg)
        prev = h.parse_ts(first["at"])
        for rep in alerts[1:]:
            self.check_alert(rep, "csat_below", agent, "firing", "1h", 40.0, 80.0, 25, msg, repeat=True)
            self.assertEqual((rep["alert_id"], rep["since"]), (first["alert_id"], first["since"]))
            self.assert_decided_in(rep, prev + 3 * SECOND, prev + 3 * SECOND + LATE_MS, "the repeat")
            prev = h.parse_ts(rep["at"])
        # the state remembers the last send and the hash holds the latest message (polled: a
        # further repeat may be decided while this reads)
        since = h.parse_ts(first["since"])

        def consistent():
            st = self.rules_state(redis, agent)
            last = json.loads(self.stream(redis)[-1][1])
            return (st == {"csat_below": "firing:%d:0:%d" % (since, h.parse_ts(last["at"]))}
                    and self.alerts_hash(redis, agent) == {"csat_below": self.stream(redis)[-1][1]})
        h.wait_until(consistent, 10, 0.05, what="rule state and alerts hash match the last repeat")
        self.assertEqual(self.active(redis), {agent})
        # A reminder says so ("repeat": true, checked above); the first firing message does not.
        self.assertNotIn("repeat", first)

if __name__ == "__main__":
    unittest.main()
