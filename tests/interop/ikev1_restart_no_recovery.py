#!/usr/bin/python3
"""vrouter restarts while charon keeps sending on the old SPI, without
`crypto isakmp invalid-spi-recovery` and with DPD off on both sides.
As on IOS, the traffic stays black-holed. vrouter logs
%CRYPTO-4-RECVD_PKT_INV_SPI for the old SPI, debug shows the delete
notify it cannot send for lack of an ISAKMP SA, and it starts no IKE
exchange. charon keeps its stale CHILD_SA.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re

import interop
from interop import LabError

BLACK_HOLE_SECONDS = 8


def body(lab):
    lab.start_charon(version=1)
    lab.start_vrouter()
    lab.configure_vrouter()
    _, stale_out = lab.establish_from_peer()

    lab.kill_vrouter()
    lab.start_vrouter(config=None)
    v = lab.vty()
    try:
        out = v.command("debug crypto isakmp")
        if "Crypto ISAKMP debugging is on" not in out:
            raise LabError(f"debug crypto isakmp did not confirm:\n{out}")
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
        ignored = re.search(r"ignoring request to send delete notify "
                            r"\(no ISAKMP sa\).*?SPI 0x0*"
                            rf"{stale_out:X}\b", log, re.I)
        if not ignored:
            raise LabError(f"debug lacks the ignored delete notify for SPI "
                           f"{stale_out:#x}:\n{log}")
        out = v.command("show crypto isakmp sa")
        if re.search(r"QM_IDLE|MM_", out):
            raise LabError(f"vrouter negotiated with charon without "
                           f"invalid-spi-recovery:\n{out}")
    finally:
        v.close()

    children = lab.charon_children()
    if not children or children[0]["spi_out"] != stale_out:
        raise LabError(f"charon no longer has its stale CHILD_SA "
                       f"(outbound SPI {stale_out:#x}):\n{lab.charon_sas()}")
    # charon initiated the only IKE SA, so a parsed ID_PROT request
    # would be vrouter starting Main Mode.
    if "parsed ID_PROT request" in lab.charon_log():
        raise LabError("vrouter started Main Mode without "
                       "invalid-spi-recovery and without traffic of its "
                       "own")


if __name__ == "__main__":
    interop.run_test("ikev1_restart_no_recovery", body)
