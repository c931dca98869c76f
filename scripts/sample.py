#!/usr/bin/env python3
"""sample.py: a realistic, repeatable stream of feedback events for the demo.

Writes one event per line to stdout as KEY<TAB>JSON (the key is the ticket, or the agent
for a rating without one, as docs/events.md suggests; produce with kcat -K '\\t'), plus a
few malformed lines, and a summary of what a correct daemon must count to the file given
with --summary. Summary keys: rating, complaint, message, reply, status, follow_up (distinct
events), duplicates, dead_letters, lines, open_tickets (per agent), vip_friday (the opening
and the deadline of the business-hours ticket, epoch ms), follow_up_due (the ticket whose
follow-up falls due on screen), integrity_suspect (the agent rating_integrity_suspect flags).

The stream covers the last 25 days for five agents: support conversations (tickets opened
by a customer message or a complaint, then one to three message/reply exchanges, some
answered after the 4 h demo target), CSAT and NPS surveys after most conversations, a few
tickets still waiting for an answer, two critical complaints that breach their 15 s demo
target on screen, a reply that overtook its message, two events sent twice, and malformed
lines for the dead-letter topic. Most answered complaints are followed up (ben seldom does);
gus, new in sales, nudges his customers to rate him 5 right after each reply (a rating
integrity case);
chloe has a complaint answered, followed up and rated 5 (a recovery), and ben one answered a
day ago whose follow-up falls due on screen. Three tickets of ana's are in the `vip` queue, under the
demo's business-hours policy (Monday to Friday 09:00-18:00, Europe/Berlin; first reply
4 h, promise 8 h, resolution 3 days): one opened on the latest Friday at 17:30 whose
Monday deadline (12:30) has passed, never answered; one answered on the Monday; and one
solved, after a pending pause.

Ordering. All events of a ticket share its key, so they reach one partition in order. A
backlog exchange whose at-risk point has already passed is written reply first: the daemon
keeps the reply and pairs it with the message when that arrives (docs/reply-clocks.md,
out-of-order replies), so its response time and met/missed are counted exactly and nobody
is paged about a conversation that ended days ago. Written message first, its clock would
be past due when created and, if the reply landed in a later batch than the message, the
breach timer could fire in between. Exchanges recent enough to be still before their
at-risk point are written in the natural order, message then reply.
"""
import argparse
import datetime
import json
import random
from zoneinfo import ZoneInfo

MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
TARGET = 4 * HOUR          # the demo's reply_target (demo.sh), every severity but critical
AT_RISK = 0.6              # the demo's at_risk
MARGIN = 10 * MIN          # an exchange left in natural order stays this far before its at-risk point

AGENTS = {
    # agent: (probability a rating is good, conversations, share of customer turns that are
    #         complaints, share of replies after the 4 h target, extra surveys without a ticket)
    "ana": (0.92, 95, 0.05, 0.03, 60),
    "ben": (0.55, 170, 0.50, 0.15, 40),   # a bad stretch: unhappy customers, many complaints
    "chloe": (0.78, 80, 0.05, 0.06, 40),  # a so-so day, but not enough ratings to be sure
    "dev": (0.40, 5, 0.30, 0.10, 4),      # new, since yesterday: bad so far, but a handful of
                                          # ratings prove nothing
    "eli": (0.88, 75, 0.05, 0.05, 35),
}
CATEGORIES = ["billing", "delivery", "login", "refund", "account"]
OFFICE = ZoneInfo("Europe/Berlin")   # the demo's [calendar.office]


def local(day, hh, mm):
    """Epoch ms of a wall time in the office's time zone."""
    return int(datetime.datetime(day.year, day.month, day.day, hh, mm, tzinfo=OFFICE).timestamp() * 1000)


