#!/usr/bin/python3
"""vrouter as IKEv2 responder: charon initiates IKE_SA_INIT and IKE_AUTH
to vrouter's crypto map entry with `set ikev2-profile`. charon's
kernel-libipsec fakes NAT, so the IKE SA moves to port 4500 and ESP goes
in UDP. Pings pass both ways, the SPIs on both sides match, and
vrouter's SA counters grow by the packets sent.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re

import interop
from ikev2_common import IKEV2_CONFIG
from interop import LabError


def body(lab):
    lab.start_charon(version=2)
    lab.start_vrouter()
    lab.configure_vrouter(IKEV2_CONFIG)

    lab.swanctl("--initiate", "--child", "net", "--timeout", "15",
                timeout=30)
    if not lab.wait_charon_child(10):
        raise LabError(f"charon has no CHILD_SA after initiating:\n"
                       f"{lab.charon_sas()}")
    sas = lab.charon_sas()
    if "IKEv2" not in sas:
        raise LabError(f"charon's IKE SA is not IKEv2:\n{sas}")
    charon_spis = lab.charon_child_spis()
    if len(charon_spis) != 1:
        raise LabError(f"charon has {len(charon_spis)} CHILD_SAs, "
                       f"expected 1:\n{sas}")
    charon_in, charon_out = charon_spis[0]

    v = lab.vty()
    try:
        out = v.command("show crypto session")
        if not re.search(rf"IKEv2 SA: local {interop.VR_OUTER}/4500 remote "
                         rf"{interop.SW_OUTER}/4500 Active", out):
            raise LabError(f"show crypto session lists no active IKEv2 SA "
                           f"with {interop.SW_OUTER} on port 4500:\n{out}")

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
                           f"expected 4500")

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
    interop.run_test("ikev2_responder", body)
