#!/usr/bin/env python3
"""dashboard.py: prints what an ops dashboard reads from Redis, as a table.

Usage: dashboard.py -p PORT [-H HOST] [--prefix fb:] [--windows 1h,24h,7d,30d] [--agents-shards N]
                    [--teams T1,T2] [--rank-window 7d] [--month YYYY-MM]
       dashboard.py --cluster HOST:PORT ...     a Redis Cluster: any node; each key is read
                                                where its slot lives (redis-cli -c)
       dashboard.py --sentinel HOST:PORT --master-name NAME ...
                                                the primary that Sentinel names
"""
import argparse
import datetime
import json
import subprocess


def cli(*args):
    return subprocess.run(["redis-cli", "--raw", *args], check=True, capture_output=True, text=True).stdout


def endpoint(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), port


def target(args):
    """The redis-cli options that reach the figures in the deployment asked for."""
    if args.cluster:
        host, port = endpoint(args.cluster)
        return ["-c", "-h", host, "-p", port]
    if args.sentinel:
        host, port = endpoint(args.sentinel)
        primary = cli("-h", host, "-p", port, "SENTINEL", "get-master-addr-by-name", args.master_name).split()
        if len(primary) != 2:
            raise SystemExit(f"Sentinel {args.sentinel} names no primary '{args.master_name}'")
        return ["-h", primary[0], "-p", primary[1]]
    return ["-h", args.host, "-p", str(args.port)]


def redis(to, *args):
    return cli(*to, *args).splitlines()


def hgetall(to, key):
    flat = redis(to, "HGETALL", key)
    return dict(zip(flat[0::2], flat[1::2]))


def duration(seconds):
    """Whole seconds as a dashboard shows them: 45s, 14m05s, 2h47m, 1d03h."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def teams_view(to, args):
    """The team lead's view: each team's and the site's figures, and the fair rankings."""
    teams = team_names(to, args)
    cols = [("agents", "agents"), ("ratings", "ratings"), ("CSAT%", "csat"), ("DSAT%", "dsat"),
            ("NPS", "nps"), ("c/100r", "complaint_rate"), ("resp p50", "resp_p50_s"),
            ("resp p90", "resp_p90_s")]
    header = f"{'team':<10}{'window':>7}" + "".join(f"{c:>10}" for c, _ in cols)
    print("\nteams: sums over their agents (fb:team:{T}:stats, fb:site:stats), not means of agents' figures:")
    print(header)
    print("-" * len(header))
    owners = [(t, f"{args.prefix}team:{{{t}}}:stats") for t in teams] + [("(site)", f"{args.prefix}site:stats")]
    for name, key in owners:
        stats = hgetall(to, key)
        for w in args.windows.split(","):
            row = ""
            for _, f in cols:
                v = stats.get(f"{f}_{w}")
                row += f"{(duration(v) if v is not None and f.startswith('resp') else v or '-'):>10}"
            print(f"{name:<10}{w:>7}{row}")
    w = args.rank_window
    print(f"\nfair ranking by CSAT, {w} (fb:rank:csat_lower:{w}): the 95% lower bound, so few ratings rank low;"
          " agents below [rule.csat_below] min_samples are not ranked")
    flat = redis(to, "ZREVRANGE", f"{args.prefix}rank:csat_lower:{w}", "0", "-1", "WITHSCORES")
    for i, (agent, score) in enumerate(zip(flat[0::2], flat[1::2]), 1):
        stats = hgetall(to, f"{args.prefix}agent:{{{agent}}}:stats")
        print(f"  {i}. {agent:<8} bound {int(float(score)) / 100:6.2f}%   CSAT {stats.get('csat_' + w, '-')}% "
              f"of {int(stats.get('satisfied_' + w, 0)) + int(stats.get('neutral_' + w, 0)) + int(stats.get('dissatisfied_' + w, 0))} ratings")
    if not flat:
        print("  (nobody has enough ratings)")


