#!/usr/bin/env python3
"""Benchmark 5: CPU used by an idle daemon.

    bench/idle.py                  # 10,000 agents known, then 60 s with no events
    bench/idle.py --agents 0       # a daemon that never saw an event

Pre-loads one rating per agent for --agents agents (an idle daemon in production knows
its agents and slides their windows every [windows] refresh), starts feedbackd, waits
until the stats hashes show them (ratings_30d summed = --agents) plus --settle seconds, then reads utime+stime from
/proc/PID/stat at the start and the end of --duration (60 s).  Prints CPU seconds per
minute and, as raw numbers, user/system split, per-thread CPU and context switches.
"""
import argparse
import os
import sys
import time

import common as c


def ctx_switches(pid):
    tot = 0
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, t)) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        tot += int(line.split()[1])
        except OSError:
            pass
    return tot


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--agents", type=int, default=10_000)
    ap.add_argument("--settle", type=float, default=5.0)
    ap.add_argument("--partitions", type=int, default=8)
    c.add_common_args(ap)
    args = ap.parse_args()
    c.set_builddir(args.builddir)
    res = {"benchmark": "idle", "duration_s": args.duration, "agents": args.agents}
    with c.Stack(args.kafka, args.keep, args.partitions, "idle") as st:
        st.start()
        res["kafka"] = "real" if st.real else "mock"
        if args.agents:
            path = os.path.join(st.tmp, "agents.txt")
            now = int(time.time() * 1000)
            c.gen_events.write_lines(path, [
                '%s\x1f{"event_id":"idle-%d","type":"rating","agent_id":"%s","ts":%d,"score":5}'
                % (c.gen_events.agent_name(i), i, c.gen_events.agent_name(i), now - 1000) for i in range(args.agents)])
            c.produce_file(st.bootstrap, c.TOPIC, path)
        d = st.make_daemon()
        st.start_daemon(d)
        d.wait_log(c.h.DEFAULT_READY, timeout=120)
        if args.agents:
            names = [c.gen_events.agent_name(i) for i in range(args.agents)]
            c.wait_stats(st.redis, names, [args.agents, 0, 0, 0], timeout=300, interval=0.1, daemon=d)
        time.sleep(args.settle)
        pid = d.proc.pid
        cpu0, u0, s0 = c.cpu_seconds(pid)
        th0 = c.thread_cpu(pid)
        cs0 = ctx_switches(pid)
        t0 = time.monotonic()
        c.log("idle for %.0f s ..." % args.duration)
        time.sleep(args.duration)
        el = time.monotonic() - t0
        cpu1, u1, s1 = c.cpu_seconds(pid)
        th1 = c.thread_cpu(pid)
        cs1 = ctx_switches(pid)
        res.update({
            "elapsed_s": el, "cpu_s": cpu1 - cpu0, "user_s": u1 - u0, "sys_s": s1 - s0,
            "cpu_s_per_min": (cpu1 - cpu0) * 60 / el, "ctx_switches": cs1 - cs0,
            "threads": sorted([[th1[t][0], round(th1[t][1] - th0.get(t, ("", 0))[1], 3)] for t in th1],
                              key=lambda x: -x[1]),
            "rss": c.proc_status(pid, "VmRSS"),
            "clk_tck": c.CLK_TCK,
        })
        d.stop(timeout=60)
        st.daemon = None
    print("== Benchmark 5: idle CPU (%s Kafka, %d agents known, %.0f s) ==" % (res["kafka"], args.agents, el))
    print("idle CPU: %.2f s per minute (%.2f s in %.1f s: user %.2f, sys %.2f)   (target <= 0.5 s per minute)"
          % (res["cpu_s_per_min"], res["cpu_s"], el, res["user_s"], res["sys_s"]))
    print("idle target <= 0.5 s per minute: %s" % ("met" if res["cpu_s_per_min"] <= 0.5 else "NOT met"))
    print("raw: %d context switches (%.0f/s); by thread: %s; RSS %.1f MiB; /proc tick = 1/%d s"
          % (res["ctx_switches"], res["ctx_switches"] / el,
             ", ".join("%s %.2f" % (a, b) for a, b in res["threads"] if b > 0) or "all 0",
             c.mib(res["rss"]), c.CLK_TCK))
    c.write_json(args.json, res)


if __name__ == "__main__":
    main()
