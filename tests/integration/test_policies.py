#!/usr/bin/env python3
"""Reply policies on a running daemon: business hours, pauses, solved, promises, SIGHUP, kill -9.

Each test starts a fresh redis-server, tests/mockkafka and src/feedbackd with calendars and
policies (docs/reply-clocks.md), then reads the alerts back from the fb:alerts stream and
the stats hashes.

Days of business time are driven in seconds two ways:
- past timestamps: a ticket opened on a Friday evening some weeks ago, whose Monday deadline
  has passed, breaches as soon as it is applied, and its alert carries the deadline the
  calendar gives (Monday 12:30 local), to the millisecond;
- a scaled target on a calendar closed for the minute ahead: a clock with seconds of target
  crosses that closed minute, and its breach fires at the exact instant after it.

Run all:   python3 tests/integration/test_policies.py -v
Env:       FEEDBACKD_BUILDDIR (default: repo root), FEEDBACKD_KEEP_TMP, FEEDBACKD_SHOW_LOG
"""

import datetime
import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness as h  # noqa: E402
from harness import MINUTE, SECOND  # noqa: E402

STREAM = "fb:alerts"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
ALL_DAYS = WEEKDAYS + ("saturday", "sunday")


def utc(*args):
    """Epoch ms of a UTC civil time."""
    return int(datetime.datetime(*args, tzinfo=datetime.timezone.utc).timestamp() * 1000)


def office_calendar():
    """Monday to Friday 09:00-18:00 in Europe/Berlin (CET, UTC+1, in winter)."""
    cal = {d: "09:00-18:00" for d in WEEKDAYS}
    cal["timezone"] = "Europe/Berlin"
    return cal


