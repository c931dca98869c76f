#!/usr/bin/env python3
"""Benchmark 10 (issue 13): where the bottleneck goes with more instances and a Redis Cluster.

    bench/scaleout.py                         # 1,000,000 events, 10,000 agents, 8 partitions
    bench/scaleout.py --events 200000 --configs redis-1,cluster-2

The mixed events of benchmark 1 (bench/gen_events.py, keyed by agent), read by each
configuration into a Redis flushed before it:

  redis-N     N feedbackd instances against one redis-server
  cluster-N   N instances against a Redis Cluster of --primaries primaries (no replicas:
              only the routing and the spread of the writes are measured)

Each configuration has an input topic of its own: its instances start, the benchmark waits
until their group has spread the partitions over them, and only then produces the events
into it (kcat -P, timed), so that no rebalance falls inside the measure. For each:
events/s from the start of that produce until the stats hashes show every event (the sums
of ratings_30d, complaints_30d, replies_30d and open_tickets over all agents, read where
each agent's slot lives), and per event the CPU of the daemons, of every Redis server (all,
net of the benchmark's own reads, and the busiest one) and of the broker.
Before the first configuration, --broker-warmup unmeasured passes (as in benchmark 1) let
the real broker's JVM compile the code of the daemon's requests.

On two cores every process competes for the same CPU, so more instances cannot give more
events/s here; the per-event CPU of each part is what carries over to a bigger machine,
and docs/capacity.md builds the capacity model from it.
"""
import argparse
import os
import re
import sys
import time

import common as c
from common import h
import throughput as tp

from rediscluster import RedisCluster  # tests/integration, on the path through common


class ClusterStats(c.StatsWait):
    """StatsWait over a cluster: each agent's HMGET goes to the primary serving its slot."""

    def __init__(self, cluster, agents, want, gate=None, every=1.0):
        super().__init__(cluster.any_node(), agents, want, gate, every)
        keys = [h.stats_key(a) for a in self.agents]
        slots = c.pipeline(cluster.any_node(), [["CLUSTER", "KEYSLOT", k] for k in keys])
        by_port = {}
        for agent, slot in zip(self.agents, slots):
            by_port.setdefault(cluster.owner(int(slot)).port, []).append(agent)
        self.parts = [(next(n for n in cluster.nodes if n.port == port), part) for port, part in by_port.items()]
        self.requests = [c.stats_request(part) for _, part in self.parts]

    def poll(self):
        self.polls += 1
        tot = [0] * len(c.TOTAL_FIELDS)
        for (node, part), req in zip(self.parts, self.requests):
            tot = [a + b for a, b in zip(tot, c.stats_totals(node, part, req))]
        self.last = tot
        return tot == self.want

    def poll_cost(self, rounds=3):
        nodes = [n for n, _ in self.parts]
        c0 = sum(c.redis_cpu(n) for n in nodes)
        for _ in range(rounds):
            self.poll()
        return (sum(c.redis_cpu(n) for n in nodes) - c0) / rounds


def daemon_events(st, d):
    """Events daemon d counted as applied or duplicate (/metrics), 0 when it does not answer."""
    return c.events_seen(st, int(d.sections["http"]["listen"].rpartition(":")[2])) or 0


def assigned(d):
    """Partitions (input and route) daemon d holds, by its last "kafka: assigned N" line."""
    held = re.findall(r"kafka: assigned (\d+) partitions", d.log())
    return int(held[-1]) if held else 0


