#!/usr/bin/env bash
# test.sh: the whole test suite, from a bare Debian 12 machine (run as root to install).
#   1. installs what is missing (scripts/deps.sh, Java and Maven included for the real broker)
#   2. builds with -Werror and runs `make check`: cmocka unit tests (some against a real
#      redis-server), the systemd unit checks, and the integration tests (real redis-server,
#      librdkafka's mock cluster and the real daemon)
#   3. runs the same suite again in an ASan/UBSan build, then fuzzes the event parser for 60 s
#      (tests/fuzz/run.sh, clang's libFuzzer with ASan/UBSan)
#   4. runs the real Apache Kafka 3.9.1 tier (tests/kafka), skipped with a clear message when
#      Java/Maven are missing, and a failure when FEEDBACKD_REQUIRE_REAL_KAFKA=1 (CI sets it)
#   5. runs benchmark 1 reduced to 100k events, checking exact counts (bench/README.md)
#   6. checks the Prometheus rules with promtool, and builds, lints, installs, checks and
#      purges the Debian package (scripts/promtool-check.sh, scripts/debian-check.sh)
#   7. runs `make distcheck`
# Environment: FEEDBACKD_SKIP_ASAN=1 and FEEDBACKD_SKIP_DISTCHECK=1 shorten a local run.
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
jobs=$(nproc)
passed=0 failed=0 skipped=0

# Adds up one automake test-suite.log's results.
tally() {
	local log=$1 n
	n=$(sed -n 's/^# PASS: *//p' "$log"); passed=$((passed + ${n:-0}))
	n=$(sed -n 's/^# FAIL: *//p' "$log"); failed=$((failed + ${n:-0}))
	n=$(sed -n 's/^# ERROR: *//p' "$log"); failed=$((failed + ${n:-0}))
	n=$(sed -n 's/^# SKIP: *//p' "$log"); skipped=$((skipped + ${n:-0}))
}

# Runs `make check` in a build directory, each result shown as it comes, then failures' logs.
check() {
	local dir=$1 rc=0
	{ make -C "$dir" -j"$jobs" check 2>&1; echo $? >"$dir/check.rc"; } | tee "$dir/check.out" |
		awk '/^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):/ { print; fflush(); next }
		/^ +(CC|CXX|CCLD|CXXLD|GEN) / { n++; if (n % 25 == 0) { printf "    %d test files built\n", n; fflush() } }'
	rc=$(cat "$dir/check.rc")
	[ -f "$dir/test-suite.log" ] && tally "$dir/test-suite.log"
	if [ "$rc" -ne 0 ]; then
		[ -f "$dir/test-suite.log" ] && cat "$dir/test-suite.log" || tail -50 "$dir/check.out"
		return 1
	fi
}

status=0
echo "==> installing missing packages"
scripts/deps.sh --with-java --with-packaging || scripts/deps.sh --with-packaging

echo "==> build (-Werror) and make check"
scripts/build.sh _build --enable-werror
check _build || status=1

if [ "${FEEDBACKD_SKIP_ASAN:-0}" != 1 ]; then
	echo "==> ASan/UBSan build and make check"
	scripts/build.sh _build-asan --enable-werror --enable-sanitizers
	# librdkafka and libevent keep a few process-lifetime allocations; leaks of our own
	# code still fail the run because every test driver frees what it allocates.
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	check _build-asan || status=1
fi

echo "==> fuzzing the event parser (60 s)"
if tests/fuzz/run.sh 60 >_build/fuzz.out 2>&1; then
	passed=$((passed + 1)); echo "PASS: tests/fuzz/run.sh 60"; cat _build/fuzz.out
else
	failed=$((failed + 1)); status=1; echo "FAIL: tests/fuzz/run.sh 60"; tail -60 _build/fuzz.out
fi

if [ -x tests/kafka/run.sh ]; then
	echo "==> real Apache Kafka tier"
	if tests/kafka/run.sh _build; then passed=$((passed + 1)); else rc=$?
		if [ "$rc" -eq 77 ]; then skipped=$((skipped + 1)); else failed=$((failed + 1)); status=1; fi
	fi
fi

echo "==> reduced throughput benchmark (exact counts only; no timing is asserted)"
if python3 bench/throughput.py --builddir _build --events 100000 --check --peer none >_build/bench.out 2>&1; then
	passed=$((passed + 1)); echo "PASS: bench/throughput.py --events 100000 --check --peer none"
	awk '/^feedbackd:/ { printf "    exact counts checked; %s events/s on this reduced run, for information only " \
		"(no timing is asserted here: bench/README.md has the targets and full runs)\n", $2; exit }' _build/bench.out
else
	failed=$((failed + 1)); status=1; echo "FAIL: bench/throughput.py --events 100000 --check"; tail -30 _build/bench.out
fi

echo "==> Prometheus rules: promtool check and unit tests (contrib/prometheus)"
if scripts/promtool-check.sh >_build/promtool.out 2>&1; then
	passed=$((passed + 1)); echo "PASS: scripts/promtool-check.sh"
else
	failed=$((failed + 1)); status=1; echo "FAIL: scripts/promtool-check.sh"; tail -40 _build/promtool.out
fi

echo "==> Debian package: build, lintian, install, --check-config, purge (scripts/debian-check.sh)"
if scripts/debian-check.sh >_build/debian.out 2>&1; then
	passed=$((passed + 1)); echo "PASS: scripts/debian-check.sh"; grep -E '^==> ' _build/debian.out | sed 's/^/    /'
else
	failed=$((failed + 1)); status=1; echo "FAIL: scripts/debian-check.sh"; tail -60 _build/debian.out
fi

if [ "${FEEDBACKD_SKIP_DISTCHECK:-0}" != 1 ]; then
	echo "==> make distcheck"
	# The dist tree's unit tests run; its integration tests were run above already.
	if FEEDBACKD_SKIP_INTEGRATION=1 make -C _build -j"$jobs" distcheck >_build/distcheck.out 2>&1; then
		passed=$((passed + 1)); echo "PASS: distcheck"
	else
		failed=$((failed + 1)); status=1; echo "FAIL: distcheck"; tail -40 _build/distcheck.out
	fi
fi

# What was skipped, and why: whole tests automake skipped (exit 77), and single cases the
# integration files skipped inside (unittest's "... skipped 'reason'").
echo
echo "==> skipped, and why"
for dir in _build _build-asan; do
	[ -f "$dir/check.out" ] || continue
	grep -h '^SKIP:' "$dir/check.out" | sed "s|^|    $dir: |" || true
	for log in "$dir"/tests/integration/*.log; do
		[ -f "$log" ] || continue
		grep -E " \.\.\. skipped " "$log" | sed "s|^|    $dir: $(basename "$log" .log): |" || true
		n=$(grep -cE " \.\.\. skipped " "$log" || true)
		skipped=$((skipped + n))
	done
done
if [ "${FEEDBACKD_SKIP_DISTCHECK:-0}" != 1 ]; then
	echo "    distcheck: its integration tests (they ran above; FEEDBACKD_SKIP_INTEGRATION=1 there), not counted here"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped (listed above)"
exit "$status"
