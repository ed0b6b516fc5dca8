#!/usr/bin/python3
"""A one-sided CHILD_SA delete whose DELETE is lost: charon deletes its
CHILD_SA while nftables in its namespace drops everything it sends, so
vrouter keeps its IPsec SAs and sends into a black hole (charon drops
ESP for an unknown SPI silently, and acknowledges DPD because the ISAKMP SA
lives). The tunnel comes back when vrouter's SA lifetime (120 s, the
IOS minimum) makes it rekey over the surviving ISAKMP SA. Prints the
time from the lost DELETE to the first ping that passes.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re
import time

import interop
from interop import LabError

LIFETIME = 120
RECOVERY_LIMIT = LIFETIME + 20


def body(lab):
    lab.start_charon(version=1)
    lab.start_vrouter()
    lab.configure_vrouter("crypto map VPN 10 ipsec-isakmp\n"
                          f" set security-association lifetime seconds "
                          f"{LIFETIME}\n")
    v = lab.vty()
    try:
        stale_in, _ = lab.establish_from_vrouter(v)

        lab.block_peer()
        lab.swanctl("--terminate", "--child", "net", "--timeout", "5",
                    check=False)
        dropped = lab.unblock_peer()
        start = time.monotonic()
        if dropped < 1:
            raise LabError("nftables dropped nothing: charon sent no "
                           "DELETE for its CHILD_SA")
        if lab.charon_child_spis():
            raise LabError(f"charon kept its CHILD_SA:\n{lab.charon_sas()}")
        if "ESTABLISHED" not in lab.charon_sas():
            raise LabError(f"charon lost its ISAKMP SA too:\n"
                           f"{lab.charon_sas()}")

        lab.expect_vrouter_pings(v, 3, "after charon deleted its "
                                 "CHILD_SA", expected=0)
        if lab.ipsec_sa(v)["outbound_spi"] != stale_in:
            raise LabError(f"vrouter no longer sends on SPI {stale_in:#x} "
                           f"although charon's DELETE was lost")

        took = lab.wait_vrouter_ping(v, RECOVERY_LIMIT)
        if took is None:
            raise LabError(f"no ping from vrouter passed within "
                           f"{RECOVERY_LIMIT} s of the lost DELETE")
        took = time.monotonic() - start
        print(f"lost DELETE to first ping: {took:.3f} s")
        out = v.command("show crypto isakmp sa")
        if len(re.findall(r"QM_IDLE", out)) != 1:
            raise LabError(f"expected the one surviving ISAKMP SA:\n{out}")
    finally:
        v.close()

    # The new CHILD_SA came from vrouter's second Quick Mode over the
    # ISAKMP SA that charon kept, not from a new Main Mode.
    sas = lab.charon_sas()
    if not re.search(r"peer: #1, ESTABLISHED, IKEv1", sas):
        raise LabError(f"charon no longer has its first IKE SA:\n{sas}")
    # The first message of each Quick Mode carries the SA payload.
    requests = len(re.findall(r"parsed QUICK_MODE request \d+ \[ HASH SA",
                              lab.charon_log()))
    if requests < 2:
        raise LabError(f"charon parsed {requests} Quick Mode requests, "
                       f"expected the first and vrouter's rekey")


if __name__ == "__main__":
    interop.run_test("ikev1_lost_child_delete", body)
