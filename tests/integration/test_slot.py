#!/usr/bin/env python3
"""The one-slot rule: every Redis call of the daemon touches one Redis Cluster slot.

The test runs the daemon against a one-node Redis Cluster (harness Redis(cluster=True)),
which refuses any command whose keys span slots (CROSSSLOT), so the stack working end to
end proves the rule for every command and every script call's declared keys. A script can
still touch keys it did not declare without being refused on one node, so the Lua scripts
the daemon loads (src/lua/*.lua) are also scanned for keys other than their KEYS.

Run:   FEEDBACKD_BUILDDIR=_build python3 tests/integration/test_slot.py -v
Env:   FEEDBACKD_BUILDDIR (default: repo root), FEEDBACKD_KEEP_TMP, FEEDBACKD_SHOW_LOG
"""

import glob
import hashlib
import json
import os
import re
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness as h  # noqa: E402
from harness import MINUTE, SECOND  # noqa: E402

GROUP = "feedbackd-test"
LUA_DIR = os.path.join(h.REPO, "src", "lua")


def lua_strip_comments(src):
    """src without Lua comments (-- to the end of the line, --[[ ]] blocks), strings kept."""
    out, i, quote = [], 0, None
    while i < len(src):
        c = src[i]
        if quote:
            out.append(c)
            if c == "\\":
                out.append(src[i + 1:i + 2])
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
            out.append(c)
        elif src.startswith("--[[", i):
            i = src.index("]]", i) + 1
        elif src.startswith("--", i):
            i = src.find("\n", i) - 1 if "\n" in src[i:] else len(src)
        else:
            out.append(c)
        i += 1
    return "".join(out)


def lua_split(text):
    """text split at its top-level commas (outside brackets and strings), each part stripped."""
    parts, depth, quote, cur = [], 0, None, ""
    for c in text:
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
            continue
        cur += c
    return parts + [cur.strip()] if cur.strip() else parts


def lua_closing(text, i):
    """Index of the bracket closing the one at text[i] (brackets in strings do not count)."""
    depth, quote = 0, None
    for j in range(i, len(text)):
        c = text[j]
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        else:
            depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(c, 0)
            if depth == 0:
                return j
    raise ValueError("unbalanced bracket at %d" % i)


def lua_is_keys(expr):
    """expr is exactly KEYS[...]."""
    return expr.startswith("KEYS[") and lua_closing(expr, 4) == len(expr) - 1


def lua_undeclared_keys(src, key_args):
    """Every redis.call/pcall of a script whose key arguments are not visibly its KEYS.

    key_args(command) -> the 1-based positions of the command's key arguments, or None when
    they cannot be told from its name (unknown command, keys that move with the arguments).
    A key argument passes if it is KEYS[...] itself, or a variable assigned only from
    KEYS[...]. Limits: this reads text, not Lua. It sees single-line assignments (`local a,
    b = x, y` too), for-loop variables and function parameters (both refused); it does not
    follow tables, aliases of redis.call (refused), or multi-line statements, so a key built
    in one of those ways is reported even when it is declared (a false alarm, never a miss,
    unless a variable is reassigned in a form it does not see). It does not check that a
    KEYS index is within the keys the daemon passes, nor that those share one slot: the
    cluster's CROSSSLOT check on EVALSHA's declared keys covers that.
    """
    src = lua_strip_comments(src)
    problems, assigned = [], {}
    for m in re.finditer(r"^[ \t]*(?:local[ \t]+)?([A-Za-z_]\w*(?:[ \t]*,[ \t]*[A-Za-z_]\w*)*)"
                         r"[ \t]*=(?!=)[ \t]*(.+)$", src, re.M):
        names, values = [n.strip() for n in m.group(1).split(",")], lua_split(m.group(2))
        for n, name in enumerate(names):
            assigned.setdefault(name, []).append(values[n] if n < len(values) else "nil")
    for m in re.finditer(r"\bfor\s+([\w\s,]+?)\s*(?:=|\bin\b)|\bfunction\b[^(]*\(([^)]*)\)", src):
        for name in (m.group(1) or m.group(2)).split(","):
            assigned.setdefault(name.strip(), []).append("<loop or parameter>")
    for m in re.finditer(r"\bredis\.p?call\b", src):
        at = m.end()
        if src[at:at + 1] != "(":
            problems.append("redis.call used other than called: %r" % src[m.start():at + 20])
            continue
        args = lua_split(src[at + 1:lua_closing(src, at)])
        call = "redis.call(%s)" % ", ".join(args)
        first = args[0] if args else ""
        if re.fullmatch(r"'[^']*'|\"[^\"]*\"", first):
            commands = {first[1:-1].upper()}
        else:  # a variable: every command name it may hold
            words = [a or b for v in assigned.get(first, []) for a, b in re.findall(r"'(\w+)'|\"(\w+)\"", v)]
            commands = {w.upper() for w in words if key_args(w.upper()) is not None}
            if not commands:
                problems.append("%s: cannot tell the command" % call)
        for cmd in commands:
            positions = key_args(cmd)
            if positions is None:
                problems.append("%s: cannot tell the keys of %s" % (call, cmd))
                continue
            for pos in positions(len(args) - 1):
                arg = args[pos] if pos < len(args) else "<none>"
                if lua_is_keys(arg):
                    continue
                values = assigned.get(arg, [])
                if not values or not all(lua_is_keys(v) for v in values):
                    problems.append("%s: key argument %d (%s) is not KEYS[...]" % (call, pos, arg))
    return problems


