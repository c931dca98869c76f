"""Shared pieces of the feedbackd benchmarks (Python 3 standard library only).

A `Stack` is a private redis-server, a Kafka broker and (later) the daemon, all on
free ports under one temporary directory, torn down on exit, on Ctrl-C and on
SIGTERM.  The broker is the real Apache Kafka 3.9.1 of tests/kafka/realkafka.sh
when java and mvn (or the cached jars) are there; otherwise the librdkafka mock
cluster (tests/mockkafka), with a loud warning: the mock keeps everything in memory
and drops old segments under volume, so the benchmarks shrink their sizes on it.

The process plumbing (free_port, Redis, RespClient, RealKafka, MockKafka, Daemon)
is tests/integration/harness.py, imported, not copied.

Environment:
  FEEDBACKD_BUILDDIR   build directory holding src/feedbackd (default: <repo>/_build)
  FEEDBACKD_BENCH_KAFKA  real | mock | auto (default auto: real when java+mvn/jars exist)
  FEEDBACKD_KEEP_TMP=1 keep the temporary directory (logs, configs, data)
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
os.environ.setdefault("FEEDBACKD_BUILDDIR", os.path.join(REPO, "_build"))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, HERE)

import harness as h  # noqa: E402
import gen_events  # noqa: E402

TOPIC = h.TOPIC_EVENTS
# The daemon's internal route topic; harness.Daemon sets [engine] route_topic to
# "<first input topic>.route".  Same partition count as the input topic: the daemon's
# [engine] tasks defaults to that count and it refuses a route topic that differs.
TOPIC_ROUTE = h.TOPIC_ROUTE
GROUP = "feedbackd-bench"
KCAT = h.KCAT


def log(msg):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def warn_loud(msg):
    bar = "!" * 78
    sys.stderr.write("\n%s\n!!! WARNING: %s\n%s\n\n" % (bar, msg, bar))
    sys.stderr.flush()


def mock_capped(stack, n, cap, option):
    """n, or cap (with a loud warning) on the mock cluster, which keeps everything in memory."""
    if stack.real or n <= cap:
        return n
    warn_loud("mock Kafka: reducing %s %d -> %d" % (option, n, cap))
    return cap


def set_builddir(path):
    """Points the harness at another build directory (its FEEDBACKD/MOCKKAFKA globals)."""
    path = os.path.abspath(path)
    os.environ["FEEDBACKD_BUILDDIR"] = path
    h.BUILDDIR = path
    h.FEEDBACKD = os.path.join(path, "src", "feedbackd")
    h.MOCKKAFKA = os.path.join(path, "tests", "mockkafka")


# Daemon settings given by --set, applied over every benchmark's own (section -> key -> value).
OVERRIDES = {}


class SetOverride(argparse.Action):
    """--set SECTION.KEY=VALUE: a daemon setting for this run, e.g. kafka.rdkafka.fetch.min.bytes=65536."""

    def __call__(self, parser, namespace, value, option_string=None):
        name, eq, v = value.partition("=")
        section, dot, key = name.partition(".")
        if section == "rule":  # rule.csat_below.enabled: a rule's section has a dot of its own
            rule, dot, key = key.partition(".")
            section = "rule." + rule
        if not eq or not dot or not section or not key:
            parser.error("--set wants SECTION.KEY=VALUE, got %r" % value)
        OVERRIDES.setdefault(section, {})[key] = v
        getattr(namespace, self.dest).append(value)


def add_common_args(ap):
    ap.add_argument("--builddir", default=os.environ["FEEDBACKD_BUILDDIR"],
                    help="build directory with src/feedbackd (default: $FEEDBACKD_BUILDDIR or _build)")
    ap.add_argument("--kafka", choices=("auto", "real", "mock"),
                    default=os.environ.get("FEEDBACKD_BENCH_KAFKA", "auto"))
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON here")
    ap.add_argument("--set", action=SetOverride, default=[], metavar="SECTION.KEY=VALUE",
                    help="a daemon setting over the benchmark's own (repeatable), e.g. "
                         "kafka.rdkafka.fetch.wait.max.ms=20; printed with the results")
    ap.add_argument("--keep", action="store_true", default=bool(os.environ.get("FEEDBACKD_KEEP_TMP")),
                    help="keep the temporary directory")


def run_and_report(args, run, report):
    """The end of every benchmark's main(): the build directory args name, run(args),
    report(res) on stdout, and the results as JSON where --json asks; returns them."""
    set_builddir(args.builddir)
    res = run(args)
    report(res)
    write_json(args.json, res)
    return res


def real_kafka_possible():
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        return False, "java not found"
    cache = os.environ.get("FEEDBACKD_KAFKA_CACHE",
                           os.path.expanduser("~/.cache/feedbackd/kafka-3.9.1"))
    if os.path.exists(os.path.join(cache, "libs", ".feedbackd-complete")):
        return True, "cached jars"
    if shutil.which("mvn"):
        return True, "mvn"
    return False, "mvn not found and no cached Kafka jars"


def write_json(path, data):
    if path:
        with open(path, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        log("results written to %s" % path)


# ----------------------------------------------------------------------------
# signals: turn SIGTERM/SIGHUP into KeyboardInterrupt so `finally` cleans up

def _on_signal(signum, _frame):
    raise KeyboardInterrupt("signal %d" % signum)


for _s in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(_s, _on_signal)


# ----------------------------------------------------------------------------
# the stack


class Stack:
    """Private Redis + Kafka (+ daemon); use as a context manager."""

    def __init__(self, kafka="auto", keep=False, partitions=8, name="bench"):
        self.tmp = tempfile.mkdtemp(prefix="fbbench-%s-" % name)
        self.keep = keep
        self.partitions = partitions
        self.kafka_mode = kafka
        self.redis = None
        self.kafka = None
        self.daemon = None
        self.real = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def start(self, topics=None):
        """Redis and the broker; topics: {name: partitions} (default events 8, dlq 1, alerts 1)."""
        if not os.access(h.FEEDBACKD, os.X_OK):
            raise SystemExit("%s not built; run scripts/build.sh %s --enable-werror (or pass --builddir)"
                             % (h.FEEDBACKD, h.BUILDDIR))
        t0 = time.monotonic()
        self.redis = h.Redis(self.tmp).start()
        mode = self.kafka_mode
        if mode == "auto":
            ok, why = real_kafka_possible()
            mode = "real" if ok else "mock"
            if not ok:
                warn_loud("no real Kafka broker possible (%s): using the librdkafka MOCK cluster. "
                          "It drops old segments under volume; sizes are reduced and the figures "
                          "are NOT comparable with the real broker." % why)
        elif mode == "mock":
            warn_loud("--kafka mock: the librdkafka MOCK cluster, reduced sizes, figures NOT comparable")
        self.real = mode == "real"
        topics = topics or {TOPIC: self.partitions, TOPIC_ROUTE: self.partitions, h.TOPIC_DLQ: 1,
                            h.TOPIC_ALERTS: 1}
        if self.real:
            self.kafka = h.RealKafka(self.tmp, partitions=self.partitions, topics=()).start()
            self.kafka.create_topics(topics)
        else:
            # the mock creates every topic with the same partition count, the route topic
            # included (it cannot create one on request)
            if not os.access(h.MOCKKAFKA, os.X_OK):
                log("building %s" % h.MOCKKAFKA)
                subprocess.run(["make", "-C", h.BUILDDIR, "tests/mockkafka"], check=True,
                               stdout=subprocess.DEVNULL)
            self.kafka = h.MockKafka(self.tmp, partitions=self.partitions, topics=list(topics)).start()
        log("redis :%d, %s kafka %s up in %.1f s (tmp %s)" % (
            self.redis.port, "real" if self.real else "MOCK", self.kafka.bootstrap,
            time.monotonic() - t0, self.tmp))
        return self

    def create_input_topic(self, name):
        """A further input topic and its route topic (as harness.Daemon names it), each with
        self.partitions; real broker only (the mock's topics are fixed at its start)."""
        assert self.real, "the mock cluster cannot create topics after its start"
        self.kafka.create_topics({name: self.partitions, name + ".route": self.partitions})

    @property
    def bootstrap(self):
        return self.kafka.bootstrap

    def make_daemon(self, config=None, args=(), wrapper=None):
        """A Daemon (not started) with the bench group, /metrics on a free port, log level info."""
        self.http_port = h.free_port()
        cfg = {
            "kafka": {"group": GROUP},
            "http": {"listen": "127.0.0.1:%d" % self.http_port},
            "log": {"level": "info"},
        }
        for sec, kv in list((config or {}).items()) + list(OVERRIDES.items()):
            cfg.setdefault(sec, {}).update(kv)
        if OVERRIDES:
            log("daemon settings from --set: %s" % ", ".join(
                "%s.%s=%s" % (sec, k, v) for sec, kv in sorted(OVERRIDES.items()) for k, v in sorted(kv.items())))
        d = h.Daemon(self.tmp, self.bootstrap, self.redis.port, cfg, args=args)
        if wrapper:
            # e.g. valgrind: the harness execs FEEDBACKD; swap in the wrapper for this start
            d._wrapper = list(wrapper)
        self.daemon = d
        return d

    def start_daemon(self, d=None):
        d = d or self.daemon
        w = getattr(d, "_wrapper", None)
        if w:
            old = h.FEEDBACKD
            real_spawn = h._spawn

            def spawn(argv, **kw):
                return real_spawn(w + argv, **kw)
            h._spawn = spawn
            try:
                d.start()
            finally:
                h._spawn = real_spawn
                h.FEEDBACKD = old
        else:
            d.start()
        self.daemon_started = time.monotonic()
        return d

    def metrics(self):
        """The last daemon made's /metrics as {name{labels}: float}."""
        return metrics_at(self.http_port)

    def close(self):
        if self.daemon is not None:
            try:
                if self.daemon.running():
                    self.daemon.proc.send_signal(signal.SIGTERM)
                    try:
                        self.daemon.proc.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        pass
                self.daemon.cleanup()
            except Exception as e:  # noqa: BLE001
                log("daemon cleanup: %r" % e)
        if self.kafka is not None:
            try:
                self.kafka.stop()
            except Exception as e:  # noqa: BLE001
                log("kafka stop: %r; killing" % e)
                if hasattr(self.kafka, "kill"):
                    self.kafka.kill()
        if self.redis is not None:
            self.redis.kill()
        if self.keep:
            log("kept %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


# ----------------------------------------------------------------------------
# Kafka helpers


def produce_file(bootstrap, topic, path, keyed=True, timeout=900):
    """Produces every line of path as one message (`KEY\\x1fVALUE` when keyed); returns seconds."""
    argv = [KCAT, "-P", "-b", bootstrap, "-t", topic, "-D", "\n", "-l", path,
            "-X", "linger.ms=20", "-X", "batch.num.messages=10000", "-X", "batch.size=1000000",
            "-X", "queue.buffering.max.messages=1000000", "-X", "queue.buffering.max.kbytes=1048576",
            "-X", "enable.idempotence=true", "-X", "compression.codec=none"]
    if keyed:
        argv += ["-K", "\x1f"]
    t0 = time.monotonic()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    err = r.stderr.decode("utf-8", "replace")
    bad = [l for l in err.splitlines() if re.search(r"fail|error|timed out", l, re.I)
           and "Coordinator load in progress" not in l]
    if r.returncode != 0 or bad:
        raise RuntimeError("kcat produce failed (rc %d): %s" % (r.returncode, err[-2000:]))
    return time.monotonic() - t0


def end_offsets(bootstrap, topic, partitions):
    """{partition: high watermark} via `kcat -Q` (offset for timestamp -1 = the end)."""
    argv = [KCAT, "-Q", "-b", bootstrap]
    for p in range(partitions):
        argv += ["-t", "%s:%d:-1" % (topic, p)]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    out = {}
    for m in re.finditer(r"^(\S+) \[(\d+)\] offset (-?\d+)", r.stdout.decode(), re.M):
        if m.group(1) == topic:
            out[int(m.group(2))] = int(m.group(3))
    if len(out) != partitions:
        raise RuntimeError("kcat -Q: got %r\n%s%s" % (out, r.stdout.decode(), r.stderr.decode()))
    return out


def time_kcat_consume(bootstrap, topic, props=()):
    """Seconds for `kcat -C -b B -t T -e -q -o beginning [-X k=v ...] > /dev/null`."""
    t0 = time.monotonic()
    extra = [a for kv in props for a in ("-X", kv)]
    subprocess.run([KCAT, "-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-o", "beginning"] + extra,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=900)
    return time.monotonic() - t0


# ----------------------------------------------------------------------------
# Redis helpers


# Commands per write of a pipeline: the replies of one write are read before the next.
PIPELINE_CHUNK = 5000


def pipeline(redis, cmds):
    """Sends cmds (lists of args) in one write, returns the decoded replies."""
    c = redis._conn()
    out = []
    for i in range(0, len(cmds), PIPELINE_CHUNK):
        chunk = cmds[i:i + PIPELINE_CHUNK]
        c.sock.sendall(b"".join(c.encode(a) for a in chunk))
        out.extend(h._decode(c.read_reply()) for _ in chunk)
    return out


# What the targets are defined on: "until the stats hashes show every event".
# Sums over all agents of these contract fields, compared with what the generator wrote.
TOTAL_FIELDS = ("ratings_30d", "complaints_30d", "replies_30d", "open_tickets")
TOTAL_KEYS = ("ratings", "complaints", "replies", "open_tickets")


def expect_mixed(summary):
    """(agents, wanted sums of TOTAL_FIELDS) for a gen_events.gen_mixed summary."""
    return sorted(summary["per_agent"]), [summary["totals"][k] for k in TOTAL_KEYS]


def expect_clocks(n, agents=gen_events.CLOCK_AGENTS):
    """(agents, wanted sums) for gen_events.gen_clocks(n, ..., agents): n open tickets."""
    return [gen_events.agent_name(i) for i in range(min(n, agents))], [0, 0, 0, n]


def stats_request(agents):
    """The HMGETs of stats_totals, encoded once: (bytes, count) per write of PIPELINE_CHUNK."""
    out = []
    for i in range(0, len(agents), PIPELINE_CHUNK):
        chunk = agents[i:i + PIPELINE_CHUNK]
        out.append((b"".join(h.RespClient.encode(["HMGET", h.stats_key(a)] + list(TOTAL_FIELDS))
                             for a in chunk), len(chunk)))
    return out


def stats_totals(redis, agents, request=None):
    """Sums of TOTAL_FIELDS over the agents' stats hashes (pipelined HMGETs, PIPELINE_CHUNK a write);
    request: stats_request(agents), when the same sums are read again and again.  The
    replies are read line by line as they come (arrays of integers or nils only), so that
    a 10,000-agent round costs the benchmark's Python ~20 ms, not the ~150 ms of decoding
    each reply in full: the end of a run is timed by this round."""
    width = len(TOTAL_FIELDS)
    tot = [0] * width
    c = redis._conn()
    for data, n in request or stats_request(agents):
        c.sock.sendall(data)
        buf, j, value = c.buf[c.pos:], width, False
        while n > 0:
            chunk = c.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            lines = (buf + chunk).split(b"\r\n")
            buf = lines.pop()
            for line in lines:
                if value:
                    tot[j] += int(line)
                    j, value = j + 1, False
                elif line[:1] == b"*" and j == width and line == b"*%d" % width:
                    j = 0
                elif line == b"$-1" and j < width:
                    j += 1
                elif line[:1] == b"$" and j < width:
                    value = True
                else:
                    raise h.RedisError("unexpected reply line %r to the stats HMGETs" % line)
                if j == width and not value and line[:1] != b"*":
                    n -= 1
        c.buf, c.pos = buf, 0
    return tot


def metrics_at(port):
    """The /metrics of the daemon listening on port as {name{labels}: float}."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.rpartition(" ")
            try:
                out[k] = float(v)
            except ValueError:
                pass
    return out


def events_seen(stack, port=None):
    """Events the daemon (the stack's last, or the one on port) counted as applied or
    duplicate (/metrics), or None without /metrics."""
    try:
        m = metrics_at(port or stack.http_port)
    except OSError:
        return None
    return sum(v for k, v in m.items() if k.startswith("feedbackd_events_total{")
               and ('result="applied"' in k or 'result="duplicate"' in k))


class StatsWait:
    """Waits until the stats hashes show every event: the sums of TOTAL_FIELDS over `agents`
    equal `want`.  .polls counts the rounds of HMGETs sent to Redis (their Redis CPU is part
    of any Redis CPU figure taken meanwhile; .poll_cost() measures one round afterwards).

    gate(): optional, cheap, checked every `interval`; Redis is polled only once it is true
    (or at least every `every` seconds), so that a 10,000-agent round is not sent every
    10 ms while the daemon is still far from done."""

    def __init__(self, redis, agents, want, gate=None, every=1.0):
        self.redis, self.agents, self.want = redis, list(agents), list(want)
        self.gate, self.every = gate, every
        self.request = stats_request(self.agents)
        self.polls = 0
        self.first_nonzero = None
        self.last = None

    def poll(self):
        self.polls += 1
        self.last = stats_totals(self.redis, self.agents, self.request)
        if self.first_nonzero is None and any(self.last):
            self.first_nonzero = time.monotonic()
        return self.last == self.want

    def wait(self, timeout=600, interval=0.02, daemon=None, on_poll=None):
        """Returns time.monotonic() of the first poll that saw every event."""
        deadline = time.monotonic() + timeout
        last_redis = 0.0
        while True:
            now = time.monotonic()
            if self.gate is None or self.gate() or now - last_redis >= self.every:
                last_redis = now
                if self.poll():
                    return time.monotonic()
                if on_poll:
                    on_poll(now, self.last)
            if daemon is not None and not daemon.running():
                raise RuntimeError("feedbackd exited (rc %s); log tail:\n%s"
                                   % (daemon.proc.returncode, daemon.log_tail()))
            if now > deadline:
                raise RuntimeError("stats sums %r after %.0f s, expected %r (%s)"
                                   % (self.last, timeout, self.want, ",".join(TOTAL_FIELDS)))
            time.sleep(interval)

    def poll_cost(self, rounds=3):
        """Redis CPU seconds of one round of this wait's HMGETs (mean of `rounds`)."""
        c0 = redis_cpu(self.redis)
        for _ in range(rounds):
            stats_totals(self.redis, self.agents, self.request)
        return (redis_cpu(self.redis) - c0) / rounds


def wait_stats(redis, agents, want, timeout=600, interval=0.05, daemon=None):
    """StatsWait without a gate; returns the time every event showed."""
    return StatsWait(redis, agents, want).wait(timeout, interval, daemon)


def wait_applied(redis, hw, timeout=600, interval=0.05, daemon=None, group=None):
    """Waits until the tasks' checkpoints hold every event of the topic (one 16-byte id
    record per applied event, committed with its effects); returns time.monotonic() then.
    For ../shared/bench/side_by_side.sh, which measured this as "offsets applied"."""
    want = sum(hw.values())
    deadline = time.monotonic() + timeout
    while True:
        if h.committed_events(redis, group or GROUP) >= want:
            return time.monotonic()
        if daemon is not None and daemon.proc.poll() is not None:
            raise RuntimeError("feedbackd exited:\n" + daemon.log_tail())
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for %d events committed" % want)
        time.sleep(interval)


def redis_cpu(redis):
    """used_cpu_user + used_cpu_sys of the redis-server, seconds (INFO cpu)."""
    info = redis.cmd("INFO", "cpu")
    return sum(float(m.group(1)) for m in re.finditer(r"used_cpu_(?:user|sys):([\d.]+)", info))


def redis_commandstats(redis):
    """{command: (calls, CPU microseconds)} since the last CONFIG RESETSTAT (INFO commandstats)."""
    out = {}
    for m in re.finditer(r"cmdstat_([^:]+):calls=(\d+),usec=(\d+)", redis.cmd("INFO", "commandstats")):
        out[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return out


def commandstats_line(stats, events):
    """Redis's CPU by command per event (a script's own total includes the commands it calls,
    which count under their names too), the largest first."""
    if not stats or not events:
        return None
    top = sorted(stats.items(), key=lambda kv: -kv[1][1])
    return ("Redis by command (INFO commandstats, the whole phase; a script's figure includes the commands it "
            "calls): %s" % "; ".join("%s %.2f us/event (%d calls, %.2f us each)"
                                     % (k, u / events, n, u / n if n else 0) for k, (n, u) in top[:10]))


def redis_used_memory(redis):
    return int(re.search(r"used_memory:(\d+)", redis.cmd("INFO", "memory")).group(1))


# ----------------------------------------------------------------------------
# process figures


def proc_status(pid, field):
    """A kB field of /proc/PID/status (VmRSS, VmHWM) in bytes, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid, task=None):
    """utime + stime of a process (or one of its threads) in seconds, plus (utime, stime)."""
    path = "/proc/%d/task/%d/stat" % (pid, task) if task else "/proc/%d/stat" % pid
    with open(path) as f:
        s = f.read()
    rest = s[s.rindex(")") + 2:].split()
    ut, st = int(rest[11]), int(rest[12])
    return (ut + st) / CLK_TCK, ut / CLK_TCK, st / CLK_TCK


def cpu_reference(rounds=10):
    """CPU seconds of one fixed piece of work (summing 10,000,000 integers in this Python),
    `rounds` times: how fast a core of this machine runs just now. On the 2-core VM the same
    work took 0.129 to 0.204 s within 5 s of each other (2026-12-06), so every CPU-per-event
    figure taken here moves with it."""
    out = []
    for _ in range(rounds):
        t = time.process_time()
        sum(range(10_000_000))
        out.append(time.process_time() - t)
    return out


def machine_cpu():
    """(busy, all) CPU seconds of the whole machine so far, summed over its cores (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / CLK_TCK, sum(v) / CLK_TCK


def process_cpu(pid):
    """CPU seconds of pid so far, or None (no such process, or pid unknown)."""
    try:
        return cpu_seconds(pid)[0]
    except (OSError, TypeError, ValueError):
        return None


def broker_cpu(stack):
    """The real broker's CPU seconds so far, or None (the mock, or its pid unknown)."""
    return process_cpu(stack.kafka.pid()) if stack.real else None


def thread_cpu(pid):
    """{tid: (name, cpu seconds)} for every thread of pid."""
    out = {}
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
                name = f.read().strip()
            out[int(t)] = (name, cpu_seconds(pid, int(t))[0])
        except OSError:
            pass
    return out


class RssSampler(threading.Thread):
    """Samples VmRSS of pid every interval seconds; .peak, .samples [(t, bytes)]."""

    def __init__(self, pid, interval=0.05):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.samples = []
        self.peak = 0
        self.hwm = None
        self._halt = threading.Event()

    def run(self):
        t0 = time.monotonic()
        while not self._halt.is_set():
            v = proc_status(self.pid, "VmRSS")
            if v is None:
                break
            self.samples.append((round(time.monotonic() - t0, 3), v))
            self.peak = max(self.peak, v)
            hwm = proc_status(self.pid, "VmHWM")
            if hwm is not None:
                self.hwm = hwm
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join(5)
        return self.peak


def mib(b):
    return None if b is None else b / (1024 * 1024)


def percentiles(values, ps=(50, 90, 99, 99.9)):
    """Nearest-rank percentiles of values: {p: v}, plus min/max/mean/n."""
    v = sorted(values)
    out = {"n": len(v)}
    if not v:
        return out
    for p in ps:
        k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
        out["p%s" % p] = v[k]
    out["min"], out["max"], out["mean"] = v[0], v[-1], statistics.fmean(v)
    return out


def fmt_table(rows, headers, align=None):
    """Plain-text table; align: one 'l' or 'r' per column (default: first left, the rest right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    cols = [headers] + [[str(c) for c in r] for r in rows]
    w = [max(len(r[i]) for r in cols) for i in range(len(headers))]
    line = lambda r: "  ".join(s.ljust(w[i]) if align[i] == "l" else s.rjust(w[i])  # noqa: E731
                               for i, s in enumerate(r)).rstrip()
    return "\n".join([line(headers), line(["-" * x for x in w])] + [line(r) for r in cols[1:]])
