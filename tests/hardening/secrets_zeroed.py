#!/usr/bin/python3
"""Removed secrets leave no copy in the router's memory.

A session with command history off sets pre-shared keys (ISAKMP key,
keyring and IKEv2 keyring), the ESP keys of a manual crypto map entry, a
user password and an enable secret, each with a distinctive value. The
secrets are then used. The IKE manager reads the keys on every commit.
`show crypto isakmp key`, `show running-config`, its JSON and XML
exports and `write memory` print them. A second session logs in with
the user password and enables with the enable secret. Two more keys come
from files, IOS text and JSON, through `copy FILE running-config`. Then
the keys, the crypto map entry and the user are removed with `no ...`,
and the keyring key and the enable secret are replaced by new values.

The test then reads every readable and writable mapping of the router
process through /proc/PID/mem (so it must run as root or as the parent
of the router) and fails if any old value, or the type 7 text of the user
password, is still there. An interface description typed in the same
session must be found, which shows that the scan reaches the heap.
"""
import json
import os
import re

import hlib
from hlib import fail, run

PSK_ISAKMP = "Zq8-Isakmp-Old-Key-4711"
PSK_KEYRING = "Zq8-Keyring-Old-Key-0815"
PSK_KEYRING_NEW = "Zq8-Keyring-New-Key-1234"
PSK_IKEV2 = "Zq8-Ikev2-Old-Key-2342"
PSK_FILE = "Zq8-File-Old-Key-3141"
PSK_JSON = "Zq8-Json-Old-Key-2718"
USER_PASSWORD = "Zq8-User-Passw0rd-9876"
ESP_CIPHER = "5a71c0de5a71c0de5a71c0de5a71c0de"
ESP_AUTH = "5a7a0711" * 5
ENABLE_OLD = "Zq8-Enable-Old-5555"
ENABLE_NEW = "Zq8-Enable-New-6666"
MARKER = "Zq8-Scan-Marker-Description"

CONFIG = hlib.ACCESS_CONFIG + """interface GigabitEthernet1
 ip address 10.10.1.2 255.255.255.0
ip route 0.0.0.0 0.0.0.0 10.10.1.1
end
"""

SETUP = [
    "configure terminal",
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
    "crypto ipsec transform-set TSM esp-aes esp-sha-hmac",
    "exit",
    "crypto map MAN 30 ipsec-manual",
    " set peer 10.6.6.6",
    " set transform-set TSM",
    " match address 101",
    f" set session-key inbound esp 4096 cipher {ESP_CIPHER} "
    f"authenticator {ESP_AUTH}",
    "exit",
    f"username bob password 0 {USER_PASSWORD}",
    f"enable secret 0 {ENABLE_OLD}",
    "interface GigabitEthernet1",
    f" description {MARKER}",
    "end",
]

REMOVE = [
    "configure terminal",
    f"no crypto isakmp key {PSK_ISAKMP} address 10.1.1.1",
    f"no crypto isakmp key {PSK_FILE} address 10.4.4.4",
    f"no crypto isakmp key {PSK_JSON} address 10.5.5.5",
    "crypto keyring KR",
    f" pre-shared-key address 10.2.2.2 key {PSK_KEYRING_NEW}",
    "exit",
    "crypto ikev2 keyring K2",
    " peer P",
    "  no pre-shared-key",
    " exit",
    "exit",
    "no crypto map MAN 30",
    "no username bob",
    f"enable secret 0 {ENABLE_NEW}",
    "end",
]

# Mappings larger than this are the sanitizers' shadow memory and
# reservations, which are mostly never touched. The heap lies in smaller
# mappings.
REGION_MAX = 1 << 30
CHUNK = 16 << 20


def configure(t, lines):
    for line in lines:
        out = run(t, line, prompt=r"vr-test(\([\w-]+\))?#")
        if re.search(r"^% (?!NOTE)", out, re.M):
            fail(f"{line!r} was rejected: {out}")


