#!/usr/bin/python3
"""Secrets in a scripted session: typed once, then never shown or logged.

A session configures an enable secret, local users with a secret and a
password, a line password and pre-shared keys (ISAKMP key, keyring and
IKEv2 keyring) with crypto debugging on and logging buffered at
debugging. Traffic then makes the router start Main Mode with the peer
whose key it holds. Every later output is collected: the show commands,
`show logging`, the saved startup-config and the process's own output.

Checks: login and enable secrets appear in none of them. A pre-shared
key or a password given in clear appears only where IOS shows it
without `service password-encryption`: on its own `crypto isakmp key`,
`pre-shared-key`, `username ... password 0` or line `password` line of
the running- or startup-config, and keys in `show crypto isakmp key`.
With `service password-encryption` the keys and passwords are type 7
text in both configs, and a restart from the saved file restores the
keys.
"""
import re
import socket
import struct
import time

import hlib
from hlib import fail, run

ENABLE = "Enab1e-Xq7"
USER_SECRET = "Us3r-Secret-Kp2"
USER_PASSWORD = "Us3r-Passw0rd-Zm4"
LINE_PASSWORD = "L1ne-Pass-Wv9"
PSK_ISAKMP = "Psk-Isakmp-Rt5"
PSK_KEYRING = "Psk-Keyring-Yh3"
PSK_IKEV2 = "Psk-Ikev2-Nb8"
LOGIN_SECRETS = [ENABLE, USER_SECRET]
PSKS = [PSK_ISAKMP, PSK_KEYRING, PSK_IKEV2, USER_PASSWORD, LINE_PASSWORD]

CONFIG = hlib.ACCESS_CONFIG + """logging buffered 1000000 debugging
interface GigabitEthernet1
 ip address 10.10.1.2 255.255.255.0
interface GigabitEthernet2
 ip address 192.168.2.254 255.255.255.0
ip route 0.0.0.0 0.0.0.0 10.10.1.1
end
"""

SETUP = [
    "configure terminal",
    f"enable secret 0 {ENABLE}",
    f"username carol secret 0 {USER_SECRET}",
    f"username bob password 0 {USER_PASSWORD}",
    "line vty 5 15",
    f" password {LINE_PASSWORD}",
    "exit",
    "crypto isakmp policy 10",
    " encryption aes",
    " hash sha",
    " authentication pre-share",
    " group 14",
    "exit",
    f"crypto isakmp key {PSK_ISAKMP} address 10.1.1.1",
    "crypto keyring KR",
    f" pre-shared-key address 10.2.2.2 key {PSK_KEYRING}",
    "exit",
    "crypto ikev2 keyring K2",
    " peer P",
    "  address 10.3.3.3",
    f"  pre-shared-key {PSK_IKEV2}",
    " exit",
    "exit",
    "crypto ipsec transform-set TS esp-aes esp-sha-hmac",
    "exit",
    "access-list 110 permit ip 192.168.2.0 0.0.0.255 192.168.1.0 0.0.0.255",
    "crypto map VPN 10 ipsec-isakmp",
    " set peer 10.1.1.1",
    " set transform-set TS",
    " match address 110",
    "exit",
    "interface GigabitEthernet1",
    " crypto map VPN",
    "end",
]

SHOWS = [
    "show running-config",
    "show crypto isakmp sa detail",
    "show crypto isakmp peers",
    "show crypto isakmp policy",
    "show crypto session detail",
    "show crypto ipsec sa",
    "show crypto map",
    "show users",
]

# Where IOS prints a pre-shared key or a clear password in clear.
PSK_LINE = re.compile(r"^(crypto isakmp key |\s+pre-shared-key |"
                      r"username bob password 0 | password )")


def inside_packet():
    """An ICMP echo from 192.168.2.10 to 192.168.1.10 on GigabitEthernet2."""
    payload = b"\x08\0\0\0\0\1\0\1" + b"x" * 32
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0,
                      64, 1, 0, socket.inet_aton("192.168.2.10"),
                      socket.inet_aton("192.168.1.10"))
    return hlib.ether(hdr + payload)


def check(name, text, allow_psk_lines):
    for secret in LOGIN_SECRETS:
        if secret in text:
            line = next(l for l in text.splitlines() if secret in l)
            fail(f"{name} shows a login secret: {line!r}")
    for psk in PSKS:
        for line in text.splitlines():
            if psk in line and not (allow_psk_lines and
                                    PSK_LINE.match(line)):
                fail(f"{name} shows a pre-shared key: {line!r}")


