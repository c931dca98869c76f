#!/usr/bin/env python3
"""Benchmark 4: the daemon's memory.

    bench/memory.py                                  # 4a (runs benchmark 1) and 4b
    bench/memory.py --throughput-json tput.json      # 4a taken from a benchmark-1 result file
    bench/memory.py --clocks 200000 --skip-throughput

4a: peak RSS during benchmark 1 (bench/throughput.py, 1,000,000 events), or read from
its --json file.  4b: pre-loads --clocks (1,000,000) `message` events on distinct
tickets of 10,000 agents (a 24 h target, so none fires), starts feedbackd, waits until
the stats hashes show them (open_tickets summed over the agents = --clocks), then
samples VmRSS every 100 ms for --hold seconds while it holds the open clocks.  Prints
the peak and the settled RSS (VmRSS, and the kernel's VmHWM), plus the raw numbers:
feedbackd_open_clocks, Redis used_memory.  The engine's target for benchmark 1 is
<= 128 MiB; the 1,000,000 clocks are part of bench/scale.py's <= 512 MiB.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import common as c
from common import h


MEM_AGENTS = 10_000


def hold_clocks(args):
    res = {"clocks": args.clocks}
    with c.Stack(args.kafka, args.keep, args.partitions, "mem") as st:
        st.start()
        res["kafka"] = "real" if st.real else "mock"
        n = res["clocks"] = c.mock_capped(st, args.clocks, args.mock_max, "--clocks")
        path = os.path.join(st.tmp, "clocks.txt")
        now = int(time.time() * 1000)
        c.gen_events.write_lines(path, c.gen_events.gen_clocks(n, now - 60_000, 60_000, "mm%d" % os.getpid(),
                                                               agents=MEM_AGENTS))
        res["produce_s"] = c.produce_file(st.bootstrap, c.TOPIC, path)
        os.unlink(path)
        d = st.make_daemon({"sla": {"reply_target": "24h"}})
        t0 = time.monotonic()
        st.start_daemon(d)
        sampler = c.RssSampler(d.proc.pid, 0.1)
        sampler.start()
        agents, want = c.expect_clocks(n, MEM_AGENTS)
        t_applied = c.wait_stats(st.redis, agents, want, timeout=args.timeout, interval=0.1, daemon=d)
        res["apply_s"] = t_applied - t0
        c.log("%d clocks shown in the stats hashes %.1f s after exec; holding them for %.0f s" % (n, res["apply_s"], args.hold))
        peak_load = sampler.peak
        t_hold = time.monotonic()
        time.sleep(args.hold)
        sampler.stop()
        hold = [v for t, v in sampler.samples if t >= t_hold - t0]
        res.update({
            "rss_peak_while_loading": peak_load, "rss_peak": sampler.peak,
            "rss_hold_max": max(hold) if hold else None, "rss_hold_last": hold[-1] if hold else None,
            "rss_hwm": c.proc_status(d.proc.pid, "VmHWM"),
            "redis_used_memory": c.redis_used_memory(st.redis),
        })
        try:
            m = st.metrics()
            res["open_clocks_metric"] = m.get("feedbackd_open_clocks")
        except OSError:
            res["open_clocks_metric"] = None
        d.stop(timeout=60)
        st.daemon = None
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clocks", type=int, default=1_000_000)
    ap.add_argument("--hold", type=float, default=10.0, help="seconds to sample while holding the clocks")
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=1200)
    ap.add_argument("--mock-max", type=int, default=100_000)
    ap.add_argument("--throughput-json", metavar="FILE", help="take 4a from this bench/throughput.py --json file")
    ap.add_argument("--skip-throughput", action="store_true", help="only 4b")
    ap.add_argument("--events", type=int, default=1_000_000, help="4a: benchmark-1 size when it is run here")
    c.add_common_args(ap)
    args = ap.parse_args()
    c.set_builddir(args.builddir)
    out = {"benchmark": "memory"}
    if args.throughput_json:
        with open(args.throughput_json) as f:
            out["throughput"] = json.load(f)
    elif not args.skip_throughput:
        jf = os.path.join(c.tempfile.gettempdir(), "fbbench-mem-tput-%d.json" % os.getpid())
        cmd = [sys.executable, os.path.join(c.HERE, "throughput.py"), "--events", str(args.events),
               "--builddir", args.builddir, "--kafka", args.kafka, "--json", jf, "--kcat-runs", "1"]
        c.log("4a: running %s" % " ".join(cmd))
        subprocess.run(cmd, check=True, stdout=sys.stderr)
        with open(jf) as f:
            out["throughput"] = json.load(f)
        os.unlink(jf)
    out["clocks"] = hold_clocks(args)

    print("== Benchmark 4: memory (target: <= 128 MiB peak in benchmark 1) ==")
    t = out.get("throughput")
    if t:
        print("4a peak RSS during benchmark 1 (%d events, %s Kafka): %.1f MiB VmHWM (%.1f MiB max VmRSS sample)"
              % (t["events"], t["kafka"], c.mib(t["rss_hwm"]), c.mib(t["rss_peak_sampled"])))
        print("4a target <= 128 MiB: %s" % ("met" if c.mib(t["rss_hwm"]) <= 128 else "NOT met"))
    r = out["clocks"]
    print("4b RSS holding %d open clocks (%s Kafka): %.1f MiB peak VmRSS (VmHWM %.1f MiB; %.1f MiB while loading), "
          "%.1f MiB settled" % (r["clocks"], r["kafka"], c.mib(r["rss_peak"]), c.mib(r["rss_hwm"]),
                                c.mib(r["rss_peak_while_loading"]), c.mib(r["rss_hold_last"])))
    print("raw 4b: shown in the stats hashes %.1f s after exec (%.0f events/s), feedbackd_open_clocks %s, "
          "redis used_memory %.1f MiB, produce %.1f s" % (r["apply_s"], r["clocks"] / r["apply_s"], r["open_clocks_metric"],
                              c.mib(r["redis_used_memory"]), r["produce_s"]))
    c.write_json(args.json, out)


if __name__ == "__main__":
    main()