def vip_friday(now):
    """The latest Friday whose Monday is over by 16:00, the last of the vip tickets' times.

    Its 12:30 deadline (17:30 + 4 business hours) has passed then too; on a Monday before
    16:00 it is the Friday before last, so no event of the demo is stamped in the future.
    """
    day = datetime.datetime.fromtimestamp(now / 1000, OFFICE).date()
    day -= datetime.timedelta(days=(day.weekday() - 4) % 7)
    while local(day + datetime.timedelta(days=3), 16, 0) >= now:
        day -= datetime.timedelta(days=7)
    return day


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--now", type=int, required=True, help="epoch ms")
    ap.add_argument("--summary", required=True)
    args = ap.parse_args()
    rnd = random.Random(20261123)
    now = args.now
    tickets = []   # [(key, [json line, ...])], each ticket's lines in the order to produce them
    loose = []     # (key, json line) with no ordering constraint
    seq = 0
    expected = {"rating": 0, "complaint": 0, "message": 0, "reply": 0, "status": 0, "follow_up": 0}
    answered_complaints = {}   # ticket -> (agent, ts of the reply that answered its first complaint)
    open_tickets = {a: 0 for a in AGENTS}

    def event(kind, agent, ts, **fields):
        nonlocal seq
        seq += 1
        expected[kind] += 1
        ev = {"event_id": f"demo-{seq:05d}", "type": kind, "agent_id": agent, "ts": ts, **fields}
        return json.dumps(ev, ensure_ascii=False)

    def age(agent):
        """When a conversation started: a dashboard's day is busy, the past weeks quieter."""
        if agent == "dev":
            return rnd.randint(30, 30 * 60) * MIN
        r = rnd.random()
        if r < 0.40:
            return rnd.randint(30, 24 * 60) * MIN
        if r < 0.70:
            return rnd.randint(24 * 60, 7 * 24 * 60) * MIN
        return rnd.randint(7 * 24 * 60, 25 * 24 * 60) * MIN

    def response(p_late):
        """How long the agent took: mostly minutes, some hours, a few past the target."""
        if rnd.random() < p_late:
            return rnd.randint(TARGET // MIN + 5, 9 * 60) * MIN
        if rnd.random() < 0.75:
            return rnd.randint(2, 60) * MIN + rnd.randint(0, 59) * 1000
        return rnd.randint(60, TARGET // MIN - 10) * MIN

    def survey(agent, p_good, ts, ticket=None):
        """A CSAT (scale 5) or, one time in four, an NPS-style (scale 10) survey answer."""
        good = rnd.random() < p_good
        extra = {"ticket_id": ticket} if ticket else {}
        if rnd.random() < 0.25:
            score = rnd.choice([8, 9, 9, 10, 10]) if good else rnd.randint(1, 7)
            return event("rating", agent, ts, score=score, scale=10, **extra)
        score = rnd.choice([4, 5, 5]) if good else rnd.choice([1, 2, 3])
        return event("rating", agent, ts, score=score, **extra)

    for agent, (p_good, conversations, p_complaint, p_late, surveys) in AGENTS.items():
        for n in range(conversations):
            ticket = f"{agent}-{n:03d}"
            lines = []
            t = now - age(agent)
            last_reply, waiting = None, False
            for _ in range(rnd.choice([1, 1, 1, 2, 2, 3])):  # exchanges
                replied = t + response(p_late)
                if replied > now - MIN and now - t > 2 * HOUR:
                    break   # it would be an unanswered ticket already past its at-risk point
                if rnd.random() < p_complaint:
                    opener = event("complaint", agent, t, ticket_id=ticket,
                                   severity=rnd.choice(["low", "normal", "normal", "high"]),
                                   category=rnd.choice(CATEGORIES))
                else:
                    opener = event("message", agent, t, ticket_id=ticket)
                if replied > now - MIN:
                    # Still waiting for an answer, its at-risk point well after the demo.
                    lines.append(opener)
                    open_tickets[agent] += 1
                    waiting = True
                    break
                answer = event("reply", agent, replied, ticket_id=ticket)
                if '"complaint"' in opener:
                    answered_complaints.setdefault(ticket, (agent, replied))
                if t + TARGET * AT_RISK > now + MARGIN:
                    lines += [opener, answer]       # live: message, then reply
                else:
                    lines += [answer, opener]       # backlog: paired when the message arrives
                last_reply = replied
                t = replied + rnd.randint(5, 240) * MIN
                if t > now - 30 * MIN:
                    break
            if last_reply is not None and not waiting and rnd.random() < 0.7:
                # the survey after the conversation (not while a question is still open)
                lines.append(survey(agent, p_good, min(last_reply + rnd.randint(1, 60) * MIN, now - MIN), ticket))
            if lines:
                tickets.append((ticket, lines))
        for _ in range(surveys):
            loose.append((agent, survey(agent, p_good, now - age(agent))))

    # Service recovery (docs/service-recovery.md): most agents follow their answered complaints
    # up within the demo's day; ben, in his bad stretch, seldom does. Drawn apart, so the
    # conversations above stay as they were.
    follow = random.Random(20261207)
    by_key = dict(tickets)
    for ticket, (agent, replied) in answered_complaints.items():
        at = replied + follow.randint(2 * 60, 20 * 60) * MIN
        if follow.random() < (0.25 if agent == "ben" else 0.85) and at < now - MIN:
            by_key[ticket].append(event("follow_up", agent, at, ticket_id=ticket))
    # chloe's textbook recovery: a complaint two days ago, answered, followed up, rated 5.
    start = now - 2 * DAY
    tickets.append(("chloe-recovery", [
        event("complaint", "chloe", start, ticket_id="chloe-recovery", severity="high", category="refund"),
        event("reply", "chloe", start + 30 * MIN, ticket_id="chloe-recovery"),
        event("follow_up", "chloe", start + 5 * HOUR, ticket_id="chloe-recovery"),
        event("rating", "chloe", start + 6 * HOUR, score=5, ticket_id="chloe-recovery")]))
    # gus asks his customers for a 5 right after replying ("it helps me"): his ratings are
    # nearly all 5s and 1s, seconds after his replies; rating_integrity_suspect flags him
    # against his team (docs/alert-rules.md). Drawn apart too.
    nudge = random.Random(7)
    for k in range(60):
        t = now - 3 * DAY + k * 70 * MIN + nudge.randint(0, 600) * 1000
        ticket = f"gus-{k:03d}"
        tickets.append((ticket, [
            event("message", "gus", t - 30 * MIN, ticket_id=ticket),
            event("reply", "gus", t, ticket_id=ticket),
            event("rating", "gus", t + nudge.randint(3, 20) * 1000, ticket_id=ticket,
                  score=5 if nudge.random() < 0.9 else 1)]))
    expected["integrity_suspect"] = "gus"
    # ben answered a complaint a day ago and never followed it up: its follow-up falls due
    # ([recovery] follow_up_within = 1d in the demo) on screen, and follow_up_due fires.
    expected["follow_up_due"] = "ben-no-follow-up"
    tickets.append(("ben-no-follow-up", [
        event("complaint", "ben", now - DAY - HOUR, ticket_id="ben-no-follow-up", category="delivery"),
        event("reply", "ben", now - DAY + 20_000, ticket_id="ben-no-follow-up")]))

    # Waiting customers: critical complaints whose 15 s demo target runs out on screen.
    for agent in ("ben", "dev"):
        tickets.append((f"{agent}-waiting", [event("complaint", agent, now, ticket_id=f"{agent}-waiting",
                                                   severity="critical", category="outage")]))
        open_tickets[agent] += 1
    # Business hours: the vip queue's policy counts Monday to Friday 09:00-18:00 in Berlin.
    friday = vip_friday(now)
    monday = friday + datetime.timedelta(days=3)
    opened = local(friday, 17, 30)
    tickets.append(("ana-vip-fri", [event("message", "ana", opened, ticket_id="ana-vip-fri", queue="vip")]))
    open_tickets["ana"] += 1
    tickets.append(("ana-vip-mon", [event("message", "ana", opened, ticket_id="ana-vip-mon", queue="vip"),
                                    event("reply", "ana", local(monday, 10, 0), ticket_id="ana-vip-mon")]))
    tickets.append(("ana-vip-paused", [
        event("message", "ana", local(monday, 9, 0), ticket_id="ana-vip-paused", queue="vip"),
        event("reply", "ana", local(monday, 9, 20), ticket_id="ana-vip-paused"),
        event("status", "ana", local(monday, 9, 20), ticket_id="ana-vip-paused", status="pending"),
        event("status", "ana", local(monday, 15, 0), ticket_id="ana-vip-paused", status="open"),
        event("status", "ana", local(monday, 16, 0), ticket_id="ana-vip-paused", status="solved")]))
    expected["vip_friday"] = {"opened": opened, "deadline": local(monday, 12, 30)}
    # A reply that overtook its message (another partition, another producer).
    tickets.append(("eli-ooo", [event("reply", "eli", now - 10 * MIN, ticket_id="eli-ooo"),
                                event("message", "eli", now - 40 * MIN, ticket_id="eli-ooo")]))

    # Interleave: a random merge that keeps each ticket's own order.
    queues = [list(reversed(lines)) for _, lines in tickets]
    keys = [key for key, _ in tickets]
    weights = [len(q) for q in queues]
    out = []
    while any(weights):
        i = rnd.choices(range(len(queues)), weights)[0]
        out.append((keys[i], queues[i].pop()))
        weights[i] -= 1
    for item in loose:
        out.insert(rnd.randrange(len(out) + 1), item)
    # The producer sent two events twice (a retry): counted once.
    dupes = [out[3], out[10]]
    for d in dupes:
        out.insert(rnd.randrange(out.index(d) + 1, len(out) + 1), d)
    # Malformed input goes to the dead-letter topic, never into the figures.
    bad = [("ana", '{"event_id":"bad-1","type":"rating","agent_id":"ana","ts":"yesterday","score":5}'),
           ("ben", '{"event_id":"bad-2","type":"rating","agent_id":"ben","ts":%d,"score":7}' % now),
           ("ana", '{"event_id":"bad-3","type":"refund","agent_id":"ana","ts":%d}' % now),
           ("chloe", '{"event_id":"bad-4","type":"reply","agent_id":"chloe","ts":%d}' % now),
           (None, 'this is not JSON')]
    for b in bad:
        out.insert(rnd.randrange(len(out) + 1), b)

    print("\n".join(line if key is None else f"{key}\t{line}" for key, line in out))
    expected.update(duplicates=len(dupes), dead_letters=len(bad), lines=len(out), open_tickets=open_tickets)
    with open(args.summary, "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main()
