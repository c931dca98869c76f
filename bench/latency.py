#!/usr/bin/env python3
"""Benchmark 2: event-to-Redis latency under a steady load (default 50,000 events/s, 20 s).

    bench/latency.py                      # 50k events/s for 20 s
    bench/latency.py --rate 20000 --duration 10

A paced producer (one `kcat -P` fed on stdin every 10 ms with the events due by then;
the mixed events of bench/gen_events.py, generated beforehand) loads a running
feedbackd.  Every 20 ms a probe is written into the same stream: a rating, ts = now,
for an agent never seen before.  A poller asks Redis every ~1 ms
(`HGET fb:agent:{probe}:stats ratings_1h`, pipelined for all probes in flight) and
records when each probe appears.  Latency = appearance - hand-over to the producer, so
it includes the producer's linger (linger.ms=5), the broker, the daemon and Redis.

Quality alerts: every --alert-every ms (default 1000) another agent never seen before
gets six complaints in one write, ts = now: the sixth takes its complaints_24h past
`[rule.complaints_above]`'s default threshold of 5, so the rule fires on it.  The same
poller asks `EXISTS fb:agent:{A}:alerts` (the firing alerts hash, written with the
alert's fb:alerts entry and its message to the alerts topic) and records when it
appears.  Alert latency = appearance - hand-over of the write holding the six.

Whether the daemon keeps up is read from the stats hashes once a second (a thread sums
ratings_30d, complaints_30d and replies_30d over a sample of the load's agents, every
--sample-every'th, against the exact count produced for them; messages show only as
open_tickets, so they are left out on both sides).  If the rate shown over the
second half is under 0.95 x the rate produced, the run is reported as NOT SUSTAINED
with the rate it did reach, and a second
phase runs on a fresh topic at --fallback-factor (0.8) x that rate, and its latency is
reported too.  Raw numbers: per-second produced/shown counts and the sorted
latencies' percentiles, plus --json for every probe.
"""
import argparse
import os
import subprocess
import sys
import threading
import time

import common as c
from common import h


