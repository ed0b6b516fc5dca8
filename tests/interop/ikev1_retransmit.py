#!/usr/bin/python3
"""vrouter retransmits Main Mode: nftables drops every reply charon
sends for a few seconds after vrouter's first Main Mode message. charon
logs vrouter's retransmits at growing intervals, and once the replies
pass again the tunnel comes up without a new trigger from charon's
side.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re
import time

import interop
from interop import LabError

BLOCKED_SECONDS = 5


def body(lab):
    lab.start_charon(version=1)
    lab.start_vrouter()
    lab.configure_vrouter()
    v = lab.vty()
    try:
        lab.block_peer()
        # One echo to trigger the negotiation; it cannot pass yet.
        lab.vrouter_ping(v, count=1)
        time.sleep(BLOCKED_SECONDS)
        dropped = lab.unblock_peer()
        if dropped < 2:
            raise LabError(f"nftables dropped {dropped} of charon's "
                           f"replies, expected vrouter to retransmit")
        # charon's log has whole seconds: the first message, then each
        # retransmit of it.
        log = lab.charon_log()
        stamps = [int(h) * 3600 + int(m) * 60 + int(sec) for h, m, sec in
                  re.findall(r"^(\d\d):(\d\d):(\d\d) \d+\[(?:ENC|IKE)\] "
                             r"<\d+> (?:parsed ID_PROT request 0 \[ SA|"
                             r"received retransmit of request with ID 0)",
                             log, re.M)]
        if len(stamps) < 3:
            raise LabError(f"charon saw {len(stamps) - 1} Main Mode "
                           f"retransmits from vrouter while its replies "
                           f"were dropped, expected at least 2")
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        if gaps[-1] <= gaps[0]:
            raise LabError(f"vrouter's retransmit intervals {gaps} s do not "
                           f"back off")
        took = lab.wait_vrouter_ping(v, 30)
        if took is None:
            raise LabError("the tunnel did not come up within 30 s of "
                           "charon's replies passing again")
        print(f"up {took:.3f} s after the replies passed again")
        if not lab.wait_charon_child(5):
            raise LabError(f"charon has no CHILD_SA:\n{lab.charon_sas()}")
        lab.expect_peer_pings(3, "after the retransmitted negotiation")
    finally:
        v.close()


if __name__ == "__main__":
    interop.run_test("ikev1_retransmit", body)
