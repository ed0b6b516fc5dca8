#!/usr/bin/env python3
"""`reload` restarts the router in place. Checks the save question when the
running config differs from the startup-config and the confirm prompt.
After the reload, the same PID serves telnet on the same port, an unsaved
change is gone and a saved one is kept."""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vrlib  # noqa: E402
from vrlib import fail, Telnet, ACCESS_CONFIG  # noqa: E402


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_summary(proc):
    """Reads vrouter's output until the start-up summary names the port."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            fail("vrouter ended before its start-up summary")
        if re.search(r"telnet 127\.0\.0\.1:\d+", line):
            return line
    fail("no start-up summary within 20 s")


def session(port):
    for _ in range(100):
        try:
            t = Telnet(port)
            break
        except OSError:
            time.sleep(0.1)
    else:
        fail(f"telnet port {port} does not answer after the reload")
    t.login()
    t.send("enable\r\n")
    t.read_until("Password: ")
    t.send(vrlib.ENABLE + "\r\n")
    t.read_until("vr-test#")
    return t


def run(t, cmd):
    t.send(cmd + "\r\n")
    return t.read_until(r"vr-test(\(config[^)]*\))?#")


def closed(t):
    """True once the router has closed the session."""
    t.sock.settimeout(10)
    try:
        while t.sock.recv(4096):
            pass
    except OSError:
        return False
    return True


def main():
    binary = os.environ.get("VR_BINARY")
    if not binary:
        fail("VR_BINARY is not set; run this test through ctest")
    work = tempfile.TemporaryDirectory(prefix="vr-reload.")
    config = os.path.join(work.name, "startup-config")
    with open(config, "w") as f:
        f.write(ACCESS_CONFIG)
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--no-console", "--config", config,
         "--telnet", f"127.0.0.1:{port}", "--ssh", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_summary(proc)
        t = session(port)
        run(t, "configure terminal")
        run(t, "interface Loopback5")
        run(t, "ip address 10.55.0.1 255.255.255.255")
        run(t, "end")

        # Unsaved change: reply "no", then confirm.
        t.send("reload\r\n")
        t.read_until(r"\r\n\r\nSystem configuration has been modified\. "
                     r"Save\? \[yes/no\]: ")
        t.send("no\r\n")
        t.read_until(r"Proceed with reload\? \[confirm\]")
        t.send("\r")
        if not closed(t):
            fail("the session stayed open after the reload")
        wait_summary(proc)
        if proc.poll() is not None:
            fail(f"vrouter exited with {proc.returncode} on reload")
        with open(f"/proc/{proc.pid}/comm") as f:
            comm = f.read().strip()
        if comm != os.path.basename(binary)[:15]:
            fail(f"the process is named {comm!r} after the reload")
        t = session(port)
        out = run(t, "show running-config | include Loopback5")
        if "interface Loopback5" in out:
            fail(f"an unsaved interface survived the reload:\n{out}")

        # Unchanged config: no save question, only the confirm prompt.
        t.send("reload\r\n")
        got = t.read_until(r"\[confirm\]")
        if "Save?" in got:
            fail(f"save question with nothing modified:\n{got}")
        t.send("n")
        t.read_until("vr-test#")

        # Saved change: reply "yes", so the router writes memory first.
        run(t, "configure terminal")
        run(t, "interface Loopback6")
        run(t, "ip address 10.66.0.1 255.255.255.255")
        run(t, "end")
        t.send("reload\r\n")
        t.read_until(r"Save\? \[yes/no\]: ")
        t.send("yes\r\n")
        t.read_until(r"\[OK\]")
        t.read_until(r"Proceed with reload\? \[confirm\]")
        t.send("\r")
        if not closed(t):
            fail("the session stayed open after the second reload")
        wait_summary(proc)
        t = session(port)
        out = run(t, "show running-config interface Loopback6")
        if "ip address 10.66.0.1 255.255.255.255" not in out:
            fail(f"the saved interface is missing after reload:\n{out}")
        t.close()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            rest, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            fail("vrouter still running 30 s after SIGTERM")
        work.cleanup()
    if re.search(r"AddressSanitizer|LeakSanitizer|runtime error:", rest):
        fail(f"sanitizer report:\n{rest}")
    if proc.returncode != 0:
        fail(f"vrouter exited with {proc.returncode}:\n{rest}")
    print("PASS reload")


main()