def password_encryption():
    """With `service password-encryption` the pre-shared keys and the
    clear passwords leave the running- and startup-config as type 7
    text, and the keys come back in clear when the router restarts from
    that startup-config."""
    router = hlib.Router(CONFIG)
    t = router.login()
    for line in ["configure terminal",
                 f"crypto isakmp key {PSK_ISAKMP} address 10.1.1.1",
                 "crypto keyring KR",
                 f" pre-shared-key address 10.2.2.2 key {PSK_KEYRING}",
                 "exit", f"username bob password 0 {USER_PASSWORD}",
                 "line vty 5 15", f" password {LINE_PASSWORD}", "exit",
                 "service password-encryption", "end"]:
        out = run(t, line, prompt=r"vr-test(\([\w-]+\))?#")
        if re.search(r"^% ", out, re.M):
            fail(f"{line!r} was rejected: {out}")
    running = run(t, "show running-config")
    run(t, "write memory")
    startup = run(t, "show startup-config")
    t.send("exit\r\n")
    t.close()
    workdir, keep = router.dir, router.tmp
    router.tmp = None
    router.stop()
    for name, text in (("show running-config", running),
                       ("show startup-config", startup)):
        check(name, text, False)
        if "service password-encryption" not in text:
            fail(f"{name} lacks service password-encryption")
        if not re.search(r"^crypto isakmp key 7 [0-9A-F]+ address 10\.1\.1\.1",
                         text, re.M):
            fail(f"{name} lacks the type 7 ISAKMP key:\n{text}")
        if not re.search(r"^  pre-shared-key address 10\.2\.2\.2 key 7 "
                         r"[0-9A-F]+$", text.replace("\r", ""), re.M):
            fail(f"{name} lacks the type 7 keyring key:\n{text}")
        if not re.search(r"^username bob password 7 [0-9A-F]+$",
                         text.replace("\r", ""), re.M):
            fail(f"{name} lacks the type 7 user password:\n{text}")
        if not re.search(r"^ password 7 [0-9A-F]+$",
                         text.replace("\r", ""), re.M):
            fail(f"{name} lacks the type 7 line password:\n{text}")

    again = hlib.Router(None, workdir=workdir)
    t = again.login()
    keys = run(t, "show crypto isakmp key")
    t.send("exit\r\n")
    t.close()
    again.stop()
    keep.cleanup()
    for psk in (PSK_ISAKMP, PSK_KEYRING):
        if psk not in keys:
            fail(f"after a restart the key {psk} is lost:\n{keys}")
    print("service password-encryption: keys and passwords saved as "
          "type 7, keys restored")


def main():
    link = hlib.EspLink()
    router = hlib.Router(CONFIG, wires=link.wires)
    link.sink.start()
    link.wan.start()
    t = router.login()
    for line in SETUP:
        out = run(t, line, prompt=r"vr-test(\([\w-]+\))?#")
        if re.search(r"^% (?!NOTE)", out, re.M):
            fail(f"{line!r} was rejected: {out}")
    run(t, "debug crypto isakmp")
    run(t, "debug crypto ipsec")

    # Traffic for the crypto map makes the router start Main Mode.
    for _ in range(5):
        link.peer_sock.sendto(inside_packet(),
                              ("127.0.0.1", link.wires["GigabitEthernet2"][0]))
        time.sleep(0.2)
    deadline = time.monotonic() + 10
    while "10.1.1.1" not in link.wan.ike and time.monotonic() < deadline:
        time.sleep(0.1)
    if "10.1.1.1" not in link.wan.ike:
        fail("the router sent no IKE packet to the peer 10.1.1.1")

    outputs = {}
    for command in SHOWS:
        outputs[command] = run(t, command)
    outputs["show crypto isakmp key"] = run(t, "show crypto isakmp key")
    run(t, "write memory")
    outputs["show startup-config"] = run(t, "show startup-config")
    outputs["show logging"] = run(t, "show logging")
    with open(router.config) as f:
        outputs["startup-config file"] = f.read()
    t.send("exit\r\n")
    t.close()
    link.stop()
    outputs["process output"] = router.stop()

    for name, text in outputs.items():
        allow = name in ("show running-config", "show startup-config",
                         "startup-config file")
        if name == "show crypto isakmp key":
            check(name, text.replace(PSK_ISAKMP, "").replace(
                PSK_KEYRING, "").replace(PSK_IKEV2, ""), False)
            continue
        check(name, text, allow)
    if "MM_NO_STATE" not in outputs["show crypto isakmp sa detail"] and \
            "ISAKMP" not in outputs["show logging"]:
        fail("no ISAKMP activity in the logs; the check saw nothing")
    running = outputs["show running-config"]
    if f"crypto isakmp key {PSK_ISAKMP} address 10.1.1.1" not in running:
        fail("the ISAKMP key is missing from the running-config")
    log_lines = len(outputs["show logging"].splitlines())
    print(f"show logging: {log_lines} lines, with crypto debugging on")
    password_encryption()
    print(f"checked {len(outputs)} outputs "
          f"({sum(len(v) for v in outputs.values())} characters) for "
          f"{len(LOGIN_SECRETS) + len(PSKS)} secrets")
    print("PASS")


if __name__ == "__main__":
    main()
