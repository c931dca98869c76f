#!/usr/bin/env bash
# run.sh: builds the event parser's libFuzzer target with clang and fuzzes it for SECONDS.
# Usage: tests/fuzz/run.sh SECONDS [WORKDIR]   (WORKDIR defaults to a temporary directory)
# Exits non-zero on a crash, leak or sanitizer report; prints libFuzzer's summary line.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:?usage: tests/fuzz/run.sh SECONDS [WORKDIR]}
work=${2:-}
if [ -z "$work" ]; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/corpus"
san=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1)
clang++ -std=c++17 "${san[@]}" $(pkg-config --cflags simdjson) -I"$top/src/core" \
	-c "$top/src/core/jsondoc.cpp" -o "$work/jsondoc.o"
for f in src/core/event.c src/core/jsonlex.c src/core/timestamp.c tests/fuzz/fuzz_event.c; do
	clang -std=c11 -D_GNU_SOURCE "${san[@]}" -I"$top/src/core" -c "$top/$f" \
		-o "$work/$(basename "$f" .c).o"
done
clang++ "${san[@]}" "$work"/*.o $(pkg-config --libs simdjson) -o "$work/fuzz_event"

# Seeds: valid events of every type and a few that each break one rule.
n=0
seed() { printf '%s' "$1" >"$work/corpus/seed$((n += 1))"; }
seed '{"event_id":"e1","type":"rating","agent_id":"a1","ts":"2026-11-22T09:30:00Z","score":4}'
seed '{"event_id":"e2","type":"rating","agent_id":"a1","ts":1795339800000,"score":9,"scale":10,"ticket_id":"t1"}'
seed '{"event_id":"e3","type":"complaint","agent_id":"a1","ticket_id":"t1","ts":"2026-11-22T09:30:00+01:00","severity":"critical","category":"billing"}'
seed '{"event_id":"e4","type":"message","agent_id":"a\u00eb","ticket_id":"t2","ts":"2026-11-22T09:30:00.5Z","x":[1,{"y":null}]}'
seed '{"event_id":"e5","type":"reply","agent_id":"a1","ticket_id":"t2","ts":"2026-11-22T09:35:12.250Z"}'
seed '{"event_id":"e6","type":"rating","agent_id":"a1","ts":1e400,"score":99999999999999999999,"x":-1e400}'
seed '{"event_id":"e7","type":"rating","agent_id":"a\u0000","\u0061":1,"a":2,"s":"\ud800"}'
seed '{"event_id":"e8","type":"rating","x":[01,1.,tru,],}'
seed '[{"a":{"b":[true,false,null,"\ud83d\ude00"]}}]'

log="$work/fuzz.log"
rc=0
"$work/fuzz_event" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
	-print_final_stats=1 "$work/corpus" >"$log" 2>&1 || rc=$?
# The summary: libFuzzer's last status line and its exec count.
grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1 || true
grep -E '^stat::number_of_executed_units' "$log" || true
if [ "$rc" -ne 0 ]; then
	grep -E -A30 'ERROR: |runtime error|SUMMARY' "$log" | head -60
	trap - EXIT # keep the crash input (crash-*, leak-*) and the log for a reproducer
	echo "fuzz_event: failed (exit $rc); crash input and log kept in $work" >&2
fi
exit "$rc"
