#!/usr/bin/python3
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
import time

import hlib
from hlib import fail, run

PEER, US = hlib.PEER, hlib.US

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

CONFIG = hlib.ACCESS_CONFIG + "logging buffered 1000000\n" + \
    hlib.SA_CONFIG + "end\n"


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


def main():
    link = hlib.EspLink()
    env = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
           ":quarantine_size_mb=8"}
    router = hlib.Router(CONFIG, wires=link.wires, env=env)
    link.start(router.dir, WARMUP + FLOOD_SECONDS * VALID_PPS + AFTER)
    flood = flood_frames()

    link.send_valid(WARMUP, VALID_PPS)
    if link.sink.wait_for(WARMUP) != WARMUP:
        fail(f"before the flood {link.sink.frames} of {WARMUP} valid "
             "packets arrived")
    rss_before = router.rss_kib()

    # The flood, with one valid packet every 1/VALID_PPS seconds.
    sent_flood, next_valid = 0, time.monotonic()
    start = time.monotonic()
    end = start + FLOOD_SECONDS
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_valid and \
                link.next_valid < WARMUP + FLOOD_SECONDS * VALID_PPS:
            link.send_valid()
            next_valid += 1 / VALID_PPS
        for _ in range(32):
            try:
                link.peer_sock.sendto(flood[sent_flood % FLOWS],
                                      link.target)
            except BlockingIOError:
                break
            sent_flood += 1
    flood_time = time.monotonic() - start
    valid_during = link.next_valid - WARMUP
    during = link.sink.wait_for(link.next_valid, 5) - WARMUP
    rss_after = router.rss_kib()

    link.send_valid(AFTER, VALID_PPS)
    received = link.sink.wait_for(link.next_valid)

    t = router.login()
    sa = run(t, "show crypto ipsec sa")
    logged = run(t, "show logging | include RECVD_PKT_INV_SPI")
    elapsed = time.monotonic() - start
    t.send("exit\r\n")
    t.close()
    link.stop()
    router.stop()

    loss = 100.0 * (valid_during - during) / valid_during
    lines = logged.count("%CRYPTO-4-RECVD_PKT_INV_SPI")
    print(f"flood: {sent_flood} unknown-SPI packets in {flood_time:.1f} s "
          f"({sent_flood / flood_time:.0f} pps, {FLOWS} flows)")
    print(f"valid: {during} of {valid_during} decapsulated during the "
          f"flood ({loss:.1f}% loss), {received} of {link.next_valid} "
          "in all")
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
    stray = [a for a in link.wan.ike if a != PEER]
    if stray:
        fail(f"IKE packets sent to unconfigured addresses: {stray[:5]}")
    decaps = [int(x) for x in re.findall(r"#pkts decaps: (\d+)", sa)]
    if received not in decaps:
        fail(f"show crypto ipsec sa decaps {decaps}, sink got {received}:"
             f"\n{sa}")
    print("PASS")


if __name__ == "__main__":
    main()
