#!/bin/sh
# Runs one libFuzzer harness for a while and prints its figures:
# run_fuzz.sh HARNESS BINARY SECONDS WORKDIR.
#
# The corpus grows in WORKDIR/corpus/HARNESS across runs, seeded from
# seeds.py. A crash input is written to WORKDIR/crashes/HARNESS and the
# script fails; copy the input to tests/fuzz/regress/HARNESS/ once fixed.
set -eu
harness=$1
binary=$2
seconds=$3
work=$4
here=$(cd "$(dirname "$0")" && pwd)
corpus=$work/corpus/$harness
crashes=$work/crashes/$harness
log=$work/$harness.log

mkdir -p "$corpus" "$crashes"
python3 "$here/seeds.py" "$harness" "$work/seeds/$harness" >/dev/null
case $harness in
dp_input|isakmp|ike|ikev2|ike_enc|ikev2_enc|pcap) dict=$here/ike.dict ;;
*) dict=$here/ios.dict ;;
esac
# Every config line is a commit that the datapath and the IKE manager
# apply, so long inputs run slowly; short ones explore more per second.
case $harness in
cli|config_load) max_len=4096 ;;
*) max_len=65536 ;;
esac

status=0
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-max_len="$max_len" -print_final_stats=1 -dict="$dict" \
	-artifact_prefix="$crashes/" "$corpus" "$work/seeds/$harness" \
	>"$log" 2>&1 || status=$?

# libFuzzer's last status line: "#RUNS DONE cov: N ft: N corp: ... exec/s: N".
done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
runs=$(echo "$done_line" | sed -n 's/^#\([0-9]*\).*/\1/p')
cov=$(echo "$done_line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(echo "$done_line" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
eps=$(echo "$done_line" | sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p')
printf 'fuzz %-12s %8s runs %6s exec/s  cov %6s  ft %6s  (%ss)\n' \
	"$harness" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "$seconds"
if [ "$status" -ne 0 ] || [ -z "$done_line" ]; then
	echo "fuzz $harness: failed (status $status), last lines of $log:" >&2
	tail -n 40 "$log" >&2
	exit 1
fi
