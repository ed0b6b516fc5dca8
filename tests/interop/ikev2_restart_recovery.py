#!/usr/bin/python3
"""vrouter restarts while charon keeps sending on the old SPI of an IKEv2
child SA, with `crypto isakmp invalid-spi-recovery`. vrouter starts
IKE_SA_INIT to the static crypto map peer and sends INITIAL_CONTACT in
IKE_AUTH, charon drops its stale SAs, and pings from charon's side pass
again. Prints the time from the restart to the first ping that passes.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re
import time

import interop
from ikev2_common import IKEV2_CONFIG
from interop import LabError

# Far above what a restart takes on an idle machine, so a loaded machine
# does not fail the test.
RECOVERY_LIMIT = 15


def body(lab):
    lab.start_charon(version=2)
    lab.start_vrouter()
    lab.configure_vrouter("crypto isakmp invalid-spi-recovery\n" +
                          IKEV2_CONFIG)
    _, stale_out = lab.establish_from_peer()

    lab.kill_vrouter()
    start = time.monotonic()
    lab.start_vrouter(config=None)
    took = lab.wait_peer_ping(RECOVERY_LIMIT)
    if took is None:
        raise LabError(f"no ping from charon's side passed within "
                       f"{RECOVERY_LIMIT} s of vrouter's restart")
    took = time.monotonic() - start
    print(f"restart to first ping: {took:.3f} s")

    spis = lab.charon_child_spis()
    if not spis:
        raise LabError(f"charon has no CHILD_SA:\n{lab.charon_sas()}")
    if any(out == stale_out for _, out in spis):
        raise LabError(f"charon still has the stale outbound SPI "
                       f"{stale_out:#x}:\n{lab.charon_sas()}")
    # charon initiated the first IKE SA, so every IKE_AUTH request it
    # parsed comes from vrouter's recovery.
    log = lab.charon_log()
    if not re.search(r"parsed IKE_AUTH request 1 \[[^]]*N\(INIT_CONTACT\)",
                     log):
        raise LabError("charon's log lacks an IKE_AUTH request from "
                       "vrouter with INITIAL_CONTACT")
    line = ("destroying duplicate IKE_SA for peer "
            f"'{interop.VR_OUTER}', received INITIAL_CONTACT")
    if line not in log:
        raise LabError(f"charon's log lacks {line!r}")

    v = lab.vty()
    try:
        log = lab.vrouter_log(v)
        if not re.search(r"%CRYPTO-4-RECVD_PKT_INV_SPI.*?spi=0x0*"
                         rf"{stale_out:X}\(", log, re.I):
            raise LabError(f"no %CRYPTO-4-RECVD_PKT_INV_SPI for the stale "
                           f"SPI {stale_out:#x}:\n{log}")
        out = v.command("show crypto session")
        if not re.search(rf"IKEv2 SA: local {interop.VR_OUTER}/4500 remote "
                         rf"{interop.SW_OUTER}/4500 Active", out):
            raise LabError(f"show crypto session lists no active IKEv2 SA "
                           f"with {interop.SW_OUTER}:\n{out}")
        lab.expect_vrouter_pings(v, 5, "after the recovery")
    finally:
        v.close()


if __name__ == "__main__":
    interop.run_test("ikev2_restart_recovery", body)
