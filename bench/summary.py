#!/usr/bin/env python3
"""summary.py DIR: the summary table of a bench/run.sh results directory (the *.json files)."""
import json
import os
import sys

import common as c


def load(d, name):
    try:
        with open(os.path.join(d, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def main():
    d = sys.argv[1]
    rows = []

    def row(bench, figure, value, target, ok):
        rows.append([bench, figure, value, target, "-" if ok is None else ("yes" if ok else "NO")])

    t = load(d, "throughput")
    if t:
        size = "%dk events, %s" % (t["events"] // 1000, t["kafka"])
        row("1 throughput", "events/s (" + size + ")", "%.0f" % t["eps"], ">= 300000", t["eps"] >= 300000)
        if t.get("ratio_to_peer"):
            row("", "ratio to the Python peer (%.0f/s)" % t["peer"]["eps"], "%.2f" % t["ratio_to_peer"], ">= 5",
                t["ratio_to_peer"] >= 5)
        row("", "ratio to kcat -C (%.0f/s)" % t["kcat_eps"], "%.3f" % t["ratio_to_kcat"], "-", None)
        v = 1e6 * t["redis_cpu_net_s"] / t["events"]
        row("", "redis-server CPU us/event", "%.2f" % v, "<= 2", v <= 2)
        v = 1e6 * t["cpu_s"] / t["events"]
        row("", "daemon CPU us/event", "%.2f" % v, "<= 3", v <= 3)
        v = c.mib(t["rss_hwm"])
        row("", "daemon peak RSS MiB", "%.1f" % v, "<= 128", v <= 128)
        if "check" in t:
            row("", "exact counts (--check)", "%d agents wrong" % t["check"]["mismatched_agents"], "0",
                t["check"]["mismatched_agents"] == 0)
    lt = load(d, "latency")
    if lt:
        for ph in lt["phases"]:
            L = ph["latency_ms"]
            if L.get("n"):
                row("2 latency", "p50/p99/max ms at %d/s (%s)" % (ph["rate"], "sustained" if ph["sustained"]
                                                                   else "NOT sustained, applied %.0f/s"
                                                                   % (ph["applied_eps_second_half"] or 0)),
                    "%.0f / %.0f / %.0f" % (L["p50"], L["p99"], L["max"]), "p99 <= 50 at 50000/s",
                    ph["rate"] >= 50000 and ph["sustained"] and L["p99"] <= 50)
    b = load(d, "breach")
    if b:
        P = b["publish_minus_deadline_ms"]
        if P.get("n"):
            row("3 breach", "publish - deadline p50/p99/max ms (%dk clocks)" % (b["clocks"] // 1000),
                "%.0f / %.0f / %.0f" % (P["p50"], P["p99"], P["max"]), "p99 <= 1000", P["p99"] <= 1000)
        row("", "breach alerts (distinct, duplicates)", "%d (%d dup)" % (b["breach_unique"], b["duplicates"]),
            "exactly %d" % b["clocks"], b["exact"] and b["clocks"] == 100000 or (b["exact"] and None))
    m = load(d, "memory")
    if m:
        tp = m.get("throughput")
        if tp:
            v = c.mib(tp["rss_hwm"])
            row("4 memory", "peak RSS MiB, benchmark 1", "%.1f" % v, "<= 128", v <= 128)
        r = m["clocks"]
        v = c.mib(max(r["rss_peak"], r["rss_hwm"] or 0))
        row("4 memory", "peak RSS MiB, %dk open clocks" % (r["clocks"] // 1000), "%.1f" % v,
            "(part of scale: <= 512)", None)
    i = load(d, "idle")
    if i:
        row("5 idle", "CPU s per minute (%d agents)" % i["agents"], "%.2f" % i["cpu_s_per_min"], "<= 0.5",
            i["cpu_s_per_min"] <= 0.5)
    g = load(d, "callgrind")
    if g:
        row("6 callgrind", "instructions per event (%dk events)" % (g["events"] // 1000), "%.0f" % g["ir_per_event"],
            "compare commits", None)
    sc = load(d, "scale")
    if sc:
        size = "%dk agents, %dk ids, %dk clocks" % (sc["agents"] // 1000, sc["ids"] // 1000, sc["clocks"] // 1000)
        v = c.mib(sc["rss"])
        row("7 scale", "daemon RSS MiB (" + size + ")", "%.1f" % v, "<= 512", v <= 512 if sc["full"] else None)
        v = c.mib(sc["redis_used_memory"])
        row("", "Redis used_memory MiB", "%.1f" % v, "<= 1024", v <= 1024 if sc["full"] else None)
        r = sc.get("restore")
        if r:
            v = r.get("fresh_event_s")
            row("", "restore: kill -9 to a fresh event shown, s", "%.2f" % v if v is not None else "never",
                "<= 10", (v is not None and v <= 10) if sc["full"] else None)
    for i in range(len(rows) - 1, 0, -1):  # name each benchmark once
        if rows[i][0] == rows[i - 1][0]:
            rows[i][0] = ""
    print(c.fmt_table(rows, ["benchmark", "figure", "measured", "target", "met"], "llrll"))


if __name__ == "__main__":
    main()
