"""The calculator of the exact contents of every `fb:agent:{A}:stats` hash, from the events a
test produced (docs/windows.md: windows and buckets; docs/reply-clocks.md: clocks)."""

import datetime
import functools
import json
import math
import re

from events import parse_ts

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
DEFAULT_WINDOWS = "1h,24h,7d,30d"


UNITS = {"ms": 1, "s": SECOND, "m": MINUTE, "h": HOUR, "d": DAY}


def parse_duration(s):
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d)", s.strip())
    if not m:
        raise ValueError("bad duration %r" % s)
    return int(m.group(1)) * UNITS[m.group(2)]


def parse_windows(sizes=DEFAULT_WINDOWS):
    """'1h,24h' -> [('1h', 3600000), ('24h', 86400000)]."""
    return [(w.strip(), parse_duration(w)) for w in sizes.split(",")]


def div_round(num, den):
    """num/den rounded half away from zero, integers only (src/core/stats.c)."""
    q, r = abs(num) // den, abs(num) % den
    if 2 * r >= den:
        q += 1
    return q if num >= 0 else -q


def fixed(scaled, decimals):
    """(725, 1) -> '72.5'; (-5, 1) -> '-0.5'."""
    if decimals == 0:
        return str(scaled)
    sign, mag, p = "-" if scaled < 0 else "", abs(scaled), 10 ** decimals
    return "%s%d.%0*d" % (sign, mag // p, decimals, mag % p)


@functools.lru_cache(maxsize=None)
def granularities(spans):
    """Each window's bucket length, as src/core/rolling.c lays them out: the shortest
    window's is the largest divisor of a day within span/100; each next one the largest
    multiple of the one before within its own span/100 (nested, so merging is exact)."""
    day, out = 86400000, []
    divisors = [d for k in range(1, 9296) if day % k == 0 for d in (k, day // k)]
    for span in spans:
        most = span // 100
        out.append(max(d for d in divisors if d <= most) if not out else most // out[-1] * out[-1])
    return out


def in_window(ts, now, span, spans):
    """ts counts in the window of this span: its bucket starts at or after now - span."""
    gran = granularities(tuple(spans))[spans.index(span)]
    return ts // gran * gran >= now - span


COUNTERS = ("r", "s5", "sat", "neu", "dis", "ssum", "n10", "pro", "det",
            "cmp", "rep", "rn", "rsum", "rmax", "met", "miss",
            "frn", "frsum", "frmax", "frmet", "frmiss", "nrmax", "rcrated", "rcsat", "fumiss")
MAXIMA = ("rmax", "frmax", "nrmax")


FOLLOW_UP_WITHIN = 3 * DAY  # [recovery] defaults
RATING_WITHIN = 7 * DAY


def distinct_events(events):
    """The events (JSON text or dicts) as dicts, in order, each event_id once (the daemon's dedupe)."""
    seen = set()
    for ev in events:
        if isinstance(ev, (str, bytes)):
            ev = json.loads(ev)
        if ev["event_id"] not in seen:
            seen.add(ev["event_id"])
            yield ev


def raw_counters(events, reply_target_ms=DAY, late_before=None, now=None, targets=None,
                 pair_horizon_ms=7 * DAY, ticket_memory_ms=0, follow_up_within_ms=FOLLOW_UP_WITHIN):
    """Per agent, a list of (ts, {counter: delta}) contributions, plus open clocks.

    Reply clocks as in src/core/clock.c: a message or complaint on a ticket without
    a clock starts one (target: reply_target_ms, or targets[severity] for complaints),
    unless an earlier-seen reply at or after it (within pair_horizon_ms) answers it at
    once.  A reply stops the ticket's clock: rn, rsum, rmax at the reply's ts; met at
    the reply's ts, or miss at start + target.  A clock still open after its deadline
    (now) is overdue and counts miss at start + target.  Events are taken in order,
    deduplicated by event_id; ts < late_before is ignored altogether.
    The default policy: with [sla] ticket_memory 0 (the default) a ticket is forgotten at its
    reply, so every clock is a first-reply clock (fr* too); with ticket_memory_ms > 0 (longer
    than the test runs) one started after the ticket had a reply is a next-reply clock (nrmax).

    Service recovery as in src/core/recovery.c (docs/service-recovery.md): a complaint starts
    its ticket's recovery, credited to its agent; the first reply after it answers it; a
    follow_up event, or a reply with follow_up true, after the answer follows it up; the first
    rating of the ticket after the complaint, within RATING_WITHIN, counts rcrated (and rcsat
    when satisfied) at its ts; an answer with no follow-up by answer + follow_up_within_ms
    (<= now) counts fumiss then.
    """
    contrib, clocks, early, answered, recs = {}, {}, {}, {}, {}
    targets = targets or {}

    def answer(agent, ticket, start, replied, target):
        dt = replied - start
        first = ticket_memory_ms == 0 or ticket not in answered
        answered[ticket] = replied
        c = {"rn": 1, "rsum": dt, "rmax": dt, "rt": dt}
        c.update({"frn": 1, "frsum": dt, "frmax": dt} if first else {"nrmax": dt})
        contrib.setdefault(agent, []).append((replied, c))
        if dt <= target:
            contrib[agent].append((replied, {"met": 1, "frmet": int(first)}))
        else:
            contrib[agent].append((start + target, {"miss": 1, "frmiss": int(first)}))

    for ev in distinct_events(events):
        a, ts, kind = ev["agent_id"], parse_ts(ev["ts"]), ev["type"]
        if late_before is not None and ts < late_before:
            continue
        c = {}
        if kind == "rating":
            c["r"] = 1
            s = ev["score"]
            if ev.get("scale", 5) == 5:
                c.update(s5=1, ssum=s, sat=int(s >= 4), neu=int(s == 3), dis=int(s <= 2))
            else:
                c.update(n10=1, pro=int(s >= 9), det=int(s <= 6))
        elif kind in ("complaint", "message"):
            if kind == "complaint":
                c["cmp"] = 1
                r = recs.setdefault(ev["ticket_id"], {"agent": a, "complaint": ts, "answered": None,
                                                      "followed": None, "rated": False})
                if r["complaint"] == ts and ev["ticket_id"] in early and early[ev["ticket_id"]] > ts:
                    r["answered"] = early[ev["ticket_id"]]  # the reply that came first answers it
                target = targets.get(ev.get("severity", "normal"), reply_target_ms)
            else:
                target = reply_target_ms
            t = ev["ticket_id"]
            if t in clocks:
                ag, start, tg = clocks[t]
                if ts < start:
                    clocks[t] = (ag, ts, tg)
            elif t in early and early[t] >= ts and early[t] - ts <= pair_horizon_ms:
                answer(a, t, ts, early.pop(t), target)
            else:
                clocks[t] = (a, ts, target)
        elif kind == "reply":
            c["rep"] = 1
            t = ev["ticket_id"]
            r = recs.get(t)
            if r is not None and ts > r["complaint"]:
                if r["answered"] is None or ts < r["answered"]:
                    r["answered"] = ts
                if ev.get("follow_up") and ts > r["answered"]:
                    r["followed"] = max(ts, r["followed"] or ts)
            if t not in clocks:
                early[t] = min(ts, early.get(t, ts))
            elif ts >= clocks[t][1]:
                ag, start, tg = clocks.pop(t)
                answer(ag, t, start, ts, tg)
        if kind == "follow_up" and ev["ticket_id"] in recs and ts > recs[ev["ticket_id"]]["complaint"]:
            r = recs[ev["ticket_id"]]
            r["followed"] = max(ts, r["followed"] or ts)
        if kind == "rating" and ev.get("ticket_id") in recs:
            r = recs[ev["ticket_id"]]
            if not r["rated"] and r["complaint"] < ts <= r["complaint"] + RATING_WITHIN:
                r["rated"] = True
                sat = ev["score"] >= (4 if ev.get("scale", 5) == 5 else 9)
                contrib.setdefault(r["agent"], []).append((ts, {"rcrated": 1, "rcsat": int(sat)}))
        contrib.setdefault(a, []).append((ts, c))
    for r in recs.values():
        if r["answered"] is None or now is None:
            continue
        due = r["answered"] + follow_up_within_ms
        if now >= due and (r["followed"] is None or not r["answered"] < r["followed"] <= due):
            contrib.setdefault(r["agent"], []).append((due, {"fumiss": 1}))
    if now is not None:
        for t, (ag, start, tg) in clocks.items():
            if now >= start + tg:
                contrib.setdefault(ag, []).append((start + tg, {"miss": 1, "frmiss": int(ticket_memory_ms == 0 or t not in answered)}))
    return contrib, clocks


def expected_stats(events, now, sizes=DEFAULT_WINDOWS, reply_target_ms=DAY, targets=None,
                   follow_up_within_ms=FOLLOW_UP_WITHIN):
    """{agent: {field: value}} as the contract stats hash must hold it at time now.

    targets: {severity: ms} for complaints, as [sla] reply_target.<severity> sets them.

    updated_at is left out (check it separately). Events older than the longest
    window are ignored; an agent with only such events has no expected hash.
    """
    windows = parse_windows(sizes)
    longest = max(span for _, span in windows)
    contrib, clocks = raw_counters(events, reply_target_ms, now - longest, now, targets,
                                   follow_up_within_ms=follow_up_within_ms)
    return {agent: render_owner(items, [agent], clocks, now, windows) for agent, items in contrib.items()}


def render_owner(items, agents, clocks, now, windows, newest=None):
    """The hash of an owner (an agent, or a group of agents) from its (ts, counters) items.

    agents: the agents whose clocks it shows; newest: for a group, each member's newest event
    time, for agents_W (members whose newest event counts in the window)."""
    h = {}
    spans = [sp for _, sp in windows]
    for name, span in windows:
        t = dict.fromkeys(COUNTERS, 0)
        t["rts"] = []
        for ts, c in items:
            if in_window(ts, now, span, spans):
                for k, v in c.items():
                    if k == "rt":
                        t["rts"].append(v)
                    else:
                        t[k] = max(t[k], v) if k in MAXIMA else t[k] + v
        h.update(render_window(name, t))
        if newest is not None:
            h["agents_%s" % name] = str(sum(1 for ts in newest.values() if in_window(ts, now, span, spans)))
    open_ = [(ts, tg) for (a, ts, tg) in clocks.values() if a in agents]
    h["open_tickets"] = str(len(open_))
    h["overdue_tickets"] = str(sum(1 for ts, tg in open_ if now >= ts + tg))
    return h


def expected_groups(events, now, team_of, sizes=DEFAULT_WINDOWS, reply_target_ms=DAY):
    """{"team:T": hash, "site": hash}: the sums over each team's agents, and over all of them.

    team_of(agent): the agent's one team (None: none), as events and [teams] map give it."""
    windows = parse_windows(sizes)
    longest = max(span for _, span in windows)
    contrib, clocks = raw_counters(events, reply_target_ms, now - longest, now)
    newest = {}
    for ev in events:
        if isinstance(ev, (str, bytes)):
            ev = json.loads(ev)
        ts = parse_ts(ev["ts"])
        if ts >= now - longest:
            newest[ev["agent_id"]] = max(newest.get(ev["agent_id"], 0), ts)
    groups = {"site": set(newest)}
    for agent in newest:
        if team_of(agent) is not None:
            groups.setdefault("team:%s" % team_of(agent), set()).add(agent)
    out = {}
    for g, members in groups.items():
        items = [it for a in members for it in contrib.get(a, [])]
        out[g] = render_owner(items, members, clocks, now, windows, {a: newest[a] for a in members})
    return out


HIST_GROWTH = 1.04
HIST_BUCKETS = 576


def hist_value_ms(ms):
    """The value of the log bucket (src/core/histogram.c) holding a time of ms."""
    if ms <= 1:
        return 0
    b = min(HIST_BUCKETS - 1, math.ceil(math.log(ms) / math.log(HIST_GROWTH)))
    return int(math.floor(2 * HIST_GROWTH ** b / (HIST_GROWTH + 1) + 0.5))


def percentile_ms(times, permille):
    """The nearest-rank percentile's bucket value: the ceil(n p)-th smallest time's."""
    rank = max(1, -(-len(times) * permille // 1000))
    return hist_value_ms(sorted(times)[rank - 1])


def render_window(name, t):
    """The contract fields of one window from raw totals (absent fields left out)."""
    h = {}

    def put(prefix, have, scaled, decimals=0):
        if have:
            h["%s_%s" % (prefix, name)] = fixed(scaled, decimals)

    put("ratings", True, t["r"])
    put("satisfied", True, t["sat"])
    put("neutral", True, t["neu"])
    put("dissatisfied", True, t["dis"])
    s5, n10, rep, rn = t["s5"], t["n10"], t["rep"], t["rn"]
    put("csat", s5 > 0, s5 and div_round(1000 * t["sat"], s5), 1)
    put("dsat", s5 > 0, s5 and div_round(1000 * t["dis"], s5), 1)
    put("score_avg", s5 > 0, s5 and div_round(100 * t["ssum"], s5), 2)
    put("nps_ratings", True, n10)
    put("nps", n10 > 0, n10 and div_round(1000 * (t["pro"] - t["det"]), n10), 1)
    put("complaints", True, t["cmp"])
    put("replies", True, rep)
    put("complaint_rate", rep > 0, rep and div_round(1000 * t["cmp"], rep), 1)
    put("resp_avg_s", rn > 0, rn and div_round(t["rsum"], rn * 1000))
    put("resp_max_s", rn > 0, div_round(t["rmax"], 1000))
    rts = t.get("rts", [])
    put("resp_p50_s", len(rts) > 0, rts and div_round(percentile_ms(rts, 500), 1000))
    put("resp_p90_s", len(rts) > 0, rts and div_round(percentile_ms(rts, 900), 1000))
    put("reply_sla_met", True, t["met"])
    put("reply_sla_missed", True, t["miss"])
    # first and next reply clocks (docs/redis-keys.md); no resolution or promise here
    fr, nr = t["frn"], rn - t["frn"]
    fdone, ndone = t["frmet"] + t["frmiss"], t["met"] + t["miss"] - t["frmet"] - t["frmiss"]
    put("first_reply_met", fdone > 0, t["frmet"])
    put("first_reply_missed", fdone > 0, t["frmiss"])
    put("first_reply_avg_s", fr > 0, fr and div_round(t["frsum"], fr * 1000))
    put("first_reply_max_s", fr > 0, div_round(t["frmax"], 1000))
    put("next_reply_met", ndone > 0, t["met"] - t["frmet"])
    put("next_reply_missed", ndone > 0, t["miss"] - t["frmiss"])
    put("next_reply_avg_s", nr > 0, nr and div_round(t["rsum"] - t["frsum"], nr * 1000))
    put("next_reply_max_s", nr > 0, div_round(t["nrmax"], 1000))
    # service recovery (docs/service-recovery.md)
    seen = t["cmp"] + t["rcrated"] + t["fumiss"] > 0
    put("recovered", seen, t["rcsat"])
    put("recovery_rated", seen, t["rcrated"])
    put("recovery_rate", t["rcrated"] > 0, t["rcrated"] and div_round(1000 * t["rcsat"], t["rcrated"]), 1)
    put("follow_up_missing", seen, t["fumiss"])
    return h


def stats_key(agent, prefix="fb:"):
    return "%sagent:{%s}:stats" % (prefix, agent)


def diff_dicts(want, got):
    """Readable difference of two flat dicts, one line per field."""
    lines = []
    for k in sorted(set(want) | set(got)):
        w, g = want.get(k, "<absent>"), got.get(k, "<absent>")
        if w != g:
            lines.append("  %-28s expected %-12s got %s" % (k, w, g))
    return "\n".join(lines)


Z95 = 1.959963984540054


def wilson(k, n, z=Z95):
    """The Wilson score interval of k successes in n, as (lower, upper)."""
    p = k / n
    d = 1 + z * z / n
    c = p + z * z / (2 * n)
    r = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (c - r) / d, (c + r) / d


def expected_ranks(events, now, min_samples, sizes=DEFAULT_WINDOWS, reply_target_ms=DAY):
    """{key: {agent: score}} of the csat_lower and complaint_rate_upper rankings (docs/redis-keys.md).

    min_samples: {"csat": n, "complaint_rate": n}, the rules' settings."""
    windows = parse_windows(sizes)
    spans = [sp for _, sp in windows]
    longest = max(spans)
    contrib, _ = raw_counters(events, reply_target_ms, now - longest, now)
    out = {}
    for agent, items in contrib.items():
        for name, span in windows:
            t = {"sat": 0, "s5": 0, "cmp": 0, "rep": 0}
            for ts, c in items:
                if in_window(ts, now, span, spans):
                    for k in t:
                        t[k] += c.get(k, 0)
            if t["s5"] >= max(1, min_samples["csat"]):
                out.setdefault("fb:rank:csat_lower:%s" % name, {})[agent] = \
                    int(math.floor(wilson(t["sat"], t["s5"])[0] * 10000 + 0.5))
            if t["rep"] >= max(1, min_samples["complaint_rate"]):
                out.setdefault("fb:rank:complaint_rate_upper:%s" % name, {})[agent] = \
                    int(math.floor(wilson(min(t["cmp"], t["rep"]), t["rep"])[1] * 10000 + 0.5))
    return out


QUICK_MS = 30_000  # src/core/integrity.h INTEGRITY_QUICK_MS


def integrity_z(k1, n1, k2, n2):
    """The pooled two-proportion z of k1/n1 against k2/n2; 0 without samples or variance."""
    if n1 <= 0 or n2 <= 0:
        return 0.0
    p = (k1 + k2) / (n1 + n2)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return 0.0 if se <= 0 else (k1 / n1 - k2 / n2) / se


def expected_integrity(events, now, team_of, window="7d", min_samples=20, z=2.3263, threshold=10,
                       sizes=DEFAULT_WINDOWS):
    """The agents rating_integrity_suspect fires for (docs/alert-rules.md), from the events.

    Per agent in the window: ratings (both scales), top (5 of 5, 10 of 10), middle (3-4, 7-9) and
    quick (within QUICK_MS after the agent's latest reply, as the events arrive); its peers are
    its team's agents (team_of; else every agent) less itself."""
    windows = parse_windows(sizes)
    spans = [sp for _, sp in windows]
    span = dict(windows)[window]
    counts, last_reply = {}, {}
    for ev in distinct_events(events):
        a, ts = ev["agent_id"], parse_ts(ev["ts"])
        if ev["type"] == "reply":
            last_reply[a] = max(ts, last_reply.get(a, 0))
        if ev["type"] != "rating" or not in_window(ts, now, span, spans):
            continue
        c = counts.setdefault(a, [0, 0, 0, 0])
        scale, s = ev.get("scale", 5), ev["score"]
        c[0] += 1
        c[1] += s == scale
        c[2] += (3 <= s <= 4) if scale == 5 else (7 <= s <= 9)
        c[3] += a in last_reply and 0 <= ts - last_reply[a] <= QUICK_MS
    out = set()
    for a, c in counts.items():
        peers = [0, 0, 0, 0]
        for b, d in counts.items():
            if b != a and (team_of(a) is None or team_of(b) == team_of(a)):
                peers = [x + y for x, y in zip(peers, d)]
        if c[0] < min_samples or peers[0] < min_samples:
            continue
        top = integrity_z(c[1], c[0], peers[1], peers[0])
        quick = integrity_z(c[3], c[0], peers[3], peers[0])
        middle = integrity_z(c[2], c[0] - c[1], peers[2], peers[0] - peers[1])
        if top > z and 100 * (c[1] / c[0] - peers[1] / peers[0]) >= threshold and (quick > z or middle < -z):
            out.add(a)
    return out


MONTH_COUNTERS = {"r": "ratings", "sat": "positive", "pro": "positive", "dis": "negative", "det": "negative",
                  "cmp": "complaints", "met": "met", "miss": "missed"}


def utc_month(ms):
    """The UTC month of an instant as (year, month)."""
    d = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return d.year, d.month


def month_index(ym):
    return ym[0] * 12 + ym[1] - 1


def render_month(m):
    """A month hash's fields (docs/redis-keys.md "Monthly appraisal") from its totals."""
    h = {"served": str(m["served"]), "ratings": str(m["ratings"])}
    if m["ratings"]:
        h["positive_rate"] = fixed(div_round(1000 * m["positive"], m["ratings"]), 1)
        h["dsat_rate"] = fixed(div_round(1000 * m["negative"], m["ratings"]), 1)
    h["complaints"] = str(m["complaints"])
    if m["served"]:
        h["complaint_rate"] = fixed(div_round(1000 * m["complaints"], m["served"]), 1)
    h["reply_sla_met"] = str(m["met"])
    h["reply_sla_missed"] = str(m["missed"])
    if m["rts"]:
        h["resp_p50_s"] = str(div_round(percentile_ms(m["rts"], 500), 1000))
        h["resp_p90_s"] = str(div_round(percentile_ms(m["rts"], 900), 1000))
    return h


def expected_months(events, now, team_of=None, sizes=DEFAULT_WINDOWS, reply_target_ms=DAY, prefix="fb:"):
    """{key: hash} of every fb:agent:{A}:month:YYYY-MM, fb:team:{T}:month:... and fb:site:month:...

    Months in UTC; the current month (of now), the one before and the one after are counted; an event
    older than the longest window counts in none (as in no window). served: the distinct
    tickets an agent replied to in the month; a team's and the site's are their agents' sums.
    """
    windows = parse_windows(sizes)
    late = now - max(span for _, span in windows)
    contrib, _ = raw_counters(events, reply_target_ms, late, now)
    cur = month_index(utc_month(now))
    per = {}  # (agent, (y, m)) -> totals

    def totals(agent, ts):
        ym = utc_month(ts)
        if not cur - 1 <= month_index(ym) <= cur + 1:
            return None
        return per.setdefault((agent, ym), {"served": 0, "ratings": 0, "positive": 0, "negative": 0,
                                            "complaints": 0, "met": 0, "missed": 0, "rts": []})
    for agent, items in contrib.items():
        for ts, c in items:
            if not any(k in MONTH_COUNTERS or k == "rt" for k in c):
                continue
            m = totals(agent, ts)
            if m is None:
                continue
            for k, v in c.items():
                if k == "rt":
                    m["rts"].append(v)
                elif k in MONTH_COUNTERS:
                    m[MONTH_COUNTERS[k]] += v
    served = set()
    for ev in distinct_events(events):
        ts = parse_ts(ev["ts"])
        if ev["type"] == "reply" and ev.get("ticket_id") and ts >= late:
            key = (ev["agent_id"], utc_month(ts), ev["ticket_id"])
            m = totals(ev["agent_id"], ts)
            if m is not None and key not in served:
                served.add(key)
                m["served"] += 1
    groups = {}
    for (agent, ym), m in per.items():
        owners = ["%sagent:{%s}" % (prefix, agent), "%ssite" % prefix]
        if team_of is not None and team_of(agent) is not None:
            owners.append("%steam:{%s}" % (prefix, team_of(agent)))
        for o in owners:
            g = groups.setdefault((o, ym), {k: 0 for k in m if k != "rts"})
            g.setdefault("rts", [])
            for k, v in m.items():
                g[k] = g[k] + v
    return {"%s:month:%04d-%02d" % (o, ym[0], ym[1]): render_month(m) for (o, ym), m in groups.items()}
