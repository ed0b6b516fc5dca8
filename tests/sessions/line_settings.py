#!/usr/bin/python3
"""Line settings that act on a live session: `exec-timeout` closes an
idle telnet or SSH session, `session-timeout` closes a session with no
input even when exec-timeout never would, and an SSH window change
reaches the session's terminal width and length (`show terminal`)."""

import re
import sys
import time

import paramiko

from vrlib import PASSWORD, Router, Telnet, fail

CONFIG = f"""hostname vr-test
username admin privilege 15 secret 0 {PASSWORD}
line vty 0 14
 exec-timeout 0 2
 login local
line vty 15
 exec-timeout 0 0
 session-timeout 1
 login local
end
"""


def ssh_shell(router, width=80, height=24):
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=router.ssh_port, username="admin",
                   password=PASSWORD, look_for_keys=False,
                   allow_agent=False, timeout=10)
    chan = client.invoke_shell(width=width, height=height)
    chan.settimeout(10)
    return client, chan


def read_until(chan, pattern, timeout=10):
    buf = b""
    deadline = time.monotonic() + timeout
    while not re.search(pattern.encode(), buf):
        if time.monotonic() > deadline:
            fail(f"ssh: timed out waiting for {pattern!r}: {buf[-300:]!r}")
        data = chan.recv(65536)
        if not data:
            fail(f"ssh: channel closed waiting for {pattern!r}: {buf!r}")
        buf += data
    return buf.decode(errors="replace")


def telnet_idle_timeout(router):
    t = Telnet(router.telnet_port)
    t.login()
    started = time.monotonic()
    t.sock.settimeout(15)
    while True:
        data = t.sock.recv(4096)
        if not data:
            break
    idle = time.monotonic() - started
    if not 0.9 <= idle <= 10:
        fail(f"telnet: exec-timeout 0 2 closed the session after {idle:.1f} s")
    t.close()


def telnet_session_timeout(router):
    """Fills lines 0-14 so that the next session gets line vty 15."""
    busy_sessions = []
    for _ in range(15):
        t = Telnet(router.telnet_port)
        t.login()
        busy_sessions.append(t)
    t = Telnet(router.telnet_port)
    t.login()
    for busy in busy_sessions:
        busy.close()
    started = time.monotonic()
    t.sock.settimeout(90)
    while t.sock.recv(4096):
        pass
    idle = time.monotonic() - started
    if not 59 <= idle <= 75:
        fail(f"telnet: session-timeout 1 closed the session after "
             f"{idle:.1f} s")
    t.close()


def ssh_window_change(router):
    client, chan = ssh_shell(router, width=100, height=30)
    read_until(chan, r"vr-test#")
    chan.send("show terminal\r")
    out = read_until(chan, r"Width: \d+ columns[\s\S]*vr-test#")
    if "Length: 30 lines, Width: 100 columns" not in out:
        fail(f"ssh: pty size 100x30 not applied: {out!r}")

    chan.resize_pty(width=132, height=50)
    time.sleep(0.3)
    chan.send("show terminal\r")
    out = read_until(chan, r"Width: \d+ columns[\s\S]*vr-test#")
    if "Length: 50 lines, Width: 132 columns" not in out:
        fail(f"ssh: window change to 132x50 not applied: {out!r}")

    # Idle past exec-timeout: the router closes the channel.
    started = time.monotonic()
    chan.settimeout(15)
    while chan.recv(4096):
        pass
    idle = time.monotonic() - started
    if not 0.9 <= idle <= 10:
        fail(f"ssh: exec-timeout 0 2 closed the session after {idle:.1f} s")
    client.close()


def main():
    router = Router(CONFIG)
    try:
        telnet_idle_timeout(router)
        ssh_window_change(router)
        telnet_session_timeout(router)
    finally:
        router.stop()
    print("line_settings: exec-timeout, session-timeout and SSH window "
          "changes work")
    return 0


if __name__ == "__main__":
    sys.exit(main())
