#!/usr/bin/env bash
# deps.sh: installs the Debian packages feedbackd needs to build, test and demo.
# Usage: scripts/deps.sh [--with-java] [--with-packaging]
#   --with-java adds what the real-Kafka test tier needs; --with-packaging what
#   scripts/debian-check.sh needs to build and check the Debian package
set -euo pipefail
with_java=no
with_packaging=no
for a in "$@"; do
	case "$a" in
	--with-java) with_java=yes ;;
	--with-packaging) with_packaging=yes ;;
	*) echo "usage: scripts/deps.sh [--with-java] [--with-packaging]" >&2; exit 2 ;;
	esac
done

packages=(build-essential autoconf automake libtool pkg-config
	librdkafka-dev libevent-dev libhiredis-dev libcmocka-dev libjansson-dev libinih-dev libmsgpack-dev libxxhash-dev
	libsystemd-dev libssl-dev libsimdjson-dev libicu-dev g++ clang libclang-rt-14-dev
	redis-server kcat python3 systemd curl)
if [ "$with_java" = yes ]; then
	packages+=(default-jre-headless maven)
fi
if [ "$with_packaging" = yes ]; then
	packages+=(debhelper dh-autoreconf dpkg-dev lintian)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian's java/maven may be absent while another JDK/Maven is on PATH: that one is fine.
if [ "$with_java" = yes ] && command -v java >/dev/null && command -v mvn >/dev/null; then
	missing=("${missing[@]/default-jre-headless}")
	missing=("${missing[@]/maven}")
fi
read -r -a missing <<< "${missing[*]:-}"
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "feedbackd: missing packages: ${missing[*]}" >&2
	echo "feedbackd: run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
