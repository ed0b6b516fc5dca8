#!/usr/bin/python3
"""ISAKMP SA renewal with a short lifetime: charon reauthenticates its
IKEv1 SA every 10 s with a new Main Mode and moves its CHILD_SA over,
while pings run both ways. vrouter must accept each new ISAKMP SA next
to the old ones and keep passing traffic: at most one ping in each
direction is lost, and at the end vrouter lists as many ISAKMP SAs as
charon keeps.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re

import interop
from interop import LabError

REAUTH = 10


def body(lab):
    lab.start_charon(version=1, ike_reauth=f"{REAUTH}s")
    lab.start_vrouter()
    lab.configure_vrouter()
    lab.establish_from_peer()
    v = lab.vty()
    try:
        lab.ping_through(v, 2.5 * REAUTH, "the ISAKMP renewals")
        log = lab.charon_log()
        renewals = len(re.findall(r"IKE_SA peer\[\d+\] established", log))
        if renewals < 3:
            raise LabError(f"charon established {renewals} IKE SAs in "
                           f"{2.5 * REAUTH:.0f} s, expected the first and "
                           f"two renewals")
        # charon keeps each replaced IKEv1 SA (state REKEYING) until it
        # expires, so vrouter must list the same number.
        out = v.command("show crypto isakmp sa")
        ours = len(re.findall(r"QM_IDLE", out))
        theirs = len(re.findall(r"^peer: #\d+, (ESTABLISHED|REKEYING), "
                                r"IKEv1", lab.charon_sas(), re.M))
        if ours != theirs:
            raise LabError(f"vrouter lists {ours} ISAKMP SAs in QM_IDLE, "
                           f"charon has {theirs}:\n{out}\n"
                           f"{lab.charon_sas()}")
        lab.expect_vrouter_pings(v, 3, "after the ISAKMP renewals")
    finally:
        v.close()


if __name__ == "__main__":
    interop.run_test("ikev1_isakmp_rekey", body)
