#!/usr/bin/env bash
# demo.sh: feedbackd's main job on the embedded Kafka, start to finish.
# Installs what is missing (as root), builds, starts a private redis-server and the daemon
# with its embedded Kafka, feeds a sample stream, and shows what a dashboard reads.
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"

echo "==> checking packages"
scripts/deps.sh
echo "==> building"
scripts/build.sh _build

work=$(mktemp -d /tmp/feedbackd-demo.XXXXXX)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Waits up to $1 seconds for the command in the remaining arguments to succeed.
wait_for() {
	local limit=$1; shift
	for _ in $(seq 1 $((limit * 5))); do "$@" && return 0; sleep 0.2; done
	return 1
}

redis_port=$(free_port)
http_port=$(free_port)
echo "==> starting redis-server on 127.0.0.1:$redis_port"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
	--loglevel warning >"$work/redis.log" 2>&1 &
pids+=($!)
wait_for 10 redis-cli -p "$redis_port" ping >/dev/null 2>&1

cat >"$work/feedbackd.conf" <<CONF
# The demo's settings: embedded Kafka; a 4 h reply target, and 15 s for critical complaints
# so that a breach happens on screen.
[kafka]
brokers = embedded
[redis]
port = $redis_port
[windows]
refresh = 5s
[sla]
reply_target = 4h
reply_target.critical = 15s
at_risk = 0.6
[http]
listen = 127.0.0.1:$http_port
CONF

echo "==> starting feedbackd (brokers = embedded)"
_build/src/feedbackd -c "$work/feedbackd.conf" >"$work/feedbackd.log" 2>&1 &
pids+=($!)
wait_for 20 grep -q 'assigned [0-9]* partitions' "$work/feedbackd.log" || { cat "$work/feedbackd.log"; exit 1; }
bootstrap=$(grep -o 'bootstrap=[0-9.:]*' "$work/feedbackd.log" | head -1 | cut -d= -f2)
echo "    embedded Kafka at $bootstrap (kcat -P -b $bootstrap -t feedback.events)"

echo "==> producing a sample stream: 5 agents, ratings, complaints, messages, replies, duplicates, malformed lines"
python3 scripts/sample.py --now "$(date +%s%3N)" --summary "$work/expected.json" >"$work/events.jsonl"
kcat -P -b "$bootstrap" -t feedback.events -l "$work/events.jsonl"
expected_ratings=$(python3 -c "import json;print(json.load(open('$work/expected.json'))['rating'])")
expected_dlq=$(python3 -c "import json;print(json.load(open('$work/expected.json'))['dead_letters'])")

rated() {
	local sum=0 a
	for a in $(redis-cli -p "$redis_port" --raw zrange fb:agents 0 -1); do
		sum=$((sum + $(redis-cli -p "$redis_port" --raw hget "fb:agent:{$a}:stats" ratings_30d)))
	done
	[ "$sum" -eq "$expected_ratings" ]
}
dead_letters() { kcat -C -b "$bootstrap" -t feedback.dlq -e -q 2>/dev/null | wc -l; }
all_dead_lettered() { [ "$(dead_letters)" -eq "$expected_dlq" ]; }
breached() { [ "$(redis-cli -p "$redis_port" --raw hexists 'fb:agent:{ben}:alerts' 'reply_sla_breach:ben-waiting')" = 1 ]; }
wait_for 30 rated || { echo "ratings did not all arrive"; tail "$work/feedbackd.log"; exit 1; }
wait_for 30 all_dead_lettered || { echo "dead letters missing"; tail "$work/feedbackd.log"; exit 1; }

echo "==> waiting for two unanswered critical complaints to pass their 15 s reply target"
wait_for 40 breached || { echo "no breach alert"; tail "$work/feedbackd.log"; exit 1; }
sleep 1

echo
python3 scripts/dashboard.py -p "$redis_port"
echo
echo "dead letters on feedback.dlq: $(dead_letters) (expected $expected_dlq)"
kcat -C -b "$bootstrap" -t feedback.dlq -e -q -f '  %h\n' 2>/dev/null | sed 's/,source_/ source_/g'
echo "alerts on feedback.alerts: $(kcat -C -b "$bootstrap" -t feedback.alerts -e -q 2>/dev/null | wc -l)"
echo
echo "metrics excerpt (http://127.0.0.1:$http_port/metrics):"
curl -sf "http://127.0.0.1:$http_port/metrics" 2>/dev/null | grep -E '^feedbackd_events_total' | sed 's/^/  /' || true
echo
echo "==> stopping"
