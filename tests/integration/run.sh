#!/bin/sh
# Runs one integration test file for `make check`. FEEDBACKD_SKIP_INTEGRATION=1 skips them
# (exit 77): test.sh sets it for `make distcheck`, which would otherwise run them twice.
if [ "${FEEDBACKD_SKIP_INTEGRATION:-0}" = 1 ]; then
	echo "SKIP: integration tests (FEEDBACKD_SKIP_INTEGRATION=1)"
	exit 77
fi
exec "${PYTHON3:-python3}" "$@"
