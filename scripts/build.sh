#!/usr/bin/env bash
# build.sh: configures and builds feedbackd out of tree.
# Usage: scripts/build.sh BUILDDIR [configure options...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=$1; shift
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] || autoreconf -fi >/dev/null
mkdir -p "$builddir"
cd "$builddir"
if [ ! -f Makefile ] || [ "$(cat .configured 2>/dev/null)" != "$*" ]; then
	"$top/configure" -q "$@"
	echo "$*" > .configured
fi
# A line every 25 files compiled, so a long build shows it is going (silent rules: "  CC  x.o").
make -j"$(nproc)" | awk '/^ +(CC|CXX|CCLD|CXXLD|GEN) / { n++; if (n % 25 == 0) { printf "    %s: %d files built\n", dir, n; fflush() } }
	END { printf "    %s: built (%d files)\n", dir, n }' dir="$builddir"