def recovery_view(to, args, agents):
    """Service recovery per agent (docs/service-recovery.md), in the rankings' window."""
    w = args.rank_window
    print(f"\nservice recovery, {w}: complaint tickets rated after the complaint, and answered complaints not"
          " followed up in time:")
    for agent in agents:
        stats = hgetall(to, f"{args.prefix}agent:{{{agent}}}:stats")
        if f"recovery_rated_{w}" not in stats:
            print(f"  {agent:<8} no complaint in {w}")
            continue
        rate = stats.get(f"recovery_rate_{w}")
        print(f"  {agent:<8} recovered {stats[f'recovered_{w}']} of {stats[f'recovery_rated_{w}']} rated"
              f" ({rate + '%' if rate else 'none rated'}), follow-ups missing {stats[f'follow_up_missing_{w}']}"
              f" (complaints in {w}: {stats[f'complaints_{w}']})")


def appraisal_view(to, args, agents, teams):
    """The monthly appraisal (fb:agent:{A}:month:M, fb:team:{T}:month:M): served, positive and complaint rates."""
    month = args.month or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m")
    cols = [("served", "served"), ("ratings", "ratings"), ("pos%", "positive_rate"), ("dsat%", "dsat_rate"),
            ("compl", "complaints"), ("c/100srv", "complaint_rate"), ("SLA met", "reply_sla_met"),
            ("missed", "reply_sla_missed"), ("resp p50", "resp_p50_s"), ("resp p90", "resp_p90_s")]
    header = f"{'':<10}" + "".join(f"{c:>10}" for c, _ in cols)
    print(f"\nmonthly appraisal, {month} (fb:agent:{{A}}:month:{month}; served: distinct tickets replied to;"
          " complaints per 100 served):")
    print(header)
    print("-" * len(header))
    owners = [(a, f"{args.prefix}agent:{{{a}}}:month:{month}") for a in agents] + \
        [("team " + t, f"{args.prefix}team:{{{t}}}:month:{month}") for t in teams] + \
        [("(site)", f"{args.prefix}site:month:{month}")]
    for name, key in owners:
        m = hgetall(to, key)
        if not m:
            print(f"{name:<10}   nothing this month")
            continue
        row = ""
        for _, f in cols:
            v = m.get(f)
            row += f"{(duration(v) if v is not None and f.startswith('resp') else v or '-'):>10}"
        print(f"{name:<10}{row}")


