#!/usr/bin/python3
"""charon is killed and restarted with no SAs: it drops vrouter's ESP
silently. vrouter's DPD (`crypto isakmp keepalive 10 2 periodic`, or
on-demand with the argument "on-demand") finds the dead IKE SA, and
vrouter's next packets negotiate a new tunnel with the restarted
charon. Prints the time from the restart to the first ping that
passes.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import sys
import time

import interop
from interop import LabError

# DPD interval 10 s, then retries 2 s apart until the peer is declared
# dead: IOS gives up after about 10 + 5 * 2 s; allow twice that.
RECOVERY_LIMIT = 60


def body(lab, mode):
    lab.start_charon(version=1)
    lab.start_vrouter()
    lab.configure_vrouter(f"crypto isakmp keepalive 10 2 {mode}\n")
    v = lab.vty()
    try:
        stale_in, _ = lab.establish_from_vrouter(v)

        v.command("debug crypto isakmp")
        lab.kill_charon()
        start = time.monotonic()
        lab.restart_charon()
        lab.expect_vrouter_pings(v, 3, "right after charon lost its SAs",
                                 expected=0)
        took = lab.wait_vrouter_ping(v, RECOVERY_LIMIT)
        if took is None:
            raise LabError(f"no ping from vrouter passed within "
                           f"{RECOVERY_LIMIT} s of charon's restart")
        took = time.monotonic() - start
        print(f"peer restart to first ping: {took:.3f} s")

        sa = lab.ipsec_sa(v)
        if sa["outbound_spi"] == stale_in:
            raise LabError(f"vrouter still sends on the SPI of the dead "
                           f"SA {stale_in:#x}")
        spis = lab.charon_child_spis()
        if not spis or spis[0][0] != sa["outbound_spi"]:
            raise LabError(f"vrouter's outbound SPI "
                           f"{sa['outbound_spi']} is not the restarted "
                           f"charon's inbound SPI ({spis})")
        lab.expect_peer_pings(3, "after the recovery")
        log = lab.vrouter_log(v)
        for line in ("sending DPD R_U_THERE",
                     f"DPD: peer {interop.SW_OUTER} is dead, deleting SAs"):
            if line not in log:
                raise LabError(f"debug crypto isakmp lacks {line!r}:\n"
                               f"{log[-3000:]}")
    finally:
        v.close()


if __name__ == "__main__":
    # "on-demand" sends R-U-THERE only while vrouter sends traffic and
    # receives none, which the pings here provide.
    dpd_mode = sys.argv[1] if len(sys.argv) > 1 else "periodic"
    if dpd_mode not in ("periodic", "on-demand"):
        interop.fail(f"unknown DPD mode {dpd_mode!r}; use periodic or "
                     f"on-demand")
    interop.run_test(f"ikev1_peer_restart_dpd {dpd_mode}",
                     lambda lab: body(lab, dpd_mode))
