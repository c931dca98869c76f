"""Readers of the engine's task checkpoints (internal keys: tests read them only to see
rule states and the outbox, which no contract key shows)."""


# and the outbox, which no contract key shows)

def unpack(buf, i=0):
    """One MessagePack object of buf at i -> (value, next index); the types the daemon writes."""
    b = buf[i]
    if b <= 0x7f:
        return b, i + 1
    if b >= 0xe0:
        return b - 0x100, i + 1
    if 0x90 <= b <= 0x9f or b in (0xdc, 0xdd):
        n, i = (b & 0x0f, i + 1) if b <= 0x9f else (
            (int.from_bytes(buf[i + 1:i + 3], "big"), i + 3) if b == 0xdc else (int.from_bytes(buf[i + 1:i + 5], "big"), i + 5))
        out = []
        for _ in range(n):
            v, i = unpack(buf, i)
            out.append(v)
        return out, i
    if 0xa0 <= b <= 0xbf or b in (0xd9, 0xda, 0xdb, 0xc4, 0xc5, 0xc6):
        if 0xa0 <= b <= 0xbf:
            n, i = b & 0x1f, i + 1
        else:
            w = {0xd9: 1, 0xc4: 1, 0xda: 2, 0xc5: 2, 0xdb: 4, 0xc6: 4}[b]
            n, i = int.from_bytes(buf[i + 1:i + 1 + w], "big"), i + 1 + w
        return bytes(buf[i:i + n]), i + n
    fixed = {0xcc: (1, False), 0xcd: (2, False), 0xce: (4, False), 0xcf: (8, False),
             0xd0: (1, True), 0xd1: (2, True), 0xd2: (4, True), 0xd3: (8, True)}
    if b in fixed:
        w, signed = fixed[b]
        return int.from_bytes(buf[i + 1:i + 1 + w], "big", signed=signed), i + 1 + w
    if b in (0xc0, 0xc2, 0xc3):
        return {0xc0: None, 0xc2: False, 0xc3: True}[b], i + 1
    raise ValueError("msgpack byte 0x%02x at %d not read here" % (b, i))


# Rule names in src/core/rule.h's order, as an agent's checkpoint record keeps their states.
RULE_NAMES = ("csat_below", "nps_below", "complaints_above", "complaint_rate_above", "response_time_above")
RULE_KINDS = ("ok", "pending", "firing")


def agent_records(redis, group="feedbackd-test"):
    """{agent: decoded checkpoint record} over every task of group."""
    out = {}
    for key in redis.keys("fb:task:{%s:*}:agents" % group):
        flat = redis.cmd_raw("HGETALL", key)
        for k, v in zip(flat[0::2], flat[1::2]):
            out[k.decode()] = unpack(v)[0]
    return out


def rule_states(record):
    """{rule: text} of an agent record's rules that are not OK, as the previous release wrote
    them: 'firing:SINCE:PENDING_SINCE:LAST_SENT' or 'pending:0:SINCE:0'."""
    flat, out = record[5], {}
    for n, name in enumerate(RULE_NAMES):
        kind, since, pending, last = flat[4 * n:4 * n + 4]
        if kind:
            out[name] = "%s:%d:%d:%d" % (RULE_KINDS[kind], since, pending, last)
    return out


def committed_events(redis, group="feedbackd-test"):
    """Distinct events whose effects the tasks have committed: each adds its 16-byte id
    record to a dedupe segment of its task's checkpoint, in the same commit."""
    return sum(redis.cmd("STRLEN", k) for k in redis.keys("fb:task:{%s:*}:dd:*" % group)) // 16


def outbox_entries(redis, group="feedbackd-test"):
    """Outbox entries (alerts and batches) not yet confirmed delivered, over every task."""
    return sum(redis.cmd("HLEN", k) for k in redis.keys("fb:task:{%s:*}:outbox" % group))
