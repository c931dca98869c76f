#!/usr/bin/env python3
"""Service recovery on a running daemon: recovery figures and follow_up_due against a model.

Each test starts a fresh redis-server, tests/mockkafka (4 partitions, so 4 tasks) and
src/feedbackd with a short [recovery] follow_up_within, produces complaints, answers,
follow-ups and ratings of the complaints' tickets (agents and tickets spread over the
tasks), and compares every field of the agents' stats hashes with expected.py's model, and
the follow_up_due alerts with what docs/service-recovery.md and docs/alerts.md say.

Run all:   python3 tests/integration/test_recovery.py -v
Env:       FEEDBACKD_BUILDDIR (default: repo root), FEEDBACKD_KEEP_TMP, FEEDBACKD_SHOW_LOG
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness as h  # noqa: E402
from harness import HOUR, MINUTE, SECOND  # noqa: E402

WITHIN_S = 8
CONFIG = {"recovery": {"follow_up_within": "%ds" % WITHIN_S}}
STREAM = "fb:alerts"


class TestRecovery(h.FeedbackTestCase):

    def wait_exact(self, redis, events, timeout=60.0):
        self.wait_stats(redis, events, timeout, follow_up_within_ms=WITHIN_S * SECOND)

    @staticmethod
    def alerts(redis):
        return [json.loads(f[1]) for _, f in redis.cmd_raw("XRANGE", STREAM, "-", "+")]

    def test_recovery_figures_and_alert(self):
        """Five complaints, one per outcome, over four tasks.

        ann: answered, followed up in time (a follow_up event), rated 5 of 5: recovered.
        bob: answered, followed up in time (a reply marked follow_up), rated 2 of 5, then 5:
        rated, not recovered (the first rating after the complaint is the outcome).
        cid: answered now, never followed up: follow_up_missing at the due time and
        follow_up_due fires; after a kill -9 and a restart, a late follow_up resolves it, once.
        dan: answered an hour ago, followed up half an hour later (too late): due long before
        the complaint was applied, so counted missing and paging nobody.
        eve: never answered: nothing due; a 9 of 10 rating of her ticket recovers it.
        A rating of a ticket with no complaint counts for CSAT only.
        """
        redis, kafka, d = self.stack(config=CONFIG)
        now = h.now_ms()
        events = [
            h.complaint("ann", now - HOUR, "t-ann", severity="high"),
            h.reply("ann", now - 50 * MINUTE, "t-ann"),
            h.follow_up("ann", now - 50 * MINUTE + 5 * SECOND, "t-ann"),
            h.rating("ann", 5, now - 30 * MINUTE, ticket="t-ann"),
            h.complaint("bob", now - 2 * HOUR, "t-bob"),
            h.reply("bob", now - 100 * MINUTE, "t-bob"),
            h.reply("bob", now - 100 * MINUTE + 4 * SECOND, "t-bob", follow_up=True),
            h.rating("bob", 2, now - HOUR, ticket="t-bob"),
            h.rating("bob", 5, now - 30 * MINUTE, ticket="t-bob"),
            h.complaint("cid", now - HOUR, "t-cid", severity="critical"),
            h.reply("cid", now, "t-cid"),
            h.complaint("dan", now - 2 * HOUR, "t-dan"),
            h.reply("dan", now - HOUR, "t-dan"),
            h.follow_up("dan", now - 30 * MINUTE, "t-dan"),
            h.complaint("eve", now - HOUR, "t-eve"),
            h.rating("eve", 9, now - 10 * MINUTE, scale=10, ticket="t-eve"),
            h.rating("fay", 1, now - 10 * MINUTE, ticket="t-none"),
        ]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, events, key="x")
        # cid's follow-up is judged at its due time, or [sla] status_grace (10 s) after the
        # complaint was applied if later: wait past both, then every hash is final
        h.wait_until(lambda: h.now_ms() > now + (WITHIN_S + 12) * SECOND, 60, 0.5, what="cid's judgement")
        self.wait_exact(redis, events, timeout=60)
        ann, bob = redis.hgetall(h.stats_key("ann")), redis.hgetall(h.stats_key("bob"))
        self.assertEqual((ann["recovered_1h"], ann["recovery_rated_1h"], ann["recovery_rate_1h"]),
                         ("1", "1", "100.0"))
        self.assertEqual((bob["recovered_24h"], bob["recovery_rated_24h"], bob["recovery_rate_24h"],
                          bob["ratings_24h"]), ("0", "1", "0.0", "2"))
        self.assertEqual(redis.hgetall(h.stats_key("cid"))["follow_up_missing_1h"], "1")
        self.assertEqual(redis.hgetall(h.stats_key("dan"))["follow_up_missing_24h"], "1")
        self.assertEqual(redis.hgetall(h.stats_key("eve"))["recovered_1h"], "1")
        self.assertNotIn("recovered_1h", redis.hgetall(h.stats_key("fay")))
        # cid's alert, and no other follow_up_due
        fired = h.wait_until(lambda: [a for a in self.alerts(redis) if a["rule"] == "follow_up_due"],
                             30, 0.2, what="follow_up_due")
        self.assertEqual(len(fired), 1, fired)
        a = fired[0]
        self.assertEqual((a["state"], a["agent_id"], a["ticket_id"], a["severity"], a["threshold"]),
                         ("firing", "cid", "t-cid", "critical", float(WITHIN_S)))
        self.assertEqual(a["opened_at"], h.iso(now))
        self.assertEqual(a["deadline"], h.iso(now + WITHIN_S * SECOND))
        self.assertIn("Agent cid has not followed up on complaint ticket t-cid", a["message"])
        self.assertEqual(list(redis.hgetall("fb:agent:{cid}:alerts")), ["follow_up_due:t-cid"])
        # a crash keeps the recovery: the late follow-up resolves the same episode, once
        d.kill()
        d2 = self.start_daemon(kafka.bootstrap, redis, CONFIG)
        late = h.follow_up("ann", h.now_ms(), "t-cid")
        events.append(late)
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [late], key="x")
        resolved = h.wait_until(lambda: [x for x in self.alerts(redis)
                                         if x["rule"] == "follow_up_due" and x["state"] == "resolved"],
                                30, 0.2, what="follow_up_due resolved")
        self.assertEqual(resolved[0]["alert_id"], a["alert_id"])
        self.assertIn("Agent cid followed up on complaint ticket t-cid", resolved[0]["message"])
        h.wait_until(lambda: redis.hgetall("fb:agent:{cid}:alerts") == {}, 10, 0.2, what="cid's alerts cleared")
        self.wait_exact(redis, events)
        self.assertEqual(len([x for x in self.alerts(redis) if x["rule"] == "follow_up_due"]), 2)
        d2.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
