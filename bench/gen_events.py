#!/usr/bin/env python3
"""gen_events.py: fast, repeatable feedbackd event streams for the benchmarks.

    bench/gen_events.py mixed --events 1000000 --agents 10000 -o events.txt --summary sum.json
    bench/gen_events.py clocks --events 100000 --spread 60s -o clocks.txt

Writes one message per line, `KEY\\x1fJSON` (the key is the agent id, so one agent's
events stay in order on one partition); produce it with
`kcat -P -b B -t T -D '\\n' -K $'\\x1f' -l FILE` (bench/common.py does that).  A plain
`kcat -P FILE` would send the whole file as ONE message.

mixed: 60% ratings (80% scale 5, 20% scale 10), 10% complaints, 15% messages, 15%
replies, agents drawn uniformly, event times evenly spread over the `--span` before
`--now` (default: the last hour).  Every complaint or message opens a new ticket; each
reply answers a random ticket opened before it by the same agent when there is one
(otherwise a ticket that is never opened), with a later ts.  The summary holds what a
correct daemon must show: counts per type and, per agent, the exact ratings, satisfied,
neutral, dissatisfied, nps_ratings, complaints, replies and open_tickets.

clocks: one `message` per ticket on `--events` distinct tickets (opens that many reply
clocks), ts evenly spread over `--spread` starting at `--now`.

About 1M events in 2-4 s with CPython.
"""
import argparse
import json
import random
import sys
import time

MIN = 60_000
HOUR = 60 * MIN


def parse_duration(s):
    units = {"ms": 1, "s": 1000, "m": MIN, "h": HOUR, "d": 24 * HOUR}
    for u in ("ms", "s", "m", "h", "d"):
        if s.endswith(u) and s[: -len(u)].isdigit():
            return int(s[: -len(u)]) * units[u]
    raise argparse.ArgumentTypeError("bad duration %r (e.g. 60s, 2m, 1h)" % s)


class IsoCache:
    """Epoch ms -> RFC 3339 UTC with ms, formatting each second once."""

    def __init__(self):
        self.sec = None
        self.prefix = ""

    def __call__(self, ms):
        s = ms // 1000
        if s != self.sec:
            self.sec = s
            self.prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))
        return "%s.%03dZ" % (self.prefix, ms % 1000)


def agent_name(i):
    return "a%05d" % i


