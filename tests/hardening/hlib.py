"""Helpers of the hardening tests: a vrouter process with telnet and SSH
on free loopback ports and optional UDP wires, its resident memory, and
Ethernet framing for the wires."""

import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "sessions"))
import vrlib  # noqa: E402  (the session tests' telnet client)

fail = vrlib.fail
PASSWORD = vrlib.PASSWORD
ENABLE = vrlib.ENABLE
ACCESS_CONFIG = vrlib.ACCESS_CONFIG.replace("\nend\n", "\n")



class Telnet(vrlib.Telnet):
    """The session tests' telnet client; `closed_ok` makes a closed
    connection raise EOFError instead of failing the test."""

    closed_ok = False

    def read_until(self, pattern, timeout=20):
        if not self.closed_ok:
            return super().read_until(pattern, timeout)
        rx = re.compile(pattern.encode() if isinstance(pattern, str)
                        else pattern)
        self.sock.settimeout(timeout)
        while not rx.search(self.buf):
            try:
                data = self.sock.recv(65536)
            except OSError as e:
                raise EOFError(str(e))
            if not data:
                raise EOFError("connection closed")
            self.buf += vrlib.strip_telnet(data, self.state)
        m = rx.search(self.buf)
        got, self.buf = self.buf[:m.end()], self.buf[m.end():]
        return got.decode(errors="replace")


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


AES_KEY = "000102030405060708090a0b0c0d0e0f"
SHA_KEY = "0102030405060708090a0b0c0d0e0f1011121314"
PEER, US = "10.1.1.1", "10.10.1.2"

# A manual SA from PEER to US: ESP from 192.168.1.0/24 arrives on
# GigabitEthernet1 and leaves decapsulated on GigabitEthernet2.
SA_CONFIG = f"""crypto ipsec transform-set TS esp-aes esp-sha-hmac
access-list 110 permit ip 192.168.2.0 0.0.0.255 192.168.1.0 0.0.0.255
crypto map VPN 10 ipsec-manual
 set peer {PEER}
 set transform-set TS
 match address 110
 set session-key inbound esp 4096 cipher {AES_KEY} authenticator {SHA_KEY}
 set session-key outbound esp 4097 cipher {AES_KEY} authenticator {SHA_KEY}
interface GigabitEthernet1
 ip address {US} 255.255.255.0
 crypto map VPN
interface GigabitEthernet2
 ip address 192.168.2.254 255.255.255.0
ip route 0.0.0.0 0.0.0.0 10.10.1.1
"""


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Counter(threading.Thread):
    """Counts the frames arriving on SOCK until stopped, and keeps the
    destination of each IKE (UDP 500 or 4500) packet among them."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock = sock
        self.sock.settimeout(0.2)
        self.frames = 0
        self.ike = []
        self.running = True

    def run(self):
        while self.running:
            try:
                frame = self.sock.recv(65536)
            except socket.timeout:
                continue
            self.frames += 1
            ip = frame[14:]
            if len(ip) >= 28 and ip[9] == 17:
                ihl = (ip[0] & 15) * 4
                dport = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
                if dport in (500, 4500):
                    self.ike.append(socket.inet_ntoa(ip[16:20]))

    def wait_for(self, n, seconds=10):
        """Waits until N frames arrived or SECONDS passed; returns the count."""
        deadline = time.monotonic() + seconds
        while self.frames < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.frames


class EspLink:
    """The peer and the inside host of a router with SA_CONFIG: this
    process sends ESP into GigabitEthernet1 from `peer` and counts what
    leaves GigabitEthernet2 in `sink` (and GigabitEthernet1 in `wan`)."""

    def __init__(self):
        self.peer_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.peer_sock.bind(("127.0.0.1", 0))
        self.peer_sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF,
                                  1 << 20)
        self.sink_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sink_sock.bind(("127.0.0.1", 0))
        self.sink_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                                  1 << 20)
        gi1, gi2 = free_port(), free_port()
        self.target = ("127.0.0.1", gi1)
        self.wires = {
            "GigabitEthernet1": (gi1, self.peer_sock.getsockname()[1]),
            "GigabitEthernet2": (gi2, self.sink_sock.getsockname()[1])}
        self.sink = Counter(self.sink_sock)
        self.wan = Counter(self.peer_sock)
        self.valid = []
        self.next_valid = 0

    def start(self, workdir, count):
        """Builds COUNT valid ESP frames with tools/espgen and starts
        counting."""
        espgen = os.path.join(os.environ["VR_BUILD_DIR"], "tools", "espgen")
        pcap = os.path.join(workdir, "valid.pcap")
        subprocess.run([espgen, "-o", pcap, "--src", PEER, "--dst", US,
                        "--spi", "4096", "--enc", "aes-128-cbc",
                        "--enc-key", AES_KEY, "--auth", "hmac-sha1-96",
                        "--auth-key", SHA_KEY, "-c", str(count),
                        "--inner-src", "192.168.1.1", "--inner-dst",
                        "192.168.2.1"], check=True,
                       stdout=subprocess.DEVNULL)
        self.valid = [ether(p) for p in read_pcap(pcap)]
        self.sink.start()
        self.wan.start()

    def send_valid(self, n=1, pps=0):
        """Sends the next N valid frames, PPS a second when PPS is set."""
        for _ in range(n):
            if self.next_valid >= len(self.valid):
                fail("more valid ESP frames sent than built")
            self.peer_sock.sendto(self.valid[self.next_valid], self.target)
            self.next_valid += 1
            if pps:
                time.sleep(1 / pps)

    def check_forwarding(self, n=100, pps=200):
        """Sends N valid frames and fails unless all of them arrive."""
        before = self.sink.frames
        self.send_valid(n, pps)
        got = self.sink.wait_for(before + n) - before
        if got != n:
            fail(f"datapath: {got} of {n} valid ESP packets forwarded")

    def stop(self):
        self.sink.running = self.wan.running = False
