#!/usr/bin/env python3
"""Unknown-SPI flood into a running router while valid ESP flows.

A vrouter with a manual SA (SPI 4096 from peer 10.1.1.1) is cabled
through two UDP wires. GigabitEthernet1 leads to this script, which
sends both the flood and the valid ESP. GigabitEthernet2 leads to a sink
that counts the decapsulated packets the router forwards. The flood comes from random
sources with random SPIs, as fast as this script can send them, and the
valid stream runs at VALID_PPS alongside it.

Checks: the valid packets sent after the flood all arrive; during the
flood some arrive, and the loss is printed; the router's resident memory
grows by less than RSS_BOUND_KIB; the RECVD_PKT_INV_SPI lines stay within
the datapath's rate limit; the router sends no IKE packet to any address
but the configured peer; the SA's decaps counter matches the sink.
"""
import os
import re
import random
import socket
import struct
import subprocess
import threading
import time

import hlib
from hlib import fail, run

AES_KEY = "000102030405060708090a0b0c0d0e0f"
SHA_KEY = "0102030405060708090a0b0c0d0e0f1011121314"
PEER, US = "10.1.1.1", "10.10.1.2"

FLOOD_SECONDS = 10
VALID_PPS = 200
WARMUP = 100
AFTER = 400
FLOWS = 65536
# Memory may grow by this much during the flood. The SA table, the
# limiter and the log ring are fixed in size; the bound leaves room for
# allocator and sanitizer noise.
RSS_BOUND_KIB = 24 * 1024
# The datapath logs 32 RECVD_PKT_INV_SPI lines at once and then 10 a
# second (INV_SPI_LOG_BURST and INV_SPI_LOG_RATE in datapath/datapath.c).
# The margin covers timer rounding.
LOG_BURST, LOG_RATE, LOG_MARGIN = 32, 10, 5

CONFIG = hlib.ACCESS_CONFIG + f"""logging buffered 1000000
crypto ipsec transform-set TS esp-aes esp-sha-hmac
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
end
"""


def checksum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def esp_frame(src, spi, body):
    """An Ethernet frame with an IPv4 ESP packet from SRC (4 octets)."""
    payload = struct.pack("!II", spi, 1) + body
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0,
                      64, 50, 0, src, socket.inet_aton(US))
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hlib.ether(hdr + payload)


def flood_frames():
    rnd = random.Random(4500)
    peer = socket.inet_aton(PEER)
    frames = []
    while len(frames) < FLOWS:
        src = rnd.getrandbits(32).to_bytes(4, "big")
        spi = rnd.randrange(256, 1 << 32)
        if src == peer or spi == 4096:
            continue
        frames.append(esp_frame(src, spi, rnd.randbytes(64)))
    return frames


def valid_frames(workdir):
    espgen = os.path.join(os.environ["VR_BUILD_DIR"], "tools", "espgen")
    pcap = os.path.join(workdir, "valid.pcap")
    subprocess.run([espgen, "-o", pcap, "--src", PEER, "--dst", US,
                    "--spi", "4096", "--enc", "aes-128-cbc", "--enc-key",
                    AES_KEY, "--auth", "hmac-sha1-96", "--auth-key",
                    SHA_KEY, "-c", str(WARMUP + FLOOD_SECONDS * VALID_PPS +
                                       AFTER),
                    "--inner-src", "192.168.1.1", "--inner-dst",
                    "192.168.2.1"], check=True, stdout=subprocess.DEVNULL)
    return [hlib.ether(p) for p in hlib.read_pcap(pcap)]


class Counter(threading.Thread):
    """Counts frames arriving on SOCK until stopped; keeps IKE packets."""

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


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(counter, n, seconds=10):
    deadline = time.monotonic() + seconds
    while counter.frames < n and time.monotonic() < deadline:
        time.sleep(0.05)
    return counter.frames


