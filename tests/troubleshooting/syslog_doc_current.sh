#!/bin/sh
# docs/syslog-messages.md must be what docs/gen-syslog-messages.py makes
# of the catalogue in core/log.c, so that the page never lags the code.
set -eu
: "${VR_SOURCE_DIR:?run this test through ctest}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
python3 "$VR_SOURCE_DIR/docs/gen-syslog-messages.py" > "$out"
if ! diff -u "$VR_SOURCE_DIR/docs/syslog-messages.md" "$out"; then
	echo "FAIL: docs/syslog-messages.md is stale; run" \
	     "python3 docs/gen-syslog-messages.py > docs/syslog-messages.md" >&2
	exit 1
fi
echo PASS
