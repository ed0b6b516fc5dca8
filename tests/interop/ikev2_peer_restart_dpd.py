#!/usr/bin/python3
"""charon restarts and loses its SAs while vrouter runs IKEv2 liveness
checks (`dpd 10 2 periodic` in the IKEv2 profile). vrouter's empty
INFORMATIONAL requests go unanswered, so after the retries it deletes
the IKE SA and its child SAs; then traffic from vrouter negotiates a
new tunnel. Prints the time from charon's restart to the deletion.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re
import time

import interop
from ikev2_common import IKEV2_CONFIG
from interop import LabError

DPD = "crypto ikev2 profile PROF\n dpd 10 2 periodic\n"
# 10 s idle, then 5 retries 2 s apart: about 22 s.
DEAD_LIMIT = 45


def body(lab):
    lab.start_charon(version=2)
    lab.start_vrouter()
    lab.configure_vrouter(IKEV2_CONFIG + DPD)
    lab.establish_from_peer()

    lab.kill_charon()
    start = time.monotonic()
    lab.restart_charon()
    v = lab.vty()
    try:
        deadline = start + DEAD_LIMIT
        while True:
            out = v.command("show crypto ikev2 sa")
            if not re.search(r"^\d+\s+\S+/\d+\s+\S+/\d+", out, re.M):
                break
            if time.monotonic() > deadline:
                raise LabError(f"vrouter kept its IKEv2 SA {DEAD_LIMIT} s "
                               f"after charon restarted:\n{out}")
            time.sleep(0.5)
        print(f"charon restart to IKE SA deletion: "
              f"{time.monotonic() - start:.1f} s")
        sa = lab.ipsec_sa(v)
        if sa["inbound"]:
            raise LabError(f"vrouter kept child SAs "
                           f"{[hex(x) for x in sa['inbound']]}")
        if lab.wait_vrouter_ping(v, 20) is None:
            raise LabError("no ping from vrouter passed within 20 s of the "
                           "deletion")
        lab.expect_peer_pings(3, "after vrouter negotiated again")
    finally:
        v.close()
    if "parsed IKE_SA_INIT request" not in lab.charon_log():
        raise LabError("the new tunnel was not vrouter's IKE_SA_INIT")


if __name__ == "__main__":
    interop.run_test("ikev2_peer_restart_dpd", body)
