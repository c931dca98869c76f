"""Integration-test harness for feedbackd (Python 3 standard library only).

Starts throw-away Redis servers, the librdkafka mock cluster (tests/mockkafka) and
the daemon itself, on free ports, each in its own process group, and always cleans
them up (unittest cleanups plus an atexit hook).  Also: a small RESP2 client,
kcat-based produce/consume helpers, event builders and a calculator for the exact
contents of the `fb:agent:{A}:stats` hash (docs/DESIGN-NOTES: windows and buckets).

Environment:
  FEEDBACKD_BUILDDIR   where src/feedbackd and tests/mockkafka are (default: repo root)
  FEEDBACKD_KEEP_TMP=1 keep the temporary directories (logs, configs) after the run
  FEEDBACKD_SHOW_LOG=1 print the daemon log tail even when a test passes
"""

import atexit
import itertools
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# The parts below live in their own modules; the tests reach them as h.<name>.
from checkpoint import agent_records, committed_events, outbox_entries, rule_states, unpack  # noqa: E402,F401
from events import complaint, follow_up, iso, message, new_event_id, parse_ts, rating, reply, status  # noqa: E402,F401
from expected import (DAY, DEFAULT_WINDOWS, FOLLOW_UP_WITHIN, HOUR, MINUTE, SECOND, diff_dicts, div_round,  # noqa: E402,F401
                      expected_stats, granularities, parse_duration, parse_windows, stats_key)
from resp import RedisError, RespClient, _decode  # noqa: E402,F401

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILDDIR = os.path.abspath(os.environ.get("FEEDBACKD_BUILDDIR", REPO))
FEEDBACKD = os.path.join(BUILDDIR, "src", "feedbackd")
MOCKKAFKA = os.path.join(BUILDDIR, "tests", "mockkafka")
KCAT = shutil.which("kcat") or shutil.which("kafkacat") or "kcat"
REDIS_SERVER = shutil.which("redis-server") or "redis-server"

TOPIC_EVENTS = "feedback.events"
TOPIC_DLQ = "feedback.dlq"
TOPIC_ALERTS = "feedback.alerts"
# The internal route topic: the mock cluster cannot create topics on request, so it is made
# up front, named after the input topic as Daemon configures it.
TOPIC_ROUTE = TOPIC_EVENTS + ".route"
ALL_TOPICS = (TOPIC_EVENTS, TOPIC_DLQ, TOPIC_ALERTS, TOPIC_ROUTE)


# ----------------------------------------------------------------------------
# processes: every child gets its own process group and is killed at exit


_live = {}  # pid -> Popen


def _spawn(argv, **kw):
    """Starts argv in a new session (own process group) and registers it for cleanup."""
    p = subprocess.Popen(argv, start_new_session=True, **kw)
    _live[p.pid] = p
    return p


