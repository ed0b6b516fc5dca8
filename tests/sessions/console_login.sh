#!/bin/sh
# `line con 0` with `login local`: the console prompts for a username
# and password before the first prompt, rejects a wrong secret with
# "% Login invalid", prompts again, and runs commands once logged in. Input
# that ends at the login prompt stops the router cleanly.

set -u

: "${VR_BINARY:?VR_BINARY is not set; run this test through ctest}"

failures=0
tmp=$(mktemp -d /tmp/vr-conlogin.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

cat >"$tmp/startup-config" <<'CFG'
hostname CON1
username admin privilege 15 secret 0 s3cret
line con 0
 login local
end
CFG

printf 'admin\nwrong\nadmin\ns3cret\nshow privilege\n' |
	"$VR_BINARY" --no-telnet --config "$tmp/startup-config" \
	>"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 0 ] || fail "login session: exit status $status"
grep -q "^User Access Verification" "$tmp/out" ||
	fail "no User Access Verification banner: $(cat "$tmp/out")"
[ "$(grep -c '^% Login invalid' "$tmp/out")" -eq 1 ] ||
	fail "expected one '% Login invalid': $(cat "$tmp/out")"
grep -q "^Current privilege level is 15" "$tmp/out" ||
	fail "commands did not run after login: $(cat "$tmp/out")"
grep -q "s3cret\|wrong" "$tmp/out" &&
	fail "a password was echoed: $(cat "$tmp/out")"

# Input ends while the console still prompts for credentials.
printf 'admin\nwrong\n' |
	timeout 20 "$VR_BINARY" --no-telnet --config "$tmp/startup-config" \
	>"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 0 ] || fail "end of input at login: exit status $status"
grep -q "^Current privilege level" "$tmp/out" &&
	fail "a failed login reached EXEC: $(cat "$tmp/out")"

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo "PASS: console login"
