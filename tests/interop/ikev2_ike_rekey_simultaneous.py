#!/usr/bin/python3
"""vrouter and charon rekey the IKE SA at the same moment. vrouter's
IKEv2 profile has `lifetime 120`, so vrouter rekeys 120 s after the IKE
SA came up, and `swanctl --rekey --ike` makes charon rekey right after.
nftables in charon's namespace drops vrouter's first request and its
responses to charon's until charon has vrouter's retransmitted request,
so the retransmissions cross and each end receives the other's request
while its own is outstanding. As RFC 7296 section 2.8.2
states, the new IKE SA with the lowest nonce is deleted by the end that
created it: both ends then have the same one IKE SA, no second one, the
child SA moved to it, and pings pass both ways.

How the race goes depends on timing. When vrouter's exchange survives,
vrouter deletes the old IKE SA at once, and charon 5.9 may get that
DELETE before vrouter's response to its own request. charon then aborts
its rekey and never sets up, nor deletes, the IKE SA that vrouter made
for it. Either end removes a redundant IKE SA that the peer did not
delete after 30 s, so the wait for one IKE SA on each side is longer.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re
import time

import interop
from ikev2_common import IKEV2_CONFIG
from ikev2_invalid_spi import stats_row
from ikev2_lost_delete import block_from_vrouter, unblock_from_vrouter
from interop import LabError

LIFETIME = 120
# Seconds to wait for one IKE SA on each side: a redundant IKE SA may
# stay 30 s on either end (see above), plus charon's retransmissions.
SETTLE = 50


def vrouter_ike_sas(v):
    """(tunnel id, status, local SPI, remote SPI) of each IKEv2 SA."""
    out = v.command("show crypto ikev2 sa detailed")
    rows = re.findall(r"^(\d+)\s+\S+/\d+\s+\S+/\d+\s+\S+\s+(\S+)\s*\n"
                      r"(?:.*\n)*?\s+Local spi: ([0-9A-F]{16})\s+"
                      r"Remote spi: ([0-9A-F]{16})", out, re.M)
    return rows, out


def active_seconds(v):
    out = v.command("show crypto ikev2 sa")
    m = re.search(r"Life/Active Time: \d+/(\d+) sec", out)
    if not m:
        raise LabError(f"no Life/Active Time line:\n{out}")
    return int(m.group(1))


def create_child_requests(v):
    """CREATE_CHILD_SA requests vrouter sent and received."""
    row = stats_row(v.command("show crypto ikev2 stats exchange"),
                    "CREATE_CHILD_SA")
    return row[0], row[2]


def wait_requests(v, cond, seconds, error):
    """Waits until COND(sent, received) is true for vrouter's
    CREATE_CHILD_SA requests. Raises LabError(ERROR) after SECONDS."""
    deadline = time.monotonic() + seconds
    while not cond(*create_child_requests(v)):
        if time.monotonic() > deadline:
            raise LabError(error)
        time.sleep(0.1)


def charon_ike_sas(lab):
    """(state, initiator SPI, responder SPI) of each IKE SA of charon."""
    out = lab.charon_sas()
    return re.findall(r"^peer: #\d+, (\w+), IKEv2, ([0-9a-f]{16})_i\*? "
                      r"([0-9a-f]{16})_r", out, re.M), out


# vrouter's CREATE_CHILD_SA responses to charon. They go in UDP to port
# 4500, where the 8-octet UDP header and the 4-octet non-ESP marker come
# before the IKE header: its exchange type is octet 30 of the UDP
# datagram and its flags octet 31.
RESPONSES = "udp dport 4500 @th,240,8 36 @th,248,8 & 0x20 == 0x20"


def charon_collided(lab):
    return "detected IKE_REKEY collision with IKE_REKEY" in lab.charon_log()


def rekey_lines(log):
    """The lines of charon's LOG about rekeying and deleting IKE SAs."""
    words = ("collision", "rekey", "delet", "retransmit")
    return "\n".join(line for line in log.splitlines()
                     if any(w in line for w in words))


