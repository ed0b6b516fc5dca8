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

printf 'interface GigabitEthernet1\n ip address 10.10.1.2 255.255.255.0\n' \
	>"$tmp/one-if.cfg"
expect_exit 1 "unreadable capture" -- --no-telnet --config "$tmp/one-if.cfg" \
	--replay "GigabitEthernet1=$tmp/missing.pcap"
grep -q "replay GigabitEthernet1=$tmp/missing.pcap failed: $tmp/missing.pcap: No such file" "$tmp/err" ||
	fail "unreadable capture: no message naming the file: $(cat "$tmp/err")"

expect_exit 1 "replay into an unknown interface" -- --no-telnet \
	--config "$tmp/one-if.cfg" --replay "Gi9=$tmp/missing.pcap"
grep -q "interface Gi9 is not in the config" "$tmp/err" ||
	fail "unknown replay interface: no message: $(cat "$tmp/err")"

# Without --config the shipped default loads, and saving is refused so
# the source tree is never written.
printf 'enable\nwrite memory\n' | "$VR_BINARY" --no-telnet \
	>"$tmp/out" 2>"$tmp/err"
grep -q "No startup-config file is configured" "$tmp/out" ||
	fail "write memory without --config was not refused: $(cat "$tmp/out")"

# A startup-config that exists but cannot be loaded is never overwritten.
printf 'hostname KEEP\n\000\nend\n' >"$tmp/binary.cfg"
cp "$tmp/binary.cfg" "$tmp/binary.orig"
printf 'enable\nwrite memory\n' | "$VR_BINARY" --no-telnet \
	--config "$tmp/binary.cfg" >"$tmp/out" 2>"$tmp/err"
grep -q "Not saved: $tmp/binary.cfg was not loaded at start-up" "$tmp/out" ||
	fail "write memory over an unloaded config was not refused: $(cat "$tmp/out")"
cmp -s "$tmp/binary.cfg" "$tmp/binary.orig" ||
	fail "write memory changed a startup-config it had not loaded"

# A startup-config with two bad lines: the router starts, reports both
# lines and logs them as %PARSER-4-BADCFG.
cat >"$tmp/startup-config" <<'CFG'
hostname EDGE1
interface GigabitEthernet1
 ip address 10.10.1.2 255.255.255.0
 ip adress 10.9.9.9 255.255.255.0
bogus command here
end
CFG
printf 'enable\nshow logging | include BADCFG|RESTART\nshow running-config | include ^hostname\n' |
	"$VR_BINARY" --no-telnet --config "$tmp/startup-config" \
	>"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 0 ] || fail "console on a pipe: exit status $status"
grep -q "config $tmp/startup-config (2 lines rejected)" "$tmp/err" ||
	fail "summary does not count 2 rejected lines: $(cat "$tmp/err")"
grep -q "^line 5: bogus command here: " "$tmp/err" ||
	fail "rejected line 5 is not reported on stderr"
grep -q "%PARSER-4-BADCFG: $tmp/startup-config line 4 rejected: ip adress" \
	"$tmp/out" || fail "show logging lacks the BADCFG line of line 4"
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

# Without a console the router runs until SIGTERM, then exits 0. The
# previous step's stderr is removed first, or its "started" line would
# count as this router's.
rm -f "$tmp/err"
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