class Phase:
    def __init__(self, st, topic, group, rate, duration, probe_every, run):
        self.st, self.topic, self.group = st, topic, group
        self.rate, self.duration, self.probe_every, self.run = rate, duration, probe_every, run
        self.sent_at = {}     # probe agent -> time.time() handed to kcat
        self.seen_at = {}     # probe agent -> time.time() seen in Redis
        self.outstanding = []
        self.alert_every = None   # seconds between quality-alert probes (set by run_phase)
        self.asent_at = {}    # alert-probe agent -> time.time() its six complaints were handed over
        self.aseen_at = {}    # alert-probe agent -> time.time() its firing alert was seen
        self.aoutstanding = []
        self.lock = threading.Lock()
        self.done_producing = False
        self.stop_poll = False
        self.timeline = []    # (t, produced, shown): ratings+complaints+replies
        self.alerts = []      # (t, alert messages the daemon published so far: /metrics)
        self.view_delay = []  # (t, feedbackd_view_delay_seconds so far: {le: cumulative count}, sum)
        self.pids = {}        # process name -> pid, for the CPU samples
        self.consumer_pids = {}  # the consumer's process: feedbackd ("daemon") or the floor consumer
        self.cpu = []         # (t, {process name: CPU seconds so far}, machine (busy, all) CPU seconds so far)
        self.produced = 0
        self.vis = [0]        # vis[i]: ratings, complaints and replies of the sampled agents among lines[:i]

    def probe_line(self, i, now_s):
        a = "probe-%s-%d" % (self.run, i)
        ms = int(now_s * 1000)
        return a, '%s\x1f{"event_id":"%s","type":"rating","agent_id":"%s","ts":%d,"score":5}' % (
            a, a, a, ms)

    def alert_probe_lines(self, i, now_s):
        """Six complaints, ts = now, for an agent never seen before: the sixth fires
        complaints_above (threshold 5 over 24h)."""
        a = "qprobe-%s-%d" % (self.run, i)
        ms = int(now_s * 1000)
        return a, ['%s\x1f{"event_id":"%s-c%d","type":"complaint","agent_id":"%s","ts":%d,"ticket_id":"%s-t%d"}'
                   % (a, a, k, a, ms, a, k) for k in range(6)]

    def poll_once(self, cl, pending, command, seen):
        """One pipelined round of command(agent) over the agents in pending; records those
        answered with a value (not nil, not 0) in seen, and drops them from pending."""
        with self.lock:
            out = list(pending)
        if not out:
            return
        cl.sock.sendall(b"".join(cl.encode(command(a)) for a in out))
        replies = [cl.read_reply() for _ in out]
        now = time.time()
        hit = [a for a, r in zip(out, replies) if r not in (None, 0) and not isinstance(r, Exception)]
        if hit:
            with self.lock:
                for a in hit:
                    seen[a] = now
                pending[:] = [a for a in pending if a not in seen]

    def poller(self):
        cl = h.RespClient("127.0.0.1", self.st.redis.port)
        try:
            while not self.stop_poll:
                self.poll_once(cl, self.outstanding, lambda a: ["HGET", h.stats_key(a), "ratings_1h"],
                               self.seen_at)
                self.poll_once(cl, self.aoutstanding, lambda a: ["EXISTS", "fb:agent:{%s}:alerts" % a],
                               self.aseen_at)
                time.sleep(0.001)
        finally:
            cl.close()

    def shown(self):
        """Ratings, complaints and replies of the sampled agents that the stats hashes show
        (messages only show as open_tickets, so they are left out of the count on both sides)."""
        return sum(c.stats_totals(self.st.redis, self.agents)[:3])

    def daemon_counts(self):
        """From /metrics: alert messages the daemon published so far (firing and resolved,
        every rule), and its view delay histogram ({le: cumulative count}, sum)."""
        if "daemon" not in self.consumer_pids:
            return 0, ({}, 0.0)
        try:
            m = self.st.metrics()
        except OSError:
            return 0, ({}, 0.0)
        head = 'feedbackd_view_delay_seconds_bucket{le="'
        buckets = {k[len(head):-2]: int(v) for k, v in m.items() if k.startswith(head)}
        return (int(sum(v for k, v in m.items() if k.startswith("feedbackd_alerts_published_total{"))),
                (buckets, m.get("feedbackd_view_delay_seconds_sum", 0.0)))

    def sampler(self, t0):
        """Once a second: (t, produced, shown), in its own thread so that the paced producer
        does not wait for the 10,000-agent round of HMGETs."""
        nxt = 1.0
        while not self.done_producing:
            el = time.monotonic() - t0
            if el >= nxt:
                nxt += 1.0
                shown = self.shown()
                # produced: by the end of the round of HMGETs, so never less than it saw
                self.timeline.append((round(el, 2), self.vis[self.produced], shown))
                published, delay = self.daemon_counts()
                self.alerts.append((round(el, 2), published))
                self.view_delay.append((round(el, 2),) + delay)
                self.cpu.append((round(el, 2), {k: c.process_cpu(pid) for k, pid in self.pids.items()},
                                 c.machine_cpu()))
            time.sleep(0.02)

    def go(self, lines):
        st = self.st
        sample = set(self.agents)
        for ln in lines:
            agent = ln[ln.index('"agent_id":"') + 12:].split('"', 1)[0]
            self.vis.append(self.vis[-1] + ('"type":"message"' not in ln and agent in sample))
        kc = subprocess.Popen([c.KCAT, "-P", "-b", st.bootstrap, "-t", self.topic, "-D", "\n", "-K", "\x1f",
                               "-X", "linger.ms=5", "-X", "queue.buffering.max.messages=2000000",
                               "-X", "enable.idempotence=true"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
        h._live[kc.pid] = kc
        self.pids = dict(self.consumer_pids, **{"redis-server": st.redis.proc.pid, "producer (kcat)": kc.pid,
                                                "this script (producer feed, poller)": os.getpid()})
        if st.real:
            self.pids["broker"] = st.kafka.pid()
        pt = threading.Thread(target=self.poller, daemon=True)
        pt.start()
        n_total = min(len(lines), int(self.rate * self.duration))
        t0 = time.monotonic()
        t_wall0 = time.time()
        next_probe = 0.0
        probe_i = 0
        next_alert = self.alert_every / 2
        alert_i = 0
        tt = threading.Thread(target=self.sampler, args=(t0,), daemon=True)
        tt.start()
        try:
            while True:
                el = time.monotonic() - t0
                if el >= self.duration:
                    break
                due = min(n_total, int(self.rate * el))
                buf = []
                if el >= next_probe:
                    a, pl = self.probe_line(probe_i, t_wall0 + el)
                    probe_i += 1
                    next_probe += self.probe_every
                    buf.append(pl)
                    send_probe = a
                else:
                    send_probe = None
                send_alert = None
                if el >= next_alert:
                    send_alert, alines = self.alert_probe_lines(alert_i, t_wall0 + el)
                    alert_i += 1
                    next_alert += self.alert_every
                    buf.extend(alines)
                if due > self.produced:
                    buf.extend(lines[self.produced:due])
                    self.produced = due
                if buf:
                    data = ("\n".join(buf) + "\n").encode()
                    # the probes are first in the write: stamp them just before
                    with self.lock:
                        now = time.time()
                        if send_probe:
                            self.sent_at[send_probe] = now
                            self.outstanding.append(send_probe)
                        if send_alert:
                            self.asent_at[send_alert] = now
                            self.aoutstanding.append(send_alert)
                    kc.stdin.write(data)
                    kc.stdin.flush()
                nxt = min(next_probe, next_alert, (int(el / 0.01) + 1) * 0.01)
                time.sleep(max(0.0, nxt - (time.monotonic() - t0)))
            el_end = time.monotonic() - t0
            self.done_producing = True
            self.probes_sent = probe_i
            self.wall = el_end
            tt.join(5)
            self.produced_total = self.produced + probe_i
            self.visible_produced = self.vis[self.produced]
            self.shown_at_end = self.shown()
            kc.stdin.close()
            rc = kc.wait(timeout=120)
            err = kc.stderr.read().decode("utf-8", "replace")
            if rc != 0 or "fail" in err.lower():
                c.log("kcat producer rc %s: %s" % (rc, err[-1000:]))
            # wait for the probes still in flight (and the backlog) for a while
            deadline = time.monotonic() + self.drain_timeout
            while time.monotonic() < deadline:
                with self.lock:
                    if not self.outstanding and not self.aoutstanding:
                        break
                time.sleep(0.05)
            self.drain_s = time.monotonic() - t0 - el_end
        finally:
            self.stop_poll = True
            pt.join(5)
            if kc.poll() is None:
                h._killpg(kc, 9)
            h._reap(kc, 5)

    def result(self):
        t_first = min(self.sent_at.values()) if self.sent_at else 0
        steady = {a: t for a, t in self.sent_at.items() if t - t_first >= self.warmup}
        lat = [1000 * (self.seen_at[a] - t) for a, t in steady.items() if a in self.seen_at]
        warm = [1000 * (self.seen_at[a] - t) for a, t in self.sent_at.items()
                if a in self.seen_at and a not in steady]
        missing = [a for a in steady if a not in self.seen_at]
        pc = c.percentiles(lat)
        alat = [1000 * (self.aseen_at[a] - t) for a, t in self.asent_at.items() if a in self.aseen_at]
        # shown and produced rates over the second half of the run (steady state), of the
        # ratings, complaints and replies; scaled by their share to an events/s estimate
        tl = self.timeline
        half = [x for x in tl if x[0] >= self.duration / 2]
        half = half if len(half) >= 2 else tl
        share = self.visible_produced / self.produced if self.produced else 1.0
        if len(half) >= 2:
            dt = half[-1][0] - half[0][0]
            shown_rate = (half[-1][2] - half[0][2]) / dt
            produced_rate = (half[-1][1] - half[0][1]) / dt
            sustained = shown_rate / share
        else:
            shown_rate = produced_rate = sustained = None
        backlog = self.visible_produced - self.shown_at_end
        return {"rate": self.rate, "duration_s": self.duration, "wall_s": self.wall,
                "produced": self.produced_total, "shown_at_end": self.shown_at_end,
                "visible_produced": self.visible_produced, "visible_share": share,
                "backlog_at_end": backlog,
                "shown_rate_second_half": shown_rate, "produced_rate_second_half": produced_rate,
                "sustained": bool(shown_rate) and shown_rate >= 0.95 * produced_rate,
                "warmup_s": self.warmup, "warmup_probes": len(warm),
                "warmup_latency_ms": c.percentiles(warm),
                "applied_eps_second_half": sustained,
                "offered_eps": self.produced_total / self.wall,
                "probes_sent": len(steady), "probes_seen": len(lat), "probes_missing": len(missing),
                "latency_ms": pc, "timeline": tl, "drain_s": self.drain_s,
                "alerts_published": self.alerts, "view_delay": self.view_delay, "cpu": self.cpu,
                "alert_probes_sent": len(self.asent_at), "alert_probes_seen": len(alat),
                "alert_latency_ms": c.percentiles(alat), "alert_latencies_ms": sorted(round(x, 2) for x in alat),
                "latencies_ms": sorted(round(x, 2) for x in lat),
                # every probe in the order sent: (s after the first, ms), so spikes show their period
                "probe_series": sorted((round(t - t_first, 3), round(1000 * (self.seen_at[a] - t), 2))
                                       for a, t in self.sent_at.items() if a in self.seen_at)}


class FloorConsumer:
    """--consumer floor: bench/floor_consumer (see the top of bench/floor_consumer.c) in
    feedbackd's place: it consumes the load in a group and sends Redis the contract's stats
    writes, one per changed agent, and nothing else. What the machine then spends is the
    floor that any consumer of this load and contract sits on."""

    def __init__(self, st, topic, group):
        exe = os.path.join(h.BUILDDIR, "bench", "floor_consumer")
        if not os.access(exe, os.X_OK):
            raise SystemExit("%s is missing: build it (make -C %s bench/floor_consumer)" % (exe, h.BUILDDIR))
        self.proc = subprocess.Popen([exe, st.bootstrap, topic, group, str(st.redis.port)],
                                     stderr=subprocess.PIPE, start_new_session=True)
        h._live[self.proc.pid] = self.proc
        c.log("floor consumer: %s (pid %d), group %s" % (exe, self.proc.pid, group))

    def pids(self):
        return {"floor consumer": self.proc.pid}

    def running(self):
        return self.proc.poll() is None

    def log_tail(self):
        return self.proc.stderr.read1(4000).decode("utf-8", "replace")

    def kill(self):
        if self.proc.poll() is None:
            h._killpg(self.proc, 9)
        h._reap(self.proc, 5)

    def stop(self, timeout=None):
        self.kill()


def run_phase(st, rate, duration, args, idx):
    topic = c.TOPIC if idx == 0 else "%s.%d" % (c.TOPIC, idx)
    group = c.GROUP if idx == 0 else "%s-%d" % (c.GROUP, idx)
    if idx:
        if st.real:
            st.create_input_topic(topic)
        else:
            # mock: no topic creation; reuse the topic, a new group.  The route topic and the
            # task checkpoints (keyed by group) are the new group's own.
            topic, group = c.TOPIC, c.GROUP + "-x"
    if args.consumer == "floor":
        d = FloorConsumer(st, topic, group)
    else:
        d = st.make_daemon({"kafka": {"group": group, "topics": topic}})
        st.start_daemon(d)
        d.wait_log(h.DEFAULT_READY, timeout=120)
    time.sleep(1.0)
    n = int(rate * duration) + 1
    c.log("phase %d: generating %d events for %d events/s over %.0f s" % (idx + 1, n, rate, duration))
    lines, _ = c.gen_events.gen_mixed(n, args.agents, int(time.time() * 1000 + duration * 1000 + 2000),
                                      int(duration * 1000), args.seed + idx, "lt%d-%d" % (os.getpid(), idx),
                                      args.ts_format)
    run = "%x%d" % (os.getpid(), idx)
    ph = Phase(st, topic, group, rate, duration, args.probe_every / 1000.0, run)
    # a sample: a round of HMGETs over all 10,000 agents every second cost this script and Redis
    # about a tenth of the machine, which the daemon and Redis need at this load
    ph.agents = [c.gen_events.agent_name(i) for i in range(0, args.agents, args.sample_every)]
    ph.drain_timeout = args.drain_timeout
    ph.warmup = args.warmup
    ph.alert_every = args.alert_every / 1000.0
    ph.consumer_pids = d.pids() if args.consumer == "floor" else {"daemon": d.proc.pid}
    c.log("phase %d: producing %d events/s for %.0f s, a probe every %d ms" % (idx + 1, rate, duration, args.probe_every))
    st.redis.cmd("CONFIG", "RESETSTAT")
    ph.go(lines)
    res_commands = c.redis_commandstats(st.redis)
    if not d.running():
        raise RuntimeError("the consumer exited (rc %s) during the load; log tail:\n%s"
                           % (d.proc.returncode, d.log_tail()))
    res = ph.result()
    res["topic"] = topic
    res["redis_commands"] = res_commands
    try:
        d.kill() if not res["sustained"] else d.stop(timeout=60)
    except AssertionError as e:
        c.log("daemon stop: %s" % str(e)[:300])
    st.daemon = None
    return res


def warm_broker(st, rate, args):
    """
    The same load for args.broker_warmup seconds, unmeasured, on a topic and group of its own;
    then Redis is flushed. A freshly started broker spends most of its CPU compiling (JIT) the
    code of the daemon's kinds of request at first (bench/README.md, benchmark 1, step 3).
    Returns the seconds and the broker's CPU per event.
    """
    kb0 = c.broker_cpu(st)
    r = run_phase(st, rate, args.broker_warmup, args, 9)
    kb1 = c.broker_cpu(st)
    st.redis.cmd("FLUSHALL")
    us = None if kb0 is None or kb1 is None or not r["produced"] else 1e6 * (kb1 - kb0) / r["produced"]
    c.log("broker warm-up: %.0f s at %d events/s on its own topic, broker %s us/event"
          % (args.broker_warmup, rate, "?" if us is None else "%.2f" % us))
    return {"s": args.broker_warmup, "rate": rate, "broker_us_per_event": us}


def at_warmup(samples, warmup_s):
    """The last of the (t, ...) samples taken by the end of the warm-up, or None."""
    before = [x for x in samples if x[0] <= warmup_s]
    return before[-1] if before else None


def view_delay_line(r):
    """The daemon's view delay over the measured span (after the warm-up) from two snapshots
    of its histogram: percentiles as the bucket bound they fall in."""
    vd = r.get("view_delay") or []
    if not vd or not vd[-1][1]:
        return None
    t0, b0, s0 = at_warmup(vd, r["warmup_s"]) or (0.0, {}, 0.0)
    t1, b1, s1 = vd[-1]
    bounds = sorted(b1, key=lambda le: float("inf") if le == "+Inf" else float(le))
    cum = [(le, b1[le] - b0.get(le, 0)) for le in bounds]
    n = cum[-1][1]
    if n <= 0:
        return None

    def pct(p):
        return next(le for le, k in cum if k >= p * n)
    return ("daemon's share, from a change applied to the stats write that shows it answered "
            "(feedbackd_view_delay_seconds, %.0f-%.0f s): %d writes, mean %.1f ms, p50 <= %s s, p90 <= %s s, "
            "p99 <= %s s; raw cumulative counts by bound: %s"
            % (t0, t1, n, 1000 * (s1 - s0) / n, pct(0.5), pct(0.9), pct(0.99),
               " ".join("%s:%d" % x for x in cum)))


def cpu_line(r):
    """Where the machine's cores went over the measured span (after the warm-up): each
    process's CPU per event offered and share of a core, and the whole machine's."""
    cpu = r.get("cpu") or []
    first = at_warmup(cpu, r["warmup_s"])
    if first is None or len(cpu) < 2 or first is cpu[-1]:
        return None
    (t0, p0, m0), (t1, p1, m1) = first, cpu[-1]
    dt = t1 - t0
    events = r["offered_eps"] * dt
    parts = []
    for k in p1:
        if p0.get(k) is not None and p1[k] is not None:
            s = p1[k] - p0[k]
            parts.append("%s %.2f us/event (%.0f%% of a core)" % (k, 1e6 * s / events, 100 * s / dt))
    busy, total = m1[0] - m0[0], m1[1] - m0[1]
    return ("CPU over %.0f-%.0f s: the machine %.0f%% busy (%.2f of %d cores); %s"
            % (t0, t1, 100 * busy / total if total else 0, busy / dt, os.cpu_count(), "; ".join(parts)))


def report_phase(r, out=sys.stdout, label=""):
    p = lambda *a: print(*a, file=out)  # noqa: E731
    L = r["latency_ms"]
    p("%s offered %.0f events/s (%d events in %.1f s); second half: %s ratings+complaints+replies/s shown in "
      "the stats hashes of %s/s produced, of the sampled agents (%.1f%% of the events; about %s events/s); not yet shown at the end %d "
      "-> %s (shown >= 0.95 x produced)"
      % (label, r["offered_eps"], r["produced"], r["wall_s"],
         "%.0f" % r["shown_rate_second_half"] if r["shown_rate_second_half"] is not None else "?",
         "%.0f" % r["produced_rate_second_half"] if r["produced_rate_second_half"] is not None else "?",
         100 * r["visible_share"],
         "%.0f" % r["applied_eps_second_half"] if r["applied_eps_second_half"] else "?",
         r["backlog_at_end"], "SUSTAINED" if r["sustained"] else "NOT SUSTAINED"))
    if L.get("n"):
        p("%s event-to-Redis latency: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (min %.1f, mean %.1f; "
          "%d probes seen of %d, %d never seen within the drain time)"
          % (label, L["p50"], L["p90"], L["p99"], L["max"], L["min"], L["mean"], r["probes_seen"],
             r["probes_sent"], r["probes_missing"]))
    else:
        p("%s no probe seen (%d sent)" % (label, r["probes_sent"]))
    A = r["alert_latency_ms"]
    if A.get("n"):
        p("%s quality alert after its triggering event: p50 %.1f ms, p99 %.1f ms, max %.1f ms (min %.1f; %d alerts "
          "seen of %d probes; raw ms: %s)"
          % (label, A["p50"], A["p99"], A["max"], A["min"], r["alert_probes_seen"], r["alert_probes_sent"],
             " ".join("%.0f" % x for x in r["alert_latencies_ms"])))
    else:
        p("%s no quality alert seen (%d probes)" % (label, r["alert_probes_sent"]))
    for line in (view_delay_line(r), cpu_line(r), c.commandstats_line(r.get("redis_commands"), r["produced"])):
        if line:
            p("%s %s" % (label, line))
    W = r["warmup_latency_ms"]
    if W.get("n"):
        p("%s (first %.0f s, excluded above: %d probes, p50 %.1f ms, max %.1f ms)"
          % (label, r["warmup_s"], W["n"], W["p50"], W["max"]))
    p("%s raw timeline (s, ratings+complaints+replies of the sampled agents produced / shown): %s" % (label, " ".join("%s:%d/%d" % x for x in r["timeline"])))
    al = r["alerts_published"]
    if al:
        # every fresh agent fires each rule once on reaching its minimum samples: a wave that
        # passes; a measured span inside it carries that load too
        before = at_warmup(al, r["warmup_s"])
        w = before[1] if before else 0
        span = al[-1][0] - (r["warmup_s"] if before else 0)
        p("%s alert messages the daemon published: %d in the first %.0f s, %d after (%.0f a second); raw per second: %s"
          % (label, w, r["warmup_s"], al[-1][1] - w, (al[-1][1] - w) / span if span > 0 else 0,
             " ".join("%s:%d" % x for x in al)))


def report(res, out=sys.stdout):
    floor = res["consumer"] == "floor"
    print("== Benchmark 2: latency (%s Kafka, target %d events/s for %.0f s, probe every %d ms)%s =="
          % (res["kafka"], res["rate"], res["duration"], res["probe_every_ms"],
             ", FLOOR: bench/floor_consumer instead of feedbackd" if floor else ""), file=out)
    w = res.get("broker_warmup")
    print("broker warm-up: %s" % ("none" if not w else "%.0f s of the same load first, unmeasured, broker %s us/event "
                                  "in it (its JVM compiling the daemon's requests' code)"
                                  % (w["s"], "?" if w["broker_us_per_event"] is None
                                     else "%.2f" % w["broker_us_per_event"])), file=out)
    for i, r in enumerate(res["phases"]):
        report_phase(r, out, "[%d events/s]" % r["rate"])
    if floor:
        print("targets: not for the floor (no feedbackd ran); its figures bound what any consumer of "
              "this load can reach here", file=out)
        return
    ok = any(r["rate"] >= 50_000 and r["sustained"] and r["latency_ms"].get("p99", 1e9) <= 50
             for r in res["phases"])
    print("target: p99 <= 50 ms at 50000 events/s: %s" % ("met" if ok else "NOT met"), file=out)
    aok = any(r["rate"] >= 50_000 and r["sustained"] and r["alert_probes_sent"] > 0
              and r["alert_probes_seen"] == r["alert_probes_sent"] and r["alert_latency_ms"]["max"] <= 1000
              for r in res["phases"])
    print("target: every quality alert <= 1 s after its triggering event, at 50000 events/s: %s"
          % ("met" if aok else "NOT met"), file=out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=int, default=50_000)
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--probe-every", type=int, default=20, help="ms between probes")
    ap.add_argument("--alert-every", type=int, default=1000, help="ms between quality-alert probes")
    ap.add_argument("--agents", type=int, default=10_000)
    ap.add_argument("--sample-every", type=int, default=10,
                    help="whether the load is sustained is read from every N'th agent's stats (default 10)")
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--ts-format", choices=("rfc3339", "ms"), default="rfc3339")
    ap.add_argument("--drain-timeout", type=float, default=30.0,
                    help="seconds to wait for probes still in flight after the load stops")
    ap.add_argument("--warmup", type=float, default=2.0,
                    help="probes sent in the first WARMUP seconds are reported apart (default 2)")
    ap.add_argument("--broker-warmup", type=float, default=30.0,
                    help="seconds of the same load, unmeasured, on a topic and group of their own first, "
                         "so that the real broker's JVM has compiled the code of the daemon's requests "
                         "(default %(default)s; 0: a cold broker; see bench/README.md)")
    ap.add_argument("--consumer", choices=("feedbackd", "floor"), default="feedbackd",
                    help="floor: bench/floor_consumer in feedbackd's place (the contract's stats writes and "
                         "nothing else), for what the machine costs without feedbackd's work")
    ap.add_argument("--fallback-factor", type=float, default=0.8)
    ap.add_argument("--no-fallback", action="store_true")
    c.add_common_args(ap)
    args = ap.parse_args()
    c.set_builddir(args.builddir)
    sys.setswitchinterval(0.0005)
    res = {"benchmark": "latency", "rate": args.rate, "duration": args.duration,
           "probe_every_ms": args.probe_every, "consumer": args.consumer, "phases": []}
    with c.Stack(args.kafka, args.keep, args.partitions, "lat") as st:
        st.start()
        res["kafka"] = "real" if st.real else "mock"
        rate = args.rate
        if not st.real and rate > 20000:
            c.warn_loud("mock Kafka: reducing --rate %d -> 20000" % rate)
            rate = 20000
        if st.real and args.broker_warmup > 0:
            res["broker_warmup"] = warm_broker(st, rate, args)
        r1 = run_phase(st, rate, args.duration, args, 0)
        res["phases"].append(r1)
        report_phase(r1, sys.stderr, "[phase 1]")
        if not r1["sustained"] and not args.no_fallback and r1["applied_eps_second_half"]:
            rate2 = max(100, int(r1["applied_eps_second_half"] * args.fallback_factor / 100) * 100)
            c.log("NOT SUSTAINED at %d events/s; running again at %d events/s (%.1f x the applied rate)"
                  % (rate, rate2, args.fallback_factor))
            res["phases"].append(run_phase(st, rate2, args.duration, args, 1))
    report(res)
    c.write_json(args.json, res)


if __name__ == "__main__":
    main()
