#!/usr/bin/env python3
"""Teams and the site on a running daemon: fb:team:{T}:stats and fb:site:stats against a model.

Each test starts a fresh redis-server, tests/mockkafka (4 partitions, so 4 tasks) and
src/feedbackd with a [teams] map, produces events for agents spread over the tasks, and
compares every field of the team and site hashes with expected.py's sums over the agents
(docs/redis-keys.md).

Run all:   python3 tests/integration/test_teams.py -v
Env:       FEEDBACKD_BUILDDIR (default: repo root), FEEDBACKD_KEEP_TMP, FEEDBACKD_SHOW_LOG
"""

import datetime
import json
import os
import random
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness as h  # noqa: E402
from expected import expected_groups, expected_integrity, expected_months, expected_ranks, utc_month  # noqa: E402
from harness import DAY, HOUR, MINUTE, SECOND  # noqa: E402


def with_team(event, team):
    """The event (JSON text) with a team_id."""
    d = json.loads(event)
    d["team_id"] = team
    return json.dumps(d)


class TestTeams(h.FeedbackTestCase):

    def group_mismatch(self, redis, events, team_of):
        """'' when the site's and each team's hash equal the model's, else a diff."""
        out = []
        for g, want in sorted(expected_groups(events, h.now_ms(), team_of).items()):
            key = "fb:site:stats" if g == "site" else "fb:team:{%s}:stats" % g[len("team:"):]
            got = redis.hgetall(key)
            got.pop("updated_at", None)
            d = h.diff_dicts(want, got)
            if d:
                out.append("%s:\n%s" % (key, d))
        return "\n".join(out)

    def wait_exact(self, mismatch, what, timeout):
        """Waits until mismatch() says '' (the keys equal the model's), else fails with its last diff."""
        last = [""]

        def ok():
            last[0] = mismatch()
            return last[0] == ""
        try:
            h.wait_until(ok, timeout, 0.25, what="exact " + what)
        except AssertionError:
            self.fail("%s not as expected after %.0fs:\n%s" % (what, timeout, last[0]))

    def wait_groups(self, redis, events, team_of, timeout=60.0):
        """Waits until the group hashes equal the model's exactly."""
        self.wait_exact(lambda: self.group_mismatch(redis, events, team_of), "group stats", timeout)

    def month_mismatch(self, redis, events, team_of):
        """'' when the month hashes are exactly the model's (the same keys, every field), else a diff."""
        want = expected_months(events, h.now_ms(), team_of)
        got = {k: redis.hgetall(k) for k in redis.cmd("KEYS", "fb:*:month:*")}
        out = ["missing: %s" % k for k in sorted(set(want) - set(got))]
        out += ["unexpected: %s" % k for k in sorted(set(got) - set(want))]
        for k in sorted(set(want) & set(got)):
            d = h.diff_dicts(want[k], got[k])
            if d:
                out.append("%s:\n%s" % (k, d))
        return "\n".join(out)

    def wait_months(self, redis, events, team_of, timeout=60.0):
        """Waits until the month hashes equal the model's exactly."""
        self.wait_exact(lambda: self.month_mismatch(redis, events, team_of), "month hashes", timeout)

    def map_file(self, text):
        path = os.path.join(self.tmp, "teams.map")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_teams_and_site_exact(self):
        """Eight agents over four tasks, two teams (map and team_id), one agent in none.

        Ratings of both scales, complaints and messages answered and not, at depths from
        minutes to 20 days: every field of fb:team:{T}:stats and fb:site:stats is the sum over
        the agents (not a mean of means), agents_W counts the agents with an event in W, and
        open_tickets the clocks running; the agents' own hashes are unchanged by it all.
        """
        teams = {"ann": "billing", "bob": "billing", "cid": "billing", "dan": "tech", "eve": "tech"}
        path = self.map_file("# agent team\nann billing\nbob billing\ncid billing\ndan tech\n")
        redis, kafka, _ = self.stack(config={"teams": {"map": path}, "rule.csat_below": {"min_samples": "2"},
                                             "rule.complaint_rate_above": {"min_samples": "2"}})
        now = h.now_ms()
        events = []
        for i, agent in enumerate(["ann", "bob", "cid", "dan", "eve", "fay", "gus", "hal"]):
            for k, age in enumerate([2 * MINUTE, 3 * HOUR, 2 * DAY, 20 * DAY]):
                ts = now - age - i * SECOND
                events.append(h.rating(agent, 1 + (i + k) % 5, ts))
                events.append(h.rating(agent, (3 * i + k) % 11, ts - SECOND, scale=10))
                t = "t-%s-%d" % (agent, k)
                events.append(h.complaint(agent, ts - (10 + i) * MINUTE, t))
                if k != 1:
                    events.append(h.reply(agent, ts, t))
            m = "m-%s" % agent
            events.append(h.message(agent, now - (40 + i) * MINUTE, m))
            if i % 2 == 0:
                events.append(h.reply(agent, now - (5 + i) * MINUTE, m))
        # eve is in tech by her events' team_id, not by the map
        events = [with_team(e, "tech") if json.loads(e)["agent_id"] == "eve" else e for e in events]
        for agent in sorted({json.loads(e)["agent_id"] for e in events}):
            h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [e for e in events if json.loads(e)["agent_id"] == agent],
                      key=agent)
        self.wait_stats(redis, events, timeout=60)
        self.wait_groups(redis, events, teams.get, timeout=60)
        self.wait_months(redis, events, teams.get, timeout=30)
        # at least this month's of 8 agents, 2 teams and the site (last month's too, before the 21st)
        self.assertGreaterEqual(len(redis.cmd("KEYS", "fb:*:month:*")), 8 + 2 + 1)
        # each month hash expires when the 13th month after its own begins
        y, m = utc_month(h.now_ms())
        key = "fb:team:{billing}:month:%04d-%02d" % (y, m)
        y, m = (y + 1, m + 1) if m < 12 else (y + 2, 1)
        expire = int(datetime.datetime(y, m, 1, tzinfo=datetime.timezone.utc).timestamp() * 1000)
        self.assertEqual(redis.cmd("PEXPIRETIME", key), expire, key)
        site = redis.hgetall("fb:site:stats")
        self.assertEqual(site["agents_24h"], "8")
        self.assertEqual(site["ratings_30d"], str(8 * 4 * 2))
        self.assertEqual(redis.hgetall("fb:team:{billing}:stats")["agents_7d"], "3")
        self.assertNotIn("agents_24h", redis.hgetall(h.stats_key("ann")), "an agent's hash has no agents_W")
        self.assertEqual(redis.cmd("ZCARD", "fb:agents"), 8, "the agent index lists agents only")
        # the rankings: the site's, and each team's holds its agents with the same scores
        ranks = expected_ranks(events, h.now_ms(), {"csat": 2, "complaint_rate": 2})
        self.assertTrue(ranks)
        for key, want in ranks.items():
            got = redis.zrange_withscores(key)
            self.assertEqual(got, want, key)
            for team in ("billing", "tech"):
                tkey = key.replace("fb:rank:", "fb:team:{%s}:rank:" % team)
                got = redis.zrange_withscores(tkey)
                self.assertEqual(got, {a: v for a, v in want.items() if teams.get(a) == team}, tkey)

    def test_longest_team_id_is_ranked(self):
        """A team id of the longest length allowed (126 bytes) has its rankings like any other.

        Its ranking keys run past the 128 bytes an id map holds, so the views once failed the
        round that would write them, round after round.
        """
        team = "t" * 126
        path = self.map_file("zed %s\n" % team)
        redis, kafka, _ = self.stack(config={"teams": {"map": path}, "rule.csat_below": {"min_samples": "2"}})
        now = h.now_ms()
        events = [h.rating("zed", 5, now - 2 * MINUTE), h.rating("zed", 4, now - MINUTE)]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, events, key="zed")
        key = "fb:team:{%s}:rank:csat_lower:1h" % team
        h.wait_until(lambda: redis.cmd("ZSCORE", key, "zed") is not None, 30, what="zed in " + key)
        self.assertEqual(redis.cmd("ZSCORE", key, "zed"), redis.cmd("ZSCORE", "fb:rank:csat_lower:1h", "zed"))
        h.wait_until(lambda: redis.hgetall("fb:team:{%s}:stats" % team).get("ratings_1h") == "2", 30,
                     what="the team's stats hash")

    def test_reload_moves_agent_and_restart_keeps_groups(self):
        """A map changed by SIGHUP moves an agent's next events; kill -9 and restart keep the sums.

        ann starts in billing; after the reload she is in tech: her new rating counts in tech,
        her old ones stay billing's, and she is active in tech only. Then the daemon is killed
        and restarted: every group hash is still exact and does not count anything twice.
        """
        path = self.map_file("ann billing\nbob tech\n")
        redis, kafka, d = self.stack(config={"teams": {"map": path}})
        now = h.now_ms()
        before = [h.rating("ann", 5, now - 3 * MINUTE), h.rating("bob", 2, now - 2 * MINUTE),
                  h.complaint("ann", now - 20 * MINUTE, "t-ann")]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, before, key="x")
        self.wait_groups(redis, before, {"ann": "billing", "bob": "tech"}.get)
        self.map_file("ann tech\nbob tech\n")
        os.kill(d.proc.pid, signal.SIGHUP)
        d.wait_log(r"reload complete", timeout=10)
        after = [h.rating("ann", 4, now - MINUTE), h.reply("ann", now - 30 * SECOND, "t-ann")]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, after, key="x")

        def billing_and_tech():
            b = redis.hgetall("fb:team:{billing}:stats")
            t = redis.hgetall("fb:team:{tech}:stats")
            return (b.get("ratings_1h"), b.get("complaints_1h"), b.get("agents_1h"), b.get("open_tickets"),
                    t.get("ratings_1h"), t.get("agents_1h"), t.get("replies_1h"), t.get("resp_p50_s_1h"))
        want = ("1", "1", "0", "0", "2", "2", "1", "1181")  # 1170 s, in its bucket (1.04^b)
        h.wait_until(lambda: billing_and_tech() == want, 30, what="ann moved to tech")
        site = redis.hgetall("fb:site:stats")
        self.assertEqual((site["ratings_1h"], site["agents_1h"], site["open_tickets"]), ("3", "2", "0"))
        d.kill()
        d.start()
        d.wait_ready()
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [h.rating("bob", 3, h.now_ms() - SECOND)], key="x")
        h.wait_until(lambda: redis.hgetall("fb:site:stats").get("ratings_1h") == "4", 30, what="site after restart")
        h.wait_until(lambda: billing_and_tech()[4:6] == ("3", "2"), 30, what="tech after restart")
        self.assertEqual(billing_and_tech()[:4], want[:4])
        self.assertEqual(redis.hgetall("fb:site:stats")["agents_24h"], "2")

    def test_rating_integrity(self):
        """A nudging agent among honest ones: rating_integrity_suspect fires for it alone, as the model says.

        Team support: four typical agents, an honestly excellent one (many 5s, the rest mostly
        4s) and nina, who asks for a 5 right after replying (80% 5s, 10% 1s, most ratings within
        seconds of her reply). Agents over four tasks, so the team's counts reach them through
        the route topic. The set of agents the rule fires for equals expected.py's model, and
        nina is in it; the alert says what it compared and carries level info.
        """
        path = self.map_file("".join("%s support\n" % a for a in ("ann", "bob", "cid", "dan", "eve", "nina")))
        redis, kafka, _ = self.stack(config={"teams": {"map": path}, "windows": {"refresh": "1s"}})
        now = h.now_ms()
        rnd = random.Random(20261207)
        profiles = {  # shares of 5, 4, 3, 2, 1 and of ratings within seconds of a reply
            "ann": ((0.35, 0.35, 0.15, 0.10, 0.05), 0.1), "bob": ((0.35, 0.35, 0.15, 0.10, 0.05), 0.1),
            "cid": ((0.35, 0.35, 0.15, 0.10, 0.05), 0.1), "dan": ((0.35, 0.35, 0.15, 0.10, 0.05), 0.1),
            "eve": ((0.50, 0.42, 0.06, 0.02, 0.00), 0.1), "nina": ((0.80, 0.04, 0.02, 0.04, 0.10), 0.7),
        }
        events = []
        for agent, (shares, quick) in profiles.items():
            for k in range(60):
                ts = now - (2 * DAY) + k * 40 * MINUTE + rnd.randint(0, 60) * SECOND
                t = "t-%s-%d" % (agent, k)
                events.append(h.reply(agent, ts - (10 * SECOND if rnd.random() < quick else 20 * MINUTE), t))
                score = 5 - rnd.choices(range(5), shares)[0]
                events.append(h.rating(agent, score, ts, ticket=t))
        for agent in profiles:
            h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [e for e in events if json.loads(e)["agent_id"] == agent],
                      key=agent)
        want = expected_integrity(events, h.now_ms(), lambda a: "support")
        self.assertEqual(want, {"nina"})  # with this seed; the daemon must agree with the model either way

        def firing():
            return {a for a in profiles if "rating_integrity_suspect" in redis.hgetall("fb:agent:{%s}:alerts" % a)}
        try:
            h.wait_until(lambda: firing() == want, 30, 0.25, what="rating_integrity_suspect for %s" % sorted(want))
        except AssertionError:
            self.fail("firing for %s, the model says %s" % (sorted(firing()), sorted(want)))
        a = json.loads(redis.hgetall("fb:agent:{nina}:alerts")["rating_integrity_suspect"])
        self.assertEqual((a["state"], a["window"], a["level"], a["samples"]), ("firing", "7d", "info", 60))
        self.assertIn("is far above its peers'", a["message"])
        self.assertIn("ratings within 30s of a reply", a["message"])
        time.sleep(3)  # and nobody else fires while the figures stand
        self.assertEqual(firing(), want)


if __name__ == "__main__":
    unittest.main()
