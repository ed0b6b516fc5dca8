#!/usr/bin/python3
"""vrouter restarts without `crypto isakmp invalid-spi-recovery`, and
charon runs IKEv2 liveness checks (dpd_delay 3 s, dpd_action restart).
While both are up, vrouter answers charon's empty INFORMATIONAL
requests. After the restart the traffic is black-holed until charon's
check gives up on the old IKE SA, then charon negotiates anew and pings
pass again. Prints the time from the restart to the first ping that
passes.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re
import time

import interop
from ikev2_common import IKEV2_CONFIG
from interop import LabError

DPD_DELAY = 3
# charon retransmits 3 times (1 s, 1.5 s base) before it gives up, so
# the tunnel should be back well within this.
RECOVERY_LIMIT = 40


def body(lab):
    lab.start_charon(version=2, dpd_delay=f"{DPD_DELAY}s",
                     dpd_action="restart")
    lab.start_vrouter()
    lab.configure_vrouter(IKEV2_CONFIG)
    lab.establish_from_peer()

    # charon checks liveness only after DPD_DELAY without inbound
    # traffic.
    time.sleep(2 * DPD_DELAY + 1)
    log = lab.charon_log()
    if not re.search(r"parsed INFORMATIONAL response \d+ \[ \]", log):
        raise LabError("vrouter did not answer charon's liveness check:\n"
                       + "\n".join(log.splitlines()[-30:]))

    lab.kill_vrouter()
    start = time.monotonic()
    lab.start_vrouter(config=None)
    lab.expect_peer_pings(3, "right after vrouter lost its SAs",
                          expected=0)
    if lab.wait_peer_ping(RECOVERY_LIMIT) is None:
        raise LabError(f"no ping from charon's side passed within "
                       f"{RECOVERY_LIMIT} s of vrouter's restart")
    took = time.monotonic() - start
    print(f"restart to first ping (charon's DPD): {took:.3f} s")

    log = lab.charon_log()
    if "restarting CHILD_SA net" not in log:
        raise LabError("charon's log lacks 'restarting CHILD_SA net'; the "
                       "tunnel came back by another way")
    if "parsed IKE_SA_INIT request" in log:
        raise LabError("vrouter started IKE_SA_INIT without "
                       "invalid-spi-recovery and without traffic of its "
                       "own")


if __name__ == "__main__":
    interop.run_test("ikev2_restart_charon_dpd", body)
