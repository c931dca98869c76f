#!/usr/bin/env bash
# promtool-check.sh: checks and unit-tests the Prometheus rules in contrib/prometheus/
# with promtool (promtool check rules, promtool test rules).
# Usage: scripts/promtool-check.sh
#
# promtool is taken from PATH. When it is missing, it is extracted from Debian's
# prometheus package (apt-get download, dpkg-deb) into a cache directory,
# ${FEEDBACKD_CACHE:-~/.cache/feedbackd}/promtool-VERSION/: the package itself is
# not installed, so no prometheus user, web assets or running server are left behind.
# Needs root (or a filled apt list) only for that first download.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/contrib/prometheus
cache=${FEEDBACKD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/feedbackd}
tmp=
trap '[ -n "$tmp" ] && rm -rf "$tmp"' EXIT

step() { echo "==> $*"; }
fail() { echo "FAIL: promtool-check: $*"; exit 1; }

find_promtool() {
	local p
	p=$(command -v promtool 2>/dev/null) && { echo "$p"; return 0; }
	for p in "$cache"/promtool-*/promtool; do
		[ -x "$p" ] && { echo "$p"; return 0; }
	done
	return 1
}

if ! promtool=$(find_promtool); then
	step "promtool missing: extracting it from Debian's prometheus package into $cache"
	command -v apt-get >/dev/null || fail "no promtool and no apt-get to fetch it"
	tmp=$(mktemp -d)
	# apt drops root to _apt for downloads: let it write into the directory.
	chmod 0755 "$tmp"
	id _apt >/dev/null 2>&1 && chown _apt "$tmp"
	if ! (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1); then
		[ "$(id -u)" -eq 0 ] || fail "apt-get download prometheus failed (run 'apt-get update' as root)"
		apt-get update -qq >/dev/null || fail "apt-get update failed"
		(cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1) || fail "apt-get download prometheus failed"
	fi
	deb=$(ls "$tmp"/prometheus_*.deb)
	ver=$(dpkg-deb -f "$deb" Version)
	mkdir -p "$tmp/x" && dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" ./usr/bin/promtool ||
		fail "promtool not found in $deb"
	mkdir -p "$cache/promtool-$ver"
	install -m 0755 "$tmp/x/usr/bin/promtool" "$cache/promtool-$ver/promtool" || fail "cannot write $cache"
	promtool=$cache/promtool-$ver/promtool
fi
step "promtool: $promtool ($("$promtool" --version 2>&1 | head -1))"

status=0
step "promtool check rules contrib/prometheus/feedbackd-rules.yml"
(cd "$dir" && "$promtool" check rules feedbackd-rules.yml) || status=1
step "promtool test rules contrib/prometheus/feedbackd-rules.test.yml"
(cd "$dir" && "$promtool" test rules feedbackd-rules.test.yml) || status=1

if [ "$status" -eq 0 ]; then
	echo "PASS: promtool-check: rules valid, unit tests pass"
else
	echo "FAIL: promtool-check: see the promtool output above"
fi
exit "$status"
