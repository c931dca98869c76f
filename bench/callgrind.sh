#!/usr/bin/env bash
# callgrind.sh: benchmark 6, instructions per event under valgrind --tool=callgrind.
#   bench/callgrind.sh [--events 50000] [--baseline] [--save FILE] [--builddir DIR] [--json FILE]
# Installs valgrind with apt-get when it is missing (as root), then runs bench/callgrind.py.
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
if ! command -v valgrind >/dev/null 2>&1 || ! command -v callgrind_annotate >/dev/null 2>&1; then
	if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
		echo "callgrind.sh: installing valgrind with apt-get" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends valgrind >&2 ||
			{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends valgrind >&2; }
	else
		echo "callgrind.sh: valgrind not found (apt-get install valgrind)" >&2
		exit 1
	fi
fi
exec python3 "$here/callgrind.py" "$@"
