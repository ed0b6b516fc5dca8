#!/usr/bin/python3
"""vrouter as IKEv1 responder: charon initiates Main Mode and Quick Mode
(with PFS, MODP 2048) to vrouter's static crypto map. Pings pass both
ways, the SPIs on both sides match, and vrouter's SA counters grow by
the packets sent.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re

import interop
from interop import LabError


def body(lab):
    lab.start_charon(version=1)
    lab.start_vrouter()
    lab.configure_vrouter()

    lab.swanctl("--initiate", "--child", "net", "--timeout", "15",
                timeout=30)
    if not lab.wait_charon_child(10):
        raise LabError(f"charon has no CHILD_SA after initiating:\n"
                       f"{lab.charon_sas()}")
    sas = lab.charon_sas()
    if "IKEv1" not in sas:
        raise LabError(f"charon's IKE SA is not IKEv1:\n{sas}")
    charon_spis = lab.charon_child_spis()
    if len(charon_spis) != 1:
        raise LabError(f"charon has {len(charon_spis)} CHILD_SAs, "
                       f"expected 1:\n{sas}")
    charon_in, charon_out = charon_spis[0]

    v = lab.vty()
    try:
        out = v.command("show crypto isakmp sa")
        if not re.search(rf"{interop.VR_OUTER}\s+{interop.SW_OUTER}\s+"
                         r"QM_IDLE\s+\d+ ACTIVE", out):
            raise LabError(f"show crypto isakmp sa has no QM_IDLE SA with "
                           f"{interop.SW_OUTER}:\n{out}")

        before = lab.ipsec_sa(v)
        if before["outbound_spi"] != charon_in:
            raise LabError(f"vrouter's outbound SPI "
                           f"{before['outbound_spi']:#x} is not charon's "
                           f"inbound SPI {charon_in:#x}")
        if charon_out not in before["inbound"]:
            raise LabError(f"charon's outbound SPI {charon_out:#x} is not "
                           f"among vrouter's inbound SPIs "
                           f"{[hex(x) for x in before['inbound']]}")
        if before["peer_port"] != 4500:
            raise LabError(f"current_peer port is {before['peer_port']}, "
                           f"expected 4500 (NAT-T, which charon's "
                           f"kernel-libipsec requires)")

        lab.expect_peer_pings(5, "over the tunnel")
        lab.expect_vrouter_pings(v, 5, "over the tunnel")

        after = lab.ipsec_sa(v)
        # Five echo requests in and five replies out each way.
        interop.check_counters_grew(before, after, 10)
    finally:
        v.close()

    child = lab.charon_children()[0]
    if child["packets_in"] < 10 or child["packets_out"] < 10:
        raise LabError(f"charon's CHILD_SA counts {child['packets_in']} "
                       f"packets in and {child['packets_out']} out, "
                       f"expected at least 10 each")


if __name__ == "__main__":
    interop.run_test("ikev1_responder", body)
