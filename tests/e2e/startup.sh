#!/bin/sh
# Start-up and command-line behaviour of the vrouter binary: usage errors,
# a broken or missing startup-config, the console on a pipe, and a clean
# exit on SIGTERM.

set -u

: "${VR_BINARY:?VR_BINARY is not set; run this test through ctest}"

failures=0
tmp=$(mktemp -d /tmp/vr-startup.XXXXXX)
vr_pid=""

cleanup() {
	[ -n "$vr_pid" ] && kill -KILL "$vr_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# expect_exit CODE DESCRIPTION -- ARGS...: runs vrouter with no console
# input and checks its exit status.
expect_exit() {
	want=$1
	what=$2
	shift 3
	"$VR_BINARY" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	got=$?
	[ "$got" -eq "$want" ] ||
		fail "$what: exit status $got, expected $want; stderr: $(cat "$tmp/err")"
}

expect_exit 0 "--help" -- --help
grep -q '^usage: vrouter ' "$tmp/out" || fail "--help prints no usage line"

expect_exit 0 "--version" -- --version
grep -q '^vrouter [0-9]' "$tmp/out" || fail "--version prints no version"

expect_exit 2 "unknown option" -- --no-such-option
grep -q "unrecognized option" "$tmp/err" || fail "unknown option: no message"

expect_exit 2 "bad --telnet" -- --telnet 127.0.0.1:99999
grep -q "invalid --telnet '127.0.0.1:99999'" "$tmp/err" ||
	fail "bad --telnet: no message naming the value"

expect_exit 2 "bad --replay" -- --replay nofile
grep -q "invalid --replay 'nofile'" "$tmp/err" ||
	fail "bad --replay: no message naming the value"

expect_exit 2 "bad --wire" -- --wire GigabitEthernet1=127.0.0.1:1
grep -q "invalid --wire" "$tmp/err" || fail "bad --wire: no message"

expect_exit 2 "stray argument" -- --no-telnet extra
grep -q "unexpected argument 'extra'" "$tmp/err" ||
	fail "stray argument: no message"

expect_exit 1 "unreadable capture" -- --no-telnet --config /dev/null \
	--replay "GigabitEthernet1=$tmp/missing.pcap"
grep -q "replay GigabitEthernet1=$tmp/missing.pcap failed" "$tmp/err" ||
	fail "unreadable capture: no message naming the file"

# A startup-config with two bad lines: the router starts, reports both
# lines and logs them as %PARSER-4-BADCFG.
cat >"$tmp/startup-config" <<'CFG'
hostname EDGE1
interface GigabitEthernet1
 ip address 10.10.1.2 255.255.255.0
bogus command here
 ip adress 10.9.9.9 255.255.255.0
end
CFG
printf 'enable\nshow logging | include BADCFG|RESTART\nshow running-config | include ^hostname\n' |
	"$VR_BINARY" --no-telnet --config "$tmp/startup-config" \
	>"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 0 ] || fail "console on a pipe: exit status $status"
grep -q "config $tmp/startup-config (2 lines rejected)" "$tmp/err" ||
	fail "summary does not count 2 rejected lines: $(cat "$tmp/err")"
grep -q "^line 4: bogus command here: " "$tmp/err" ||
	fail "rejected line 4 is not reported on stderr"
grep -q "%PARSER-4-BADCFG: $tmp/startup-config line 5 rejected: ip adress" \
	"$tmp/out" || fail "show logging lacks the BADCFG line of line 5"
grep -q "%SYS-5-RESTART: System restarted --" "$tmp/out" ||
	fail "show logging lacks %SYS-5-RESTART"
grep -q "^hostname EDGE1" "$tmp/out" ||
	fail "running config lacks the loaded hostname"

# A missing startup-config is reported, and the router still runs.
printf 'show version\n' |
	"$VR_BINARY" --no-telnet --config "$tmp/none.cfg" \
	>"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 0 ] || fail "missing config: exit status $status"
grep -q "config $tmp/none.cfg not loaded" "$tmp/err" ||
	fail "missing config: summary does not say so: $(cat "$tmp/err")"

# Without a console the router runs until SIGTERM, then exits 0.
"$VR_BINARY" --no-console --telnet 127.0.0.1:0 \
	--config "$tmp/startup-config" >"$tmp/out" 2>"$tmp/err" &
vr_pid=$!
tries=0
until grep -q "vrouter: started" "$tmp/err" 2>/dev/null; do
	tries=$((tries + 1))
	if [ "$tries" -gt 100 ] || ! kill -0 "$vr_pid" 2>/dev/null; then
		fail "no start-up summary: $(cat "$tmp/err")"
		break
	fi
	sleep 0.1
done
kill -TERM "$vr_pid"
wait "$vr_pid"
status=$?
vr_pid=""
[ "$status" -eq 0 ] || fail "SIGTERM: exit status $status; $(cat "$tmp/err")"
if grep -q "Sanitizer\|runtime error:" "$tmp/err"; then
	fail "sanitizer report: $(cat "$tmp/err")"
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo "PASS: start-up and command-line checks"
