#!/bin/sh
# Feeds the seed corpus and the saved crash inputs of one harness through
# its replay binary: replay.sh HARNESS BINARY SEEDDIR.
set -eu
harness=$1
binary=$2
seeds=$3/$harness
here=$(cd "$(dirname "$0")" && pwd)

if [ -z "${VR_SHARED_DIR:-}" ] || [ ! -d "$VR_SHARED_DIR/cases/external" ]; then
	echo "replay.sh: VR_SHARED_DIR must name the reference cases folder" >&2
	exit 1
fi
rm -rf "$seeds"
python3 "$here/seeds.py" "$harness" "$seeds"
set -- "$seeds"
if [ -d "$here/regress/$harness" ]; then
	set -- "$@" "$here/regress/$harness"
fi
exec "$binary" "$@"
