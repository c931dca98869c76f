#!/usr/bin/env python3
"""Benchmark 1 (throughput) and 4a (peak RSS during it).

    bench/throughput.py                       # 1,000,000 events, 10,000 agents, 8 partitions
    bench/throughput.py --events 100000 --check   # CI: exact counts only, no timing asserted

Pre-loads the mixed events (bench/gen_events.py) into a fresh 8-partition topic, times
`kcat -C ... -e -o beginning > /dev/null` over it (the ceiling), warms the broker up
(--broker-warmup: unmeasured feedbackd passes over the same topic, each with its own
consumer group, Redis flushed after each; the broker's CPU per event is printed for
each), then starts feedbackd and measures the time until the stats hashes show every event: the sums of
ratings_30d, complaints_30d, replies_30d and open_tickets over all agents equal the
generator's totals (pipelined HMGETs; Redis is asked every 20 ms once /metrics counts
every event, at least once a second before).  Prints events/s from the daemon's exec
and from its partition assignment, the ratio to kcat, Redis and daemon CPU per event
(/proc and INFO cpu), the daemon's peak RSS (VmHWM and 50 ms VmRSS samples) and the
/metrics counters behind the figures.  Then, in the same session on the same topic
(Redis flushed), the Python peer of ../shared/bench/peer.py (--peer; skipped when
it or confluent-kafka is missing) from exec to its result line, and the ratio.
--check compares every agent's ratings_30d, satisfied_30d, neutral_30d,
dissatisfied_30d, nps_ratings_30d, complaints_30d, replies_30d and open_tickets with
the generator's exact counts (exit 1 on a mismatch).
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time

import common as c
from common import h


TICKET_RE = re.compile(r'"ticket_id":"([^"]*)"')
EVENT_ID_RE = re.compile(r'"event_id":"([^"]*)"')


def rekey(lines, keying):
    """The generator's `agent\x1fjson` lines keyed as asked: by agent (as generated), by
    ticket (an event without a ticket by its event id), or not at all (the producer's
    partitioner then spreads them at random)."""
    if keying == "agent":
        return lines
    out = []
    for ln in lines:
        js = ln.split("\x1f", 1)[1]
        if keying == "none":
            out.append(js)
        else:
            m = TICKET_RE.search(js) or EVENT_ID_RE.search(js)
            out.append("%s\x1f%s" % (m.group(1), js))
    return out


def start_replica(st):
    """A replica of the benchmark's Redis, and wait_replicas = 1 for every daemon (unless --set
    gives another value): what confirming each checkpoint commit on a replica costs."""
    replica = h.Redis(st.tmp).start()
    replica.replicate(st.redis)
    c.OVERRIDES.setdefault("redis", {}).setdefault("wait_replicas", "1")
    c.log("replica on port %d; redis.wait_replicas=%s" % (replica.port, c.OVERRIDES["redis"]["wait_replicas"]))
    return replica


def run(args):
    res = {"benchmark": "throughput", "events": args.events, "agents": args.agents,
           "partitions": args.partitions}
    with c.Stack(args.kafka, args.keep, args.partitions, "tput") as st:
        st.start()
        replica = start_replica(st) if args.replica else None
        res["replica"] = bool(replica)
        args.events = res["events"] = c.mock_capped(st, args.events, args.mock_max, "--events")
        res["kafka"] = "real" if st.real else "mock"
        path = os.path.join(st.tmp, "events.txt")
        t0 = time.monotonic()
        lines, summary = c.gen_events.gen_mixed(args.events, args.agents, int(time.time() * 1000),
                                                args.span, args.seed, "tp%d" % os.getpid(), args.ts_format)
        res["keying"] = args.keying
        lines = rekey(lines, args.keying)
        c.gen_events.write_lines(path, lines)
        res["bytes"] = os.path.getsize(path)
        del lines
        res["gen_s"] = time.monotonic() - t0
        c.log("generated %d events (%.1f MB) in %.1f s" % (args.events, res["bytes"] / 1e6, res["gen_s"]))
        res["produce_s"] = c.produce_file(st.bootstrap, c.TOPIC, path, keyed=args.keying != "none")
        hw = c.end_offsets(st.bootstrap, c.TOPIC, args.partitions)
        res["end_offsets"] = hw
        if sum(hw.values()) != args.events:
            raise RuntimeError("topic holds %d messages, expected %d: %r" % (sum(hw.values()), args.events, hw))
        c.log("produced in %.1f s; end offsets %r" % (res["produce_s"], hw))
        os.unlink(path)

        # the ceiling: a plain kcat consumer reading the topic to the end
        kb0 = c.broker_cpu(st)
        kc = [c.time_kcat_consume(st.bootstrap, c.TOPIC) for _ in range(args.kcat_runs)]
        kb1 = c.broker_cpu(st)
        res["kcat_s_runs"] = kc
        res["kcat_broker_cpu_s"] = None if kb0 is None or kb1 is None else (kb1 - kb0) / len(kc)
        res["kcat_s"] = min(kc)
        res["kcat_eps"] = args.events / res["kcat_s"]
        c.log("kcat -C read %d events in %s s" % (args.events, ", ".join("%.2f" % x for x in kc)))

        # --set's settings (make_daemon applies them too), read here for the kcat runs' prefetch
        cfg = {sec: dict(kv) for sec, kv in c.OVERRIDES.items()}
        if args.fetch_trace:
            cfg.setdefault("kafka", {})["rdkafka.debug"] = "fetch"
            # written by librdkafka's own logger to stderr from its threads, so the times are
            # librdkafka's, not when the daemon's loop got round to the queued log lines
            cfg["kafka"]["rdkafka.log.queue"] = "false"

        # kcat with the daemon's consumer settings and no work per message. It empties the queue
        # while a fetch is still arriving, so it seldom waits for librdkafka's 1 s re-check of a
        # full prefetch; feedbackd, which does work per message, relies on src/io/consumer.c's
        # wake-ups for that (--fetch-trace).
        res["prefetch"] = {k: cfg.get("kafka", {}).get("rdkafka." + k, v) for k, v in PREFETCH.items()}
        res["prefetch_kb"] = res["prefetch"]["queued.max.messages.kbytes"]
        res["kcat_prefetch_s"] = c.time_kcat_consume(
            st.bootstrap, c.TOPIC, ["%s=%s" % kv for kv in sorted(res["prefetch"].items())])
        res["kcat_prefetch_eps"] = args.events / res["kcat_prefetch_s"]
        c.log("kcat -C with %s read %d events in %.2f s"
              % (", ".join("%s=%s" % kv for kv in sorted(res["prefetch"].items())), args.events,
                 res["kcat_prefetch_s"]))
        res["broker_warmup"] = warm_broker(st, cfg, summary, args) if st.real else []
        res["cpu_reference_before"] = c.cpu_reference()
        d = st.make_daemon(cfg)
        agents, want = c.expect_mixed(summary)
        progress = Progress(st, d, 0.05)
        # Redis is polled only once the daemon committed every event (a 10,000-agent round of
        # HMGETs costs this script ~0.1 s of CPU, which the daemon would miss on 2 cores)
        sw = c.StatsWait(st.redis, agents, want, gate=lambda: progress.events() >= args.events, every=3600)
        rcpu0 = c.redis_cpu(st.redis)
        kb0, mc0 = c.broker_cpu(st), c.machine_cpu()
        rep0 = c.process_cpu(replica.proc.pid) if replica else None
        if args.redis_stats:
            st.redis.cmd("CONFIG", "RESETSTAT")
        t_start = time.monotonic()
        st.start_daemon(d)
        progress.start(t_start)
        sampler = c.RssSampler(d.proc.pid, 0.05)
        sampler.start()
        d.wait_log(h.DEFAULT_READY, timeout=120)
        t_ready = time.monotonic()
        t_done = sw.wait(timeout=args.timeout, interval=0.02, daemon=d)
        rcpu1 = c.redis_cpu(st.redis)
        kb1, mc1 = c.broker_cpu(st), c.machine_cpu()
        res["replica_cpu_s"] = c.process_cpu(replica.proc.pid) - rep0 if replica else None
        cpu, ut, stt = c.cpu_seconds(d.proc.pid)
        threads = c.thread_cpu(d.proc.pid)
        sampler.stop()
        progress.stop()
        hwm = c.proc_status(d.proc.pid, "VmHWM")
        res["cpu_reference_after"] = c.cpu_reference()
        c.log("the stats hashes show every event %.3f s after the daemon's exec (%d rounds of HMGETs)"
              % (t_done - t_start, sw.polls))
        try:
            m = st.metrics()
        except OSError as e:
            m = {}
            c.log("metrics: %r" % e)
        poll_cpu = sw.poll_cost()
        res.update({
            "start_to_done_s": t_done - t_start,
            "ready_s": t_ready - t_start,
            "ready_to_done_s": t_done - t_ready,
            "first_committed_s": progress.first_committed(),
            "progress": progress.timeline(0.1),
            "eps": args.events / (t_done - t_start),
            "eps_from_ready": args.events / (t_done - t_ready),
            "redis_cpu_s": rcpu1 - rcpu0,
            "broker_cpu_s": None if kb0 is None or kb1 is None else kb1 - kb0,
            "machine_busy_s": mc1[0] - mc0[0], "machine_all_s": mc1[1] - mc0[1],
            "stats_polls": sw.polls, "stats_poll_redis_cpu_s": poll_cpu,
            "cpu_s": cpu, "utime_s": ut, "stime_s": stt,
            "threads_cpu_s": sorted(([n, round(s, 2)] for n, s in threads.values()), key=lambda x: -x[1]),
            "rss_peak_sampled": sampler.peak, "rss_hwm": hwm,
            "rss_samples": len(sampler.samples),
            "metrics": {k: v for k, v in m.items() if k.startswith(("feedbackd_events_total", "feedbackd_batch",
                                                                     "feedbackd_redis_latency_seconds_sum",
                                                                     "feedbackd_redis_latency_seconds_count",
                                                                     "feedbackd_redis_errors", "feedbackd_alerts_published",
                                                                     "feedbackd_events_dead", "feedbackd_tasks",
                                                                     "feedbackd_agents", "feedbackd_dedupe_ids",
                                                                     "feedbackd_open_clocks"))},
        })
        res["redis_cpu_net_s"] = res["redis_cpu_s"] - sw.polls * poll_cpu
        res["ratio_to_kcat"] = res["eps"] / res["kcat_eps"]
        res["redis_used_memory"] = c.redis_used_memory(st.redis)

        if args.redis_stats:
            res["redis_stats"] = redis_stats(st.redis)
        if args.check:
            res["check"] = check(st.redis, summary)
        if args.fetch_trace:
            res["fetch_trace"] = fetch_trace(d.log())
        d.stop(timeout=60)
        if replica:
            replica.kill()
        st.daemon = None
        if args.peer != "none":
            res["peer"] = run_peer(st, args, summary)
            if res["peer"].get("eps"):
                res["ratio_to_peer"] = res["eps"] / res["peer"]["eps"]
    return res


class Progress(threading.Thread):
    """Samples, every interval from start(t0) until stop(): the CPU seconds of the daemon,
    Redis and the broker (/proc), and the events the daemon committed (/metrics, answered by
    the daemon's loop, so late while the loop is busy)."""

    def __init__(self, st, daemon, interval):
        super().__init__(daemon=True)
        self.st, self.d, self.interval = st, daemon, interval
        self.cpu = []         # (seconds from t0, daemon, Redis, broker CPU seconds)
        self.committed = []   # (seconds from t0 when /metrics answered, events committed)
        self._halt = threading.Event()

    def start(self, t0):
        self.t0, self.pid = t0, self.d.proc.pid
        super().start()

    def run(self):
        while not self._halt.is_set():
            self.cpu.append((time.monotonic() - self.t0, c.process_cpu(self.pid) or 0.0,
                             c.process_cpu(self.st.redis.proc.pid) or 0.0, c.broker_cpu(self.st) or 0.0))
            n = c.events_seen(self.st) or 0
            self.committed.append((time.monotonic() - self.t0, n))
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join(5)

    def events(self):
        return self.committed[-1][1] if self.committed else 0

    def first_committed(self):
        return next((t for t, n in self.committed if n > 0), None)

    def timeline(self, step):
        """[t, events, daemon %, Redis %, broker %] at each multiple of step: the events
        committed by then, each process's share of one core since the step before."""
        def at(samples, t):
            return next((smp for smp in reversed(samples) if smp[0] <= t), None)
        out, mark, end = [], step, min(self.cpu[-1][0], self.committed[-1][0]) if self.cpu and self.committed else 0
        while mark <= end:
            a, b, n = at(self.cpu, mark - step), at(self.cpu, mark), at(self.committed, mark)
            out.append([round(mark, 1), n[1] if n else 0] +
                       ([round(100 * (x - y) / (b[0] - a[0])) for x, y in zip(b[1:], a[1:])]
                        if a and b and b[0] > a[0] else [0, 0, 0]))
            mark += step
        return out


def warm_broker(st, cfg, summary, args):
    """
    Runs args.broker_warmup unmeasured feedbackd passes over the topic, each with a consumer
    group and a route topic of its own (so each reads the input all, and none reads another's
    route batches: a fresh checkpoint would apply them), flushing Redis after each. Why: a freshly started broker's JVM compiles (JIT) the code of the requests
    it serves for the first time, and the daemon's (a group consumer, idempotent producers,
    offset commits) are not kcat's: measured, 3.58, 2.98, 1.50 and then 1.16 us of broker CPU
    per event over four passes. A broker in service has long done that, and the peer, which
    runs after feedbackd, already meets a warm one. Returns each pass's seconds and broker
    CPU per event.
    """
    out = []
    for i in range(args.broker_warmup):
        wcfg = {sec: dict(kv) for sec, kv in cfg.items()}
        wcfg.setdefault("kafka", {})["group"] = "%s-warmup-%d" % (c.GROUP, i)
        route = "%s.route.warmup-%d" % (c.TOPIC, i)
        st.kafka.create_topics({route: args.partitions})
        wcfg.setdefault("engine", {})["route_topic"] = route
        d = st.make_daemon(wcfg)
        agents, want = c.expect_mixed(summary)
        sw = c.StatsWait(st.redis, agents, want, gate=lambda: (c.events_seen(st) or 0) >= args.events)
        kb0, t0 = c.broker_cpu(st), time.monotonic()
        st.start_daemon(d)
        sw.wait(timeout=args.timeout, interval=0.05, daemon=d)
        kb1, t1 = c.broker_cpu(st), time.monotonic()
        d.stop(timeout=60)
        st.daemon = None
        st.redis.cmd("FLUSHALL")
        us = None if kb0 is None or kb1 is None else 1e6 * (kb1 - kb0) / args.events
        out.append({"s": t1 - t0, "broker_us_per_event": us})
        c.log("broker warm-up pass %d of %d: %.2f s, broker %s us/event"
              % (i + 1, args.broker_warmup, t1 - t0, "?" if us is None else "%.2f" % us))
    return out


def run_peer(st, args, summary):
    """The Python peer (peer.py BOOTSTRAP TOPIC REDIS_PORT EXPECTED batched) on the same topic
    from offset 0 with Redis flushed: wall from exec to its result line, Redis and peer CPU."""
    peer = args.peer
    if not os.path.exists(peer):
        c.log("peer %s missing: no ratio to the peer" % peer)
        return {"skipped": "%s missing" % peer}
    r = subprocess.run([args.peer_python, "-c", "import confluent_kafka, redis"], stderr=subprocess.PIPE)
    if r.returncode != 0:
        c.log("peer: %s cannot import confluent_kafka and redis: skipped" % args.peer_python)
        return {"skipped": "confluent_kafka/redis missing for %s" % args.peer_python}
    st.redis.cmd("FLUSHALL")
    r0 = c.redis_cpu(st.redis)
    t0 = time.monotonic()
    env = dict(os.environ, PYTHONUNBUFFERED="1")  # its result line arrives when printed
    p = h._spawn([args.peer_python, peer, st.bootstrap, c.TOPIC, str(st.redis.port), str(args.events),
                  "batched"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    killer = threading.Timer(args.timeout, lambda: h._killpg(p, signal.SIGKILL))
    killer.start()
    line = p.stdout.readline().decode().strip()
    t1 = time.monotonic()
    r1 = c.redis_cpu(st.redis)
    try:
        pc = c.cpu_seconds(p.pid)[0]
    except OSError:
        pc = None
    hwm = c.proc_status(p.pid, "VmHWM")
    p.communicate()
    killer.cancel()
    h._reap(p, 5)
    mt = re.match(r"events (\d+) seconds ([\d.]+) rate (\d+)", line)
    if not mt:
        raise RuntimeError("peer: no result line (rc %s): %r" % (p.returncode, line))
    n = int(mt.group(1))
    out = {"path": peer, "events": n, "wall_s": t1 - t0, "eps": n / (t1 - t0), "self_s": float(mt.group(2)),
           "self_eps": float(mt.group(3)), "redis_cpu_s": r1 - r0, "cpu_s": pc, "vmhwm": hwm, "line": line}
    c.log("peer batched: %s; %.3f s from exec" % (line, t1 - t0))
    return out



# librdkafka's own log format (rdkafka.log.queue=false): "%7|<unix time>|FETCH|<client>| ..."
FETCH_STATE = re.compile(r"^%\d\|([\d.]+)\|FETCH\|.*Topic (\S+) \[(\d+)\] .* is (fetchable|not fetchable: [\w.]+)")
FETCH_ENQUEUE = re.compile(r"Enqueue (\d+) message\(s\)")


def fetch_trace(log):
    """librdkafka's fetch decisions (debug=fetch) in the daemon log, as prefetch cycles.

    A cycle starts when the input partitions become fetchable and ends when their local
    queue is over queued.min.messages or queued.max.messages.kbytes; the stall is the time
    until they are fetchable again. Only the lowest input partition's transitions are timed:
    the input partitions share one queue, so all move together (the route partitions have
    a queue of their own)."""
    ts = float
    parts = [int(m.group(3)) for m in map(FETCH_STATE.search, log.splitlines()) if m and m.group(2) == c.TOPIC]
    part = min(parts) if parts else None
    states, enqueued, per_cycle = [], 0, []
    for line in log.splitlines():
        m = FETCH_ENQUEUE.search(line)
        if m:
            enqueued += int(m.group(1))
            continue
        m = FETCH_STATE.search(line)
        if not m:
            continue
        if m.group(2) != c.TOPIC or int(m.group(3)) != part:
            continue
        # either bound of the local queue: queued.max.messages.kbytes or queued.min.messages
        full = m.group(4).startswith(("not fetchable: queued.max.messages", "not fetchable: queued.min.messages"))
        if not full and m.group(4) != "fetchable":
            continue
        states.append((ts(m.group(1)), full))
        if not full:
            per_cycle.append(enqueued)
            enqueued = 0
    stalls = [b[0] - a[0] for a, b in zip(states, states[1:]) if a[1] and not b[1]]
    starts = [t for t, full in states if not full]
    span = states[-1][0] - states[0][0] if len(states) > 1 else 0.0
    return {"cycles": len(stalls), "stalls_s": stalls, "span_s": span,
            "periods_s": [b - a for a, b in zip(starts, starts[1:])],
            "messages_per_cycle": per_cycle[1:]}


# feedbackd's consumer defaults that bound and pace its prefetch (src/io/consumer.c)
PREFETCH = {"queued.min.messages": "12500", "queued.max.messages.kbytes": "2048",
            "max.partition.fetch.bytes": "131072", "fetch.wait.max.ms": "100"}
PEER = os.path.join(os.path.dirname(c.REPO), "shared", "bench", "peer.py")


def check(redis, summary):
    """Compares the contract fields of every agent with the generator's counts."""
    fields = ["ratings_30d", "satisfied_30d", "neutral_30d", "dissatisfied_30d", "nps_ratings_30d",
              "complaints_30d", "replies_30d", "open_tickets"]
    agents = sorted(summary["per_agent"])
    replies = c.pipeline(redis, [["HMGET", h.stats_key(a)] + fields for a in agents])
    bad = []
    totals = [0] * len(fields)
    for a, got in zip(agents, replies):
        want = summary["per_agent"][a]
        got_i = [int(x) if x is not None else None for x in got]
        for j, v in enumerate(got_i):
            totals[j] += v or 0
        if got_i != want:
            bad.append((a, want, got_i))
    zc = int(redis.cmd("ZCARD", "fb:agents"))
    out = {"agents_checked": len(agents), "mismatched_agents": len(bad), "fields": fields,
           "totals_redis": dict(zip(fields, totals)),
           "totals_expected": dict(zip(fields, [summary["totals"][k] for k in summary["fields"]])),
           "zcard_fb_agents": zc, "examples": bad[:5]}
    if zc != len(agents):
        out["mismatched_agents"] += 1
        out["zcard_error"] = "fb:agents has %d members, expected %d" % (zc, len(agents))
    return out


def redis_stats(redis):
    """What Redis spent its time on in the measured pass (INFO commandstats since the RESETSTAT
    before the daemon's exec: a script's or a transaction's own commands are counted both on
    their own and in its time) and the checkpoint's records by kind (the fields of each task's
    agents and tickets hashes, teams' and the site's records apart, and its strings)."""
    commands = []
    for line in redis.cmd("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, _, kv = line[len("cmdstat_"):].partition(":")
            f = dict(x.split("=", 1) for x in kv.split(","))
            commands.append((name, int(f["calls"]), int(f["usec"])))
    records = {}
    for key in redis.keys("fb:task:*"):  # the checkpoint (the benchmarks keep the default prefix)
        kind = redis.cmd("TYPE", key)
        if kind == "hash":
            cursor = "0"
            while True:
                cursor, flat = redis.cmd_raw("HSCAN", key, cursor, "COUNT", 1000)
                cursor = cursor.decode()
                for f, v in zip(flat[0::2], flat[1::2]):
                    name = key.rsplit(":", 1)[-1] + (" (teams, site)" if f[:1] == b"\x01" else "")
                    n, size = records.get(name, (0, 0))
                    records[name] = (n + 1, size + len(v))
                if cursor == "0":
                    break
        elif kind == "string":
            name = key.rsplit(":", 2)[-2] + " segments"
            n, size = records.get(name, (0, 0))
            records[name] = (n + 1, size + int(redis.cmd("STRLEN", key)))
    return {"commands": sorted(commands, key=lambda x: -x[2]), "records": sorted(records.items())}


def met(ok):
    return "met" if ok else "NOT met"


def report(res, out=sys.stdout):
    p = lambda *a: print(*a, file=out)  # noqa: E731
    n = res["events"]
    p("== Benchmark 1: throughput (%s Kafka, %d events, %d agents, %d partitions, keyed by %s) =="
      % (res["kafka"], n, res["agents"], res["partitions"], res["keying"]))
    p("feedbackd: %10.0f events/s   (%d events in %.3f s from exec until the stats hashes show every event; "
      "target >= 300000: %s)" % (res["eps"], n, res["start_to_done_s"],
                                 met(res["eps"] >= 300_000) if res["keying"] == "agent"
                                 else "n/a, the target is for input keyed by agent"))
    p("           %10.0f events/s   (%.3f s from partition assignment at +%.3f s; first events committed at +%.2f s)"
      % (res["eps_from_ready"], res["ready_to_done_s"], res["ready_s"], res["first_committed_s"] or 0))
    p("kcat -C:   %10.0f events/s   (%s s to read the topic to the end, best taken); feedbackd / kcat %.3f"
      % (res["kcat_eps"], " / ".join("%.3f" % x for x in res["kcat_s_runs"]), res["ratio_to_kcat"]))
    p("kcat -C, %s KB prefetch: %7.0f events/s   (%.3f s; feedbackd's consumer settings, nothing done per "
      "message)" % (res["prefetch_kb"], res["kcat_prefetch_eps"], res["kcat_prefetch_s"]))
    pe = res.get("peer") or {}
    if pe.get("eps"):
        p("peer.py:   %10.0f events/s   (batched, %d events in %.3f s from exec to its result line; self-timed "
          "from its first message %.0f/s; Redis %.2f us/event, peer CPU %.2f us/event)"
          % (pe["eps"], pe["events"], pe["wall_s"], pe["self_eps"], 1e6 * pe["redis_cpu_s"] / pe["events"],
             1e6 * (pe["cpu_s"] or 0) / pe["events"]))
        p("ratio feedbackd / peer: %.2f   (both from exec, same topic, same session; target >= 5: %s)"
          % (res["ratio_to_peer"], met(res["ratio_to_peer"] >= 5)))
    else:
        p("peer.py: not run (%s)" % pe.get("skipped", "--peer none"))
    p("redis-server CPU: %.3f us/event net of the benchmark's own polls (target <= 2: %s); %.2f s in all, "
      "%.0f%% of one core; the %d polls of %d HMGETs cost about %.3f s of it (%.1f ms each, measured after)"
      % (1e6 * res["redis_cpu_net_s"] / n, met(1e6 * res["redis_cpu_net_s"] / n <= 2), res["redis_cpu_s"],
         100 * res["redis_cpu_s"] / res["start_to_done_s"], res["stats_polls"], res["agents"],
         res["stats_polls"] * res["stats_poll_redis_cpu_s"], 1000 * res["stats_poll_redis_cpu_s"]))
    p("daemon CPU: %.3f us/event (target <= 3: %s); %.2f s (user %.2f, sys %.2f) from exec to done, start-up "
      "included; by thread: %s"
      % (1e6 * res["cpu_s"] / n, met(1e6 * res["cpu_s"] / n <= 3), res["cpu_s"], res["utime_s"], res["stime_s"],
         ", ".join("%s %.2f" % (a, b) for a, b in res["threads_cpu_s"][:8])))
    if res.get("broker_cpu_s") is not None:
        p("broker CPU: %.3f us/event from the daemon's exec until done (%.0f%% of one core); reading the topic "
          "with kcat it spent %.3f us/event" % (1e6 * res["broker_cpu_s"] / n, 100 * res["broker_cpu_s"] /
                                                res["start_to_done_s"],
                                                1e6 * (res["kcat_broker_cpu_s"] or 0) / n))
    if res.get("replica_cpu_s") is not None:
        p("replica: redis.wait_replicas=%s; the replica's CPU %.3f us/event from the daemon's exec until done"
          % (c.OVERRIDES.get("redis", {}).get("wait_replicas"), 1e6 * res["replica_cpu_s"] / n))
    wu = res.get("broker_warmup") or []
    p("broker warm-up: %s" % ("none" if not wu else "%d unmeasured feedbackd passes before this one, broker "
                                "%s us/event in them (its JVM compiling the daemon's requests' code)"
                                % (len(wu), ", ".join("?" if w["broker_us_per_event"] is None
                                                      else "%.2f" % w["broker_us_per_event"] for w in wu))))
    cores = os.cpu_count() or 1
    p("machine: %.0f%% of one core busy from the daemon's exec until done, of the %d%% its %d cores have "
      "(the daemon, Redis, the broker, this script's polls, anything else running); at 300,000 events/s the "
      "daemon and Redis CPU targets alone would take 150%%"
      % (100 * cores * res["machine_busy_s"] / res["machine_all_s"], 100 * cores, cores))
    ref = sorted(res["cpu_reference_before"] + res["cpu_reference_after"])
    p("core speed: a fixed piece of work (bench/common.py cpu_reference) took %.3f-%.3f s of CPU, median %.3f, in "
      "%d rounds just before the daemon's exec and %d just after done (the machine, not the daemon: every CPU "
      "figure above moves with it); raw before %s, after %s"
      % (ref[0], ref[-1], ref[len(ref) // 2], len(res["cpu_reference_before"]), len(res["cpu_reference_after"]),
         " ".join("%.3f" % x for x in res["cpu_reference_before"]),
         " ".join("%.3f" % x for x in res["cpu_reference_after"])))
    rs = res.get("redis_stats")
    if rs:
        p("redis by command (measured pass; a script's commands also inside its own time): %s"
          % ", ".join("%s %d calls %.3f s" % (name, calls, usec / 1e6) for name, calls, usec in rs["commands"]))
        p("checkpoint records at the end: %s" % ", ".join("%s %d, %.0f bytes each" % (name, n, size / n)
                                                         for name, (n, size) in rs["records"]))
    p("daemon peak RSS: %.1f MiB VmHWM, %.1f MiB max of %d VmRSS samples at 50 ms   (target <= 128 MiB: %s)"
      % (c.mib(res["rss_hwm"]), c.mib(res["rss_peak_sampled"]), res["rss_samples"],
         met(c.mib(res["rss_hwm"]) <= 128)))
    p("raw: generate %.2f s, produce %.2f s (%.1f MB), end offsets %s, redis used_memory %.1f MiB"
      % (res["gen_s"], res["produce_s"], res["bytes"] / 1e6,
         ",".join("%s:%s" % kv for kv in sorted(res["end_offsets"].items(), key=lambda kv: int(kv[0]))),
         c.mib(res["redis_used_memory"])))
    m = res["metrics"]
    if m:
        b = m.get("feedbackd_batches_total", 0)
        be = m.get("feedbackd_batch_events_total", 0)
        rl = m.get("feedbackd_redis_latency_seconds_sum", 0)
        rc = m.get("feedbackd_redis_latency_seconds_count", 0)
        p("raw /metrics: checkpoints %d, events and route batches in them %d (%.0f per checkpoint), "
          "retries %d, redis calls %d (mean %.2f ms), redis errors %d"
          % (b, be, be / b if b else 0, m.get("feedbackd_batch_retries_total", 0), rc,
             1000 * rl / rc if rc else 0, m.get("feedbackd_redis_errors_total", 0)))
        p("raw by time from exec, every 0.1 s: events committed (/metrics) / CPU %% of one core of the "
          "daemon, Redis, the broker in the 0.1 s before: %s"
          % " ".join("%.1f:%d/%d,%d,%d" % tuple(x) for x in res["progress"]))
        ev = {k.split("{", 1)[1].rstrip("}"): int(v) for k, v in m.items()
              if k.startswith("feedbackd_events_total{") and v}
        p("raw /metrics events_total: %s" % ", ".join("%s=%d" % kv for kv in sorted(ev.items())))
        p("raw /metrics gauges: %s" % ", ".join("%s=%d" % (k[len("feedbackd_"):], v) for k, v in sorted(m.items())
                                                  if k in ("feedbackd_tasks", "feedbackd_agents",
                                                           "feedbackd_dedupe_ids", "feedbackd_open_clocks")))
    if "fetch_trace" in res:
        ft = res["fetch_trace"]
        st = sorted(ft["stalls_s"])
        mc = sorted(ft["messages_per_cycle"])
        pe = sorted(ft["periods_s"])
        if st and pe and mc:
            p("fetch trace: %d times the prefetch was full; fetching resumed after a median %.3f s "
              "(max %.3f s), %.0f%% of %.1f s spent waiting; median %d messages fetched per cycle"
              % (len(st), st[len(st) // 2], st[-1], 100 * sum(st) / ft["span_s"] if ft["span_s"] else 0,
                 ft["span_s"], mc[len(mc) // 2]))
            p("fetch trace: so the consumer brings about %.0f events/s at this prefetch "
              "(median messages per cycle / median cycle of %.3f s), whatever Redis does"
              % (mc[len(mc) // 2] / pe[len(pe) // 2], pe[len(pe) // 2]))
        elif not st:
            p("fetch trace: the prefetch never filled")
        else:
            p("fetch trace: %d times the prefetch was full, too few cycles to time" % len(st))
    if "check" in res:
        ck = res["check"]
        p("check: %d agents, %d mismatched; totals in Redis %s; expected %s; fb:agents %d"
          % (ck["agents_checked"], ck["mismatched_agents"], ck["totals_redis"], ck["totals_expected"],
             ck["zcard_fb_agents"]))
        for a, want, got in ck["examples"]:
            p("  MISMATCH %s: want %s got %s (%s)" % (a, want, got, ",".join(ck["fields"])))
        p("CHECK %s" % ("PASSED" if ck["mismatched_agents"] == 0 else "FAILED"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--agents", type=int, default=10_000)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--span", type=c.gen_events.parse_duration, default=c.gen_events.HOUR,
                    help="event times spread over this much before now (default 1h)")
    ap.add_argument("--ts-format", choices=("rfc3339", "ms"), default="rfc3339")
    ap.add_argument("--keying", choices=("agent", "ticket", "none"), default="agent",
                    help="message key of the input: agent id (default, no hop), ticket id, or none")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--kcat-runs", type=int, default=2)
    ap.add_argument("--broker-warmup", type=int, default=3,
                    help="unmeasured feedbackd passes over the topic first, so that the real broker's JVM "
                         "has compiled the code of the daemon's requests (default %(default)s; 0: a cold broker)")
    ap.add_argument("--fetch-trace", action="store_true",
                    help="log librdkafka's fetch decisions and print the prefetch cycles (slower)")
    ap.add_argument("--check", action="store_true", help="verify exact counts per agent (exit 1 if wrong)")
    ap.add_argument("--redis-stats", action="store_true",
                    help="print Redis's time by command in the measured pass and the checkpoint's record sizes")
    ap.add_argument("--replica", action="store_true",
                    help="give Redis a replica and run the daemon with [redis] wait_replicas = 1")
    ap.add_argument("--timeout", type=float, default=900, help="seconds to wait for every event to show")
    ap.add_argument("--mock-max", type=int, default=100_000, help="events cap with the mock cluster")
    ap.add_argument("--peer", default=PEER,
                    help="the Python peer to run after feedbackd on the same topic (default %(default)s; "
                         "'none' skips it)")
    ap.add_argument("--peer-python", default=sys.executable,
                    help="python with confluent_kafka and redis for the peer (default: this one)")
    c.add_common_args(ap)
    args = ap.parse_args()
    res = c.run_and_report(args, run, report)
    if args.check and res["check"]["mismatched_agents"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