def body(lab):
    lab.start_charon(version=2)
    lab.start_vrouter()
    lab.configure_vrouter(IKEV2_CONFIG + "crypto ikev2 profile PROF\n"
                          f" lifetime {LIFETIME}\n")
    charon_in, _ = lab.establish_from_peer()

    v = lab.vty()
    try:
        out = v.command("debug crypto ikev2")
        if "debugging is on" not in out:
            raise LabError(f"debug crypto ikev2 did not confirm:\n{out}")
        before, out = vrouter_ike_sas(v)
        if len(before) != 1:
            raise LabError(f"expected one IKEv2 SA:\n{out}")
        tx0, rx0 = create_child_requests(v)

        # Two seconds before vrouter's lifetime ends, drop what vrouter
        # sends: its rekey request is lost. charon's rekey request, sent
        # right after, reaches vrouter while vrouter's own is outstanding,
        # but vrouter's response is lost too. The retransmissions then
        # cross, so each end receives the other's request during its own.
        while active_seconds(v) < LIFETIME - 2:
            time.sleep(0.2)
        block_from_vrouter(lab)
        try:
            wait_requests(v, lambda tx, rx: tx > tx0, 6,
                          "vrouter did not rekey its IKE SA at the end of "
                          "its lifetime")
            lab.swanctl("--rekey", "--ike", "peer")
            wait_requests(v, lambda tx, rx: rx > rx0, 5,
                          "charon's rekey request did not reach vrouter")
            block_from_vrouter(lab, RESPONSES, "vrio_resp")
        finally:
            dropped = unblock_from_vrouter(lab)
        if dropped < 2:
            raise LabError(f"nftables dropped {dropped} packets from "
                           "vrouter; its rekey request and its response to "
                           "charon's should have been lost")
        # vrouter's retransmitted request must reach charon before
        # vrouter's response does, else charon finishes its rekey
        # without a collision.
        try:
            deadline = time.monotonic() + 8
            while not charon_collided(lab):
                if time.monotonic() > deadline:
                    raise LabError("vrouter's retransmitted rekey request "
                                   "did not reach charon:\n" +
                                   rekey_lines(lab.charon_log()))
                time.sleep(0.1)
        finally:
            unblock_from_vrouter(lab, "vrio_resp")

        # Both retransmissions arrive: each end responds to the other's
        # request, then the losing new IKE SA and the old one go.
        deadline = time.monotonic() + SETTLE
        while True:
            after, out = vrouter_ike_sas(v)
            charon, cout = charon_ike_sas(lab)
            if (len(after) == 1 and after[0][1] == "READY" and
                    after[0][0] != before[0][0] and len(charon) == 1 and
                    charon[0][0] == "ESTABLISHED"):
                break
            if time.monotonic() > deadline:
                raise LabError(f"not one new IKE SA on each side:\n{out}\n"
                               f"{cout}\n{lab.vrouter_log(v)[-6000:]}\n"
                               f"{rekey_lines(lab.charon_log())}")
            time.sleep(0.3)

        # Both ends show the same SPIs, and vrouter shows its own SPI first.
        _, _, local_spi, remote_spi = after[0]
        spis_vr = {local_spi.lower(), remote_spi.lower()}
        spis_sw = {charon[0][1], charon[0][2]}
        if spis_vr != spis_sw:
            raise LabError(f"vrouter kept IKE SA {spis_vr}, charon "
                           f"{spis_sw}:\n{out}\n{cout}")
        if local_spi == before[0][2] or remote_spi == before[0][3]:
            raise LabError(f"the IKE SA kept an old SPI:\n{out}")
        # There is no NAT, but charon's `encap = yes` sends a false
        # NAT_DETECTION_SOURCE_IP to force ESP in UDP, so vrouter
        # detects one, and the new IKE SA keeps that result.
        if ("faking NAT situation" in lab.charon_log() and
                "NAT-T is detected  outside" not in out):
            raise LabError(f"the new IKE SA lost NAT-T:\n{out}")

        # The child SA moved to the new IKE SA without a rekey.
        spis = lab.charon_child_spis()
        if len(spis) != 1 or spis[0][0] != charon_in:
            raise LabError(f"charon's CHILD_SA changed:\n{cout}")
        lab.expect_vrouter_pings(v, 3, "after the simultaneous rekey")
        lab.expect_peer_pings(3, "after the simultaneous rekey")
        # A few seconds later still one IKE SA on each side.
        time.sleep(3)
        after2, out = vrouter_ike_sas(v)
        charon2, cout = charon_ike_sas(lab)
        if after2 != after or len(charon2) != 1:
            raise LabError(f"the IKE SAs changed again:\n{out}\n{cout}")
    finally:
        v.close()

    if "collision" not in lab.charon_log():
        raise LabError("charon's log shows no rekey collision")


if __name__ == "__main__":
    interop.run_test("ikev2_ike_rekey_simultaneous", body)
