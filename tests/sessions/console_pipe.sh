#!/bin/sh
# The console on a pipe: each stdin line runs without prompt or echo, the
# output has plain "\n" line ends, log lines appear in order, and `exit`
# stops reading, so later lines never run.
set -eu

if [ ! -x "${VR_BINARY:-}" ]; then
	echo "FAIL: VR_BINARY does not name the vrouter executable" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

printf 'hostname pipe-test\n!\nend\n' > "$tmp/startup-config"

# The last line has no "\n" and must still not run: exit comes first.
{
	printf '%s\n' "show privilege" "enable" "show privilege" "configure" \
		"" "end" "show history" "exit"
	printf 'show privilege'
} | "$VR_BINARY" --config "$tmp/startup-config" --no-telnet \
		> "$tmp/out" 2> "$tmp/err"

# Log timestamps change from run to run.
sed -E 's/^\*[A-Z][a-z]{2} [ 0-9][0-9] [0-9:.]+: /TIME: /' "$tmp/out" \
	> "$tmp/got"

cat > "$tmp/want" <<'OUT'
Current privilege level is 1
Current privilege level is 15
Configuring from terminal, memory, or network [terminal]? 
Enter configuration commands, one per line.  End with CNTL/Z.
TIME: %SYS-5-CONFIG_I: Configured from console by console
  show privilege
  enable
  show privilege
  configure
  end
  show history
OUT

if ! cmp -s "$tmp/want" "$tmp/got"; then
	echo "FAIL: console output differs (- expected, + got):" >&2
	diff -u "$tmp/want" "$tmp/got" >&2 || true
	echo "stderr:" >&2
	cat "$tmp/err" >&2
	exit 1
fi

# A last line without "\n" runs too.
printf 'enable\nshow privilege' |
	"$VR_BINARY" --config "$tmp/startup-config" --no-telnet \
		> "$tmp/out" 2> "$tmp/err"
if [ "$(cat "$tmp/out")" != "Current privilege level is 15" ]; then
	echo "FAIL: a last line without a line end did not run:" >&2
	cat "$tmp/out" "$tmp/err" >&2
	exit 1
fi
# show clock: IOS layout, '*' for a clock no NTP server set, and today.
printf 'show clock\n' |
	"$VR_BINARY" --config "$tmp/startup-config" --no-telnet \
		> "$tmp/out" 2> "$tmp/err"
today=$(date -u '+%a %b %-d %Y')
if ! grep -Eq "^\*[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3} UTC $today\$" \
	"$tmp/out"; then
	echo "FAIL: show clock printed: $(cat "$tmp/out") (expected today, $today)" >&2
	exit 1
fi
echo PASS
