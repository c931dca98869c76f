#!/usr/bin/env python3
"""Benchmark 7: memory at scale, and restore after a crash.

    bench/scale.py                 # 100,000 agents, 10,000,000 ids (= events), 1,000,000 open clocks
    bench/scale.py --quick         # 1/20 of that, to try it out
    bench/scale.py --agents 20000 --ids 2000000 --clocks 200000 --history 5

Issue 11's "memory at scale" state is 100,000 agents with 30 days of events, 1,000,000
open reply clocks and 10,000,000 event ids in the dedupe horizon (24 h).  At ~100
events per agent per day, 30 days would be 300,000,000 events: too many to produce
here.  What the targets constrain is the STATE, and this scheme builds it honestly:

  history  --history (10) ratings per agent, ts evenly spread from 29.5 days to
           25 hours before now: every agent has counters spread over the whole 30-day
           window (bucket state of 30 days).
  last 24 h the rest of the --ids (10,000,000) events, ts evenly spread from 23 h to
           1 minute before now, agents round robin.  --clocks (1,000,000) of them
           are `message` events on distinct tickets that never get a reply
           (1,000,000 open clocks; [sla] reply_target = 7d, so none is at risk or
           breached), the rest ratings (score 1-5 in turn).

Every event has its own id, and the daemon's dedupe horizon (24 h) counts from when
it first saw an id (src/core/dedupe.h), not from the event's ts: all --ids ids are in
the horizon while the run lasts (feedbackd_dedupe_ids shows it).  So by default
100,000 x 10 history + 9,000,000 recent = 10,000,000 events (~1.2 GB of
`KEY\x1fJSON` lines, streamed to a file, then one `kcat -P -l`, produced while the
daemon runs).
The run waits until the stats hashes show every event (ratings_30d summed over the
agents = all ratings, open_tickets summed = --clocks; Redis is polled once /metrics
counts every event, at least every 10 s before), printing progress every 10 s, then
prints the daemon's VmRSS and VmHWM (target <= 512 MiB) and Redis used_memory
(target <= 1 GiB), with the /metrics gauges (agents, dedupe ids, open clocks).

Restore: SIGKILL of the daemon, immediate restart with the same config, and a fresh
rating for a new agent produced right after the restart.  Prints the time from the
kill until (a) that rating shows in its agent's stats hash (polled every 10 ms) and
(b) the last `engine: task N restored` log line of the new process (log timestamp;
also the per-task restore times the log gives).  Target <= 10 s.  The daemon runs with
static group membership ([kafka] group_instance_id, as man/feedbackd.conf.5 recommends for
fast restarts), so the restarted process takes its partitions back at once; with
--dynamic-membership it must first wait for the killed member's session (6 s in the
harness config) to expire.

Needs the real broker (tests/kafka/realkafka.sh; --kafka mock refuses unless
--quick: the mock keeps everything in memory).  Run nothing else meanwhile.
"""
import argparse
import datetime
import os
import re
import threading
import time

import common as c
from common import h

DAY = 24 * c.gen_events.HOUR
FULL = {"agents": 100_000, "ids": 10_000_000, "clocks": 1_000_000}
QUICK_DIV = 20


