#!/usr/bin/python3
"""Ctrl-Shift-6 (byte 0x1E, the IOS escape sequence) interrupts a long
ping over telnet and over SSH: the ping stops after the probe in flight,
prints its summary for the probes sent so far, and the prompt returns."""

import re
import sys
import time

import paramiko

from vrlib import ACCESS_CONFIG, PASSWORD, Router, Telnet, fail

# 10.10.1.99 is on the connected subnet of GigabitEthernet1, which has no
# wire, so no reply comes and each probe waits for its timeout.
CONFIG = ACCESS_CONFIG.replace("end\n", """interface GigabitEthernet1
 ip address 10.10.1.2 255.255.255.0
end
""")
PING = "ping 10.10.1.99 repeat 1000 timeout 1\r"
SUMMARY = r"Success rate is 0 percent \(0/(\d+)\)\r\nvr-test#"


def check_summary(transport, text, started):
    m = re.search(SUMMARY, text)
    if not m:
        fail(f"{transport}: no ping summary after Ctrl-Shift-6: {text!r}")
    sent = int(m.group(1))
    if not 1 <= sent <= 5:
        fail(f"{transport}: ping reports {sent} probes sent; expected "
             f"the few before the break")
    if time.monotonic() - started > 10:
        fail(f"{transport}: the break took more than 10 s")


def over_telnet(router):
    t = Telnet(router.telnet_port)
    t.login()
    t.send(PING)
    t.read_until(r"timeout is 1 seconds:\r\n")
    t.read_until(r"\.")
    started = time.monotonic()
    t.send(b"\x1e")
    check_summary("telnet", t.read_until(SUMMARY), started)
    t.send("show privilege\r")
    t.read_until(r"Current privilege level is 15\r\nvr-test#")
    t.close()


def over_ssh(router):
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=router.ssh_port, username="admin",
                   password=PASSWORD, look_for_keys=False,
                   allow_agent=False, timeout=10)
    chan = client.invoke_shell()
    chan.settimeout(20)
    buf = b""

    def read_until(pattern):
        nonlocal buf
        deadline = time.monotonic() + 20
        while not re.search(pattern.encode(), buf):
            if time.monotonic() > deadline:
                fail(f"ssh: timed out waiting for {pattern!r}: {buf[-300:]!r}")
            buf += chan.recv(65536)
        return buf.decode(errors="replace")

    read_until(r"vr-test#")
    buf = b""
    chan.send(PING)
    read_until(r"timeout is 1 seconds:\r\n\.")
    started = time.monotonic()
    chan.send(b"\x1e")
    check_summary("ssh", read_until(SUMMARY), started)
    client.close()


def main():
    router = Router(CONFIG)
    try:
        over_telnet(router)
        over_ssh(router)
    finally:
        router.stop()
    print("ping_break: Ctrl-Shift-6 stopped ping over telnet and SSH")
    return 0


if __name__ == "__main__":
    sys.exit(main())
