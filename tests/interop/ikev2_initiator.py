#!/usr/bin/python3
"""vrouter as IKEv2 initiator: charon is responder only, and traffic from
vrouter's Loopback0 that matches the crypto map ACL starts IKE_SA_INIT
and IKE_AUTH. charon's faked NAT detection moves vrouter to port 4500.
Then pings pass both ways and the SA counters grow.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re

import interop
from ikev2_common import IKEV2_CONFIG
from interop import LabError


def body(lab):
    lab.start_charon(version=2, start_action="none")
    lab.start_vrouter()
    lab.configure_vrouter(IKEV2_CONFIG)

    v = lab.vty()
    try:
        took = lab.wait_vrouter_ping(v, 20)
        if took is None:
            raise LabError("no ping from vrouter passed within 20 s of "
                           "the first packet that matched the crypto map")
        print(f"first ping through the new tunnel after {took:.2f} s")
        if not lab.wait_charon_child(5):
            raise LabError(f"charon has no CHILD_SA:\n{lab.charon_sas()}")
        # swanctl marks the local IKE SPI with '*': "_r*" when charon
        # is the responder.
        sas = lab.charon_sas()
        if not re.search(r"IKEv2, [0-9a-f]+_i [0-9a-f]+_r\*", sas):
            raise LabError(f"charon's IKE SA is not an IKEv2 SA that "
                           f"charon answered:\n{sas}")

        before = lab.ipsec_sa(v)
        if before["peer_port"] != 4500:
            raise LabError(f"current_peer port is {before['peer_port']}, "
                           f"expected 4500")
        lab.expect_vrouter_pings(v, 5, "over the tunnel")
        lab.expect_peer_pings(5, "over the tunnel")
        after = lab.ipsec_sa(v)
        interop.check_counters_grew(before, after, 10)
        spis = lab.charon_child_spis()
        if not spis or spis[0][0] != after["outbound_spi"]:
            raise LabError(f"vrouter's outbound SPI "
                           f"{after['outbound_spi']} is not charon's "
                           f"inbound SPI ({spis})")
    finally:
        v.close()


if __name__ == "__main__":
    interop.run_test("ikev2_initiator", body)