def _killpg(p, sig):
    """Sends sig to p's process group; ignores groups that are already gone."""
    try:
        os.killpg(p.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(p, timeout=None):
    """Waits for p (SIGKILL after timeout) and forgets it; returns its exit code."""
    try:
        rc = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _killpg(p, signal.SIGKILL)
        rc = p.wait()
    _killpg(p, signal.SIGKILL)  # stragglers left in the group
    _live.pop(p.pid, None)
    return rc


@atexit.register
def _kill_all():
    """Last resort: SIGKILL every process group still registered."""
    for p in list(_live.values()):
        _killpg(p, signal.SIGKILL)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    _live.clear()


_handed_out = set()


def _ephemeral_low():
    """The lowest port the kernel gives outgoing connections (32768 unless configured)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago.

    Below the kernel's ephemeral range when there is room there: a port the kernel picked
    (bind to 0) can be taken by any outgoing connection before the server binds it, which
    once failed a Redis Cluster node's start ("Address already in use"). Each port is handed
    out once per process.
    """
    low = _ephemeral_low()
    if low > 11000:
        for _ in range(200):
            port = random.randrange(10000, low)
            if port in _handed_out:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _handed_out.add(port)
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now_ms():
    return int(time.time() * 1000)


def wait_until(fn, timeout=30.0, interval=0.2, what=None):
    """Polls fn() until it returns a truthy value; returns it or raises AssertionError.

    The error shows `what` and the last value (or exception) seen.
    """
    deadline = time.monotonic() + timeout
    last, last_exc = None, None
    while True:
        try:
            last = fn()
            last_exc = None
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - reported below
            last_exc = e
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    desc = what or getattr(fn, "__name__", "condition")
    detail = ("last exception: %r" % (last_exc,)) if last_exc else ("last value: %r" % (last,))
    raise AssertionError("timed out after %.1fs waiting for %s; %s" % (timeout, desc, detail))


# ----------------------------------------------------------------------------
# Redis: server process plus a minimal RESP2 client


class Redis:
    """A private redis-server on 127.0.0.1:port with its data in tmpdir."""

    def __init__(self, tmpdir, appendonly=False, port=None, cluster=False):
        self.dir = os.path.join(tmpdir, "redis-%d" % free_port())
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.appendonly = appendonly
        # cluster: a one-node Redis Cluster holding every slot. It refuses any command whose
        # keys span slots (CROSSSLOT), which is what tests of the one-slot rule rely on.
        self.cluster_port = free_port() if cluster else None
        self.proc, self.client, self.extra_args = None, None, []  # more redis-server options
        self.logfile = os.path.join(self.dir, "redis.log")

    def start(self, timeout=10.0):
        """Starts (or restarts, on the same port and dir) the server and waits for PING."""
        assert self.proc is None, "redis already running"
        argv = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "yes" if self.appendonly else "no",
                "--dir", self.dir, "--logfile", self.logfile, "--daemonize", "no"] + self.extra_args
        if self.cluster_port is not None:
            argv += ["--cluster-enabled", "yes", "--cluster-port", str(self.cluster_port),
                     "--cluster-config-file", os.path.join(self.dir, "nodes.conf")]
        self.proc = _spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

        def ping():
            if self.proc.poll() is not None:
                raise AssertionError("redis-server exited with %s; see %s"
                                     % (self.proc.returncode, self.logfile))
            c = RespClient("127.0.0.1", self.port, timeout=1.0)
            try:
                return c.call("PING") == b"PONG"
            finally:
                c.close()
        wait_until(ping, timeout, 0.05, what="redis PING on port %d" % self.port)
        if self.cluster_port is not None:
            self._claim_slots(timeout)
        return self

    def replicate(self, primary, timeout=30.0):
        """Makes this server a replica of primary and returns once the link is up."""
        self.cmd("REPLICAOF", "127.0.0.1", primary.port)
        wait_until(lambda: "master_link_status:up" in self.cmd("INFO", "replication"), timeout, 0.1,
                   what="replica of port %d linked" % primary.port)

    def cluster_info(self):
        return dict(l.split(":", 1) for l in self.cmd("CLUSTER", "INFO").split() if ":" in l)

    def _claim_slots(self, timeout):
        """Gives this node every slot (a restart finds them in nodes.conf) and waits for state ok."""
        if self.cluster_info().get("cluster_slots_assigned") != "16384":
            self.cmd("CLUSTER", "ADDSLOTSRANGE", 0, 16383)  # Redis 7.0 or later
        wait_until(lambda: self.cluster_info().get("cluster_state") == "ok", timeout, 0.05,
                   what="cluster_state:ok on port %d" % self.port)

    def _conn(self):
        if self.client is None:
            self.client = RespClient("127.0.0.1", self.port)
        return self.client

    def cmd_raw(self, *args):
        """One command, reply with bytes; reconnects once if the connection broke."""
        try:
            return self._conn().call(*args)
        except OSError:  # ConnectionError, BrokenPipeError, socket.timeout
            self._drop()
            return self._conn().call(*args)

    def cmd(self, *args):
        """One command, reply with str instead of bytes."""
        return _decode(self.cmd_raw(*args))

    def hgetall(self, key):
        flat = self.cmd("HGETALL", key)
        return dict(zip(flat[0::2], flat[1::2]))

    def keys(self, pattern="*"):
        out, cursor = [], "0"
        while True:
            cursor, batch = self.cmd("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
            out.extend(batch)
            if cursor == "0":
                return sorted(set(out))

    def zrange_withscores(self, key):
        flat = self.cmd("ZRANGE", key, 0, -1, "WITHSCORES")
        return {m: int(float(s)) for m, s in zip(flat[0::2], flat[1::2])}

    def _drop(self):
        if self.client is not None:
            self.client.close()
            self.client = None

    def stop(self, timeout=10.0):
        """SIGTERM and wait (an AOF is flushed; with save "" nothing else is written)."""
        self._drop()
        if self.proc is not None:
            _killpg(self.proc, signal.SIGTERM)
            _reap(self.proc, timeout)
            self.proc = None

    def kill(self):
        self._drop()
        if self.proc is not None:
            _killpg(self.proc, signal.SIGKILL)
            _reap(self.proc, 5)
            self.proc = None


# ----------------------------------------------------------------------------
# Kafka: the mock cluster process and kcat-based helpers


class MockKafka:
    """tests/mockkafka with the feedbackd topics; survives daemon restarts."""

    def __init__(self, tmpdir, partitions=4, topics=ALL_TOPICS):
        self.partitions = partitions
        self.topics = list(topics)
        self.logfile = os.path.join(tmpdir, "mockkafka-%d.log" % free_port())
        self.proc = None
        self.bootstrap = None

    def start(self, timeout=15.0):
        if not os.access(MOCKKAFKA, os.X_OK):
            raise unittest.SkipTest("%s not built (see tests/integration/README.md)" % MOCKKAFKA)
        self._log = open(self.logfile, "wb")
        self.proc = _spawn([MOCKKAFKA, "-t", ",".join(self.topics), "-p", str(self.partitions)],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._log)
        deadline = time.monotonic() + timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise AssertionError("mockkafka did not print its bootstrap (got %r); log: %s"
                                     % (line, self.logfile))
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                c = os.read(self.proc.stdout.fileno(), 1)
                if not c:
                    continue
                line += c
        m = re.match(rb"bootstrap=(\S+)\n$", line)
        if not m:
            raise AssertionError("unexpected mockkafka output %r" % (line,))
        self.bootstrap = m.group(1).decode()
        return self

    def stop(self):
        if self.proc is not None:
            _killpg(self.proc, signal.SIGTERM)
            _reap(self.proc, 10)
            self.proc.stdout.close()
            self.proc = None
            self._log.close()


def _as_bytes(m):
    return m if isinstance(m, bytes) else m.encode("utf-8", "surrogateescape")


def produce(bootstrap, topic, messages, key=None, partition=None, headers=None, timeout=60, batch=None):
    """Produces messages (str or bytes, or (key, value) tuples) with kcat; waits for delivery.

    Fast path: one kcat call, newline-delimited, keys split at \\x1f.  Messages holding
    a newline, \\x1f or NUL, or empty ones, go one file per message (kcat sends each file
    argument as exactly one message), so any byte string is delivered byte-identical.
    key applies to plain (non-tuple) messages; partition None = kcat's partitioner.
    batch: at most this many messages per record batch (the mock cluster answers a Fetch
    with one record batch per partition).
    """
    items = []
    for m in messages:
        if isinstance(m, tuple):
            items.append((m[0], _as_bytes(m[1])))
        else:
            items.append((key, _as_bytes(m)))
    if not items:
        return
    if any(not v for _, v in items):
        raise ValueError("kcat cannot produce an empty message")
    base = [KCAT, "-P", "-b", bootstrap, "-t", topic, "-X", "message.max.bytes=10000000"]
    if batch is not None:
        base += ["-X", "batch.num.messages=%d" % batch]
    if partition is not None:
        base += ["-p", str(partition)]
    for h, v in (headers or {}).items():
        base += ["-H", "%s=%s" % (h, v)]

    def run(argv, data=None):
        r = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        err = r.stderr.decode("utf-8", "replace")
        if r.returncode != 0 or "fail" in err.lower() or "error" in err.lower():
            raise AssertionError("kcat produce failed (rc %d): %s" % (r.returncode, err))

    def plain(v):
        return v and not any(c in v for c in (b"\n", b"\x1f", b"\x00"))

    if all(plain(v) and (k is None or plain(_as_bytes(k))) for k, v in items):
        if all(k is None for k, _ in items):
            run(base + ["-D", "\n"], b"\n".join(v for _, v in items) + b"\n")
        else:
            data = b"".join(_as_bytes(k or "") + b"\x1f" + v + b"\n" for k, v in items)
            run(base + ["-D", "\n", "-K", "\x1f"], data)
        return
    # Slow, exact path: consecutive runs with the same key share one kcat call.
    with tempfile.TemporaryDirectory(prefix="fbprod-") as d:
        for k, group in itertools.groupby(enumerate(items), key=lambda x: x[1][0]):
            files = []
            for i, (_, v) in group:
                path = os.path.join(d, "m%06d" % i)
                with open(path, "wb") as f:
                    f.write(v)
                files.append(path)
            run(base + (["-k", k] if k is not None else []) + files)


def consume_all(bootstrap, topic, timeout=30):
    """Every message now in topic (all partitions), via kcat -C -e -J.

    Each dict has topic, partition, offset, key (str or None), payload (bytes or None),
    headers (dict of str -> str; last value wins) and headers_list [(name, value), ...].
    """
    r = subprocess.run([KCAT, "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e",
                        "-J", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("kcat consume failed (rc %d): %s"
                             % (r.returncode, r.stderr.decode("utf-8", "replace")))
    out = []
    # kcat writes invalid UTF-8 payload bytes raw inside the JSON string; control
    # characters are \u-escaped, so lines are records and surrogateescape is exact.
    for line in r.stdout.split(b"\n"):
        if not line.strip():
            continue
        d = json.loads(line.decode("utf-8", "surrogateescape"))
        if d.get("payload") is not None:
            d["payload"] = d["payload"].encode("utf-8", "surrogateescape")
        hl = d.get("headers") or []
        d["headers_list"] = list(zip(hl[0::2], hl[1::2]))
        d["headers"] = dict(d["headers_list"])
        out.append(d)
    out.sort(key=lambda d: (d["partition"], d["offset"]))
    return out


# ----------------------------------------------------------------------------
# the daemon


DEFAULT_READY = r"assigned [1-9]\d* partition"


def _ini(sections):
    lines = []
    for sec, kv in sections.items():
        lines.append("[%s]" % sec)
        for k, v in kv.items():
            if v is not None:
                lines.append("%s = %s" % (k, v))
        lines.append("")
    return "\n".join(lines)


class Daemon:
    """src/feedbackd with a generated INI config; stderr goes to a log file."""

    _seq = itertools.count(1)

    def __init__(self, tmpdir, brokers, redis_port, config=None, ready_regex=DEFAULT_READY,
                 args=("-v",)):
        self.tmpdir = tmpdir
        self.n = next(self._seq)
        sections = {
            "kafka": {
                "brokers": brokers,
                "group": "feedbackd-test",
                # A SIGKILLed member must not hold a rebalance for 45 s.
                "rdkafka.session.timeout.ms": "6000",
                "rdkafka.heartbeat.interval.ms": "500",
            },
            "redis": {"host": "127.0.0.1", "port": str(redis_port)},
            "windows": {"sizes": DEFAULT_WINDOWS},
            "http": {"listen": "off"},
            # Reply figures at once, so the tests of other behaviours need not wait out the
            # default 10 s grace for late status events; test_policies.py tests the grace.
            "sla": {"status_grace": "0"},
        }
        for sec, kv in (config or {}).items():
            sections.setdefault(sec, {}).update(kv)
        # One route topic per input topic, so tests on a shared broker never share one.
        first = sections["kafka"].get("topics", TOPIC_EVENTS).split(",")[0].strip()
        sections.setdefault("engine", {}).setdefault("route_topic", first + ".route")
        self.sections = sections
        self.config_path = os.path.join(tmpdir, "feedbackd-%d.conf" % self.n)
        with open(self.config_path, "w") as f:
            f.write(_ini(sections))
        self.ready_regex = ready_regex
        self.args = list(args)
        self.proc = None
        self.logfile = None
        self.starts = 0

    def start(self):
        """Starts the daemon (again: a restart keeps the config, appends a new log)."""
        if not os.access(FEEDBACKD, os.X_OK):
            raise AssertionError("%s not built (set FEEDBACKD_BUILDDIR?)" % FEEDBACKD)
        assert self.proc is None, "daemon already running"
        self.starts += 1
        self.logfile = os.path.join(self.tmpdir, "feedbackd-%d.%d.log" % (self.n, self.starts))
        self._log = open(self.logfile, "wb")
        self.proc = _spawn([FEEDBACKD, "-c", self.config_path] + self.args,
                           stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        return self

    def log(self):
        try:
            with open(self.logfile, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def log_tail(self, lines=60):
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_log(self, regex, timeout=30.0):
        """Waits for regex in this run's log; returns the match. Fails early if the daemon exits."""
        rx = re.compile(regex)

        def find():
            m = rx.search(self.log())
            if m:
                return m
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError("feedbackd exited with %s before logging %r\n--- log tail:\n%s"
                                     % (self.proc.returncode, regex, self.log_tail()))
            return None
        try:
            return wait_until(find, timeout, 0.1, what="log line /%s/" % regex)
        except AssertionError as e:
            if "exited" in str(e):
                raise AssertionError(str(e).split("; last exception: ", 1)[-1]) from None
            raise AssertionError("%s\n--- log tail (%s):\n%s" % (e, self.logfile, self.log_tail())) from None

    def wait_ready(self, timeout=30.0):
        return self.wait_log(self.ready_regex, timeout)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=30.0):
        """SIGTERM and wait; AssertionError unless the exit code is 0."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = None
        _reap(self.proc, 1)
        self.proc = None
        self._log.close()
        if rc != 0:
            raise AssertionError("feedbackd exit code %s after SIGTERM (want 0)\n--- log tail (%s):\n%s"
                                 % ("timeout" if rc is None else rc, self.logfile, self.log_tail()))
        return rc

    def kill(self):
        """SIGKILL, as in a crash."""
        if self.proc is None:
            return
        _killpg(self.proc, signal.SIGKILL)
        _reap(self.proc, 10)
        self.proc = None
        self._log.close()

    def cleanup(self):
        if self.proc is not None:
            self.kill()


# ----------------------------------------------------------------------------
# test base class


class FeedbackTestCase(unittest.TestCase):
    """Gives each test a temp dir and cleanups; prints daemon logs when a test fails."""

    partitions = 4

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="feedbackd-it-")
        self.daemons = []
        self._problems_before = self._result_problems()
        self.addCleanup(self._cleanup_tmp)

    def _result_problems(self):
        result = getattr(getattr(self, "_outcome", None), "result", None)
        if result is None:
            return 0
        return len(getattr(result, "failures", ())) + len(getattr(result, "errors", ()))

    def _failed(self):
        """Whether setUp or the test failed (readable from a cleanup, Python 3.8+)."""
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return False
        errors = getattr(outcome, "errors", None)  # Python <= 3.10: reported after cleanups
        if errors:
            return any(exc is not None for _, exc in errors)
        # Python >= 3.11 reports failures to the result at once
        return self._result_problems() > self._problems_before

    def _cleanup_tmp(self):
        failed = self._failed()
        if failed or os.environ.get("FEEDBACKD_SHOW_LOG"):
            for d in self.daemons:
                for i in range(1, d.starts + 1):
                    path = os.path.join(d.tmpdir, "feedbackd-%d.%d.log" % (d.n, i))
                    try:
                        with open(path, "rb") as f:
                            tail = f.read().decode("utf-8", "replace").splitlines()[-80:]
                    except OSError:
                        continue
                    sys.stderr.write("\n--- %s (last %d lines)\n%s\n" % (path, len(tail), "\n".join(tail)))
        if failed or os.environ.get("FEEDBACKD_KEEP_TMP"):
            sys.stderr.write("\n(test files kept in %s)\n" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- fixtures ------------------------------------------------------------

    def start_redis(self, appendonly=False, cluster=False):
        r = Redis(self.tmp, appendonly=appendonly, cluster=cluster)
        self.addCleanup(r.kill)
        return r.start()

    def start_kafka(self, partitions=None):
        k = MockKafka(self.tmp, partitions or self.partitions)
        self.addCleanup(k.stop)
        return k.start()

    def make_daemon(self, brokers, redis, config=None, ready_regex=DEFAULT_READY):
        d = Daemon(self.tmp, brokers, redis.port, config, ready_regex)
        self.daemons.append(d)
        self.addCleanup(d.cleanup)
        return d

    def start_daemon(self, brokers, redis, config=None, ready_regex=DEFAULT_READY, wait=True):
        d = self.make_daemon(brokers, redis, config, ready_regex).start()
        if wait:
            d.wait_ready()
        return d

    def stack(self, config=None, partitions=None):
        """Fresh Redis + mock Kafka + ready daemon: (redis, kafka, daemon)."""
        r = self.start_redis()
        k = self.start_kafka(partitions)
        d = self.start_daemon(k.bootstrap, r, config)
        return r, k, d

    # -- assertions ------------------------------------------------------------

    def stats_mismatch(self, redis, events, sizes=DEFAULT_WINDOWS, agents=None, reply_target_ms=DAY,
                       targets=None, follow_up_within_ms=FOLLOW_UP_WITHIN):
        """'' when every agent's stats hash equals the calculator's, else a diff."""
        want = expected_stats(events, now_ms(), sizes, reply_target_ms, targets, follow_up_within_ms)
        out = []
        for agent in sorted(agents or want):
            got = redis.hgetall(stats_key(agent))
            got.pop("updated_at", None)
            d = diff_dicts(want.get(agent, {}), got)
            if d:
                out.append("agent %s:\n%s" % (agent, d))
        return "\n".join(out)

    def wait_stats(self, redis, events, timeout=60.0, sizes=DEFAULT_WINDOWS, reply_target_ms=DAY,
                   targets=None, follow_up_within_ms=FOLLOW_UP_WITHIN):
        """Waits until the stats of every agent in events equal the calculator's exactly."""
        last = [""]

        def ok():
            last[0] = self.stats_mismatch(redis, events, sizes, reply_target_ms=reply_target_ms,
                                          targets=targets, follow_up_within_ms=follow_up_within_ms)
            return last[0] == ""
        try:
            wait_until(ok, timeout, 0.25, what="exact stats")
        except AssertionError:
            self.fail("stats not as expected after %.0fs:\n%s" % (timeout, last[0]))


# ----------------------------------------------------------------------------
# the real Apache Kafka broker (tests/kafka/realkafka.sh), process helpers, bulk produce

REALKAFKA = os.path.join(REPO, "tests", "kafka", "realkafka.sh")

_brokers = {}  # DIR -> RealKafka still running (killed at exit)


@atexit.register
def _kill_brokers():
    """Last resort: SIGKILL every real broker JVM still running."""
    for k in list(_brokers.values()):
        k.kill()
    _brokers.clear()


def kafka_mode():
    """'real' or 'mock', from FEEDBACKD_KAFKA (default mock)."""
    v = os.environ.get("FEEDBACKD_KAFKA", "mock").strip().lower()
    if v not in ("real", "mock"):
        raise ValueError("FEEDBACKD_KAFKA must be 'real' or 'mock', not %r" % v)
    return v


class RealKafka:
    """A real single-node KRaft broker (Kafka 3.9.1) via tests/kafka/realkafka.sh.

    Same interface as MockKafka (.bootstrap, start(), stop(), .topics, .partitions),
    plus create_topic(), restart() (same port, same data) and kill().
    start() creates `topics` with `partitions` partitions each.
    """

    def __init__(self, tmpdir, partitions=4, topics=ALL_TOPICS):
        self.partitions = partitions
        self.topics = list(topics)
        self.dir = os.path.join(tmpdir, "kafka-%d" % free_port())
        self.logfile = os.path.join(self.dir, "broker.log")
        self.bootstrap = None

    def _run(self, *args, timeout=180):
        r = subprocess.run([REALKAFKA] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, start_new_session=True)
        if r.returncode != 0:
            raise AssertionError("realkafka.sh %s failed (rc %d):\n%s"
                                 % (" ".join(args), r.returncode, r.stderr.decode("utf-8", "replace")))
        return r.stdout.decode().strip()

    def pid(self):
        try:
            with open(os.path.join(self.dir, "pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def start(self):
        if not os.access(REALKAFKA, os.X_OK):
            raise unittest.SkipTest("%s missing" % REALKAFKA)
        os.makedirs(self.dir, exist_ok=True)
        _brokers[self.dir] = self
        self.bootstrap = self._run("start", self.dir)
        self.create_topics(self.topics, self.partitions)
        return self

    def create_topic(self, name, partitions=None, configs=None):
        """configs: topic configs, e.g. {"max.message.bytes": 100000}."""
        extra = ["%s=%s" % kv for kv in (configs or {}).items()]
        self._run("create-topic", self.dir, name, str(partitions or self.partitions), *extra, timeout=120)
        if name not in self.topics:
            self.topics.append(name)

    def group_offsets(self, group):
        """{(topic, partition): (committed, log_end)} of a group; committed is None where the
        group has committed nothing for that partition."""
        out = {}
        for line in self._run("group-offsets", self.dir, group).splitlines():
            topic, part, committed, end = line.split()
            out[(topic, int(part))] = (None if committed == "-" else int(committed), int(end))
        return out

    def create_topics(self, names, partitions=None):
        """Several topics, two JVMs at a time (each create-topic is a JVM of about 0.9 s).
        names: topic names (each with `partitions`), or a dict name -> partitions."""
        counts = dict(names) if isinstance(names, dict) else {}
        names = list(names)
        for i in range(0, len(names), 2):
            procs = [(n, subprocess.Popen([REALKAFKA, "create-topic", self.dir, n,
                                           str(counts.get(n) or partitions or self.partitions)],
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE, start_new_session=True))
                     for n in names[i:i + 2]]
            for n, p in procs:
                _, err = p.communicate(timeout=120)
                if p.returncode != 0:
                    raise AssertionError("create-topic %s failed: %s" % (n, err.decode("utf-8", "replace")))
                if n not in self.topics:
                    self.topics.append(n)

    def restart(self):
        """Stops the broker and starts it on the same ports with the same data."""
        b = self._run("restart", self.dir)
        assert b == self.bootstrap, "bootstrap changed over a restart: %s -> %s" % (self.bootstrap, b)
        return self

    def stop(self):
        if self.bootstrap is not None and os.path.isdir(self.dir):
            self._run("stop", self.dir, timeout=60)
        _brokers.pop(self.dir, None)

    def kill(self):
        pid = self.pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def rss_of(pid):
    """Resident set size of a process in bytes (VmRSS from /proc), or None if it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def produce_bulk(bootstrap, topic, items, tmpdir=None, timeout=600, retry_errors=False):
    """Fast produce of many plain messages: one `kcat -P -l FILE` run.

    items: (key, value) tuples (key None = no key) or plain values, str or bytes, without
    newline, \\x1f or NUL.  retry_errors: kcat -E (keep going over broker errors, e.g.
    while the broker restarts).  Checks that kcat reports no delivery failure.
    """
    rows, keyed = [], False
    for it in items:
        k, v = it if isinstance(it, tuple) else (None, it)
        v = _as_bytes(v)
        kb = _as_bytes(k) if k is not None else b""
        for b in (v, kb):
            if any(c in b for c in (b"\n", b"\x1f", b"\x00")):
                raise ValueError("produce_bulk: message or key holds \\n, \\x1f or NUL: %r" % b[:80])
        if not v:
            raise ValueError("kcat cannot produce an empty message")
        keyed = keyed or k is not None
        rows.append((kb, v))
    if not rows:
        return
    fd, path = tempfile.mkstemp(prefix="fbbulk-", suffix=".txt", dir=tmpdir)
    try:
        with os.fdopen(fd, "wb") as f:
            for kb, v in rows:
                f.write((kb + b"\x1f" + v if keyed else v) + b"\n")
        argv = [KCAT, "-P", "-b", bootstrap, "-t", topic, "-D", "\n", "-l", path,
                "-X", "linger.ms=20", "-X", "batch.num.messages=10000",
                "-X", "queue.buffering.max.messages=1000000", "-X", "enable.idempotence=true"]
        if keyed:
            argv += ["-K", "\x1f"]
        if retry_errors:
            argv.append("-E")
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        err = r.stderr.decode("utf-8", "replace")
        lines = err.splitlines()
        lost = [l for l in lines if re.search(r"delivery failed|message timed out", l, re.I)]
        bad = [l for l in lines if re.search(r"fail|error", l, re.I)
               and "Coordinator load in progress" not in l]
        if r.returncode != 0 or lost or (bad and not retry_errors):
            raise AssertionError("kcat bulk produce failed (rc %d): %s" % (r.returncode, err[-2000:]))
    finally:
        os.unlink(path)
