#!/usr/bin/env bash
# deps.sh: installs the Debian packages feedbackd needs to build, test and demo.
# Usage: scripts/deps.sh [--with-java]   (--with-java adds what the real-Kafka test tier needs)
set -euo pipefail

packages=(build-essential autoconf automake libtool pkg-config
	librdkafka-dev libevent-dev libhiredis-dev libcmocka-dev libjansson-dev libinih-dev libmsgpack-dev libxxhash-dev
	libsystemd-dev libssl-dev libsimdjson-dev libicu-dev g++ clang libclang-rt-14-dev
	redis-server kcat python3 systemd curl)
if [ "${1:-}" = "--with-java" ]; then
	packages+=(default-jre-headless maven)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian's java/maven may be absent while another JDK/Maven is on PATH: that one is fine.
if [ "${1:-}" = "--with-java" ] && command -v java >/dev/null && command -v mvn >/dev/null; then
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