def main():
    peer_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer_sock.bind(("127.0.0.1", 0))
    peer_sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    sink_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink_sock.bind(("127.0.0.1", 0))
    sink_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    gi1, gi2 = free_port(), free_port()
    wires = {"GigabitEthernet1": (gi1, peer_sock.getsockname()[1]),
             "GigabitEthernet2": (gi2, sink_sock.getsockname()[1])}
    env = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
           ":quarantine_size_mb=8"}
    router = hlib.Router(CONFIG, wires=wires, env=env)
    target = ("127.0.0.1", gi1)
    sink, wan = Counter(sink_sock), Counter(peer_sock)
    sink.start()
    wan.start()
    valid = valid_frames(router.dir)
    flood = flood_frames()

    for frame in valid[:WARMUP]:
        peer_sock.sendto(frame, target)
        time.sleep(1 / VALID_PPS)
    if wait_for(sink, WARMUP) != WARMUP:
        fail(f"before the flood {sink.frames} of {WARMUP} valid packets "
             "arrived")
    rss_before = router.rss_kib()

    # The flood, with one valid packet every 1/VALID_PPS seconds.
    sent_flood, next_valid, vi = 0, time.monotonic(), WARMUP
    start = time.monotonic()
    end = start + FLOOD_SECONDS
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_valid and vi < WARMUP + FLOOD_SECONDS * VALID_PPS:
            peer_sock.sendto(valid[vi], target)
            vi += 1
            next_valid += 1 / VALID_PPS
        for _ in range(32):
            try:
                peer_sock.sendto(flood[sent_flood % FLOWS], target)
            except BlockingIOError:
                break
            sent_flood += 1
    flood_time = time.monotonic() - start
    during = wait_for(sink, vi, 5) - WARMUP
    valid_during = vi - WARMUP
    rss_after = router.rss_kib()

    for frame in valid[vi:vi + AFTER]:
        peer_sock.sendto(frame, target)
        time.sleep(1 / VALID_PPS)
    total_valid = vi + AFTER
    received = wait_for(sink, total_valid)

    t = router.login()
    sa = run(t, "show crypto ipsec sa")
    logged = run(t, "show logging | include RECVD_PKT_INV_SPI")
    elapsed = time.monotonic() - start
    t.send("exit\r\n")
    t.close()
    sink.running = wan.running = False
    router.stop()

    loss = 100.0 * (valid_during - during) / valid_during
    lines = logged.count("%CRYPTO-4-RECVD_PKT_INV_SPI")
    print(f"flood: {sent_flood} unknown-SPI packets in {flood_time:.1f} s "
          f"({sent_flood / flood_time:.0f} pps, {FLOWS} flows)")
    print(f"valid: {during} of {valid_during} decapsulated during the "
          f"flood ({loss:.1f}% loss), {received} of {total_valid} in all")
    print(f"rss: {rss_before} KiB before, {rss_after} KiB after the flood")
    print(f"log: {lines} RECVD_PKT_INV_SPI lines in {elapsed:.1f} s")

    if received - during - WARMUP != AFTER:
        fail(f"after the flood {received - during - WARMUP} of {AFTER} "
             "valid packets arrived")
    if during == 0:
        fail("no valid packet arrived during the flood")
    if rss_after - rss_before > RSS_BOUND_KIB:
        fail(f"memory grew by {rss_after - rss_before} KiB during the flood")
    limit = LOG_BURST + LOG_RATE * elapsed + LOG_MARGIN
    if lines == 0 or lines > limit:
        fail(f"{lines} RECVD_PKT_INV_SPI lines, expected 1 to {limit:.0f}")
    stray = [a for a in wan.ike if a != PEER]
    if stray:
        fail(f"IKE packets sent to unconfigured addresses: {stray[:5]}")
    decaps = [int(x) for x in
              re.findall(r"#pkts decaps: (\d+)", sa)]
    if received not in decaps:
        fail(f"show crypto ipsec sa decaps {decaps}, sink got {received}:"
             f"\n{sa}")
    print("PASS")


if __name__ == "__main__":
    main()
