#!/usr/bin/env python3
"""Benchmark 1 against an earlier release, back to back: what a change costs in throughput.

    bench/versus.py                          # 5 pairs: 8e4d6fa (before issue 15), then this build with teams
    bench/versus.py --pairs 3 --base REV --base-builddir DIR
    bench/versus.py --no-map-too              # a third run a pair: this build without the map

Issue 15's target: benchmark 1's throughput drops by at most 10% with all of the team-lead
figures enabled. "Enabled" is this build with an agent -> team map (--teams teams of
--agents / --teams agents each, agent i in team i mod --teams), so every event also counts
for a team and the site; the release before them (--base, default 8e4d6fa) has no such key.

Each pair runs bench/throughput.py (real Kafka, --peer none) on the base, then on this
build, one right after the other: this two-core machine's speed moves by 20% and more
between minutes, so only a pair compares (a run's "core speed" is printed beside it). The
base is built once in a temporary git worktree (scripts/build.sh) unless --base-builddir
names a build of it. Prints every run's figures, each pair's ratio, and the median ratio
against the target (>= 0.90). --no-map-too adds, to each pair, a run of this build without
the map (the site, percentiles, months, rankings, integrity and recovery, but no teams), to
tell the teams' share of the cost from the rest's.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import common as c

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TARGET = 0.90


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def build_base(rev, tmp):
    """A worktree of rev under tmp, built; its build directory."""
    tree = os.path.join(tmp, "base")
    log("building %s in %s (a few minutes)" % (rev, tree))
    subprocess.run(["git", "-C", REPO, "worktree", "add", "--detach", "-f", tree, rev], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([os.path.join(tree, "scripts", "build.sh"), "_build", "--enable-werror"], cwd=tree, check=True)
    return os.path.join(tree, "_build")


def write_team_map(path, agents, teams):
    """An agent -> team map of benchmark 1's agents: agent i in team i mod teams."""
    with open(path, "w") as f:
        for i in range(agents):
            f.write("%s team-%02d\n" % (c.gen_events.agent_name(i), i % teams))


def run_once(builddir, extra, tmp, label):
    """One bench/throughput.py run; its JSON results."""
    out = os.path.join(tmp, "%s.json" % label)
    cmd = [sys.executable, os.path.join(HERE, "throughput.py"), "--builddir", builddir, "--peer", "none",
           "--json", out] + extra
    log("%s: %s" % (label, " ".join(cmd[2:])))
    with open(os.path.join(tmp, "%s.log" % label), "w") as f:
        subprocess.run(cmd, check=True, stdout=f, stderr=subprocess.STDOUT)
    with open(out) as f:
        return json.load(f)


def figures(res):
    """events/s, daemon and Redis us/event, and the median core speed of one run."""
    n = res["events"]
    ref = sorted(res["cpu_reference_before"] + res["cpu_reference_after"])
    return (res["eps"], 1e6 * res["cpu_s"] / n, 1e6 * res["redis_cpu_net_s"] / n, ref[len(ref) // 2])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--base", default="8e4d6fa", help="the release to compare with (default %(default)s)")
    ap.add_argument("--base-builddir", help="a build of --base to use instead of building it")
    ap.add_argument("--builddir", default=os.environ.get("FEEDBACKD_BUILDDIR", os.path.join(REPO, "_build")),
                    help="this build (default: $FEEDBACKD_BUILDDIR or _build)")
    ap.add_argument("--agents", type=int, default=10_000, help="benchmark 1's agents (its default)")
    ap.add_argument("--teams", type=int, default=50, help="teams in this build's map (0: no map)")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="a daemon setting for both builds' runs (repeatable)")
    ap.add_argument("--no-map-too", action="store_true",
                    help="also run this build without the team map in each pair")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, JSON, worktree)")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="fbbench-versus-")
    base_dir = args.base_builddir
    common = ["--agents", str(args.agents)] + [x for s in args.set for x in ("--set", s)]
    head = list(common)
    if args.teams > 0:
        path = os.path.join(tmp, "teams.map")
        write_team_map(path, args.agents, args.teams)
        head += ["--set", "teams.map=%s" % path]
    rows = []
    try:
        if base_dir is None:
            base_dir = build_base(args.base, tmp)
        for i in range(args.pairs):
            b = figures(run_once(base_dir, common, tmp, "base%d" % (i + 1)))
            h = figures(run_once(args.builddir, head, tmp, "head%d" % (i + 1)))
            u = figures(run_once(args.builddir, common, tmp, "nomap%d" % (i + 1))) if args.no_map_too else None
            rows.append((b, h, u))
            log("pair %d: %.0f and %.0f events/s, ratio %.3f" % (i + 1, b[0], h[0], h[0] / b[0]))
    finally:
        # Also after a failed build: the worktree was added before it.
        if not args.base_builddir and not args.keep and os.path.isdir(os.path.join(tmp, "base")):
            subprocess.run(["git", "-C", REPO, "worktree", "remove", "--force", os.path.join(tmp, "base")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log("kept %s" % tmp)

    what = "with %d teams of %d agents" % (args.teams, args.agents // args.teams) if args.teams else "no team map"
    print("== Benchmark 1, %s (before) against this build (%s), %d pairs back to back ==" % (args.base, what,
                                                                                           len(rows)))
    print("pair  base events/s  daemon us  Redis us  core s   this events/s  daemon us  Redis us  core s   ratio")
    for i, (b, h, u) in enumerate(rows):
        print("%4d  %13.0f  %9.3f  %8.3f  %6.3f   %13.0f  %9.3f  %8.3f  %6.3f   %.3f"
              % ((i + 1,) + b + h + (h[0] / b[0],)))
    if args.no_map_too:
        print("this build without the map, in the same pairs:")
        for i, (b, h, u) in enumerate(rows):
            print("%4d  %13.0f  %9.3f  %8.3f  %6.3f   ratio to the base %.3f" % ((i + 1,) + u + (u[0] / b[0],)))
        print("median ratio without the map: %.3f" % statistics.median(u[0] / b[0] for b, h, u in rows))
    ratios = [h[0] / b[0] for b, h, u in rows]
    med = statistics.median(ratios)
    print("median ratio: %.3f (pairs: %s); target >= %.2f (throughput drops by at most 10%%): %s"
          % (med, ", ".join("%.3f" % r for r in ratios), TARGET, "met" if med >= TARGET else "NOT met"))


if __name__ == "__main__":
    main()
