#!/usr/bin/env python3
"""Benchmark 6: instructions per event under callgrind (run it through bench/callgrind.sh).

Pre-loads a fixed, seeded set of --events (50,000) mixed events into a fresh
8-partition topic, runs feedbackd under `valgrind --tool=callgrind` until
the stats hashes show every event (bench/common.py's StatsWait), sends
SIGTERM, and divides the Ir total of the daemon process (all threads, including
start-up, librdkafka and shutdown) by the number of events.  Prints the
callgrind_annotate top functions (self cost, and inclusive).

The event ids, agents, types and scores are fixed by --seed; only the timestamps
follow the clock.  Start-up/shutdown and librdkafka's timer wake-ups are in the total;
--baseline also runs an empty topic the same way and prints the difference per event.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import common as c
from common import h


def ir_total(path):
    """The `summary:`/`totals:` Ir of a callgrind out file."""
    tot = None
    with open(path, "rb") as f:
        for line in f:
            if line.startswith((b"summary:", b"totals:")):
                tot = int(line.split()[1])
    if tot is None:
        raise RuntimeError("no totals in %s" % path)
    return tot


def one_run(args, events, label):
    res = {"events": events}
    with c.Stack(args.kafka, args.keep, args.partitions, "cg") as st:
        st.start()
        res["kafka"] = "real" if st.real else "mock"
        summary = None
        if events:
            path = os.path.join(st.tmp, "events.txt")
            lines, summary = c.gen_events.gen_mixed(events, args.agents, int(time.time() * 1000), 3_600_000,
                                                    args.seed, "cg", "rfc3339")
            c.gen_events.write_lines(path, lines)
            c.produce_file(st.bootstrap, c.TOPIC, path)
        out = os.path.join(st.tmp, "callgrind.out")
        vg = [args.valgrind, "--tool=callgrind", "--callgrind-out-file=" + out, "--trace-children=no"]
        vg += args.valgrind_arg or []
        d = st.make_daemon({"kafka": {"rdkafka.session.timeout.ms": "60000",
                                      "rdkafka.heartbeat.interval.ms": "3000"}}, wrapper=vg)
        t0 = time.monotonic()
        st.start_daemon(d)
        d.wait_log(h.DEFAULT_READY, timeout=300)
        if summary:
            agents, want = c.expect_mixed(summary)
            c.wait_stats(st.redis, agents, want, timeout=args.timeout, interval=0.2, daemon=d)
        else:
            time.sleep(args.idle_wait)
        res["wall_s"] = time.monotonic() - t0
        d.proc.send_signal(signal.SIGTERM)
        rc = d.proc.wait(timeout=300)
        h._reap(d.proc, 1)
        d.proc = None
        st.daemon = None
        res["exit"] = rc
        res["ir"] = ir_total(out)
        if events:
            ann = subprocess.run([args.annotate, "--inclusive=no", "--threshold=100", out],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.decode("utf-8", "replace")
            inc = subprocess.run([args.annotate, "--inclusive=yes", "--threshold=100", out],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.decode("utf-8", "replace")
            res["annotate_self"] = ann
            res["annotate_inclusive"] = inc
            if args.save:
                shutil.copy(out, args.save)
                c.log("callgrind output saved to %s" % args.save)
    c.log("%s: %d events, Ir %d, %.1f s under valgrind, exit %s" % (label, events, res["ir"], res["wall_s"], rc))
    return res


def top_lines(text, n):
    """The first n function rows of a callgrind_annotate listing."""
    rows = []
    started = False
    for line in text.splitlines():
        if re.match(r"^-+$", line.strip()) and rows == [] and started:
            continue
        if "file:function" in line:
            started = True
            continue
        if started and line.strip():
            rows.append(line.rstrip())
            if len(rows) >= n:
                break
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--agents", type=int, default=10_000)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--seed", type=int, default=50_000)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--timeout", type=float, default=1200)
    ap.add_argument("--baseline", action="store_true", help="also run with no events and subtract")
    ap.add_argument("--idle-wait", type=float, default=5.0, help="baseline: seconds after ready")
    ap.add_argument("--save", metavar="FILE", help="keep the callgrind.out file here")
    ap.add_argument("--valgrind", default=shutil.which("valgrind") or "valgrind")
    ap.add_argument("--annotate", default=shutil.which("callgrind_annotate") or "callgrind_annotate")
    ap.add_argument("--valgrind-arg", action="append", help="extra valgrind option (repeatable)")
    c.add_common_args(ap)
    args = ap.parse_args()
    c.set_builddir(args.builddir)
    res = {"benchmark": "callgrind"}
    r = one_run(args, args.events, "events run")
    res.update({"events": r["events"], "kafka": r["kafka"], "ir": r["ir"], "wall_s": r["wall_s"],
                "ir_per_event": r["ir"] / r["events"]})
    if args.baseline:
        b = one_run(args, 0, "baseline run")
        res["baseline_ir"] = b["ir"]
        res["ir_per_event_minus_baseline"] = (r["ir"] - b["ir"]) / r["events"]
    res["top_self"] = top_lines(r["annotate_self"], args.top)
    res["top_inclusive"] = top_lines(r["annotate_inclusive"], args.top)
    print("== Benchmark 6: instructions per event (callgrind, %s Kafka, %d events, seed %d) =="
          % (res["kafka"], res["events"], args.seed))
    print("instructions per event: %.0f   (Ir %d / %d events; %.0f s under valgrind)"
          % (res["ir_per_event"], res["ir"], res["events"], res["wall_s"]))
    if args.baseline:
        print("minus an empty run (Ir %d): %.0f per event" % (res["baseline_ir"], res["ir_per_event_minus_baseline"]))
    print("top %d functions by self Ir (callgrind_annotate --inclusive=no):" % args.top)
    print("\n".join(res["top_self"]))
    print("top %d functions by inclusive Ir:" % args.top)
    print("\n".join(res["top_inclusive"]))
    c.write_json(args.json, res)


if __name__ == "__main__":
    main()