def redis_key_args(redis):
    """key_args for lua_undeclared_keys from the server's COMMAND INFO (first, last, step):
    (command) -> None or a function (number of arguments) -> key positions."""
    def key_args(cmd):
        info = redis.cmd("COMMAND", "INFO", cmd)[0]
        if info is None or "movablekeys" in info[2]:
            return None
        first, last, step = info[3], info[4], info[5]
        if first == 0:
            return lambda n: []
        return lambda n: range(first, (n + 1 + last if last < 0 else last) + 1, step)
    return key_args


class TestSlot(h.FeedbackTestCase):

    def test_one_slot_per_call(self):
        """Against a one-node Redis Cluster, which refuses every command whose keys span slots
        (CROSSSLOT), the whole path works: commits, views, alerts (breach firing and resolved,
        csat_below), a dead letter, a restart's claim and restore. Its Lua scripts touch only
        their declared keys (a static scan: the cluster lets a script touch other keys)."""
        port = h.free_port()
        cfg = {"sla": {"reply_target.high": "3s", "at_risk": "0"},  # others keep 24 h: no race
               "rule.csat_below": {"window": "1h"}, "http": {"listen": "127.0.0.1:%d" % port}}
        targets = {"high": 3 * SECOND}
        redis = self.start_redis(cluster=True)
        kafka = self.start_kafka()
        d = self.start_daemon(kafka.bootstrap, redis, cfg)
        now = h.now_ms()
        agents = ["agent-S%d" % i for i in range(4)]
        keyed = []  # (key, event): by ticket, so a ticket's events stay in order
        for i in range(16):  # answered clocks (some by another agent, some reply first)
            a, t, ts = agents[i % 4], "T-ok-%d" % i, now - (i + 2) * MINUTE
            opener = h.complaint(a, ts, t, "low", category="billing") if i % 2 else h.message(a, ts, t)
            answer = h.reply(agents[(i + i // 4) % 4], ts + (i + 1) * SECOND, t)
            keyed += [(t, answer), (t, opener)] if i % 3 == 0 else [(t, opener), (t, answer)]
        for i in range(40):  # both scales, under every rule's minimum samples
            a = agents[i % 4]
            # a rating of a ticket is keyed by the ticket, after its complaint: a complaint's first
            # rating is its recovery's outcome only if it comes after it (docs/service-recovery.md)
            t = "T-ok-%d" % (i % 16)
            keyed.append((t, h.rating(a, i % 5 + 1, now - i * MINUTE, ticket=t)) if i % 2 else
                         (a, h.rating(a, i % 11, now - 90 * MINUTE - i * SECOND, scale=10)))
        keyed += [("agent-low", e) for e in
                  (h.rating("agent-low", 5 if i < 10 else 2, now - 5 * SECOND - i * 100) for i in range(25))]
        late = ["T-late-%d" % i for i in range(3)]  # high complaints nobody answers in time
        for i, t in enumerate(late):
            keyed.append((t, h.complaint(agents[i], h.now_ms(), t, "high", category="login" if i else None)))
        bad = b"not json {slot"
        keyed.append(("agent-S0", bad))
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, keyed)
        events = [e for _, e in keyed if e is not bad]
        self.wait_stats(redis, events, timeout=30, targets=targets)

        def alerts():
            return sorted((a["rule"], a["state"], a["agent_id"], a["ticket_id"])
                          for a in (json.loads(f[1]) for _, f in redis.cmd_raw("XRANGE", "fb:alerts", "-", "+")))
        breach = [("reply_sla_breach", "firing", agents[i], t) for i, t in enumerate(late)]
        fired = sorted(breach + [("csat_below", "firing", "agent-low", None)])
        h.wait_until(lambda: alerts() == fired, 20, 0.2, what="alerts %r" % fired)

        # a restart: the claim (HINCRBY) and the restore (HSCAN, GETRANGE) run on the cluster too
        d.stop()
        d.start()
        d.wait_ready()
        d.wait_log(r"task 3 restored")
        more = [h.reply(agents[0], h.now_ms(), late[0]), h.rating(agents[1], 4, h.now_ms() - SECOND)]
        h.produce(kafka.bootstrap, h.TOPIC_EVENTS, [(late[0], more[0]), (agents[1], more[1])])
        events += more
        self.wait_stats(redis, events, timeout=30, targets=targets)
        fired = sorted(fired + [("reply_sla_breach", "resolved", agents[0], late[0])])
        h.wait_until(lambda: alerts() == fired, 20, 0.2, what="alerts %r" % fired)
        time.sleep(1.5)  # nothing more may come
        self.assertEqual(self.stats_mismatch(redis, events, targets=targets), "")
        self.assertEqual(alerts(), fired)
        latest = {}
        for e in map(json.loads, events):
            latest[e["agent_id"]] = max(latest.get(e["agent_id"], 0), h.parse_ts(e["ts"]))
        self.assertEqual(redis.zrange_withscores("fb:agents"), latest)
        # each agent's alerts hash holds the firing alerts' exact JSON, resolved ones gone
        stream = [(json.loads(raw), raw.decode())
                  for _, (_, raw) in redis.cmd_raw("XRANGE", "fb:alerts", "-", "+")]
        firing = {(a["agent_id"], a["ticket_id"]): raw for a, raw in stream if a["state"] == "firing"}
        want = {"agent-low": {"csat_below": firing[("agent-low", None)]}, agents[0]: {}, agents[3]: {}}
        for i in (1, 2):
            want[agents[i]] = {"reply_sla_breach:" + late[i]: firing[(agents[i], late[i])]}
        self.assertEqual({a: redis.hgetall("fb:agent:{%s}:alerts" % a) for a in want}, want)
        [src] = [m for m in h.consume_all(kafka.bootstrap, h.TOPIC_EVENTS) if m["payload"] == bad]
        self.assertEqual(redis.cmd("ZRANGE", "fb:dlq:%s" % GROUP, 0, -1),
                         ["%s:%d:%d" % (h.TOPIC_EVENTS, src["partition"], src["offset"])])

        # no call was refused: Redis counted no error reply, the daemon none, and logged none
        info = dict(l.split(":", 1) for l in redis.cmd("INFO", "all").split() if ":" in l)
        self.assertEqual((info["total_error_replies"], [k for k in info if k.startswith("errorstat_")]),
                         ("0", []), "Redis answered errors")
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
            self.assertRegex(r.read().decode(), r"(?m)^feedbackd_redis_errors_total 0$")
        log = ""
        for i in range(1, d.starts + 1):  # both runs' logs
            with open(os.path.join(d.tmpdir, "feedbackd-%d.%d.log" % (d.n, i)), errors="replace") as f:
                log += f.read()
        self.assertIn("task 3 restored", log)
        self.assertEqual([l for l in log.splitlines() if "CROSSSLOT" in l or re.search(
            r": (emerg|alert|crit|error): |: warning: (redis|taskstore|engine|view)", l)], [])
        self.assertGreater(int(info["cmdstat_evalsha"].split("calls=")[1].split(",")[0]), 0)
        with self.assertRaisesRegex(h.RedisError, "^CROSSSLOT"):  # what any such call would have met
            redis.cmd("MSET", "{a}:x", 1, "{b}:x", 2)

        # the scripts: exactly those of src/lua are loaded, and each touches only its KEYS
        scripts = sorted(glob.glob(os.path.join(LUA_DIR, "*.lua")))
        shas = []
        for path in scripts:
            with open(path, "rb") as f:  # lua2c.sh embeds them verbatim: same SHA1
                shas.append(hashlib.sha1(f.read()).hexdigest())
        self.assertEqual(redis.cmd("SCRIPT", "EXISTS", *shas), [1] * len(shas), "loaded: %r" % scripts)
        self.assertEqual(int(info["number_of_cached_scripts"]), len(scripts))
        key_args = redis_key_args(redis)
        for path in scripts:
            with open(path) as f:
                src = f.read()
            self.assertIn("redis.call", src)
            self.assertEqual(lua_undeclared_keys(src, key_args), [], path)
        # ... and the scan can fail: snippets with the number of problems it must find
        probes = {
            "redis.call('GET', 'fb:x')": 1,
            "local k = KEYS[1]\nk = ARGV[1]\nredis.call('DEL', KEYS[1], k)": 1,
            "local c = redis.call\nc('SET', ARGV[1], 1)": 1,
            "for _, k in ipairs(KEYS) do redis.call('INCR', k) end": 1,
            "redis.pcall('EVAL', 'return 1', 0)": 1,
            "local op = 'x'\nredis.call(op, KEYS[1])": 1,
            "redis.call('SET', KEYS[1] .. ':x', '(')": 1,
            "redis.call('MSET', KEYS[1], 1, ARGV[1], 2)": 1,
            "redis.call('MSET', KEYS[1], ')', KEYS[2], 2) -- redis.call('GET', 'x')": 0,
        }
        for lua, n in probes.items():
            self.assertEqual(len(lua_undeclared_keys(lua, key_args)), n, lua)


if __name__ == "__main__":
    unittest.main(verbosity=2)