def gen_mixed(n, agents, now, span, seed, run, ts_format="rfc3339"):
    """Returns (lines, summary).  lines: list of str `agent\\x1fjson`."""
    rnd = random.Random(seed)
    n_cmp = n * 10 // 100
    n_msg = n * 15 // 100
    n_rep = n * 15 // 100
    n_rat = n - n_cmp - n_msg - n_rep
    kinds = [0] * n_rat + [1] * n_cmp + [2] * n_msg + [3] * n_rep
    rnd.shuffle(kinds)
    iso = IsoCache()
    names = [agent_name(i) for i in range(agents)]
    # per agent counters: r sat neu dis n10 cmp rep open
    per = [[0] * 8 for _ in range(agents)]
    opened = [[] for _ in range(agents)]  # tickets open (not yet answered) per agent
    start = now - span
    step = span / n if n else 0
    out = []
    app = out.append
    rr = rnd.random
    ri = rnd.randrange
    tick = 0
    orphans = 0
    fmt_ts = (lambda ms: '"%s"' % iso(ms)) if ts_format == "rfc3339" else str
    sevs = ("low", "normal", "high", "normal")
    for i, k in enumerate(kinds):
        a = ri(agents)
        name = names[a]
        ts = start + int(i * step)
        c = per[a]
        eid = "%s-%d" % (run, i)
        if k == 0:
            if rr() < 0.2:
                score = ri(11)
                c[0] += 1
                c[4] += 1
                app('%s\x1f{"event_id":"%s","type":"rating","agent_id":"%s","ts":%s,"score":%d,"scale":10}'
                    % (name, eid, name, fmt_ts(ts), score))
            else:
                score = ri(1, 6)
                c[0] += 1
                if score >= 4:
                    c[1] += 1
                elif score == 3:
                    c[2] += 1
                else:
                    c[3] += 1
                app('%s\x1f{"event_id":"%s","type":"rating","agent_id":"%s","ts":%s,"score":%d}'
                    % (name, eid, name, fmt_ts(ts), score))
        elif k == 1 or k == 2:
            tick += 1
            t = "%s-t%d" % (run, tick)
            opened[a].append(t)
            c[7] += 1
            if k == 1:
                c[5] += 1
                app('%s\x1f{"event_id":"%s","type":"complaint","agent_id":"%s","ts":%s,"ticket_id":"%s","severity":"%s","category":"billing"}'
                    % (name, eid, name, fmt_ts(ts), t, sevs[i & 3]))
            else:
                app('%s\x1f{"event_id":"%s","type":"message","agent_id":"%s","ts":%s,"ticket_id":"%s"}'
                    % (name, eid, name, fmt_ts(ts), t))
        else:
            c[6] += 1
            ol = opened[a]
            if ol:
                j = ri(len(ol))
                ol[j], ol[-1] = ol[-1], ol[j]
                t = ol.pop()
                c[7] -= 1
            else:
                orphans += 1
                t = "%s-orphan%d" % (run, i)
            app('%s\x1f{"event_id":"%s","type":"reply","agent_id":"%s","ts":%s,"ticket_id":"%s"}'
                % (name, eid, name, fmt_ts(ts), t))
    keys = ("ratings", "satisfied", "neutral", "dissatisfied", "nps_ratings", "complaints",
            "replies", "open_tickets")
    summary = {
        "events": n, "agents": agents, "now": now, "span_ms": span, "seed": seed, "run": run,
        "counts": {"rating": n_rat, "complaint": n_cmp, "message": n_msg, "reply": n_rep},
        "orphan_replies": orphans,
        "totals": {k: sum(p[j] for p in per) for j, k in enumerate(keys)},
        "fields": list(keys),
        "per_agent": {names[a]: p for a, p in enumerate(per) if any(p)},
    }
    return out, summary


# gen_clocks' agents (bench/common.py's expect_clocks names the same ones)
CLOCK_AGENTS = 1000


def gen_clocks(n, now, spread, run, agents=CLOCK_AGENTS, ts_format="ms"):
    """n `message` events on n distinct tickets, ts evenly over [now, now + spread)."""
    iso = IsoCache()
    out = []
    app = out.append
    for i in range(n):
        name = agent_name(i % agents)
        ts = now + (spread * i) // n
        tsv = ('"%s"' % iso(ts)) if ts_format == "rfc3339" else str(ts)
        app('%s\x1f{"event_id":"%s-c%d","type":"message","agent_id":"%s","ts":%s,"ticket_id":"%s-k%d"}'
            % (name, run, i, name, tsv, run, i))
    return out


def write_lines(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=("mixed", "clocks"))
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--agents", type=int, default=10_000)
    ap.add_argument("--now", type=int, default=None, help="epoch ms (default: now)")
    ap.add_argument("--span", type=parse_duration, default=HOUR, help="mixed: time covered (default 1h)")
    ap.add_argument("--spread", type=parse_duration, default=60_000, help="clocks: ts spread (default 60s)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--run", default=None, help="event/ticket id prefix (default: random)")
    ap.add_argument("--ts-format", choices=("rfc3339", "ms"), default="rfc3339")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--summary", help="mixed: write the expected counts here (JSON)")
    args = ap.parse_args()
    now = args.now if args.now is not None else int(time.time() * 1000)
    run = args.run or "b%06x" % random.getrandbits(24)
    t0 = time.monotonic()
    if args.kind == "mixed":
        lines, summary = gen_mixed(args.events, args.agents, now, args.span, args.seed, run, args.ts_format)
        if args.summary:
            with open(args.summary, "w") as f:
                json.dump(summary, f)
    else:
        lines = gen_clocks(args.events, now, args.spread, run, ts_format=args.ts_format)
    write_lines(args.output, lines)
    sys.stderr.write("gen_events: %d events in %.2f s -> %s\n" % (len(lines), time.monotonic() - t0, args.output))


if __name__ == "__main__":
    main()