def run_config(st, name, servers, cluster, args, summary, path, n):
    """One configuration: n instances on an input topic of its own, ready before its events
    are produced into it (so no rebalance falls inside the measure), Redis flushed first."""
    for s in servers:
        s.cmd("FLUSHALL")
        s.cmd("CONFIG", "RESETSTAT")
    topic = "%s.%s" % (c.TOPIC, name)
    cfg = {"kafka": {"group": "%s-%s" % (c.GROUP, name), "topics": topic}}
    if cluster is not None:
        cfg["redis"] = cluster.daemon_config()
    agents, want = c.expect_mixed(summary)
    daemons = [st.make_daemon({sec: dict(kv) for sec, kv in cfg.items()}) for _ in range(n)]
    gate = lambda: sum(daemon_events(st, d) for d in daemons) >= args.events  # noqa: E731
    sw = (ClusterStats(cluster, agents, want, gate, 3600) if cluster is not None else
          c.StatsWait(st.redis, agents, want, gate, 3600))
    for d in daemons:
        st.start_daemon(d)
    h.wait_until(lambda: sum(assigned(d) for d in daemons) == 2 * args.partitions, 120, 0.1,
                 what="the input and route partitions spread over the instances")
    d0 = [c.cpu_seconds(d.proc.pid)[0] for d in daemons]
    r0 = {s.port: c.redis_cpu(s) for s in servers}
    kb0, mc0 = c.broker_cpu(st), c.machine_cpu()
    t0 = time.monotonic()
    produce_s = c.produce_file(st.bootstrap, topic, path)
    t_done = sw.wait(timeout=args.timeout, interval=0.02, daemon=daemons[0])
    r1 = {s.port: c.redis_cpu(s) for s in servers}
    kb1, mc1 = c.broker_cpu(st), c.machine_cpu()
    cpu = [c.cpu_seconds(d.proc.pid)[0] - x for d, x in zip(daemons, d0)]
    # fb:agents, the one key every round writes, is on one server: what its ZADDs cost there
    zadd = [c.redis_commandstats(s).get("zadd", (0, 0)) for s in servers]
    for d in daemons:
        d.stop(timeout=60)
    st.daemon = None
    poll = sw.poll_cost()
    redis = {p: r1[p] - r0[p] for p in r0}
    res = {
        "config": name, "instances": n, "redis_servers": len(servers), "wall_s": t_done - t0,
        "produce_s": produce_s, "eps": args.events / (t_done - t0), "daemon_cpu_s": cpu,
        "redis_cpu_s": redis, "redis_polls": sw.polls, "redis_poll_cpu_s": poll,
        "redis_net_s": sum(redis.values()) - sw.polls * poll, "redis_busiest_s": max(redis.values()),
        "broker_cpu_s": None if kb0 is None else kb1 - kb0,
        "machine_busy": (mc1[0] - mc0[0]) / (mc1[1] - mc0[1]),
        "zadd_calls": sum(z[0] for z in zadd), "zadd_usec": [z[1] for z in zadd],
    }
    c.log("%s: %.0f events/s; daemons %s s CPU; redis %s s CPU; %d polls"
          % (name, res["eps"], ", ".join("%.2f" % x for x in cpu),
             ", ".join("%.2f" % x for x in redis.values()), sw.polls))
    return res


def run(args):
    res = {"benchmark": "scaleout", "events": args.events, "agents": args.agents,
           "partitions": args.partitions, "primaries": args.primaries, "runs": []}
    topics = {c.TOPIC: args.partitions, c.TOPIC_ROUTE: args.partitions, h.TOPIC_DLQ: 1, h.TOPIC_ALERTS: 1}
    for name in args.configs:
        topics["%s.%s" % (c.TOPIC, name)] = topics["%s.%s.route" % (c.TOPIC, name)] = args.partitions
    with c.Stack(args.kafka, args.keep, args.partitions, "scale") as st:
        st.start(topics)
        args.events = res["events"] = c.mock_capped(st, args.events, args.mock_max, "--events")
        res["kafka"] = "real" if st.real else "mock"
        path = os.path.join(st.tmp, "events.txt")
        lines, summary = c.gen_events.gen_mixed(args.events, args.agents, int(time.time() * 1000),
                                                c.gen_events.HOUR, args.seed, "so%d" % os.getpid(), "rfc3339")
        c.gen_events.write_lines(path, lines)
        del lines
        if st.real and args.broker_warmup > 0:
            c.produce_file(st.bootstrap, c.TOPIC, path)
            res["broker_warmup"] = tp.warm_broker(st, {}, summary, args)
        cluster = None
        if any(x.startswith("cluster") for x in args.configs):
            cluster = RedisCluster(st.tmp, primaries=args.primaries, replicas=0).start()
        try:
            res["cpu_reference_before"] = c.cpu_reference()
            for name in args.configs:
                kind, _, n = name.partition("-")
                on = cluster if kind == "cluster" else None
                servers = cluster.primaries() if on is not None else [st.redis]
                res["runs"].append(run_config(st, name, servers, on, args, summary, path, int(n)))
            res["cpu_reference_after"] = c.cpu_reference()
        finally:
            if cluster is not None:
                cluster.kill()
    return res


