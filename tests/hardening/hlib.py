"""Helpers of the hardening tests: a vrouter process with telnet and SSH
on free loopback ports and optional UDP wires, its resident memory, and
Ethernet framing for the wires."""

import os
import re
import signal
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "sessions"))
import vrlib  # noqa: E402  (the session tests' telnet client)

fail = vrlib.fail
Telnet = vrlib.Telnet
PASSWORD = vrlib.PASSWORD
ENABLE = vrlib.ENABLE
ACCESS_CONFIG = vrlib.ACCESS_CONFIG.replace("\nend\n", "\n")

SANITIZER_REPORT = r"AddressSanitizer|LeakSanitizer|runtime error:"


def shared_dir():
    path = os.environ.get("VR_SHARED_DIR")
    if not path or not os.path.isdir(os.path.join(path, "cases")):
        fail("VR_SHARED_DIR must name the folder of reference cases")
    return path


class Router:
    """A vrouter process started with CONFIG; WIRES maps an interface to
    (local port, remote port) on 127.0.0.1."""

    def __init__(self, config, wires=None, env=None, workdir=None):
        binary = os.environ.get("VR_BINARY")
        if not binary or not os.access(binary, os.X_OK):
            fail("VR_BINARY does not name the vrouter executable; run "
                 "this test through ctest")
        self.tmp = None
        if workdir is None:
            self.tmp = tempfile.TemporaryDirectory(prefix="vr-hardening.")
            workdir = self.tmp.name
        self.dir = workdir
        self.config = os.path.join(workdir, "startup-config")
        if config is not None:
            with open(self.config, "w") as f:
                f.write(config)
        args = [binary, "--no-console", "--config", self.config,
                "--telnet", "127.0.0.1:0", "--ssh", "127.0.0.1:0"]
        for ifname, (local, remote) in (wires or {}).items():
            args += ["--wire",
                     f"{ifname}=127.0.0.1:{local},127.0.0.1:{remote}"]
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env=dict(os.environ, **(env or {})))
        line = self.proc.stdout.readline()
        m = re.search(r"telnet 127\.0\.0\.1:(\d+), ssh 127\.0\.0\.1:(\d+)",
                      line)
        if not m:
            rest = self.proc.stdout.read() if self.proc.poll() is not None \
                else ""
            self.proc.kill()
            fail(f"no start-up summary from vrouter: {line!r} {rest[-2000:]}")
        self.telnet_port = int(m.group(1))
        self.ssh_port = int(m.group(2))

    def rss_kib(self):
        """Resident set size of the router process in KiB."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        fail("no VmRSS line for the router process")

    def login(self):
        """Returns a telnet session in privileged EXEC, paging off."""
        t = Telnet(self.telnet_port)
        t.login()
        t.send("terminal length 0\r\n")
        t.read_until(r"vr-test#")
        return t

    def kill(self):
        """Ends the router with SIGKILL, as a power cut would."""
        self.proc.kill()
        self.proc.communicate()
        if self.tmp:
            self.tmp.cleanup()

    def stop(self):
        """Stops the router; fails on a bad exit or a sanitizer report."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            rest, _ = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("vrouter still running 60 s after SIGTERM")
        if self.tmp:
            self.tmp.cleanup()
        if re.search(SANITIZER_REPORT, rest):
            fail(f"sanitizer report:\n{rest}")
        if self.proc.returncode != 0:
            fail(f"vrouter exited with {self.proc.returncode}:\n{rest[-3000:]}")
        return rest


def run(t, command, prompt=r"vr-test#"):
    """Runs COMMAND in session T and returns its output without the echo."""
    t.send(command + "\r\n")
    out = t.read_until(prompt, timeout=60)
    return out.split("\n", 1)[1] if "\n" in out else ""


ETHER_IPV4 = b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00"


def ether(packet):
    """PACKET (IPv4) as an Ethernet frame for a wire."""
    return ETHER_IPV4 + packet


def read_pcap(path):
    """The packets of a classic little-endian pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\xd4\xc3\xb2\xa1":
        fail(f"{path}: not a little-endian pcap file")
    off, out = 24, []
    while off + 16 <= len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        out.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return out