def use_secrets(router, t):
    """Prints, saves and exports the secrets, and logs in with them.
    Returns the type 7 text of the user password."""
    # IOS shows a password given in clear as such until service
    # password-encryption, which turns it into type 7 text for good.
    configure(t, ["configure terminal", "service password-encryption",
                  "no service password-encryption", "end"])
    running = run(t, "show running-config")
    m = re.search(r"^username bob password 7 ([0-9A-F]+)", running, re.M)
    if not m:
        fail(f"no type 7 password for bob in:\n{running}")
    keys = run(t, "show crypto isakmp key")
    for psk in (PSK_ISAKMP, PSK_KEYRING):
        if psk not in keys:
            fail(f"show crypto isakmp key lacks {psk}:\n{keys}")
    for fmt in ("restconf-json", "netconf-xml"):
        export = run(t, f"show running-config | format {fmt}")
        if PSK_IKEV2 not in export:
            fail(f"the {fmt} export lacks the IKEv2 key:\n{export}")
    run(t, "write memory")

    files = {
        "extra-keys.cfg":
            f"crypto isakmp key {PSK_FILE} address 10.4.4.4\nend\n",
        "extra-keys.json": json.dumps({"vrouter-config:crypto": {
            "isakmp": {"key": [{"address": "10.5.5.5",
                                "mask": "255.255.255.255",
                                "key": PSK_JSON}]}}}),
    }
    for name, text in files.items():
        with open(os.path.join(router.dir, name), "w") as f:
            f.write(text)
        t.send(f"copy flash:{name} running-config\r\n")
        t.read_until(r"\[running-config\]\? ")
        out = run(t, "")
        if "%" in out:
            fail(f"copy of {name} failed: {out}")
        os.unlink(os.path.join(router.dir, name))
    keys = run(t, "show crypto isakmp key")
    for psk in (PSK_FILE, PSK_JSON):
        if psk not in keys:
            fail(f"the key {psk} from a file is not configured:\n{keys}")

    bob = hlib.Telnet(router.telnet_port)
    out = bob.login("bob", USER_PASSWORD)
    if not out.rstrip().endswith("vr-test>"):
        fail(f"bob could not log in with his password: {out!r}")
    bob.send("enable\r\n")
    bob.read_until("Password: ")
    bob.send(ENABLE_OLD + "\r\n")
    bob.read_until(r"vr-test#")
    bob.send("exit\r\n")
    bob.close()
    return m.group(1)


def scan(pid, needles):
    """Returns {needle: [(address, mapping name)]} over the writable
    mappings of process PID, and the number of bytes read."""
    hits = {n: [] for n in needles}
    width = max(len(n) for n in needles)
    total = 0
    try:
        maps = open(f"/proc/{pid}/maps")
        mem = open(f"/proc/{pid}/mem", "rb", 0)
    except PermissionError as e:
        fail(f"cannot read the router's memory ({e}); run as root")
    with maps, mem:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            name = fields[5] if len(fields) > 5 else "[anon]"
            if not fields[1].startswith("rw") or end - start > REGION_MAX:
                continue
            tail = b""
            for at in range(start, end, CHUNK):
                try:
                    mem.seek(at)
                    data = mem.read(min(CHUNK, end - at))
                except OSError:
                    break
                total += len(data)
                buf = tail + data
                base = at - len(tail)
                for n in needles:
                    for m in re.finditer(re.escape(n), buf):
                        hits[n].append((base + m.start(), name))
                tail = buf[-(width - 1):]
    return hits, total


def main():
    router = hlib.Router(CONFIG)
    try:
        check(router)
    finally:
        # A failed check exits through SystemExit; stop the router too.
        if router.proc.poll() is None:
            router.kill()


def check(router):
    t = router.login()
    out = run(t, "terminal history size 0")
    if "%" in out:
        fail(f"terminal history size 0 was rejected: {out}")
    configure(t, SETUP)
    user7 = use_secrets(router, t)
    configure(t, REMOVE)
    run(t, "write memory")
    running = run(t, "show running-config")
    if PSK_KEYRING_NEW not in running or PSK_ISAKMP in running:
        fail(f"the keys were not changed:\n{running}")
    # Lines that overwrite the start of the line buffers, not their end.
    run(t, "show clock")
    history = [line for line in run(t, "show history").splitlines()
               if line.strip() and not line.startswith("vr-test")]
    if history:
        fail(f"the history kept lines at size 0: {history}")

    old = [PSK_ISAKMP, PSK_KEYRING, PSK_IKEV2, PSK_FILE, PSK_JSON,
           ESP_CIPHER, ESP_AUTH, USER_PASSWORD, user7, ENABLE_OLD]
    needles = [s.encode() for s in old + [MARKER]]
    hits, total = scan(router.proc.pid, needles)
    t.send("exit\r\n")
    t.close()
    router.stop()

    print(f"scanned {total >> 20} MiB of the router's writable memory")
    if not hits[MARKER.encode()]:
        fail("the description typed in the session was not found, so "
             "the scan does not reach the heap")
    found = [(n, h) for n, h in hits.items()
             if n != MARKER.encode() and h]
    for needle, where in found:
        places = ", ".join(f"{a:#x} in {m}" for a, m in where[:4])
        print(f"{needle.decode()}: {len(where)} copies ({places})")
    if found:
        fail(f"{len(found)} of {len(old)} removed secrets are still in "
             f"memory")
    print("PASS")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
