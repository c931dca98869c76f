#!/usr/bin/env python3
"""dashboard.py: prints what an ops dashboard reads from Redis, as a table.

Usage: dashboard.py -p PORT [--prefix fb:] [--windows 1h,24h,7d,30d]
"""
import argparse
import json
import subprocess


def redis(port, *args):
    out = subprocess.run(["redis-cli", "-p", str(port), "--raw", *args], check=True,
                         capture_output=True, text=True).stdout
    return out.splitlines()


def hgetall(port, key):
    flat = redis(port, "HGETALL", key)
    return dict(zip(flat[0::2], flat[1::2]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-p", "--port", type=int, required=True)
    ap.add_argument("--prefix", default="fb:")
    ap.add_argument("--windows", default="1h,24h,7d,30d")
    args = ap.parse_args()
    agents = redis(args.port, "ZRANGE", args.prefix + "agents", "0", "-1")
    cols = [("ratings", "ratings"), ("CSAT%", "csat"), ("avg", "score_avg"), ("NPS", "nps"),
            ("compl", "complaints"), ("c/100r", "complaint_rate"), ("resp avg s", "resp_avg_s"),
            ("resp max s", "resp_max_s"), ("SLA met", "reply_sla_met"), ("missed", "reply_sla_missed")]
    header = f"{'agent':<8}{'window':>7}" + "".join(f"{c:>11}" for c, _ in cols)
    print(header)
    print("-" * len(header))
    for agent in agents:
        stats = hgetall(args.port, f"{args.prefix}agent:{{{agent}}}:stats")
        for w in args.windows.split(","):
            row = "".join(f"{stats.get(f + '_' + w, '-'):>11}" for _, f in cols)
            print(f"{agent:<8}{w:>7}{row}")
        print(f"{'':<8}{'now':>7}   open tickets {stats.get('open_tickets', '0')}, "
              f"overdue {stats.get('overdue_tickets', '0')}")
    alerts = redis(args.port, "XRANGE", args.prefix + "alerts", "-", "+")
    shown = [json.loads(a) for a in alerts if a.startswith("{")]
    print(f"\nalerts published ({len(shown)}), newest last:")
    for a in shown:
        print(f"  {a['state']:<8} {a['rule']:<20} {a['message']}")


if __name__ == "__main__":
    main()
