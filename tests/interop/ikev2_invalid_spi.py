#!/usr/bin/python3
"""An ESP packet with an unknown SPI arrives from charon's address while
an IKEv2 SA is up. vrouter sends INVALID_SPI (protocol 0, the SPI in the
notification data) and a DELETE of that SPI in one protected
INFORMATIONAL. charon answers it, keeps its IKE SA and its CHILD_SA,
and logs the DELETE for an unknown SPI; pings still pass, and `show
crypto ikev2 stats exchange` counts the notify.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re
import time

import interop
from ikev2_common import IKEV2_CONFIG
from interop import LabError

FORGED_SPI = 0x5EADBEEF

# Sends one UDP datagram to vrouter's port 4500 that looks like ESP in
# UDP: the forged SPI, sequence number 1 and 64 octets of filler. Its
# source port is not charon's 4500, which is taken.
SEND_ESP = f"""
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("{interop.SW_OUTER}", 4501))
s.sendto(struct.pack("!II", {FORGED_SPI}, 1) + bytes(64),
         ("{interop.VR_OUTER}", 4500))
"""


def stats_row(out, name):
    m = re.search(rf"^{name}\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", out,
                  re.M)
    if not m:
        raise LabError(f"show crypto ikev2 stats exchange has no {name} "
                       f"row:\n{out}")
    return [int(x) for x in m.groups()]


def body(lab):
    lab.start_charon(version=2)
    lab.start_vrouter()
    lab.configure_vrouter(IKEV2_CONFIG)
    charon_in, _ = lab.establish_from_peer()

    v = lab.vty()
    try:
        v.command("debug crypto ikev2")
        lab.sw_exec(["python3", "-c", SEND_ESP])
        deadline = time.monotonic() + 10
        while True:
            out = v.command("show crypto ikev2 stats exchange")
            if stats_row(out, "INVALID_SPI")[0] == 1:
                break
            if time.monotonic() > deadline:
                raise LabError(f"vrouter sent no INVALID_SPI within 10 s:"
                               f"\n{out}\n{lab.vrouter_log(v)}")
            time.sleep(0.2)
        deadline = time.monotonic() + 10
        while stats_row(out, "INFORMATIONAL")[3] < 1:
            if time.monotonic() > deadline:
                raise LabError(f"charon did not answer the INFORMATIONAL:"
                               f"\n{out}")
            time.sleep(0.2)
            out = v.command("show crypto ikev2 stats exchange")

        log = lab.vrouter_log(v)
        if not re.search(r"%CRYPTO-4-RECVD_PKT_INV_SPI.*?spi=0x0*"
                         rf"{FORGED_SPI:X}\(", log, re.I):
            raise LabError(f"no %CRYPTO-4-RECVD_PKT_INV_SPI for SPI "
                           f"{FORGED_SPI:#x}:\n{log}")
        lab.expect_peer_pings(3, "after the INVALID_SPI notify")
        lab.expect_vrouter_pings(v, 3, "after the INVALID_SPI notify")
    finally:
        v.close()

    clog = lab.charon_log()
    if not re.search(r"parsed INFORMATIONAL request 0 \[ N\(INVAL_SPI\) "
                     r"D \]", clog):
        raise LabError("charon's log lacks the INFORMATIONAL request with "
                       "INVALID_SPI and DELETE")
    line = ("received DELETE for unknown ESP CHILD_SA with SPI "
            f"{FORGED_SPI:08x}")
    if line not in clog:
        raise LabError(f"charon's log lacks {line!r}")
    if "INVALID_SYNTAX" in clog:
        raise LabError("INVALID_SYNTAX appears in charon's log")
    spis = lab.charon_child_spis()
    if not spis or spis[0][0] != charon_in:
        raise LabError(f"charon's CHILD_SA changed: {spis}, expected "
                       f"inbound SPI {charon_in:#x}")


if __name__ == "__main__":
    interop.run_test("ikev2_invalid_spi", body)
