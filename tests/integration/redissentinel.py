#!/usr/bin/env python3
"""Redis Sentinel for tests (issue 13): a primary, its replica and three Sentinels
(`redis-server sentinel.conf --sentinel`) on loopback ports in a test's directory, and a
failover the way it happens in production: the primary dies and the Sentinels promote the
replica, then the old primary comes back and is made the new one's replica.

Run it alone to check that this machine can make one:
    python3 tests/integration/redissentinel.py
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness as h  # noqa: E402

MASTER_NAME = "fbprimary"
# How long a Sentinel waits for an answer before it calls a server down. At 1 s a loaded
# machine (the ASan stage) once had the Sentinels call the just promoted primary down while it
# served the returning old one its full sync, and fail over back to that one.
DOWN_AFTER_MS = 5000


class Sentinel(h.Redis):
    """One Sentinel watching primary_port as MASTER_NAME (quorum 2 of 3)."""

    def __init__(self, tmpdir, primary_port):
        super().__init__(tmpdir)
        self.conf = os.path.join(self.dir, "sentinel.conf")
        with open(self.conf, "w") as f:
            f.write("port %d\nbind 127.0.0.1\ndir %s\nlogfile %s\n"
                    "sentinel monitor %s 127.0.0.1 %d 2\n"
                    "sentinel down-after-milliseconds %s %d\n"
                    "sentinel failover-timeout %s 10000\n"
                    % (self.port, self.dir, self.logfile, MASTER_NAME, primary_port, MASTER_NAME,
                       DOWN_AFTER_MS, MASTER_NAME))

    def start(self, timeout=10.0):
        assert self.proc is None, "sentinel already running"
        self.proc = h._spawn([h.REDIS_SERVER, self.conf, "--sentinel"], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        h.wait_until(lambda: self.cmd("PING") == "PONG", timeout, 0.05,
                     what="sentinel PING on port %d" % self.port)
        return self

    def primary_port(self):
        host, port = self.cmd("SENTINEL", "get-master-addr-by-name", MASTER_NAME)
        return int(port)


class SentinelSet:
    """A primary with one replica, watched by three Sentinels; start() starts them all."""

    def __init__(self, tmpdir):
        self.tmpdir = tmpdir
        self.primary = h.Redis(tmpdir)
        self.replica = h.Redis(tmpdir)
        self.sentinels = []

    def start(self, timeout=30.0):
        self.primary.start()
        self.replica.start()
        self.replica.replicate(self.primary)
        self.sentinels = [Sentinel(self.tmpdir, self.primary.port).start() for _ in range(3)]
        # Every Sentinel knows the replica and the other Sentinels before anything is killed.
        h.wait_until(lambda: all(int(dict(zip(*[iter(s.cmd("SENTINEL", "master", MASTER_NAME))] * 2))
                                     ["num-other-sentinels"]) == 2 and
                                 len(s.cmd("SENTINEL", "replicas", MASTER_NAME)) == 1
                                 for s in self.sentinels),
                     timeout, 0.2, what="three Sentinels that know each other and the replica")
        return self

    def kill(self):
        for n in self.sentinels + [self.primary, self.replica]:
            n.kill()

    def daemon_config(self):
        """The [redis] keys that point feedbackd at these Sentinels."""
        return {"mode": "sentinel", "master_name": MASTER_NAME,
                "sentinels": ",".join("127.0.0.1:%d" % s.port for s in self.sentinels)}

    def fail_over(self, timeout=60.0):
        """Kills the primary, waits until every Sentinel names the replica, then starts the old
        primary again, which the Sentinels make the new primary's replica. Returns the new primary."""
        old, new = self.primary, self.replica
        old.kill()
        h.wait_until(lambda: all(s.primary_port() == new.port for s in self.sentinels), timeout, 0.2,
                     what="every Sentinel naming port %d the primary" % new.port)
        h.wait_until(lambda: new.cmd("ROLE")[0] == "master", timeout, 0.2, what="the replica promoted")
        old.start()
        # Sentinel converts a returning primary only after it sees it up again and its next
        # periodic check: on a loaded machine that took over a minute once, so twice as long.
        h.wait_until(lambda: "master_link_status:up" in old.cmd("INFO", "replication") and
                     ("master_port:%d" % new.port) in old.cmd("INFO", "replication"), 2 * timeout, 0.2,
                     what="the old primary a replica of the new one")
        self.primary, self.replica = new, old
        return new


def main():
    tmp = tempfile.mkdtemp(prefix="redissentinel-")
    s = SentinelSet(tmp)
    try:
        s.start()
        print("primary %d, replica %d, sentinels %s" % (s.primary.port, s.replica.port, s.daemon_config()["sentinels"]))
        s.primary.cmd("SET", "k", "v")
        new = s.fail_over()
        print("failed over: port %d is the primary; k = %r" % (new.port, new.cmd("GET", "k")))
    finally:
        s.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
