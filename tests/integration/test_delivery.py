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

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness as h  # noqa: E402
from harness import MINUTE, SECOND  # noqa: E402
from delivery import REAL, Streamer, Workload, chunked, partitions, real_only  # noqa: E402
import delivery  # noqa: E402

CRASH_EVENTS = int(os.environ.get("FEEDBACKD_CRASH_EVENTS") or 1000000)
CRASH_KILLS = 5
MiB = 1024 * 1024


def setUpModule():
    delivery.start_broker("test_delivery")


def tearDownModule():
    delivery.stop_broker()


# ----------------------------------------------------------------------------
# tests


class TestDelivery(delivery.DeliveryCase):

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
