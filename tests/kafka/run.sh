#!/usr/bin/env bash
# tests/kafka/run.sh BUILDDIR: the real Apache Kafka 3.9.1 tier.
#   Runs tests/integration/test_delivery.py against a real KRaft broker (realkafka.sh).
#   Exit: 0 passed, 77 skipped (no java/mvn), anything else failed.
#   FEEDBACKD_REQUIRE_REAL_KAFKA=1 (CI) turns the skip into a failure (exit 1).
#   The jars are cached in ${FEEDBACKD_KAFKA_CACHE:-~/.cache/feedbackd/kafka-3.9.1}.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 BUILDDIR" >&2; exit 2; }
builddir=$(cd "$1" && pwd)

java_ok() {
	if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then return 0; fi
	command -v java >/dev/null 2>&1
}
if ! java_ok || ! command -v mvn >/dev/null 2>&1; then
	if [ "${FEEDBACKD_REQUIRE_REAL_KAFKA:-0}" = 1 ]; then
		echo "FAIL: real Kafka tier: java/maven not installed (FEEDBACKD_REQUIRE_REAL_KAFKA=1)" >&2
		exit 1
	fi
	echo "SKIP: real Kafka tier: java/maven not installed"
	exit 77
fi
for tool in kcat redis-server python3; do
	command -v "$tool" >/dev/null 2>&1 || { echo "FAIL: real Kafka tier: $tool not found" >&2; exit 1; }
done
[ -x "$builddir/src/feedbackd" ] || { echo "FAIL: $builddir/src/feedbackd not built" >&2; exit 1; }

# Fetch the jars once (a no-op when cached); apt-get is test.sh's business, not ours.
FEEDBACKD_KAFKA_NO_APT=1 "$here/realkafka.sh" fetch

start=$(date +%s)
rc=0
FEEDBACKD_BUILDDIR="$builddir" FEEDBACKD_KAFKA=real \
	python3 "$top/tests/integration/test_delivery.py" -v || rc=$?
echo "real Kafka tier: $([ "$rc" -eq 0 ] && echo PASS || echo "FAIL (rc $rc)") in $(( $(date +%s) - start )) s"
exit "$rc"
