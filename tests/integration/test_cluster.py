#!/usr/bin/env python3
"""feedbackd on a real Redis Cluster and on Redis Sentinel (issue 13; docs/redis-keys.md,
docs/delivery.md): the delivery workload with exact figures on a 3-primary, 3-replica
cluster; slots resharded mid-stream; a primary killed mid-stream (cluster and Sentinel) with
wait_replicas = 1; three instances scaled in and out against the cluster.

The broker is chosen by FEEDBACKD_KAFKA as for test_delivery.py (delivery.py).

Run:  FEEDBACKD_BUILDDIR=_build python3 tests/integration/test_cluster.py -v
"""

import os
import re
import subprocess
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness as h  # noqa: E402
from delivery import REAL, Streamer, Workload, chunked, partitions  # noqa: E402
import delivery  # noqa: E402
from rediscluster import RedisCluster  # noqa: E402
from redissentinel import SentinelSet  # noqa: E402


def setUpModule():
    delivery.start_broker("test_cluster")


def tearDownModule():
    delivery.stop_broker()


class TestCluster(delivery.DeliveryCase):

    def start_cluster(self):
        c = RedisCluster(self.tmp)
        self.addCleanup(c.kill)
        return c.start()

    def on(self, topology, **sections):
        """The test's config with [redis] pointing at topology and /metrics on a port of its own."""
        port = h.free_port()
        cfg = self.config(**sections)
        cfg.setdefault("redis", {}).update(topology.daemon_config())
        cfg["http"] = {"listen": "127.0.0.1:%d" % port}
        return cfg

    @staticmethod
    def counter(d, name):
        """A counter of daemon d's /metrics."""
        port = int(d.sections["http"]["listen"].rpartition(":")[2])
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
            m = re.search(r"^%s (\d+)$" % re.escape(name), r.read().decode(), re.M)
        return int(m.group(1))

    def stream(self, topology, wl, n, per, interval=0.3):
        """Produces wl's n events in chunks of per, paced; waits until some are applied."""
        s = Streamer(self.kafka.bootstrap, self.t_events, chunked(wl.add(n), per), interval, self.tmp)
        s.start()
        h.wait_until(lambda: s.sent_chunks >= 5 and self.applied(topology) > 0, 90, 0.1, what="stream started")
        return s

    # -- the core scenario ------------------------------------------------------

    def test_core_scenario_exact(self):
        """The delivery workload (ratings, complaints, messages and replies, some breaching,
        duplicates, malformed events) on 3 primaries: exact stats for every agent, every
        breach alert once on Kafka and in fb:alerts, every dead letter once, and fb:agents
        exact. Each primary holds some of the agents' hashes, and in a cluster that does not
        move no call was redirected: every one went straight to its slot's node."""
        c = self.start_cluster()
        d = self.start_daemon(self.kafka.bootstrap, c, self.on(c))
        wl = Workload(self.rnd, agents=300)
        self.bulk(wl.add(30000 if REAL else 12000))
        want = self.assert_exact_stats(c, wl)
        self.assert_agent_index(c, wl)
        self.assert_alerts(c, wl, exactly_once=True)
        self.assert_dlq(wl, exactly_once=True)
        bad = [l for l in d.log().splitlines() if re.search(r"not fully written|redis: .*(ERR|error|given up)", l)]
        self.assertEqual(bad, [], "Redis trouble in a cluster that never changed")
        per_node = [len(n.keys("fb:agent:*:stats")) for n in c.primaries()]
        self.assertEqual(sum(per_node), len(want))
        self.assertTrue(all(per_node), "agents' hashes per primary: %r" % per_node)
        self.assertEqual(self.counter(d, "feedbackd_redis_redirects_total"), 0)
        self.assertGreaterEqual(self.counter(d, "feedbackd_redis_map_refreshes_total"), 1)
        self.note("stats of %d agents on 3 primaries (%s)", len(want), "/".join(map(str, per_node)))
        d.stop()

    # -- slots moved while feedbackd writes ----------------------------------------

    def test_reshard_midstream(self):
        """`redis-cli --cluster reshard` moves 2,000 slots twice while events stream in: the
        calls to moving slots are redirected (ASK while a slot migrates, MOVED after), and
        nothing is lost or counted twice."""
        c = self.start_cluster()
        d = self.start_daemon(self.kafka.bootstrap, c, self.on(c))
        wl = Workload(self.rnd, agents=200)
        s = self.stream(c, wl, 30000 if REAL else 20000, 400)
        a, b, third = c.primaries()
        c.reshard(a, b, 2000)
        self.note("2000 slots moved after chunk %d", s.sent_chunks)
        c.reshard(b, third, 2000)
        self.note("2000 more after chunk %d", s.sent_chunks)
        s.finish()
        self.assert_exact_stats(c, wl)
        self.assert_alerts(c, wl, exactly_once=True)
        redirects = self.counter(d, "feedbackd_redis_redirects_total")
        self.assertGreater(redirects, 0, "no call was redirected: the test moved nothing that was written")
        self.note("%d calls redirected", redirects)
        d.stop()

    # -- --rebuild -----------------------------------------------------------------

    def test_rebuild_on_cluster(self):
        """feedbackd --rebuild on the cluster (agents_shards = 4): every checkpoint and contract
        key is gone from every primary, the dead-letter positions stay; started again, the
        instance reads the input from its beginning and the figures and index are exact."""
        c = self.start_cluster()
        d = self.start_daemon(self.kafka.bootstrap, c, self.on(c, redis={"agents_shards": 4}))
        wl = Workload(self.rnd, agents=100)
        self.bulk(wl.add(4000))
        self.assert_exact_stats(c, wl)
        d.stop()
        before = c.keys("*")
        r = subprocess.run([h.FEEDBACKD, "-c", d.config_path, "--rebuild"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m = re.search(r"(?m)^rebuild: done: (\d+) keys deleted", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        self.assertEqual(c.keys("*"), ["fb:dlq:%s" % self.group])
        self.assertEqual(int(m.group(1)), len(before) - 1, r.stdout)
        d.start()
        d.wait_ready()
        self.assert_exact_stats(c, wl)
        self.assert_agent_index(c, wl, shards=4)
        d.stop()

    # -- a primary lost ------------------------------------------------------------

    def test_failover_with_wait_replicas(self):
        """wait_replicas = 1: the replica of the primary serving task 0's checkpoint stops for
        3 s, the primary is killed, the replica (without those 3 s of writes) takes over and
        the old primary comes back as its replica; feedbackd follows the new slot map. No
        commit of those 3 s reached a replica, so none counted: exact figures. (With
        wait_replicas = 0 they count, their offsets are committed, and they are lost.)"""
        c = self.start_cluster()
        d = self.start_daemon(self.kafka.bootstrap, c, self.on(c, redis={"wait_replicas": 1}))
        wl = Workload(self.rnd, agents=150)
        s = self.stream(c, wl, 24000 if REAL else 12000, 600)
        slot = c.slot("fb:task:{%s:0}:meta" % self.group)
        old = c.owner(slot)
        new = c.kill_primary(slot, lag=3.0)
        self.note("primary %d killed after chunk %d; %d serves slot %d", old.port, s.sent_chunks, new.port, slot)
        old.start()   # it rejoins as the new primary's replica: WAIT 1 can be met again
        s.finish()
        self.assert_exact_stats(c, wl)
        self.assert_alerts(c, wl, exactly_once=False)
        self.assertRegex(d.log(), r"redis: cluster up")
        d.stop()

    def test_sentinel_failover_with_wait_replicas(self):
        """A primary, a replica and three Sentinels; wait_replicas = 1. The primary is killed
        mid-stream, the Sentinels promote the replica and publish +switch-master, feedbackd
        moves to it, the old primary returns as its replica: exact figures."""
        sentinels = SentinelSet(self.tmp)
        self.addCleanup(sentinels.kill)
        sentinels.start()
        d = self.start_daemon(self.kafka.bootstrap, sentinels.primary,
                              self.on(sentinels, redis={"wait_replicas": 1}))
        wl = Workload(self.rnd, agents=150)
        s = self.stream(sentinels.primary, wl, 24000 if REAL else 12000, 600)
        old = sentinels.primary
        new = sentinels.fail_over()
        self.note("primary %d killed after chunk %d; %d promoted", old.port, s.sent_chunks, new.port)
        s.finish()
        self.assert_exact_stats(new, wl)
        self.assert_alerts(new, wl, exactly_once=False)
        d.wait_log(r"the Sentinels moved primary '\S+' to 127\.0\.0\.1:%d" % new.port, 30)
        d.stop()

    # -- scale-out -----------------------------------------------------------------

    @partitions(8)
    def test_three_instances_one_killed_one_added(self):
        """Three instances in one group against the cluster, the agent index split in 8
        (agents_shards); mid-stream one is SIGKILLed and a fourth joins. Exact figures and
        agent index; every breach fires once in fb:alerts, and on Kafka no alert has two
        different firing messages."""
        c = self.start_cluster()
        cfg = self.on(c, redis={"agents_shards": 8})
        ds = [self.start_daemon(self.kafka.bootstrap, c, self.on(c, redis={"agents_shards": 8})) for _ in range(3)]
        wl = Workload(self.rnd, agents=200)
        s = self.stream(c, wl, 40000 if REAL else 16000, 500, interval=0.5)
        h.wait_until(lambda: s.sent_chunks >= 10, 90, 0.1, what="10 chunks sent")
        ds[0].kill()
        self.note("instance 1 killed after chunk %d", s.sent_chunks)
        h.wait_until(lambda: s.sent_chunks >= 16, 90, 0.1, what="16 chunks sent")
        ds.append(self.start_daemon(self.kafka.bootstrap, c, cfg))
        self.note("instance 4 ready after chunk %d", s.sent_chunks)
        s.finish()
        self.assert_exact_stats(c, wl, timeout=180)
        self.assert_agent_index(c, wl, shards=8)
        n_k, n_s, dup = self.assert_alerts(c, wl, exactly_once=False, timeout=120)
        self.note("alerts: %d on kafka (%d identical copies of a firing), %d on fb:alerts, each once",
                  n_k, dup, n_s)
        for d in ds[1:]:
            d.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
