#!/usr/bin/python3
"""vrouter restarts while charon keeps sending on the old SPI of an IKEv2
child SA, without `crypto isakmp invalid-spi-recovery` and with DPD off
on both sides. Traffic from charon's side stays black-holed: vrouter
logs %CRYPTO-4-RECVD_PKT_INV_SPI for the old SPI and starts no IKE
exchange. Traffic from vrouter's side then starts IKE_SA_INIT, and its
INITIAL_CONTACT makes charon drop the stale SAs, so pings pass again.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re

import interop
from ikev2_common import IKEV2_CONFIG
from interop import LabError

BLACK_HOLE_SECONDS = 8


def body(lab):
    lab.start_charon(version=2)
    lab.start_vrouter()
    lab.configure_vrouter(IKEV2_CONFIG)
    _, stale_out = lab.establish_from_peer()

    lab.kill_vrouter()
    lab.start_vrouter(config=None)
    v = lab.vty()
    try:
        # One echo every 0.2 s for the whole period.
        got = lab.ping_from_peer(count=int(BLACK_HOLE_SECONDS / 0.2),
                                 wait=0.5)
        if got != 0:
            raise LabError(f"{got} pings from charon's side passed after "
                           f"vrouter lost its SAs, expected none")

        log = lab.vrouter_log(v)
        inv = re.search(r"%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC "
                        r"packet has invalid spi for destaddr=(\S+), "
                        r"prot=\d+, spi=0x([0-9A-Fa-f]+)\(\d+\), "
                        rf"srcaddr={re.escape(interop.SW_OUTER)}", log)
        if not inv:
            raise LabError(f"no %CRYPTO-4-RECVD_PKT_INV_SPI from "
                           f"{interop.SW_OUTER} in the log:\n{log}")
        if int(inv.group(2), 16) != stale_out:
            raise LabError(f"RECVD_PKT_INV_SPI names SPI {inv.group(2)}, "
                           f"charon sends on {stale_out:#x}")
        out = v.command("show crypto session")
        if "IKEv2 SA" in out:
            raise LabError(f"vrouter negotiated with charon without "
                           f"invalid-spi-recovery:\n{out}")
        # charon initiated the only IKE SA, so a parsed IKE_SA_INIT
        # request would be vrouter starting one.
        if "parsed IKE_SA_INIT request" in lab.charon_log():
            raise LabError("vrouter started IKE_SA_INIT without "
                           "invalid-spi-recovery and without traffic of "
                           "its own")
        children = lab.charon_children()
        if not children or children[0]["spi_out"] != stale_out:
            raise LabError(f"charon no longer has its stale CHILD_SA "
                           f"(outbound SPI {stale_out:#x}):\n"
                           f"{lab.charon_sas()}")

        # vrouter's own traffic brings the tunnel back.
        if lab.wait_vrouter_ping(v, 20) is None:
            raise LabError("no ping from vrouter passed within 20 s")
        lab.expect_peer_pings(3, "after vrouter's traffic renegotiated")
    finally:
        v.close()

    if any(out == stale_out for _, out in lab.charon_child_spis()):
        raise LabError(f"charon still has the stale outbound SPI "
                       f"{stale_out:#x}:\n{lab.charon_sas()}")
    if "received INITIAL_CONTACT" not in lab.charon_log():
        raise LabError("charon's log shows no INITIAL_CONTACT from vrouter")


if __name__ == "__main__":
    interop.run_test("ikev2_restart_no_recovery", body)
