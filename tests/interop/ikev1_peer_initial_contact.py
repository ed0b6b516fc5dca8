#!/usr/bin/python3
"""charon is killed and restarted with start_action start, so it
initiates Main Mode with INITIAL-CONTACT at once. vrouter must drop the
stale IKE and IPsec SAs of that peer right away: afterwards it has one
IKE SA, sends on charon's new inbound SPI, and no longer lists the old
SPIs, without waiting for DPD (none is configured).

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re
import time

import interop
from interop import LabError


def body(lab):
    lab.start_charon(version=1)
    lab.start_vrouter()
    lab.configure_vrouter()
    v = lab.vty()
    try:
        stale_in, stale_out = lab.establish_from_vrouter(v)

        lab.kill_charon()
        start = time.monotonic()
        lab.restart_charon(version=1, start_action="start")
        if lab.wait_peer_ping(15) is None:
            raise LabError("no ping from charon's side passed within 15 s "
                           "of its restart")
        print(f"peer restart to first ping: "
              f"{time.monotonic() - start:.3f} s")
        if "generating ID_PROT request 0 [ ID HASH N(INITIAL_CONTACT) ]" \
                not in lab.charon_log():
            raise LabError("the restarted charon sent no INITIAL_CONTACT")

        lab.expect_vrouter_pings(v, 3, "after charon's INITIAL_CONTACT")
        out = v.command("show crypto isakmp sa")
        if len(re.findall(r"QM_IDLE|MM_|AG_", out)) != 1:
            raise LabError(f"vrouter kept the stale IKE SA next to the new "
                           f"one:\n{out}")
        sa = lab.ipsec_sa(v)
        new_in, _ = lab.charon_child_spis()[0]
        if sa["outbound_spi"] != new_in:
            raise LabError(f"vrouter sends on {sa['outbound_spi']:#x}, not "
                           f"on charon's new inbound SPI {new_in:#x}")
        if stale_in in sa["outbound"] or stale_out in sa["inbound"]:
            raise LabError(f"vrouter still lists the stale SPIs "
                           f"{stale_in:#x}/{stale_out:#x}:\n{sa}")
    finally:
        v.close()


if __name__ == "__main__":
    interop.run_test("ikev1_peer_initial_contact", body)
