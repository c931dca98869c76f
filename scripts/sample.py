#!/usr/bin/env python3
"""sample.py: a realistic, repeatable stream of feedback events for the demo.

Writes one JSON event per line to stdout (plus a few malformed lines), and a summary of
what a correct daemon must count to the file given with --summary.
"""
import argparse
import json
import random

AGENTS = {
    # agent: (probability a scale-5 rating is 4-5, ratings, complaints)
    "ana": (0.92, 120, 2),
    "ben": (0.55, 90, 9),     # clearly below target, with plenty of ratings
    "chloe": (0.85, 70, 3),
    "dev": (0.40, 7, 1),      # looks bad, but a handful of ratings prove nothing
    "eli": (0.88, 60, 1),
}
MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--now", type=int, required=True, help="epoch ms")
    ap.add_argument("--summary", required=True)
    args = ap.parse_args()
    rnd = random.Random(20261123)
    now = args.now
    lines, seq = [], 0
    expected = {"rating": 0, "complaint": 0, "message": 0, "reply": 0, "dead_letters": 0}

    def emit(kind, agent, ts, **fields):
        nonlocal seq
        seq += 1
        ev = {"event_id": f"demo-{seq:05d}", "type": kind, "agent_id": agent, "ts": ts, **fields}
        lines.append(json.dumps(ev, ensure_ascii=False))
        expected[kind] += 1
        return ev

    for agent, (p_sat, n_ratings, n_complaints) in AGENTS.items():
        for _ in range(n_ratings):
            # Mostly recent (a dashboard's 24 h), some older, a few from past weeks.
            age = rnd.choice([rnd.randint(1, 50) * MIN, rnd.randint(1, 20) * HOUR, rnd.randint(1, 25) * DAY])
            if rnd.random() < 0.2:
                score = 10 if rnd.random() < p_sat else rnd.randint(3, 8)
                emit("rating", agent, now - age, score=score, scale=10)
            else:
                score = rnd.choice([4, 5]) if rnd.random() < p_sat else rnd.choice([1, 2, 3])
                emit("rating", agent, now - age, score=score)
        for i in range(n_complaints):
            ticket = f"{agent}-c{i}"
            opened = now - rnd.randint(2, 20) * HOUR
            emit("complaint", agent, opened, ticket_id=ticket, severity=rnd.choice(["normal", "high"]),
                 category=rnd.choice(["billing", "delivery", "login"]))
            emit("reply", agent, opened + rnd.randint(5, min(300, (now - opened) // MIN - 1)) * MIN, ticket_id=ticket)
        for i in range(12):
            ticket = f"{agent}-m{i}"
            asked = now - rnd.randint(1, 30) * HOUR
            emit("message", agent, asked, ticket_id=ticket)
            emit("reply", agent, asked + rnd.randint(2, min(600, (now - asked) // MIN - 1)) * MIN, ticket_id=ticket)
    # Waiting customers: critical complaints whose 15 s demo target runs out on screen.
    for agent in ("ben", "dev"):
        emit("complaint", agent, now, ticket_id=f"{agent}-waiting", severity="critical", category="outage")
    # A reply that overtook its message (another partition, another producer).
    emit("reply", "eli", now - 10 * MIN, ticket_id="eli-ooo")
    emit("message", "eli", now - 40 * MIN, ticket_id="eli-ooo")
    # The producer sent two events twice: counted once.
    lines.append(lines[3])
    lines.append(lines[10])
    rnd.shuffle(lines)
    # Malformed input goes to the dead-letter topic, never into the figures.
    bad = ['{"event_id":"bad-1","type":"rating","agent_id":"ana","ts":"yesterday","score":5}',
           '{"event_id":"bad-2","type":"rating","agent_id":"ben","ts":%d,"score":7}' % now,
           '{"event_id":"bad-3","type":"refund","agent_id":"ana","ts":%d}' % now,
           'this is not JSON']
    for b in bad:
        lines.insert(rnd.randrange(len(lines)), b)
    expected["dead_letters"] = len(bad)
    expected["lines"] = len(lines)
    print("\n".join(lines))
    with open(args.summary, "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main()
