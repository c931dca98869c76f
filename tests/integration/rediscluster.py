#!/usr/bin/env python3
"""A real Redis Cluster for tests (issue 13): primaries with a replica each, made the way an
operator makes one (`redis-server --cluster-enabled yes` per node, then
`redis-cli --cluster create ... --cluster-replicas 1`), on loopback ports in a test's
directory; plus what the tests do to it (read a key wherever its slot lives, kill a primary
and wait for its replica to take over, move slots with `redis-cli --cluster reshard`).

Run it alone to check that this machine can make one:
    python3 tests/integration/rediscluster.py
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness as h  # noqa: E402
from resp import RedisError  # noqa: E402

REDIS_CLI = shutil.which("redis-cli") or "redis-cli"
NODE_TIMEOUT_MS = 2000


class ClusterNode(h.Redis):
    """One node of a RedisCluster: its slots come from the cluster's creation (a lone
    h.Redis(cluster=True) claims them all), and a restart finds them in nodes.conf."""

    def __init__(self, tmpdir):
        super().__init__(tmpdir, cluster=True)
        # failure detection in 2 s, not 15: a failover test waits for it
        self.extra_args = ["--cluster-node-timeout", str(NODE_TIMEOUT_MS)]
        self.created = False

    def _claim_slots(self, timeout):
        if self.created:
            # a restarted node learns from the others what changed while it was away
            h.wait_until(lambda: self.cluster_info().get("cluster_state") == "ok", max(timeout, 30.0), 0.1,
                         what="cluster_state:ok on port %d after a restart" % self.port)

    def node_id(self):
        return self.cmd("CLUSTER", "MYID")

    def is_primary(self):
        return self.proc is not None and self.cmd("ROLE")[0] == "master"


class RedisCluster:
    """`primaries` primaries with `replicas` replicas each, all started by start()."""

    def __init__(self, tmpdir, primaries=3, replicas=1):
        self.nodes = [ClusterNode(tmpdir) for _ in range(primaries * (1 + replicas))]
        self.replicas = replicas

    def start(self, timeout=60.0):
        for n in self.nodes:
            n.start()
        r = self.cli("--cluster", "create", *["127.0.0.1:%d" % n.port for n in self.nodes],
                     "--cluster-replicas", str(self.replicas), "--cluster-yes", timeout=timeout)
        for n in self.nodes:
            n.created = True
        h.wait_until(lambda: all(n.cluster_info().get("cluster_state") == "ok" for n in self.nodes),
                     timeout, 0.2, what="cluster_state:ok on every node\n" + r)
        # A replica that never synced cannot take over: its data has no age to trust.
        h.wait_until(lambda: all("master_link_status:up" in n.cmd("INFO", "replication")
                                 for n in self.nodes if not n.is_primary()),
                     timeout, 0.2, what="every replica synced with its primary")
        return self

    def kill(self):
        for n in self.nodes:
            n.kill()

    def cli(self, *args, timeout=120.0):
        """Runs redis-cli with args; its output, or AssertionError with it."""
        r = subprocess.run([REDIS_CLI] + [str(a) for a in args], capture_output=True, text=True,
                           timeout=timeout)
        if r.returncode != 0:
            raise AssertionError("redis-cli %s: rc %d\n%s%s" % (" ".join(map(str, args[:3])), r.returncode,
                                                                r.stdout[-2000:], r.stderr[-2000:]))
        return r.stdout

    @property
    def port(self):
        """A running node's port: what a Daemon is given as the Redis port (mode cluster ignores it)."""
        return self.any_node().port

    def daemon_config(self):
        """The [redis] keys that point feedbackd at this cluster."""
        return {"mode": "cluster", "cluster": self.seeds()}

    # -- the reader interface of h.Redis, each key read where its slot lives ----------

    def hgetall(self, key):
        flat = self.cmd("HGETALL", key)
        return dict(zip(flat[0::2], flat[1::2]))

    def zrange_withscores(self, key):
        flat = self.cmd("ZRANGE", key, 0, -1, "WITHSCORES")
        return {m: int(float(s)) for m, s in zip(flat[0::2], flat[1::2])}

    def keys(self, pattern="*"):
        """The keys matching pattern on every primary."""
        return sorted(set(k for n in self.primaries() for k in n.keys(pattern)))

    def seeds(self):
        """The running nodes as `[redis] cluster` takes them: host:port,host:port,..."""
        return ",".join("127.0.0.1:%d" % n.port for n in self.nodes if n.proc is not None)

    def any_node(self):
        return next(n for n in self.nodes if n.proc is not None)

    def owner(self, slot):
        """The running node that serves slot, by CLUSTER SLOTS as a live node sees it."""
        for first, last, primary, *_ in self.any_node().cmd("CLUSTER", "SLOTS"):
            if first <= slot <= last:
                return next(n for n in self.nodes if n.port == int(primary[1]))
        raise AssertionError("no node serves slot %d" % slot)

    def slot(self, key):
        return int(self.any_node().cmd("CLUSTER", "KEYSLOT", key))

    def cmd(self, *args, key=None):
        """One command on the node serving key's slot (key: args[1] unless given); follows
        MOVED and ASK as a client must."""
        node = self.owner(self.slot(args[1] if key is None else key))
        for _ in range(5):
            try:
                return node.cmd(*args)
            except RedisError as e:
                kind, _, rest = str(e).partition(" ")
                if kind not in ("MOVED", "ASK"):
                    raise
                port = int(rest.rpartition(":")[2])
                node = next(n for n in self.nodes if n.port == port)
                if kind == "ASK":
                    node.cmd("ASKING")
        raise AssertionError("too many redirects for %r" % (args,))

    def primaries(self):
        return [n for n in self.nodes if n.is_primary()]

    def replica_of(self, primary):
        """The running replica of primary."""
        return next(n for n in self.nodes if n.proc is not None and n is not primary and
                    n.cmd("ROLE")[:3] == ["slave", "127.0.0.1", primary.port])

    def kill_primary(self, slot, lag=0.0, timeout=60.0):
        """Kills the primary serving slot and waits until one of its replicas serves it and the
        cluster is ok again; returns the new primary. lag > 0: that many seconds before the
        kill the replica is stopped (SIGSTOP) and its link dropped by the primary (CLIENT KILL:
        what was sent before is in the replica's socket buffer, nothing after), and it is
        continued after the kill, so it is promoted without the writes of those seconds, as a
        lagging replica is in an asynchronous failover."""
        old = self.owner(slot)
        if lag > 0:
            replica = self.replica_of(old)
            os.kill(replica.proc.pid, signal.SIGSTOP)
            old.cmd("CLIENT", "KILL", "TYPE", "replica")
            time.sleep(lag)
        old.kill()
        if lag > 0:
            os.kill(replica.proc.pid, signal.SIGCONT)

        def promoted():
            n = self.owner(slot)
            return n is not old and all(x.cluster_info().get("cluster_state") == "ok"
                                        for x in self.nodes if x.proc is not None) and n
        return h.wait_until(promoted, timeout, 0.2, what="a replica serving slot %d" % slot)

    def slot_map(self, node):
        """node's view of which primary port serves which slot range."""
        return sorted((first, last, int(primary[1])) for first, last, primary, *_ in node.cmd("CLUSTER", "SLOTS"))

    def wait_agreed(self, timeout=60.0):
        """Waits until every running node reports the same slot map (a reshard or a failover
        spreads to the others by gossip, and redis-cli refuses to start while they differ)."""
        h.wait_until(lambda: len({tuple(self.slot_map(n)) for n in self.nodes if n.proc is not None}) == 1,
                     timeout, 0.1, what="every node agreeing on the slot map")

    def reshard(self, src, dst, count):
        """Moves count slots from node src to node dst with redis-cli --cluster reshard, and
        waits until every node knows."""
        out = self.cli("--cluster", "reshard", "127.0.0.1:%d" % src.port, "--cluster-from", src.node_id(),
                       "--cluster-to", dst.node_id(), "--cluster-slots", count, "--cluster-yes")
        self.wait_agreed()
        return out


def main():
    tmp = tempfile.mkdtemp(prefix="rediscluster-")
    c = RedisCluster(tmp)
    try:
        c.start()
        prim = c.primaries()
        print("cluster up: %d nodes, %d primaries; seeds %s" % (len(c.nodes), len(prim), c.seeds()))
        key = "fb:agent:{a1}:stats"
        c.cmd("HSET", key, "ratings_24h", "3", key=key)
        slot = c.slot(key)
        src = c.owner(slot)
        dst = next(p for p in prim if p is not src)
        c.reshard(src, dst, 100)
        print("resharded 100 slots; %s still reads %r" % (key, c.cmd("HGET", key, "ratings_24h", key=key)))
        new = c.kill_primary(c.slot(key))
        print("primary of slot %d killed; port %d serves it now; %s reads %r"
              % (slot, new.port, key, c.cmd("HGET", key, "ratings_24h", key=key)))
    finally:
        c.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
