#!/usr/bin/env bash
# debian-check.sh: builds the Debian package from a clean copy of the tree, runs
# lintian on it, installs it on this machine, checks what it installed, and
# purges it again.
# Usage: scripts/debian-check.sh            (as root: it installs and purges a package)
# Environment:
#   FEEDBACKD_BUILD_LOCK=FILE  run the package build under flock FILE (for example
#                              /tmp/bench.lock, so the build does not disturb a benchmark)
#   FEEDBACKD_DEB_OUT=DIR      copy the built .deb, .changes and .buildinfo there
#
# The copy holds the files git tracks, as they are in the work tree, plus new files
# git does not ignore: no _build*, no generated configure. It builds with
# dpkg-buildpackage -us -uc -b; lintian fails the check on any error or warning that
# debian/feedbackd.lintian-overrides does not cover. The package is purged on exit,
# whatever happened, and the temporary directory removed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
pkg=feedbackd
tmp=
installed_by_us=0
started=$(date +%s)

step() { echo "==> $*"; }
fail() {
	echo "FAIL: debian-check: $*"
	exit 1
}
# The package's status as dpkg has it: "ii ", "rc ", "un ", or empty when unknown.
pkg_status() { dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || :; }

cleanup() {
	local rc=$?
	if [ "$installed_by_us" = 1 ]; then
		case "$(pkg_status)" in
		"" | un* | pn*) ;;
		*)
			echo "==> cleanup: apt-get purge -y $pkg"
			DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$pkg" >/dev/null 2>&1 ||
				dpkg --purge "$pkg" >/dev/null 2>&1 || echo "debian-check: could not purge $pkg" >&2
			;;
		esac
	fi
	[ -n "$tmp" ] && rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || fail "run as root: it installs build dependencies and installs and purges $pkg"
command -v apt-get >/dev/null && command -v dpkg >/dev/null || fail "needs a Debian system (apt-get, dpkg)"

# Never purge an install that is not ours.
case "$(pkg_status)" in
"" | un* | pn*) ;;
*) fail "$pkg is already installed here ($(pkg_status)); remove it first (apt-get purge $pkg)" ;;
esac
for f in /usr/bin/feedbackd /etc/feedbackd /lib/systemd/system/feedbackd.service /usr/lib/systemd/system/feedbackd.service; do
	[ -e "$f" ] && fail "$f exists outside the package (a 'make install'?): remove it first"
done

# --- tools and build dependencies ------------------------------------------
export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_install() {
	[ "$apt_updated" = 1 ] || { apt-get update -qq >/dev/null || fail "apt-get update failed"; apt_updated=1; }
	echo "    installing: $*"
	apt-get install -y -qq --no-install-recommends "$@" >/dev/null || fail "apt-get install $* failed"
}
tools=()
for p in debhelper dh-autoreconf dpkg-dev lintian; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || tools+=("$p")
done
step "packaging tools${tools[*]:+: installing ${tools[*]}}"
[ "${#tools[@]}" -eq 0 ] || apt_install "${tools[@]}"

# Build-Depends still missing, as dpkg-checkbuilddeps names them (first alternative, no versions).
missing=$(cd "$top" && dpkg-checkbuilddeps 2>&1 | sed -n 's/.*Unmet build dependencies: //p' |
	sed -e 's/([^)]*)//g' -e 's/ *| *[^ ]*//g' -e 's/<[^>]*>//g')
read -r -a missing <<<"$missing"
step "build dependencies${missing[*]:+: installing ${missing[*]}}"
[ "${#missing[@]}" -eq 0 ] || apt_install "${missing[@]}"

# --- a clean copy and the build ----------------------------------------------
tmp=$(mktemp -d /tmp/feedbackd-deb.XXXXXX)
src=$tmp/feedbackd
mkdir -p "$src"
step "copying the tree to $src"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -xf - -C "$src") || fail "cannot copy the tree"
else
	(cd "$top" && tar --exclude='./_build*' --exclude=./autom4te.cache -cf - .) | tar -xf - -C "$src" ||
		fail "cannot copy the tree"
fi
[ -f "$src/debian/control" ] || fail "no debian/control in the tree"

version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
acver=$(sed -n 's/^AC_INIT(\[feedbackd\], *\[\([^]]*\)\].*/\1/p' "$src/configure.ac")
[ "$version" = "$acver" ] ||
	fail "debian/changelog's version $version is not configure.ac's $acver: add a changelog entry (dch -v $acver)"
arch=$(dpkg --print-architecture)
deb=${pkg}_${version}_${arch}.deb

if [ -n "${FEEDBACKD_BUILD_LOCK:-}" ]; then
	step "waiting for flock $FEEDBACKD_BUILD_LOCK"
	t0=$(date +%s)
	exec 9>>"$FEEDBACKD_BUILD_LOCK" && flock 9 || fail "cannot lock $FEEDBACKD_BUILD_LOCK"
	echo "    locked after $(($(date +%s) - t0)) s"
fi
step "building $deb (dpkg-buildpackage -us -uc -b)"
t0=$(date +%s)
if ! (cd "$src" && dpkg-buildpackage -us -uc -b 9>&-) >"$tmp/build.log" 2>&1; then
	tail -n 40 "$tmp/build.log"
	fail "dpkg-buildpackage failed (the last lines of its log are above)"
