#!/usr/bin/python3
"""SSH host keys beside the startup-config. A router that finds none
reports its start first and then creates them, readable by the owner
only, in its SSH listener. A client that connects meanwhile gets the key
once it exists. A key that cannot be loaded stops the SSH server with a
message, so SSH clients are refused, and telnet keeps working."""

import os
import re
import socket
import subprocess
import tempfile
import time

from vrlib import Router, Telnet, fail, ssh_host_key


# A fresh directory: the first client gets a key, and the files exist.
router = Router()
first = ssh_host_key(router.ssh_port)
if first[0] not in ("ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256",
                    "ssh-rsa"):
    fail(f"unexpected host key type {first[0]}")
for name in ("ssh_host_ed25519_key", "ssh_host_rsa_key"):
    path = os.path.join(router.dir.name, name)
    mode = os.stat(path).st_mode & 0o777
    if mode != 0o600:
        fail(f"{name} has mode {mode:o}, expected 600")
leftovers = [f for f in os.listdir(router.dir.name) if f.endswith(".tmp")]
if leftovers:
    fail(f"temporary key files left beside the config: {leftovers}")
if ssh_host_key(router.ssh_port) != first:
    fail("the host key changed between two connections")
router.stop()

# A key path that cannot be loaded (a directory): SSH stops, telnet works.
with tempfile.TemporaryDirectory(prefix="vr-ssh-keys.") as d:
    config = os.path.join(d, "startup-config")
    with open(config, "w") as f:
        f.write("hostname vr-test\nend\n")
    os.mkdir(os.path.join(d, "ssh_host_rsa_key"))
    proc = subprocess.Popen(
        [os.environ["VR_BINARY"], "--no-console", "--config", config,
         "--telnet", "127.0.0.1:0", "--ssh", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        started = proc.stdout.readline()
        m = re.search(r"telnet 127\.0\.0\.1:(\d+), ssh 127\.0\.0\.1:(\d+)",
                      started)
        if not m:
            fail(f"no start-up summary from vrouter: {started!r}")
        message = proc.stdout.readline()
        if not message.startswith("vrouter: SSH server stopped, no host "
                                  "keys: "):
            fail(f"no message about the host keys: {message!r}")
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection(("127.0.0.1", int(m.group(2))),
                                         timeout=5).close()
            except ConnectionRefusedError:
                break
            if time.monotonic() > deadline:
                fail("the SSH port still accepts connections")
            time.sleep(0.1)
        t = Telnet(int(m.group(1)))
        t.read_until(r"vr-test>")
        t.close()
    finally:
        proc.terminate()
        rest, _ = proc.communicate(timeout=30)
    if proc.returncode != 0:
        fail(f"vrouter exited with {proc.returncode}:\n{rest}")
    if re.search(r"AddressSanitizer|LeakSanitizer|runtime error:", rest):
        fail(f"sanitizer report:\n{rest}")
print("PASS")
