#!/usr/bin/env python3
"""What the contract writes cost Redis on this machine, apart from the daemon.

    bench/redis_writes.py                 # 10,000 hashes of 63 fields, 50,000 writes of each kind

A private redis-server holds N agents' stats-sized hashes (63 fields, each hash a listpack,
as the daemon's are) and a sorted set of N members. Each kind of write is sent pipelined
(common.pipeline) and timed by Redis's own CPU (INFO cpu): an HSET of 17 fields at
the front of the hash (a rating's fields, where the daemon keeps them), of 17 at the end,
of 1 field, of all 63 (a write in full), a ZADD GT that moves a member to the top (the
agent index, fb:agents), and HINCRBY of one field (what a counting consumer such as
../shared/bench/peer.py sends). Prints microseconds of Redis CPU per command.
"""
import argparse
import random
import sys

import common as c
from common import h

FIELDS = 63


def cost(redis, cmds):
    """Microseconds of Redis CPU per command of cmds."""
    before = c.redis_cpu(redis)
    c.pipeline(redis, cmds)
    return 1e6 * (c.redis_cpu(redis) - before) / len(cmds)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agents", type=int, default=10_000)
    ap.add_argument("--writes", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    names = ["figure_%02d_%s" % (i, "w" * 6) for i in range(FIELDS)]
    with c.Stack("mock", name="rw") as st:
        st.redis = h.Redis(st.tmp).start()
        redis = st.redis
        c.pipeline(redis, [["HSET", h.stats_key("a%d" % a)] + [x for f in names for x in (f, "1234")]
                     for a in range(args.agents)])
        c.pipeline(redis, [["ZADD", "fb:agents", str(a), "a%d" % a] for a in range(args.agents)])

        def hset(fields):
            return [["HSET", h.stats_key("a%d" % rnd.randrange(args.agents))]
                    + [x for f in fields for x in (f, str(rnd.randrange(10000)))] for _ in range(args.writes)]
        top = 10 ** 12
        kinds = [
            ("HSET, 17 fields at the front", hset(names[:17])),
            ("HSET, 17 fields at the end", hset(names[-17:])),
            ("HSET, 1 field at the front", hset(names[:1])),
            ("HSET, all 63 fields", hset(names)),
            ("ZADD GT, one member moved to the top", [["ZADD", "fb:agents", "GT", str(top + i),
                                                      "a%d" % rnd.randrange(args.agents)]
                                                     for i in range(args.writes)]),
            ("HINCRBY, one field", [["HINCRBY", h.stats_key("a%d" % rnd.randrange(args.agents)), names[0], "1"]
                                    for _ in range(args.writes)]),
        ]
        print("== Redis CPU per contract write (%d hashes of %d fields, %d writes of each kind, pipelined) =="
              % (args.agents, FIELDS, args.writes))
        for label, cmds in kinds:
            print("%-40s %6.2f us" % (label, cost(redis, cmds)))
        print("encoding: %s" % redis.cmd("OBJECT", "ENCODING", h.stats_key("a0")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