def team_names(to, args):
    """The teams asked for, or those whose stats hash SCAN finds."""
    if args.teams:
        return args.teams.split(",")
    keys = redis(to, "--scan", "--pattern", f"{args.prefix}team:{{*}}:stats")
    return sorted(k[len(args.prefix) + len("team:{"):-len("}:stats")] for k in keys)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-p", "--port", type=int, default=6379)
    ap.add_argument("-H", "--host", default="127.0.0.1")
    ap.add_argument("--cluster", metavar="HOST:PORT", help="a node of the Redis Cluster")
    ap.add_argument("--sentinel", metavar="HOST:PORT", help="a Sentinel")
    ap.add_argument("--master-name", default="mymaster", help="the primary's name at the Sentinel")
    ap.add_argument("--agents-shards", type=int, default=1, help="[redis] agents_shards of the daemon")
    ap.add_argument("--prefix", default="fb:")
    ap.add_argument("--windows", default="1h,24h,7d,30d")
    ap.add_argument("--teams", help="teams to show (default: the fb:team:{T}:stats keys SCAN finds)")
    ap.add_argument("--rank-window", default="7d", help="the window of the rankings shown")
    ap.add_argument("--month", help="the month of the appraisal shown, YYYY-MM (default: this month, UTC)")
    args = ap.parse_args()
    to = target(args)
    index = [args.prefix + "agents"] if args.agents_shards == 1 else \
        [f"{args.prefix}agents:{k}" for k in range(args.agents_shards)]
    scored = []
    for key in index:  # the shards merged by score, as one fb:agents would list them
        flat = redis(to, "ZRANGE", key, "0", "-1", "WITHSCORES")
        scored += [(float(score), agent) for agent, score in zip(flat[0::2], flat[1::2])]
    agents = [agent for _, agent in sorted(scored)]
    cols = [("rated", "ratings"), ("CSAT%", "csat"), ("avg", "score_avg"), ("NPS", "nps"),
            ("compl", "complaints"), ("c/100r", "complaint_rate"), ("resp avg", "resp_avg_s"),
            ("resp p90", "resp_p90_s"), ("resp max", "resp_max_s"), ("SLA met", "reply_sla_met"),
            ("missed", "reply_sla_missed")]
    as_duration = {"resp_avg_s", "resp_p90_s", "resp_max_s"}

    def cell(stats, field, w):
        v = stats.get(f"{field}_{w}")
        if v is None:
            return "-"
        return duration(v) if field in as_duration else v
    header = f"{'agent':<8}{'window':>7}" + "".join(f"{c:>11}" for c, _ in cols)
    print("rated: ratings on both scales; CSAT% and avg: the scale-5 ones; NPS: the scale-10 ones.")
    print("missed counts a reply target at its deadline, resp max a reply when it came: a reply 8 h late")
    print("shows in resp max of the window holding the reply, and in missed of the one holding the deadline.")
    print(header)
    print("-" * len(header))
    for agent in agents:
        stats = hgetall(to, f"{args.prefix}agent:{{{agent}}}:stats")
        for w in args.windows.split(","):
            row = "".join(f"{cell(stats, f, w):>11}" for _, f in cols)
            print(f"{agent:<8}{w:>7}{row}")
        print(f"{'':<8}{'now':>7}   open tickets {stats.get('open_tickets', '0')}, "
              f"overdue {stats.get('overdue_tickets', '0')}")
    print("\nquality rule csat_below (24h window, scale-5 ratings, threshold 80%, confidence mode, at least 20):")
    for agent in agents:
        stats = hgetall(to, f"{args.prefix}agent:{{{agent}}}:stats")
        firing = hgetall(to, f"{args.prefix}agent:{{{agent}}}:alerts").get("csat_below")
        csat, n = stats.get("csat_24h"), int(stats.get("satisfied_24h", 0)) + int(stats.get("neutral_24h", 0)) \
            + int(stats.get("dissatisfied_24h", 0))
        if firing:
            alert = json.loads(firing)
            print(f"  {agent:<8} ALERT      now CSAT {csat or '-'}% of {n} scale-5 ratings; firing since"
                  f" {alert['since'][11:16]} UTC, when it said: {alert['message']}")
        elif csat is not None and float(csat) < 80 and n < 20:
            print(f"  {agent:<8} suppressed CSAT {csat}% from only {n} scale-5 ratings (the rule needs 20)")
        elif csat is not None and float(csat) < 80:
            print(f"  {agent:<8} suppressed CSAT {csat}% from {n} scale-5 ratings: the 95% interval still"
                  " reaches 80%, so this may be chance")
        else:
            print(f"  {agent:<8} ok         CSAT {csat or '-'}% from {n} scale-5 ratings")
    recovery_view(to, args, agents)
    print("\nrating integrity (rating_integrity_suspect: top-box share far above the team's, with quick"
          " ratings or missing middle scores; level info, pages nobody):")
    suspects = 0
    for agent in agents:
        firing = hgetall(to, f"{args.prefix}agent:{{{agent}}}:alerts").get("rating_integrity_suspect")
        if firing:
            suspects += 1
            print(f"  {agent:<8} SUSPECT    {json.loads(firing)['message']}")
    if suspects == 0:
        print("  nobody")
    teams_view(to, args)
    appraisal_view(to, args, agents, team_names(to, args))
    alerts = redis(to, "XRANGE", args.prefix + "alerts", "-", "+")
    shown = [json.loads(a) for a in alerts if a.startswith("{")]
    print(f"\nalerts published ({len(shown)}), newest last:")
    for a in shown:
        whose = a["agent_id"] if a.get("agent_id") is not None else "team " + a.get("team_id", "?")
        print(f"  {a['state']:<8} {a['rule']:<20} {whose:<6} {a['message']}")


if __name__ == "__main__":
    main()
