#!/bin/sh
# Checks the generated systemd unit: `systemd-analyze verify` must be clean, and the
# exposure score of `systemd-analyze security --offline=true` must be 2.0 or lower.
#
# Usage: tests/systemd/verify.sh [UNIT]   (default: systemd/feedbackd.service, from make)
# Run from the build directory (make check does). The unit's ExecStart binary need not
# be installed: a copy of the unit pointing at the built src/feedbackd is verified, and
# the man pages named in Documentation= are looked up in the source tree.
# Exit status: 0 pass, 1 fail, 77 skip (no systemd-analyze).
set -u

MAX_EXPOSURE=2.0
unit=${1:-systemd/feedbackd.service}
srcdir=${srcdir:-$(dirname "$0")/../..}
bin=${FEEDBACKD_BIN:-$(pwd)/src/feedbackd}

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze not found"
	exit 77
fi
if [ ! -f "$unit" ]; then
	echo "FAIL: $unit not found (run make first)"
	exit 1
fi
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
if [ ! -x "$bin" ]; then
	echo "FAIL: $bin not built"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/feedbackd-verify.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# The unit under its real name, with the installed binary path replaced by the built one.
sed -e "s|^\(ExecStart[A-Za-z]*=\)[^ ]*/feedbackd |\1$bin |" "$unit" >"$tmp/feedbackd.service"
mkdir -p "$tmp/man/man5" "$tmp/man/man8"
cp "$srcdir/man/feedbackd.8" "$tmp/man/man8/" && cp "$srcdir/man/feedbackd.conf.5" "$tmp/man/man5/" || exit 1

status=0
out=$(MANPATH="$tmp/man" SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$tmp/feedbackd.service" 2>&1)
rc=$?
if [ $rc -ne 0 ] || printf '%s\n' "$out" | grep -q 'feedbackd'; then
	printf '%s\n' "$out"
	echo "FAIL: systemd-analyze verify (exit $rc)"
	status=1
else
	echo "ok: systemd-analyze verify $unit"
fi

out=$(SYSTEMD_LOG_COLOR=0 systemd-analyze security --offline=true --no-pager "$tmp/feedbackd.service" 2>&1)
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for feedbackd.service: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
	printf '%s\n' "$out"
	echo "FAIL: no exposure score from systemd-analyze security"
	exit 1
fi
echo "security exposure: $score (at most $MAX_EXPOSURE allowed)"
if awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s > m) }'; then
	printf '%s\n' "$out" | grep '✗'
	echo "FAIL: exposure $score is above $MAX_EXPOSURE"
	status=1
fi
exit $status
