#!/bin/sh
# Install the Debian 12 packages that building and testing vrouter need.
# Only missing packages are installed; sudo is used when not running as root.
set -eu

BUILD_PKGS="build-essential cmake pkg-config libssl-dev libyang2-dev libreadline-dev \
libcriterion-dev libssh-dev libpcap-dev libtelnet-dev clang libclang-rt-14-dev"
TEST_PKGS="expect telnet tcpdump iproute2 python3 openssh-client sshpass \
python3-netmiko python3-textfsm ansible tshark iputils-ping nftables \
strongswan-charon strongswan-swanctl libcharon-extra-plugins \
libcharon-extauth-plugins libstrongswan-standard-plugins rsyslog"

want="$BUILD_PKGS"
if [ "${1:-}" = "--test" ]; then
	want="$want $TEST_PKGS"
fi

missing=""
for pkg in $want; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $pkg"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

echo "install-deps: installing$missing"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