fi
[ -n "${FEEDBACKD_BUILD_LOCK:-}" ] && exec 9>&-
echo "    built in $(($(date +%s) - t0)) s: $(cd "$tmp" && ls ./*.deb | tr '\n' ' ')"
[ -f "$tmp/$deb" ] || fail "$deb was not produced"
changes=$tmp/${pkg}_${version}_${arch}.changes
if [ -n "${FEEDBACKD_DEB_OUT:-}" ]; then
	mkdir -p "$FEEDBACKD_DEB_OUT" && cp "$tmp"/*.deb "$tmp"/*.changes "$tmp"/*.buildinfo "$FEEDBACKD_DEB_OUT"/ &&
		echo "    copied to $FEEDBACKD_DEB_OUT"
fi

# --- lintian -----------------------------------------------------------------
step "lintian $(lintian --version | awk '{print $2}') on $(basename "$changes") (its .deb files and .buildinfo)"
lrc=0
lintian --fail-on error,warning --display-info "$changes" >"$tmp/lintian.log" 2>&1 || lrc=$?
grep -v '^running with root privileges' "$tmp/lintian.log" | sed 's/^/    /' || echo "    (lintian printed no tags)"
[ "$lrc" -eq 0 ] || fail "lintian reports errors or warnings (above), or failed (exit $lrc)"
echo "    lintian: no errors or warnings"

# --- install ------------------------------------------------------------------
step "apt-get install ./$deb"
installed_by_us=1
(cd "$tmp" && apt-get install -y -qq "./$deb") >"$tmp/install.log" 2>&1 || {
	cat "$tmp/install.log"
	fail "apt-get install failed"
}
[ "$(pkg_status)" = "ii " ] || fail "$pkg is not installed after apt-get install ($(pkg_status))"

step "checking the installed files"
for f in /usr/bin/feedbackd /lib/systemd/system/feedbackd.service /etc/feedbackd/feedbackd.conf \
	/usr/share/man/man8/feedbackd.8.gz /usr/share/man/man5/feedbackd.conf.5.gz \
	/usr/share/doc/feedbackd/README.md.gz /usr/share/doc/feedbackd/docs/architecture.md.gz \
	/usr/share/doc/feedbackd/README.Debian /usr/share/doc/feedbackd/copyright; do
	[ -e "$f" ] || fail "$f is not installed"
done
dpkg-query -W -f='${Conffiles}\n' "$pkg" | grep -q '^ /etc/feedbackd/feedbackd.conf ' ||
	fail "/etc/feedbackd/feedbackd.conf is not a conffile"
grep -q '^ExecStart=/usr/bin/feedbackd -c /etc/feedbackd/feedbackd.conf$' /lib/systemd/system/feedbackd.service ||
	fail "the unit does not run /usr/bin/feedbackd -c /etc/feedbackd/feedbackd.conf"
echo "    binary, unit, conffile, man pages and docs in place"

step "feedbackd --check-config -c /etc/feedbackd/feedbackd.conf"
out=$(/usr/bin/feedbackd --check-config -c /etc/feedbackd/feedbackd.conf 2>&1) ||
	fail "the shipped configuration is not valid: $out"
echo "    $out"
case "$out" in *"configuration is valid"*) ;; *) fail "--check-config did not say valid: $out" ;; esac

step "a changed conffile survives a reinstall (dpkg -i of the same .deb)"
echo "# a local change by scripts/debian-check.sh" >>/etc/feedbackd/feedbackd.conf
dpkg -i "$tmp/$deb" </dev/null >"$tmp/reinstall.log" 2>&1 || {
	cat "$tmp/reinstall.log"
	fail "dpkg -i over the installed package failed"
}
grep -q '^# a local change by scripts/debian-check.sh$' /etc/feedbackd/feedbackd.conf ||
	fail "dpkg replaced the changed /etc/feedbackd/feedbackd.conf"
echo "    kept"

step "is the unit enabled?"
wants=/etc/systemd/system/multi-user.target.wants/feedbackd.service
if [ -d /run/systemd/system ]; then
	state=$(systemctl is-enabled feedbackd 2>&1 || :)
	[ "$state" = enabled ] || fail "systemctl is-enabled feedbackd says '$state'"
	echo "    systemd is running: systemctl is-enabled feedbackd says enabled"
	systemctl is-active --quiet feedbackd && fail "feedbackd was started by the installation (it should only be enabled)"
	echo "    and not started by the installation (systemctl is-active: $(systemctl is-active feedbackd 2>&1))"
else
	[ "$(readlink "$wants")" = /lib/systemd/system/feedbackd.service ] ||
		fail "systemd is not PID 1 here, and $wants is not a link to the unit"
	grep -q "deb-systemd-helper enable 'feedbackd.service'" /var/lib/dpkg/info/feedbackd.postinst ||
		fail "the postinst has no deb-systemd-helper enable"
	echo "    systemd is not running as PID 1 here ($(ps -p 1 -o comm= 2>/dev/null || echo '?')): checked instead that"
	echo "    the postinst's deb-systemd-helper enable made $wants -> $(readlink "$wants")"
fi

# --- purge --------------------------------------------------------------------
step "apt-get purge -y $pkg"
apt-get purge -y -qq "$pkg" >"$tmp/purge.log" 2>&1 || {
	cat "$tmp/purge.log"
	fail "apt-get purge failed"
}
for f in /etc/feedbackd /usr/bin/feedbackd /lib/systemd/system/feedbackd.service "$wants" \
	/usr/share/doc/feedbackd /var/lib/systemd/deb-systemd-helper-enabled/feedbackd.service.dsh-also; do
	[ -e "$f" ] || [ -L "$f" ] && fail "$f is still there after the purge"
done
status=$(pkg_status)
case "$status" in
"" | un* | pn*) ;;
*) fail "dpkg still has $pkg as '$status' after the purge" ;;
esac
echo "    gone: /etc/feedbackd, the binary, the unit and its enablement link"
echo "    dpkg -l $pkg: $(dpkg -l "$pkg" 2>&1 | tail -n 1)"
installed_by_us=0

echo "PASS: debian-check: $deb built, lintian clean, installed, checked and purged in $(($(date +%s) - started)) s"
