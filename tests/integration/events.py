"""Event builders for the tests (the contract: docs/events.md, src/core/event.c), and the
RFC 3339 conversions they use."""

import datetime
import itertools
import json
import uuid


def iso(ts_ms):
    """Epoch ms -> RFC 3339 UTC with milliseconds: 2026-11-22T10:00:00.123Z."""
    dt = datetime.datetime.fromtimestamp(ts_ms // 1000, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ts_ms % 1000)


_eid_counter = itertools.count(1)
_RUN = uuid.uuid4().hex[:8]


def new_event_id():
    return "e-%s-%07d" % (_RUN, next(_eid_counter))


def _event(kind, agent, ts_ms, eid, **fields):
    d = {"event_id": eid or new_event_id(), "type": kind, "agent_id": agent, "ts": iso(ts_ms)}
    d.update({k: v for k, v in fields.items() if v is not None})
    return d


def rating(agent, score, ts_ms, scale=5, eid=None, ticket=None, as_dict=False):
    d = _event("rating", agent, ts_ms, eid, score=score, scale=scale, ticket_id=ticket)
    return d if as_dict else json.dumps(d)


def complaint(agent, ts_ms, ticket, severity=None, eid=None, category=None, as_dict=False):
    d = _event("complaint", agent, ts_ms, eid, ticket_id=ticket, severity=severity,
               category=category)
    return d if as_dict else json.dumps(d)


def message(agent, ts_ms, ticket, eid=None, as_dict=False, queue=None):
    d = _event("message", agent, ts_ms, eid, ticket_id=ticket, queue=queue)
    return d if as_dict else json.dumps(d)


def status(agent, ts_ms, ticket, value, eid=None, as_dict=False):
    d = _event("status", agent, ts_ms, eid, ticket_id=ticket, status=value)
    return d if as_dict else json.dumps(d)


def reply(agent, ts_ms, ticket, eid=None, as_dict=False, follow_up=None):
    d = _event("reply", agent, ts_ms, eid, ticket_id=ticket, follow_up=follow_up)
    return d if as_dict else json.dumps(d)


def follow_up(agent, ts_ms, ticket, eid=None, as_dict=False):
    d = _event("follow_up", agent, ts_ms, eid, ticket_id=ticket)
    return d if as_dict else json.dumps(d)


def parse_ts(v):
    """An event's ts (RFC 3339 text or epoch ms) -> epoch ms."""
    if isinstance(v, int):
        return v
    dt = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
    return int(round(dt.timestamp() * 1000))