def report(res, out=sys.stdout):
    p = lambda *a: print(*a, file=out)  # noqa: E731
    n = res["events"]
    p("== Benchmark 10: scale-out (%s Kafka, %d events, %d agents, %d partitions; cluster: %d primaries, "
      "no replicas) ==" % (res["kafka"], n, res["agents"], res["partitions"], res["primaries"]))
    rows = []
    for r in res["runs"]:
        rows.append([r["config"], r["instances"], r["redis_servers"], "%.0f" % r["eps"],
                     "%.2f (%.2f)" % (r["wall_s"], r["produce_s"]),
                     "%.2f" % (1e6 * sum(r["daemon_cpu_s"]) / n),
                     "%.2f" % (1e6 * r["redis_net_s"] / n), "%.2f" % (1e6 * r["redis_busiest_s"] / n),
                     "-" if r["broker_cpu_s"] is None else "%.2f" % (1e6 * r["broker_cpu_s"] / n),
                     "%.0f%%" % (100 * r["machine_busy"])])
    p(c.fmt_table(rows, ["config", "instances", "redis servers", "events/s", "seconds (produce)",
                         "daemons us/event", "redis us/event (all)", "busiest redis us/event",
                         "broker us/event", "machine busy"]))
    p("raw: daemon CPU s per instance; redis CPU s per server (polls of the stats: count x s each, "
      "subtracted from 'all' only)")
    for r in res["runs"]:
        p("  %-10s daemons %s; redis %s; polls %d x %.4f s"
          % (r["config"], " ".join("%.2f" % x for x in r["daemon_cpu_s"]),
             " ".join("%.2f" % x for x in r["redis_cpu_s"].values()), r["redis_polls"], r["redis_poll_cpu_s"]))
    p("the agent index (fb:agents, one key, or its [redis] agents_shards shards): its ZADD GT calls and their "
      "Redis CPU (INFO commandstats) per event, on the busiest server and in all")
    for r in res["runs"]:
        p("  %-10s %d calls, %.3f us per event on the busiest server, %.3f in all"
          % (r["config"], r["zadd_calls"], max(r["zadd_usec"]) / n, sum(r["zadd_usec"]) / n))
    ref = sorted(res.get("cpu_reference_before", []) + res.get("cpu_reference_after", []))
    if ref:
        p("core speed: cpu_reference median %.3f s (raw %s)"
          % (ref[len(ref) // 2], ", ".join("%.3f" % x for x in ref)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--agents", type=int, default=10_000)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--primaries", type=int, default=3)
    ap.add_argument("--configs", type=lambda s: s.split(","), default="redis-1,redis-2,cluster-1,cluster-2",
                    help="comma separated: redis-N and cluster-N (default %(default)s)")
    ap.add_argument("--broker-warmup", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--mock-max", type=int, default=100_000)
    c.add_common_args(ap)
    args = ap.parse_args()
    c.run_and_report(args, run, report)


if __name__ == "__main__":
    main()
