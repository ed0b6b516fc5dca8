"""Helpers of the Python session tests: a vrouter process with telnet and
SSH listeners on free loopback ports, and a raw telnet client."""

import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

PASSWORD = "adm1n-Secret"
ENABLE = "en4ble-Secret"

# Local users and vty lines of the routers these tests start. The clear
# secrets above are hashed by the router; they must never show up again.
ACCESS_CONFIG = f"""hostname vr-test
enable secret 0 {ENABLE}
username admin privilege 15 secret 0 {PASSWORD}
username oper secret 0 {PASSWORD}
line vty 0 15
 exec-timeout 5 0
 login local
 transport input all
end
"""


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


class Router:
    """A vrouter process started with CONFIG as its startup-config."""

    def __init__(self, config=ACCESS_CONFIG):
        binary = os.environ.get("VR_BINARY")
        if not binary or not os.access(binary, os.X_OK):
            fail("VR_BINARY does not name the vrouter executable; run "
                 "this test through ctest")
        self.dir = tempfile.TemporaryDirectory(prefix="vr-sessions.")
        self.config = os.path.join(self.dir.name, "startup-config")
        with open(self.config, "w") as f:
            f.write(config)
        self.proc = subprocess.Popen(
            [binary, "--no-console", "--config", self.config,
             "--telnet", "127.0.0.1:0", "--ssh", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"telnet 127\.0\.0\.1:(\d+), ssh 127\.0\.0\.1:(\d+)",
                      line)
        if not m:
            self.proc.kill()
            fail(f"no start-up summary from vrouter: {line!r}")
        self.telnet_port = int(m.group(1))
        self.ssh_port = int(m.group(2))

    def stop(self):
        """Stops the router; fails on a bad exit or a sanitizer report."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            rest, _ = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("vrouter still running 30 s after SIGTERM")
        self.dir.cleanup()
        if re.search(r"AddressSanitizer|LeakSanitizer|runtime error:", rest):
            fail(f"sanitizer report:\n{rest}")
        if self.proc.returncode != 0:
            fail(f"vrouter exited with {self.proc.returncode}:\n{rest}")


def ssh_host_key(port):
    """Returns the type and base64 text of the SSH host key on PORT."""
    import paramiko  # only the SSH tests need it

    transport = paramiko.Transport(("127.0.0.1", port))
    try:
        transport.start_client(timeout=10)
        key = transport.get_remote_server_key()
        return key.get_name(), key.get_base64()
    finally:
        transport.close()


IAC = 255


def strip_telnet(data, state):
    """Removes telnet commands from DATA; STATE carries a split command."""
    out = bytearray()
    buf = state.pop() + data if state else data
    i = 0
    while i < len(buf):
        b = buf[i]
        if b != IAC:
            out.append(b)
            i += 1
            continue
        if i + 1 >= len(buf):
            break
        cmd = buf[i + 1]
        if cmd == IAC:
            out.append(IAC)
            i += 2
        elif cmd in (251, 252, 253, 254):
            if i + 2 >= len(buf):
                break
            i += 3
        elif cmd == 250:
            end = buf.find(bytes([IAC, 240]), i)
            if end < 0:
                break
            i = end + 2
        else:
            i += 2
    if i < len(buf):
        state.append(buf[i:])
    return bytes(out)


class Telnet:
    """A telnet client that sends bytes as they are and reads until text."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.state = []
        self.buf = b""

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    def read_until(self, pattern, timeout=20):
        """Returns everything up to and including the regex PATTERN."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str)
                        else pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                got, self.buf = self.buf[:m.end()], self.buf[m.end():]
                return got.decode(errors="replace")
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                fail(f"timed out waiting for {pattern!r}; got "
                     f"{self.buf[-300:]!r}")
            data = self.sock.recv(65536)
            if not data:
                fail(f"connection closed waiting for {pattern!r}; got "
                     f"{self.buf[-300:]!r}")
            self.buf += strip_telnet(data, self.state)

    def login(self, user="admin", password=PASSWORD):
        self.read_until("Username: ")
        self.send(user + "\r\n")
        self.read_until("Password: ")
        self.send(password + "\r\n")
        return self.read_until(r"vr-test[>#]")

    def close(self):
        self.sock.close()