def gen_state(path, agents, history, ids, clocks, now, run):
    """Streams the events to path; returns the expected sums of TOTAL_FIELDS and the count."""
    names = [c.gen_events.agent_name(i) for i in range(agents)]
    h_start, h_span = now - int(29.5 * DAY), int(29.5 * DAY) - 25 * c.gen_events.HOUR
    r_start, r_span = now - 23 * c.gen_events.HOUR, 23 * c.gen_events.HOUR - c.gen_events.MIN
    n_hist = agents * history
    recent = ids - n_hist
    rating = '%s\x1f{"event_id":"%s-%d","type":"rating","agent_id":"%s","ts":%d,"score":%d}'
    message = '%s\x1f{"event_id":"%s-%d","type":"message","agent_id":"%s","ts":%d,"ticket_id":"%s-k%d"}'
    with open(path, "w", encoding="utf-8", buffering=1 << 22) as f:
        buf = []
        for i in range(n_hist):
            a = names[i % agents]
            buf.append(rating % (a, run, i, a, h_start + h_span * i // n_hist, i % 5 + 1))
            if len(buf) >= 100_000:
                f.write("\n".join(buf) + "\n")
                buf = []
        for j in range(recent):
            i = n_hist + j
            a = names[j % agents]
            ts = r_start + r_span * j // recent
            if (j * clocks) // recent != ((j + 1) * clocks) // recent:  # exactly `clocks` of them
                buf.append(message % (a, run, i, a, ts, run, j))
            else:
                buf.append(rating % (a, run, i, a, ts, j % 5 + 1))
            if len(buf) >= 100_000:
                f.write("\n".join(buf) + "\n")
                buf = []
        if buf:
            f.write("\n".join(buf) + "\n")
    return names, [ids - clocks, 0, 0, clocks], ids


def gauges(st):
    try:
        m = st.metrics()
    except OSError:
        return {}
    return {k[len("feedbackd_"):]: v for k, v in m.items()
            if k in ("feedbackd_tasks", "feedbackd_agents", "feedbackd_dedupe_ids", "feedbackd_open_clocks",
                     "feedbackd_overdue_clocks", "feedbackd_process_resident_memory_bytes")}


class Progress(threading.Thread):
    """A line every `every` seconds: events the daemon counted, RSS, Redis memory, rates."""

    def __init__(self, st, pid, total, t0, every=10.0):
        super().__init__(daemon=True)
        self.st, self.pid, self.total, self.t0, self.every = st, pid, total, t0, every
        self.halt = threading.Event()
        self.lines = []

    def run(self):
        last_n, last_t = 0, time.monotonic()
        # A connection of its own: the stats polls use st.redis's from the main thread.
        conn = h.RespClient("127.0.0.1", self.st.redis.port)
        while not self.halt.wait(self.every):
            now = time.monotonic()
            n = c.events_seen(self.st) or 0
            rss = c.proc_status(self.pid, "VmRSS")
            try:
                rmem = int(re.search(r"used_memory:(\d+)", h._decode(conn.call("INFO", "memory"))).group(1))
            except Exception:  # noqa: BLE001  (Redis busy with a big poll: skip this figure)
                rmem = None
            cpu = c.cpu_seconds(self.pid)[0] if rss is not None else None
            line = ("+%.0f s: daemon counted %d of %d events (%.0f/s over the last %.0f s), RSS %.1f MiB, "
                    "CPU %.1f s, redis used_memory %s MiB"
                    % (now - self.t0, n, self.total, (n - last_n) / (now - last_t), now - last_t,
                       c.mib(rss) or 0, cpu or 0, "%.1f" % c.mib(rmem) if rmem else "?"))
            self.lines.append(line)
            c.log(line)
            last_n, last_t = n, now
        conn.close()

    def stop(self):
        self.halt.set()
        self.join(30)


def log_time(line):
    """Epoch seconds of a daemon log line's leading RFC 3339 timestamp."""
    ts = line.split(" ", 1)[0].rstrip("Z")
    return datetime.datetime.fromisoformat(ts).replace(tzinfo=datetime.timezone.utc).timestamp()


RESTORED = re.compile(r"engine: task (\d+) restored in (\d+) ms \((\d+) entries, (\d+) agents\)")


def restore(st, d, args):
    """kill -9, restart, a fresh event; times until it shows and until every task restored."""
    pid_old = d.proc.pid
    fresh = "fresh-%d" % os.getpid()
    t_kill_wall = time.time()
    t_kill = time.monotonic()
    d.kill()
    c.log("killed the daemon (pid %d) with SIGKILL; restarting" % pid_old)
    d.start()
    t_start = time.monotonic()
    ev = '%s\x1f{"event_id":"%s","type":"rating","agent_id":"%s","ts":%d,"score":5}' % (
        fresh, fresh, fresh, int(time.time() * 1000))
    path = os.path.join(st.tmp, "fresh.txt")
    with open(path, "w") as f:
        f.write(ev + "\n")
    c.produce_file(st.bootstrap, c.TOPIC, path)
    t_produced = time.monotonic()
    key = h.stats_key(fresh)
    deadline = t_kill + args.restore_timeout
    t_seen = None
    while time.monotonic() < deadline:
        if st.redis.cmd("HGET", key, "ratings_30d") is not None:
            t_seen = time.monotonic()
            break
        if not d.running():
            raise RuntimeError("feedbackd exited after the restart: %s" % d.log_tail())
        time.sleep(0.01)
    # the log lines of the new process
    time.sleep(0.5)
    restored = []
    for line in d.log().splitlines():
        m = RESTORED.search(line)
        if m:
            restored.append({"task": int(m.group(1)), "ms": int(m.group(2)), "entries": int(m.group(3)),
                             "agents": int(m.group(4)), "after_kill_s": log_time(line) - t_kill_wall})
    out = {"fresh_event_s": None if t_seen is None else t_seen - t_kill,
           "restart_exec_s": t_start - t_kill, "fresh_produced_s": t_produced - t_kill,
           "tasks_restored": restored,
           "last_task_restored_s": max((r["after_kill_s"] for r in restored), default=None),
           "ready_line": bool(re.search(h.DEFAULT_READY, d.log()))}
    return out


def run(args):
    res = {"benchmark": "scale", "agents": args.agents, "ids": args.ids, "clocks": args.clocks,
           "history": args.history, "partitions": args.partitions,
           "membership": "dynamic" if args.dynamic_membership else "static",
           "full": (args.agents, args.ids, args.clocks) == tuple(FULL[k] for k in ("agents", "ids", "clocks"))
           and args.history >= 1}
    with c.Stack(args.kafka, args.keep, args.partitions, "scale") as st:
        st.start()
        res["kafka"] = "real" if st.real else "mock"
        if not st.real and not args.quick:
            raise SystemExit("bench/scale.py needs the real broker at this size (or --quick)")
        path = os.path.join(st.tmp, "state.txt")
        t0 = time.monotonic()
        now = int(time.time() * 1000)
        agents, want, total = gen_state(path, args.agents, args.history, args.ids, args.clocks, now,
                                        "sc%d" % os.getpid())
        res.update({"events": total, "gen_s": time.monotonic() - t0, "bytes": os.path.getsize(path),
                    "want": dict(zip(c.TOTAL_FIELDS, want))})
        c.log("generated %d events with distinct ids (%.0f MB) in %.1f s: %d history ratings, %d events in the "
              "last 24 h of which %d messages (open clocks)"
              % (total, res["bytes"] / 1e6, res["gen_s"], args.agents * args.history,
                 args.ids - args.agents * args.history, args.clocks))
        config = {"sla": {"reply_target": "7d"}}
        if not args.dynamic_membership:
            config["kafka"] = {"group_instance_id": "bench-scale"}
        d = st.make_daemon(config)
        t_start = time.monotonic()
        st.start_daemon(d)
        d.wait_log(h.DEFAULT_READY, timeout=120)
        prog = Progress(st, d.proc.pid, total, t_start)
        prog.start()
        sampler = c.RssSampler(d.proc.pid, 0.5)
        sampler.start()
        res["produce_s"] = c.produce_file(st.bootstrap, c.TOPIC, path, timeout=args.timeout)
        os.unlink(path)
        c.log("produced %d events in %.1f s (%.0f/s) while the daemon consumed"
              % (total, res["produce_s"], total / res["produce_s"]))
        sw = c.StatsWait(st.redis, agents, want, gate=lambda: (c.events_seen(st) or 0) >= total, every=10.0)
        t_done = sw.wait(timeout=args.timeout, interval=0.5, daemon=d)
        prog.stop()
        sampler.stop()
        res["shown_s"] = t_done - t_start
        c.log("the stats hashes show every event %.1f s after exec (%.0f events/s); settling %.0f s"
              % (res["shown_s"], total / res["shown_s"], args.settle))
        time.sleep(args.settle)
        res.update({
            "rss": c.proc_status(d.proc.pid, "VmRSS"), "rss_hwm": c.proc_status(d.proc.pid, "VmHWM"),
            "rss_peak_sampled": sampler.peak, "daemon_cpu_s": c.cpu_seconds(d.proc.pid)[0],
            "redis_used_memory": c.redis_used_memory(st.redis),
            "redis_keys": int(st.redis.cmd("DBSIZE")),
            "gauges": gauges(st), "progress": prog.lines, "stats_polls": sw.polls,
        })
        info = st.redis.cmd("INFO", "memory")
        res["redis_used_memory_rss"] = int(re.search(r"used_memory_rss:(\d+)", info).group(1))
        if not args.no_restore:
            res["restore"] = restore(st, d, args)
        d.stop(timeout=120)
        st.daemon = None
    return res


def report(res):
    ok = lambda b: ("met" if b else "NOT met") if res["full"] else "(reduced size: not comparable)"  # noqa: E731
    print("== Benchmark 7: memory at scale and restore (%s Kafka, %d agents x %d history ratings over 30 d, "
          "%d ids in all, %d open clocks, %d partitions) =="
          % (res["kafka"], res["agents"], res["history"], res["ids"], res["clocks"], res["partitions"]))
    print("fed %d events; the stats hashes showed them all %.1f s after the daemon's exec (%.0f events/s; "
          "produce %.1f s, generate %.1f s, %.0f MB)"
          % (res["events"], res["shown_s"], res["events"] / res["shown_s"], res["produce_s"], res["gen_s"],
             res["bytes"] / 1e6))
    print("daemon RSS: %.1f MiB VmRSS after settling, %.1f MiB VmHWM, %.1f MiB max of the 0.5 s samples   "
          "(target <= 512 MiB: %s)" % (c.mib(res["rss"]), c.mib(res["rss_hwm"]), c.mib(res["rss_peak_sampled"]),
                                       ok(c.mib(res["rss_hwm"]) <= 512)))
    print("Redis used_memory: %.1f MiB (used_memory_rss %.1f MiB, %d keys)   (target <= 1 GiB: %s)"
          % (c.mib(res["redis_used_memory"]), c.mib(res["redis_used_memory_rss"]), res["redis_keys"],
             ok(res["redis_used_memory"] <= 1 << 30)))
    print("raw /metrics gauges: %s" % ", ".join("%s=%d" % kv for kv in sorted(res["gauges"].items())))
    print("raw: expected sums %s; daemon CPU %.1f s; %d stats polls"
          % (res["want"], res["daemon_cpu_s"], res["stats_polls"]))
    r = res.get("restore")
    if r:
        fe, lt = r["fresh_event_s"], r["last_task_restored_s"]
        print("restore (%s group membership): kill -9 -> a fresh event shown in its stats hash: %s   "
              "(target <= 10 s: %s)" % (res["membership"], "%.2f s" % fe if fe is not None else
                                        "NEVER within the timeout", ok(fe is not None and fe <= 10)))
        print("restore: kill -9 -> the last `engine: task N restored` line: %s (%d tasks restored)"
              % ("%.2f s" % lt if lt is not None else "none", len(r["tasks_restored"])))
        print("raw restore: restarted %.2f s after the kill, fresh event produced at %.2f s; per task "
              "(restore ms, entries, agents, s after the kill): %s"
              % (r["restart_exec_s"], r["fresh_produced_s"],
                 " ".join("%d:%d/%d/%d/%.2f" % (t["task"], t["ms"], t["entries"], t["agents"], t["after_kill_s"])
                          for t in r["tasks_restored"])))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agents", type=int, default=None, help="default 100,000 (5,000 with --quick)")
    ap.add_argument("--ids", type=int, default=None,
                    help="events in all, each with its own id (default 10,000,000; 500,000 with --quick)")
    ap.add_argument("--clocks", type=int, default=None,
                    help="of those, messages never replied to (default 1,000,000; 50,000 with --quick)")
    ap.add_argument("--history", type=int, default=10, help="ratings per agent spread over the 30 days (default 10)")
    ap.add_argument("--quick", action="store_true", help="1/20 of the issue's sizes")
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--settle", type=float, default=5.0, help="seconds after every event shows, before measuring")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--restore-timeout", type=float, default=120)
    ap.add_argument("--no-restore", action="store_true")
    ap.add_argument("--dynamic-membership", action="store_true",
                    help="no [kafka] group_instance_id: the restart waits for the killed member's session")
    c.add_common_args(ap)
    args = ap.parse_args()
    div = QUICK_DIV if args.quick else 1
    for k, v in FULL.items():
        if getattr(args, k) is None:
            setattr(args, k, v // div)
    if args.clocks > args.ids - args.agents * args.history:
        ap.error("--ids must hold --agents x --history history ratings plus --clocks messages")
    c.run_and_report(args, run, report)


if __name__ == "__main__":
    main()
