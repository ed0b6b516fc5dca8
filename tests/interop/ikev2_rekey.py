#!/usr/bin/python3
"""IKEv2 rekeys under traffic with short lifetimes: charon rekeys its
CHILD_SA every 10 s (hard lifetime 20 s) and its IKE SA every 15 s,
both with CREATE_CHILD_SA, while pings run both ways. Afterwards
vrouter sends on charon's newest inbound SPI, has one READY IKEv2 SA
that is not the first, and at most one ping in each direction was lost.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re

import interop
from ikev2_common import IKEV2_CONFIG
from interop import LabError

CHILD_REKEY = 10
CHILD_LIFE = 20
IKE_REKEY = 15
SECONDS = 2.5 * CHILD_REKEY + 2


def ike_sas(v):
    """Returns the (tunnel id, status) pairs of show crypto ikev2 sa."""
    out = v.command("show crypto ikev2 sa")
    return re.findall(r"^(\d+)\s+\S+/\d+\s+\S+/\d+\s+\S+\s+(\S+)", out,
                      re.M), out


def body(lab):
    lab.start_charon(version=2, child_rekey=f"{CHILD_REKEY}s",
                     child_life=f"{CHILD_LIFE}s", ike_rekey=f"{IKE_REKEY}s")
    lab.start_vrouter()
    lab.configure_vrouter(IKEV2_CONFIG)
    first_in, _ = lab.establish_from_peer()

    v = lab.vty()
    try:
        first_ike, out = ike_sas(v)
        if len(first_ike) != 1:
            raise LabError(f"expected one IKEv2 SA:\n{out}")
        seen = {first_in}
        rekeys = 0

        def count_rekeys():
            nonlocal rekeys
            spis = lab.charon_child_spis()
            if spis and spis[0][0] not in seen:
                rekeys += 1
                seen.add(spis[0][0])

        lab.ping_through(v, SECONDS, "the rekeys", count_rekeys)
        if rekeys < 2:
            raise LabError(f"charon rekeyed its CHILD_SA {rekeys} times in "
                           f"{SECONDS:.0f} s, expected 2:\n"
                           f"{lab.charon_sas()}")
        newest_in = lab.charon_child_spis()[0][0]
        sa = lab.ipsec_sa(v)
        if sa["outbound_spi"] != newest_in:
            raise LabError(f"vrouter sends on SPI {sa['outbound_spi']:#x}, "
                           f"not on charon's newest inbound SPI "
                           f"{newest_in:#x}")

        now_ike, out = ike_sas(v)
        if len(now_ike) != 1 or now_ike[0][1] != "READY" or \
                now_ike[0][0] == first_ike[0][0]:
            raise LabError(f"expected one READY IKEv2 SA other than "
                           f"tunnel {first_ike[0][0]}:\n{out}")
        lab.expect_vrouter_pings(v, 5, "after the rekeys")
    finally:
        v.close()

    if "rekeyed" not in lab.charon_log() and \
            "IKE_SA peer[" not in lab.charon_log():
        raise LabError("charon's log shows no IKE_SA rekey")


if __name__ == "__main__":
    interop.run_test("ikev2_rekey", body)