def closed_minute_calendar(now_ms):
    """Open around the clock in UTC, but closed for the whole minute after the next one starts.

    Returns the calendar and the closed stretch [start, end)."""
    start = (now_ms // MINUTE + 2) * MINUTE
    if start % (24 * 60 * MINUTE) >= (24 * 60 - 1) * MINUTE:  # keep it inside one UTC day
        start += 2 * MINUTE
    day = datetime.datetime.fromtimestamp(start / 1000, datetime.timezone.utc)
    first = day.hour * 60 + day.minute
    cal = {d: "24h" for d in ALL_DAYS}
    cal["timezone"] = "UTC"
    cal["holidays"] = "%s %02d:%02d-%02d:%02d" % (day.strftime("%Y-%m-%d"), first // 60, first % 60,
                                                  (first + 1) // 60, (first + 1) % 60)
    return cal, start, start + MINUTE


class TestPolicies(h.FeedbackTestCase):

    def stream(self, redis):
        return [json.loads(f[1]) for _, f in redis.cmd_raw("XRANGE", STREAM, "-", "+")]

    def wait_alert(self, redis, rule, state, ticket, timeout=20.0):
        """The first alert of rule/state on ticket in the stream, once it is there."""
        def find():
            for a in self.stream(redis):
                if a["rule"] == rule and a["state"] == state and a["ticket_id"] == ticket:
                    return a
            return None
        return h.wait_until(find, timeout, 0.02, what="%s %s on %s" % (rule, state, ticket))

    def stats(self, redis, agent, *names):
        got = redis.hgetall(h.stats_key(agent))
        return {n: got.get(n) for n in names}

    def wait_fields(self, redis, agent, want, timeout=15.0):
        """Waits until the agent's stats hash holds want (None: absent)."""
        last = [None]

        def ok():
            last[0] = self.stats(redis, agent, *want)
            return last[0] == want
        try:
            h.wait_until(ok, timeout, 0.1, what="stats of %s" % agent)
        except AssertionError:
            self.fail("stats of %s: got %r, want %r" % (agent, last[0], want))

    def assert_on_time(self, alert, deadline_ms):
        """A breach decided at or after its deadline, and at most 1 s after it."""
        at = h.parse_ts(alert["at"])
        self.assertEqual(h.parse_ts(alert["deadline"]), deadline_ms, "deadline of %r" % alert)
        self.assertGreaterEqual(at, deadline_ms, "decided before its deadline")
        self.assertLess(at - deadline_ms, 1000, "decided %d ms after its deadline" % (at - deadline_ms))
        sys.stderr.write("[%s decided %d ms after its deadline] " % (alert["rule"], at - deadline_ms))

    def reload(self, d, sections):
        """Rewrites the daemon's config with sections changed, and sends SIGHUP."""
        for sec, kv in sections.items():
            d.sections.setdefault(sec, {}).update(kv)
        with open(d.config_path, "w") as f:
            f.write(h._ini(d.sections))
        os.kill(d.proc.pid, signal.SIGHUP)
        d.wait_log(r"reload complete", timeout=10)

    # -- tests -----------------------------------------------------------------

    def test_friday_evening_breaches_monday(self):
        """A ticket opened Friday 17:30 local time, 4 business hours: deadline Monday 12:30.

        Past timestamps: the Friday is 2026-11-27 (17:30 CET = 16:30Z), so the Monday deadline
        2026-11-30 12:30 CET (11:30Z) has passed and the breach fires when the clock is
        applied. A second ticket of that Friday answered on Monday 10:00 CET is met, after
        1h30m of business time (30 minutes on Friday, one hour on Monday)."""
        cfg = {"calendar.office": office_calendar(),
               "policy.default": {"calendar": "office", "first_reply": "4h", "first_reply.at_risk": "0"}}
        redis, kafka, _ = self.stack(cfg)
        friday = utc(2026, 11, 27, 16, 30)
        if h.now_ms() < utc(2026, 11, 30, 11, 30):
            self.skipTest("the machine's clock is before the Monday deadline")
        events = [h.message("agent-fri", friday, "T-fri"),
                  h.message("agent-fri", friday, "T-fri-met"),
                  h.reply("agent-fri", utc(2026, 11, 30, 9, 0), "T-fri-met")]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, events, key="agent-fri")
        a = self.wait_alert(redis, "reply_sla_breach", "firing", "T-fri")
        self.assertEqual(a["deadline"], "2026-11-30T11:30:00.000Z", "Monday 12:30 CET")
        self.assertEqual(a["opened_at"], "2026-11-27T16:30:00.000Z")
        self.assertEqual((a["policy"], a["calendar"], a["goal"]), ("default", "office", "first_reply"))
        self.assertEqual(a["threshold"], 4 * 3600.0, "the target, in business seconds")
        # 4 business hours at the deadline; the wall time is 2 days 19 hours
        self.assertGreaterEqual(a["business_s"], 4 * 3600.0)
        self.assertGreater(a["wall_s"], a["business_s"])
        self.assertEqual([x["ticket_id"] for x in self.stream(redis)], ["T-fri"], "T-fri-met was met: no alert")
        # the 30-day window holds both; the met one took 1h30m of business time
        self.wait_fields(redis, "agent-fri", {
            "first_reply_met_30d": "1", "first_reply_missed_30d": "1", "first_reply_avg_s_30d": "5400",
            "first_reply_max_s_30d": "5400", "reply_sla_met_30d": "1", "reply_sla_missed_30d": "1",
            "resp_avg_s_30d": "5400", "open_tickets": "1", "overdue_tickets": "1"})

    def test_breach_fires_at_the_instant_after_closed_time(self):
        """A 20 s target on a calendar closed for a whole minute: the breach waits out the minute.

        The clock opens 5 s before the closed minute, so 5 s count before it and 15 s after:
        its deadline is the minute's end + 15 s, and the timer fires there, <= 1 s late."""
        cal, closed, reopen = closed_minute_calendar(h.now_ms())
        cfg = {"calendar.gap": cal,
               "policy.default": {"calendar": "gap", "first_reply": "20s", "first_reply.at_risk": "0"}}
        redis, kafka, _ = self.stack(cfg)
        opened = closed - 5 * SECOND
        while h.now_ms() < opened - 2 * SECOND:
            time.sleep(0.05)
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [h.message("agent-gap", opened, "T-gap")], key="agent-gap")
        a = self.wait_alert(redis, "reply_sla_breach", "firing", "T-gap", timeout=120)
        deadline = reopen + 15 * SECOND
        self.assert_on_time(a, deadline)
        # clock time to the decision: the 20 s target and the moments after it
        self.assertEqual(a["business_s"], (20 * SECOND + h.parse_ts(a["at"]) - deadline) / 1000.0)
        self.assertEqual(a["wall_s"], (h.parse_ts(a["at"]) - opened) / 1000.0)

    def test_pending_pause_moves_the_deadline(self):
        """pending at +1 s, open at +3 s: a 4 s target's deadline moves by exactly 2 s.

        A second ticket gets the same two status events in the other order: same deadline."""
        cfg = {"policy.default": {"first_reply": "4s", "first_reply.at_risk": "0"}}
        redis, kafka, _ = self.stack(cfg)
        t0 = h.now_ms() + 500
        agent = "agent-pause"
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [
            h.message(agent, t0, "T-p1"), h.status(agent, t0 + SECOND, "T-p1", "pending"),
            h.status(agent, t0 + 3 * SECOND, "T-p1", "open"),
            h.message(agent, t0, "T-p2"), h.status(agent, t0 + 3 * SECOND, "T-p2", "open"),
            h.status(agent, t0 + SECOND, "T-p2", "pending")], key=agent)
        for ticket in ("T-p1", "T-p2"):
            a = self.wait_alert(redis, "reply_sla_breach", "firing", ticket)
            self.assert_on_time(a, t0 + 6 * SECOND)
            self.assertEqual(a["business_s"], (4 * SECOND + h.parse_ts(a["at"]) - (t0 + 6 * SECOND)) / 1000.0)
            self.assertEqual(a["wall_s"], (h.parse_ts(a["at"]) - t0) / 1000.0)

    def test_solved_never_breaches(self):
        """solved stops the resolution clock (counted, met) and ends the reply clock uncounted."""
        cfg = {"policy.default": {"first_reply": "3s", "resolution": "3s", "first_reply.at_risk": "0",
                                  "resolution.at_risk": "0"}}
        redis, kafka, _ = self.stack(cfg)
        t0 = h.now_ms()
        agent = "agent-solved"
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [
            h.message(agent, t0, "T-s"), h.status(agent, t0 + SECOND, "T-s", "solved"),
            h.message(agent, t0, "T-open")], key=agent)
        a = self.wait_alert(redis, "resolution_sla_breach", "firing", "T-open")
        self.assert_on_time(a, t0 + 3 * SECOND)
        self.assertEqual(a["goal"], "resolution")
        time.sleep(1.5)
        self.assertEqual(sorted({x["ticket_id"] for x in self.stream(redis)}), ["T-open"], "T-s never breaches")
        self.wait_fields(redis, agent, {
            "resolution_met_1h": "1", "resolution_missed_1h": "1", "resolution_avg_s_1h": "1",
            "first_reply_met_1h": "0", "first_reply_missed_1h": "1", "open_tickets": "1", "overdue_tickets": "1"})

    def test_promise_broken_after_the_breach(self):
        """A 2 s target with a 4 s promise: the breach at 2 s, promise_broken (critical) at 4 s."""
        cfg = {"policy.default": {"first_reply": "2s", "first_reply.promise": "4s", "first_reply.at_risk": "0"}}
        redis, kafka, _ = self.stack(cfg)
        t0 = h.now_ms()
        agent = "agent-promise"
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [h.message(agent, t0, "T-pr"), h.message(agent, t0, "T-kept")],
                  key=agent)
        breach = self.wait_alert(redis, "reply_sla_breach", "firing", "T-pr")
        self.assert_on_time(breach, t0 + 2 * SECOND)
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [h.reply(agent, t0 + 3 * SECOND, "T-kept")], key=agent)
        broken = self.wait_alert(redis, "promise_broken", "firing", "T-pr")
        self.assertEqual(broken["level"], "critical")
        self.assertEqual(h.parse_ts(broken["promised_at"]), t0 + 4 * SECOND)
        self.assertLess(h.parse_ts(broken["at"]) - (t0 + 4 * SECOND), 1000)
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [h.reply(agent, h.now_ms(), "T-pr")], key=agent)
        self.wait_alert(redis, "promise_broken", "resolved", "T-pr")
        self.wait_fields(redis, agent, {"promise_kept_1h": "1", "promise_broken_1h": "1",
                                        "reply_sla_missed_1h": "2", "open_tickets": "0"})

    def test_late_pending_within_the_grace(self):
        """A pending that arrives after the reply it preceded counts as if in order (status_grace).

        T-in gets message, pending +1 s, open +3 s, reply +4 s in order; T-out gets the reply
        before the two status events. Both count 2 s of clock time: 4 s less the 2 s pending."""
        cfg = {"sla": {"status_grace": "3s"},
               "policy.default": {"first_reply": "10s", "first_reply.at_risk": "0"}}
        redis, kafka, _ = self.stack(cfg)
        t0 = h.now_ms() - 5 * SECOND  # its deadline, with the pause, is 7 s away
        for agent, ticket, order in (("agent-in", "T-in", (0, 1, 2, 3)), ("agent-out", "T-out", (0, 3, 1, 2))):
            ev = [h.message(agent, t0, ticket), h.status(agent, t0 + SECOND, ticket, "pending"),
                  h.status(agent, t0 + 3 * SECOND, ticket, "open"), h.reply(agent, t0 + 4 * SECOND, ticket)]
            for i in order:
                h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [ev[i]], key=agent)
                time.sleep(0.3)
        for agent in ("agent-in", "agent-out"):
            self.wait_fields(redis, agent, {"first_reply_avg_s_1h": "2", "first_reply_met_1h": "1",
                                            "resp_avg_s_1h": "2", "open_tickets": "0"})

    def test_sighup_and_kill9_keep_the_policy_a_clock_started_with(self):
        """A running clock keeps its policy across SIGHUP and kill -9; new tickets take the new one.

        vip tickets (queue vip) get first_reply 15s; after T-old starts, a reload makes it 120s and
        T-new starts; then the daemon is killed and restarted. T-old still breaches at its 15 s
        deadline, as policy vip, fired by the restarted daemon, and T-new does not."""
        cfg = {"policy.vip": {"match.queue": "vip", "first_reply": "15s", "first_reply.at_risk": "0"}}
        redis = self.start_redis()
        kafka = self.start_kafka()
        d = self.start_daemon(kafka.bootstrap, redis, cfg)
        agent = "agent-vip"
        t0 = h.now_ms()
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [h.message(agent, t0, "T-old", queue="vip")], key=agent)
        self.wait_fields(redis, agent, {"open_tickets": "1"})
        self.reload(d, {"policy.vip": {"first_reply": "120s"}})
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [h.message(agent, h.now_ms(), "T-new", queue="vip")], key=agent)
        self.wait_fields(redis, agent, {"open_tickets": "2"})
        time.sleep(1.0)  # a flush, so the checkpoint holds both
        d.kill()
        restarted = h.now_ms()
        self.assertLess(restarted, t0 + 15 * SECOND, "killed after the deadline: the test proves nothing")
        d.start()
        d.wait_ready()
        a = self.wait_alert(redis, "reply_sla_breach", "firing", "T-old", timeout=40)
        self.assertEqual(h.parse_ts(a["deadline"]), t0 + 15 * SECOND)
        self.assertEqual((a["policy"], a["threshold"]), ("vip", 15.0))
        self.assertGreater(h.parse_ts(a["at"]), restarted, "fired by the restarted daemon")
        time.sleep(1.0)
        self.assertEqual([x["ticket_id"] for x in self.stream(redis)], ["T-old"], "T-new runs under 60 s")


if __name__ == "__main__":
    unittest.main()
