#!/usr/bin/python3
"""Session limits and abuse against one running router.

In turn: more telnet connections than vty lines, a client that never
reads its output, a 1 MiB line, and binary garbage on telnet and SSH,
before and after login (paste_100k.py pastes).
After each, a second telnet session still runs commands and the
datapath still decapsulates and forwards every valid ESP packet.
"""
import random
import re
import socket
import threading
import time

import paramiko

import hlib
from hlib import PASSWORD, Telnet, fail, run

VTY_LINES = 16
BIG_LINE = 1 << 20
GARBAGE = 1 << 20

CONFIG = hlib.ACCESS_CONFIG + hlib.SA_CONFIG + "end\n"


def check_others(router, link, what):
    """A new session runs a command and the datapath forwards."""
    t = router.login()
    out = run(t, "show users")
    if "vty" not in out:
        fail(f"after {what}: show users printed {out!r}")
    t.send("exit\r\n")
    t.close()
    link.check_forwarding()
    print(f"{what}: other sessions and the datapath unaffected")


def too_many_sessions(router):
    """VTY_LINES sessions take every line; one more is turned away."""
    held = []
    for _ in range(VTY_LINES):
        t = Telnet(router.telnet_port)
        t.read_until("Username: ")
        held.append(t)
    extra = Telnet(router.telnet_port)
    extra.read_until(rf"% All {VTY_LINES} vty lines are in use; try again "
                     r"later\.")
    extra.sock.settimeout(10)
    if extra.sock.recv(4096) not in (b"", b"\r\n"):
        fail("the session over the vty limit stayed open")
    extra.close()
    held.pop().close()
    # The freed line takes a new session once the router sees the close.
    for _ in range(50):
        t = Telnet(router.telnet_port)
        got = t.read_until(r"Username: |vty lines are in use")
        t.close()
        if got.endswith("Username: "):
            break
        time.sleep(0.1)
    else:
        fail("a closed session's vty line was not given back")
    for t in held:
        t.close()
    print(f"{VTY_LINES + 1} sessions: the one over the limit is rejected")


def non_reader(router):
    """Returns a logged-in session that has requested far more output
    than the socket buffers take, and never reads it."""
    t = router.login()
    t.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    t.send("show running-config\r\n" * 2000)
    return t


def big_line(router):
    """A 1 MiB line is cut to the line buffer, rejected, and the session
    carries on."""
    t = router.login()
    sender = threading.Thread(target=t.send,
                              args=(b"x" * BIG_LINE + b"\r\n",), daemon=True)
    sender.start()
    t.read_until(r"% Invalid input|% Unknown command|% Ambiguous command",
                 timeout=120)
    sender.join()
    t.read_until(r"vr-test#")
    out = run(t, "show clock")
    if not re.search(r"\d\d:\d\d:\d\d", out):
        fail(f"after a 1 MiB line, show clock printed {out!r}")
    t.send("exit\r\n")
    t.close()
    print(f"{BIG_LINE}-octet line: rejected, session still usable")


def send_garbage(sock, data):
    """Sends DATA while reading and discarding, until done or closed."""
    sock.setblocking(False)
    off = 0
    deadline = time.monotonic() + 60
    while off < len(data) and time.monotonic() < deadline:
        try:
            off += sock.send(data[off:off + 65536])
        except BlockingIOError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            return off
        try:
            if sock.recv(65536) == b"":
                return off
        except BlockingIOError:
            time.sleep(0.001)
        except ConnectionResetError:
            return off
    return off


def telnet_garbage(router, rnd):
    """Random octets before login and after it."""
    s = socket.create_connection(("127.0.0.1", router.telnet_port))
    n = send_garbage(s, rnd.randbytes(GARBAGE))
    s.close()
    t = router.login()
    m = send_garbage(t.sock, rnd.randbytes(GARBAGE))
    t.close()
    print(f"telnet garbage: {n} octets before login, {m} after")


def ssh_garbage(router, rnd):
    """Random octets in place of the SSH handshake, then inside a
    logged-in SSH shell."""
    s = socket.create_connection(("127.0.0.1", router.ssh_port))
    n = send_garbage(s, b"SSH-2.0-garbage\r\n" + rnd.randbytes(GARBAGE))
    s.close()
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=router.ssh_port, username="admin",
                   password=PASSWORD, look_for_keys=False,
                   allow_agent=False, timeout=10)
    chan = client.invoke_shell()
    chan.settimeout(60)
    data = rnd.randbytes(GARBAGE)
    sent = 0
    while sent < len(data):
        sent += chan.send(data[sent:sent + 32768])
        while chan.recv_ready():
            chan.recv(65536)
    client.close()
    print(f"ssh garbage: {n} octets before the handshake, {sent} in a shell")


def main():
    rnd = random.Random(23)
    link = hlib.EspLink()
    router = hlib.Router(CONFIG, wires=link.wires)
    link.start(router.dir, 1000)
    link.check_forwarding()

    too_many_sessions(router)
    check_others(router, link, "vty limit")
    stuck = non_reader(router)
    check_others(router, link, "a client that never reads")
    big_line(router)
    check_others(router, link, "1 MiB line")
    telnet_garbage(router, rnd)
    check_others(router, link, "telnet garbage")
    ssh_garbage(router, rnd)
    check_others(router, link, "ssh garbage")
    stuck.close()
    link.stop()
    router.stop()
    print("PASS")


if __name__ == "__main__":
    main()
