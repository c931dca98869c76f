#!/usr/bin/env bash
# run.sh: every feedbackd benchmark in order, then a summary table.
#
#   bench/run.sh                     full sizes (about 15-25 min on 2 cores, plus bench/scale.py's 10,000,000 events)
#   bench/run.sh --quick             reduced sizes (a few minutes; figures not comparable with the targets)
#   bench/run.sh --builddir DIR      the daemon to measure (default $FEEDBACKD_BUILDDIR or _build)
#   bench/run.sh --out DIR           keep each benchmark's JSON and output in DIR (default: a temp dir, kept)
#
# Each benchmark starts its own Redis and Kafka (the real broker when java+mvn exist)
# on free ports and cleans up after itself.
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname -- "$here")
builddir=${FEEDBACKD_BUILDDIR:-$repo/_build}
out=
quick=0
while (($#)); do
	case $1 in
	--quick) quick=1 ;;
	--builddir) builddir=$2; shift ;;
	--out) out=$2; shift ;;
	-h | --help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
builddir=$(cd -- "$builddir" && pwd)
[[ -x "$builddir/src/feedbackd" ]] || { echo "run.sh: $builddir/src/feedbackd not built (scripts/build.sh $builddir --enable-werror)" >&2; exit 1; }
out=${out:-$(mktemp -d /tmp/fbbench-results-XXXXXX)}
mkdir -p "$out"
out=$(cd -- "$out" && pwd)
common=(--builddir "$builddir")

if ((quick)); then
	tput=(--events 100000 --check)
	lat=(--rate 10000 --duration 10)
	br=(--clocks 10000 --target 70s)
	mem=(--clocks 100000 --hold 5)
	idle=(--duration 20)
	cg=(--events 10000)
	scale=(--quick)
else
	tput=(--check)
	lat=()
	br=()
	mem=()
	idle=()
	cg=()
	scale=()
fi

status=0
step() {
	local name=$1; shift
	echo "=== $name: $*" >&2
	local t0=$SECONDS
	if "$@" 2>"$out/$name.log" | tee "$out/$name.txt"; then
		echo "=== $name: done in $((SECONDS - t0)) s" >&2
	else
		echo "=== $name: FAILED (exit ${PIPESTATUS[0]}); log: $out/$name.log" >&2
		tail -n 30 "$out/$name.log" >&2
		status=1
	fi
	echo
}

step throughput python3 "$here/throughput.py" "${common[@]}" "${tput[@]}" --json "$out/throughput.json"
step latency python3 "$here/latency.py" "${common[@]}" "${lat[@]}" --json "$out/latency.json"
step breach python3 "$here/breach.py" "${common[@]}" "${br[@]}" --json "$out/breach.json"
if [[ -f "$out/throughput.json" ]]; then
	step memory python3 "$here/memory.py" "${common[@]}" "${mem[@]}" --throughput-json "$out/throughput.json" --json "$out/memory.json"
else
	step memory python3 "$here/memory.py" "${common[@]}" "${mem[@]}" --skip-throughput --json "$out/memory.json"
fi
step idle python3 "$here/idle.py" "${common[@]}" "${idle[@]}" --json "$out/idle.json"
step callgrind "$here/callgrind.sh" "${common[@]}" "${cg[@]}" --json "$out/callgrind.json"
step scale python3 "$here/scale.py" "${common[@]}" "${scale[@]}" --json "$out/scale.json"
step windows "$builddir/bench/window_edge"

python3 "$here/summary.py" "$out" | tee "$out/summary.txt"
echo "results: $out" >&2
exit $status
