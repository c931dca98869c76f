#!/usr/bin/env bash
# demo.sh: feedbackd's main job on the embedded Kafka, start to finish.
# Installs what is missing (as root), builds, starts a private redis-server and the daemon
# with its embedded Kafka, feeds a sample stream, and shows what a dashboard reads.
# demo.sh --cluster does the same on a private three-primary Redis Cluster.
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
cluster=0
case "${1:-}" in
--cluster) cluster=1 ;;
"") ;;
*) echo "usage: $0 [--cluster]" >&2; exit 2 ;;
esac

# FEEDBACKD_BUILDDIR: build (and run) in another build tree, keeping the options it was
# configured with; the default is _build with the default options.
builddir=${FEEDBACKD_BUILDDIR:-_build}
build_opts=()
if [ -n "${FEEDBACKD_BUILDDIR:-}" ] && [ -f "$builddir/.configured" ]; then
	read -r -a build_opts <"$builddir/.configured" || true
fi

echo "==> checking packages"
scripts/deps.sh
echo "==> building in $builddir"
scripts/build.sh "$builddir" ${build_opts[@]+"${build_opts[@]}"}

work=$(mktemp -d /tmp/feedbackd-demo.XXXXXX)
pids=()
# Whether a child is still running (an exited child stays a zombie until waited for).
running() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
# Stops what was started, newest first (feedbackd finishes its Redis writes before Redis
# goes), each with SIGTERM, then SIGKILL if it is still there after 10 s.
cleanup() {
	local i pid
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		pid=${pids[i]}
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do running "$pid" || break; sleep 0.2; done
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Waits up to $1 seconds for the command in the remaining arguments to succeed.
wait_for() {
	local limit=$1; shift
	for _ in $(seq 1 $((limit * 5))); do "$@" && return 0; sleep 0.2; done
	return 1
}

# Starts a private redis-server on port $1 (more options after it).
start_redis() {
	local port=$1; shift
	mkdir -p "$work/redis-$port"
	redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work/redis-$port" \
		--loglevel warning "$@" >"$work/redis-$port.log" 2>&1 &
	pids+=($!)
	wait_for 10 redis-cli -p "$port" ping >/dev/null 2>&1
}

redis_port=$(free_port)
http_port=$(free_port)
if [ "$cluster" = 1 ]; then
	nodes=("127.0.0.1:$redis_port" "127.0.0.1:$(free_port)" "127.0.0.1:$(free_port)")
	echo "==> starting a Redis Cluster of three primaries: ${nodes[*]}"
	for n in "${nodes[@]}"; do
		start_redis "${n##*:}" --cluster-enabled yes --cluster-port "$(free_port)" \
			--cluster-config-file "$work/nodes-${n##*:}.conf"
	done
	redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$work/cluster-create.log"
	cluster_ok() { redis-cli -p "$redis_port" cluster info | grep -q 'cluster_state:ok'; }
	wait_for 20 cluster_ok
	redis_conf="mode = cluster
cluster = $(IFS=,; echo "${nodes[*]}")"
	rcli=(redis-cli -c -p "$redis_port")
	dashboard_to=(--cluster "127.0.0.1:$redis_port")
else
	echo "==> starting redis-server on 127.0.0.1:$redis_port"
	start_redis "$redis_port"
	redis_conf="port = $redis_port"
	rcli=(redis-cli -p "$redis_port")
	dashboard_to=(-p "$redis_port")
fi

cat >"$work/feedbackd.conf" <<CONF
# The demo's settings: embedded Kafka; a 4 h reply target, and 15 s for critical complaints
# so that a breach happens on screen.
[kafka]
brokers = embedded
[redis]
$redis_conf
[windows]
refresh = 5s
[sla]
reply_target = 4h
reply_target.critical = 15s
at_risk = 0.6
# remember answered tickets, so that a customer's later message starts a next-reply clock
ticket_memory = 3d
# A complaint's follow-up is due a day after its answer (docs/service-recovery.md).
[recovery]
follow_up_within = 1d
[http]
listen = 127.0.0.1:$http_port
# Two teams (docs/redis-keys.md): fb:team:{support}:stats, fb:team:{sales}:stats, their rankings.
[teams]
map = teams

# The monthly appraisal hashes (fb:agent:{A}:month:YYYY-MM) follow Berlin's months.
[appraisal]
calendar = office

# Business hours for the vip queue (docs/reply-clocks.md): the clock stops at night, at
# weekends and while a ticket is pending.
[calendar.office]
timezone = Europe/Berlin
monday = 09:00-18:00
tuesday = 09:00-18:00
wednesday = 09:00-18:00
thursday = 09:00-18:00
friday = 09:00-18:00
[policy.vip]
match.queue = vip
calendar = office
first_reply = 4h
first_reply.promise = 8h
resolution = 3d
CONF

printf 'ana support\nben support\nchloe support\ndev sales\neli sales\ngus sales\n' >"$work/teams"

echo "==> starting feedbackd (brokers = embedded)"
"$builddir/src/feedbackd" -c "$work/feedbackd.conf" >"$work/feedbackd.log" 2>&1 &
pids+=($!)
wait_for 20 grep -q 'assigned [0-9]* partitions' "$work/feedbackd.log" || { cat "$work/feedbackd.log"; exit 1; }
bootstrap=$(grep -o 'bootstrap=[0-9.:]*' "$work/feedbackd.log" | head -1 | cut -d= -f2)
echo "    embedded Kafka at $bootstrap (kcat -P -b $bootstrap -t feedback.events)"

python3 scripts/sample.py --now "$(date +%s%3N)" --summary "$work/expected.json" >"$work/events.txt"
summary() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/expected.json" "$1"; }
expected_ratings=$(summary rating)
expected_dlq=$(summary dead_letters)
expected_lines=$(summary lines)
echo "==> producing a sample stream: 6 agents over 25 days, $expected_lines Kafka records:"
echo "    $(summary rating) ratings, $(summary complaint) complaints, $(summary message) customer messages," \
	"$(summary reply) replies, $(summary status) status changes, $(summary follow_up) follow-ups, $(summary duplicates) sent twice, $expected_dlq malformed"
# KEY<TAB>JSON: every event of a ticket has the ticket as key, so one partition keeps them in order.
kcat -P -b "$bootstrap" -t feedback.events -K $'\t' -l "$work/events.txt"

# A number, or 0 for anything else (a field or metric not written yet reads as empty).
num() { [[ "${1:-}" =~ ^[0-9]+$ ]] && echo "$1" || echo 0; }
rated() {
	local sum=0 a n
	for a in $("${rcli[@]}" --raw zrange fb:agents 0 -1); do
		# an agent can be in fb:agents a moment before its stats hash is written
		n=$("${rcli[@]}" --raw hget "fb:agent:{$a}:stats" ratings_30d)
		sum=$((sum + $(num "$n")))
	done
	[ "$sum" -eq "$expected_ratings" ]
}
metrics() { curl -sf "http://127.0.0.1:$http_port/metrics"; }
# Every message produced has a result: applied, duplicate, late, redelivered or dead_lettered.
all_counted() {
	local n
	n=$(metrics | awk '/^feedbackd_events_total[{ ]/ { s += $NF } END { printf "%d", s }')
	[ "$(num "$n")" -eq "$expected_lines" ]
}
dead_letters() { kcat -C -b "$bootstrap" -t feedback.dlq -e -q 2>/dev/null | wc -l; }
all_dead_lettered() { [ "$(dead_letters)" -eq "$expected_dlq" ]; }
breached() {
	local a
	for a in ben dev; do
		[ "$("${rcli[@]}" --raw hexists "fb:agent:{$a}:alerts" "reply_sla_breach:$a-waiting")" = 1 ] || return 1
	done
}
wait_for 30 all_counted || { echo "not every message was counted"; tail "$work/feedbackd.log"; exit 1; }
wait_for 30 rated || { echo "ratings did not all arrive"; tail "$work/feedbackd.log"; exit 1; }
wait_for 30 all_dead_lettered || { echo "dead letters missing"; tail "$work/feedbackd.log"; exit 1; }

echo "==> waiting for two unanswered critical complaints to pass their 15 s reply target"
wait_for 40 breached || { echo "no breach alert"; tail "$work/feedbackd.log"; exit 1; }
follow_up_due() {
	[ "$("${rcli[@]}" --raw hexists 'fb:agent:{ben}:alerts' "follow_up_due:$(summary follow_up_due)")" = 1 ]
}
echo "==> waiting for a complaint ben answered a day ago, never followed up, to fall due"
wait_for 40 follow_up_due || { echo "no follow_up_due alert"; tail "$work/feedbackd.log"; exit 1; }
integrity_suspect() {
	[ "$("${rcli[@]}" --raw hexists "fb:agent:{$(summary integrity_suspect)}:alerts" rating_integrity_suspect)" = 1 ]
}
echo "==> waiting for rating_integrity_suspect on an agent who asks customers for a 5"
wait_for 30 integrity_suspect || { echo "no rating_integrity_suspect alert"; tail "$work/feedbackd.log"; exit 1; }
sleep 1

echo
python3 scripts/dashboard.py "${dashboard_to[@]}" --teams support,sales
echo
echo "business hours (policy vip, calendar office: Mon-Fri 09:00-18:00 Europe/Berlin, first reply 4h):"
"${rcli[@]}" --raw hget 'fb:agent:{ana}:alerts' reply_sla_breach:ana-vip-fri | python3 -c '
import datetime, json, sys, zoneinfo
a = json.load(sys.stdin)
at = lambda t: datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
show = lambda t: at(t).astimezone(zoneinfo.ZoneInfo("Europe/Berlin")).strftime("%a %d %b %H:%M %Z")
wall = (at(a["deadline"]) - at(a["opened_at"])).total_seconds() / 3600
print("  ana-vip-fri, opened %s: deadline %s, 4 business hours but %.0f wall hours later; breach alert: %s"
      % (show(a["opened_at"]), show(a["deadline"]), wall, a["message"]))
' 2>/dev/null || echo "  (no breach alert for ana-vip-fri)"
"${rcli[@]}" --raw hmget 'fb:agent:{ana}:stats' first_reply_met_30d first_reply_missed_30d first_reply_avg_s_30d \
	next_reply_avg_s_30d resolution_met_30d resolution_avg_s_30d | paste -sd' ' | awk '{
	printf "  ana, 30 days: first reply met %s, missed %s, mean %ss; next reply mean %ss; resolved in time %s, mean %ss\n", $1, $2, $3, $4, $5, $6 }'
echo "  (ana-vip-mon, answered Monday 10:00 after a Friday 17:30 message, took 1h30m of business time;"
echo "   ana-vip-paused was solved after 1h20m: its 5h40m pending did not count)"
echo
echo "dead letters on feedback.dlq: $(dead_letters) (expected $expected_dlq)"
kcat -C -b "$bootstrap" -t feedback.dlq -e -q -f '  %h\n' 2>/dev/null | sed 's/,source_/ source_/g'
echo "alerts on feedback.alerts: $(kcat -C -b "$bootstrap" -t feedback.alerts -e -q 2>/dev/null | wc -l)"
echo
echo "metrics excerpt, non-zero event counts (http://127.0.0.1:$http_port/metrics):"
metrics | grep -E '^feedbackd_events_total' | grep -v ' 0$' | sed 's/^/  /' || true
echo
echo "==> stopping"
