#!/usr/bin/python3
"""charon behind a real NAT that translates ports (nftables masquerade to
source ports 20000-20100, so neither 500 nor 4500 survives) initiates
IKEv1 or IKEv2 (first argument: 1 or 2) to vrouter. vrouter must send
its IKE responses, ESP in UDP and its DPD responses to the ports the NAT
chose, because the NAT has no mapping for 500 or 4500. Pings pass both ways,
and the show commands print the translated port.

Then vrouter restarts. Behind a NAPT, vrouter cannot start IKE towards
charon: nothing maps port 500 of the NAT to charon. So the tunnel comes
back as it does in real deployments with a NATed branch. vrouter logs
%CRYPTO-4-RECVD_PKT_INV_SPI for charon's ESP in UDP and counts it. Then
charon's DPD (dpd_delay 3 s, dpd_action restart) gives up on the old
IKE SA and negotiates anew through the NAT.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re
import sys
import time

import interop
from ikev2_common import IKEV2_CONFIG
from interop import LabError, NAT_PORTS, SW_OUTER, VR_OUTER

DPD_DELAY = 3
# charon retransmits 3 times (1 s, 1.5 s base) before it gives up on
# the old IKE SA, so the tunnel should be back well within this.
RECOVERY_LIMIT = 40


def translated_port(sa):
    """Returns the current_peer port of a parse_ipsec_sa() result after
    checking that it is charon's NAT's address and one of its ports."""
    if sa["peer"] != SW_OUTER:
        raise LabError(f"current_peer is {sa['peer']}, expected the NAT's "
                       f"address {SW_OUTER}")
    port = sa["peer_port"]
    if port is None or not NAT_PORTS[0] <= port <= NAT_PORTS[1]:
        raise LabError(f"current_peer port is {port}, expected one the NAT "
                       f"maps to ({NAT_PORTS[0]}-{NAT_PORTS[1]})")
    return port


def check_ike_shows(v, version, port):
    """Checks that the IKE SA and session show commands print PORT as
    charon's port and 4500 as vrouter's."""
    out = v.command("show crypto session detail")
    want = f"Peer: {SW_OUTER} port {port} "
    if want not in out:
        raise LabError(f"show crypto session detail lacks {want!r}:\n{out}")
    want = (f"IKEv{version} SA: local {VR_OUTER}/4500 remote "
            f"{SW_OUTER}/{port} Active")
    if want not in out:
        raise LabError(f"show crypto session detail lacks {want!r}:\n{out}")
    if version == 1:
        out = v.command("show crypto isakmp sa detail")
        if not re.search(rf"{VR_OUTER}\s+{SW_OUTER}\s+ACTIVE .* D?N\s*$",
                         out, re.M):
            raise LabError(f"show crypto isakmp sa detail has no ACTIVE SA "
                           f"with {SW_OUTER} and capability N:\n{out}")
        return
    out = v.command("show crypto ikev2 sa detailed")
    if not re.search(rf"{VR_OUTER}/4500\s+{SW_OUTER}/{port}\s+.*READY",
                     out):
        raise LabError(f"show crypto ikev2 sa detailed has no READY SA "
                       f"with {SW_OUTER}/{port}:\n{out}")
    if "NAT-T is detected" not in out:
        raise LabError(f"show crypto ikev2 sa detailed does not report "
                       f"NAT-T:\n{out}")


def check_tunnel(lab, version):
    """Checks the SAs, the show commands and pings both ways. Returns the
    port the NAT shows for charon's 4500."""
    v = lab.vty()
    try:
        text = v.command("show crypto ipsec sa")
        before = interop.parse_ipsec_sa(text)
        port = translated_port(before)
        if "in use settings ={Tunnel UDP-Encaps, }" not in text:
            raise LabError(f"the SAs are not UDP-encapsulated:\n{text}")
        check_ike_shows(v, version, port)
        # vrouter's echo requests and its replies to charon's both go to
        # the translated port, the only one the NAT maps back.
        lab.expect_peer_pings(5, "through the NAT")
        lab.expect_vrouter_pings(v, 5, "through the NAT")
        after = lab.ipsec_sa(v)
        interop.check_counters_grew(before, after, 10)
    finally:
        v.close()
    return port


def check_black_hole(lab, stale_out, port):
    """After vrouter's restart: charon's ESP from the NAT's PORT finds no
    SA, and vrouter logs and counts it but has no IKE SA to send a notify
    over."""
    v = lab.vty()
    try:
        got = lab.ping_from_peer(count=3, wait=0.5)
        if got != 0:
            raise LabError(f"{got} pings from charon's side passed right "
                           f"after vrouter lost its SAs")
        log = lab.vrouter_log(v)
        inv = re.search(r"%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC "
                        r"packet has invalid spi for destaddr=\S+, "
                        r"prot=\d+, spi=0x([0-9A-Fa-f]+)\(\d+\), "
                        rf"srcaddr={re.escape(SW_OUTER)}", log)
        if not inv:
            raise LabError(f"no %CRYPTO-4-RECVD_PKT_INV_SPI from "
                           f"{SW_OUTER} in the log:\n{log}")
        if int(inv.group(1), 16) != stale_out:
            raise LabError(f"RECVD_PKT_INV_SPI names SPI {inv.group(1)}, "
                           f"charon sends on {stale_out:#x}")
        out = v.command("show crypto ipsec invalid-spi")
        want = (f"srcaddr: {SW_OUTER}, destaddr: {VR_OUTER}, "
                f"spi: 0x{stale_out:X}({stale_out}), UDP 4500 from port "
                f"{port}")
        if want not in out:
            raise LabError(f"show crypto ipsec invalid-spi lacks "
                           f"{want!r}:\n{out}")
    finally:
        v.close()


def body(lab, version):
    lab.start_charon(version=version, dpd_delay=f"{DPD_DELAY}s",
                     dpd_action="restart")
    lab.start_vrouter()
    lab.configure_vrouter(IKEV2_CONFIG if version == 2 else "")
    _, stale_out = lab.establish_from_peer()
    if "local host is behind NAT" not in lab.charon_log():
        raise LabError("charon did not detect the NAT in front of it")
    port = check_tunnel(lab, version)
    # charon sends liveness checks after DPD_DELAY without traffic.
    # vrouter's responses reach it only at the translated port. Without
    # them, charon would restart the IKE SA and the pings would fail.
    time.sleep(2 * DPD_DELAY + 1)
    lab.expect_peer_pings(2, "after charon's liveness checks")
    flows = lab.nat_udp_translations()
    if flows < 2:
        raise LabError(f"the NAT masqueraded {flows} UDP flows, expected "
                       f"charon's 500 and 4500")

    lab.kill_vrouter()
    start = time.monotonic()
    lab.start_vrouter(config=None)
    check_black_hole(lab, stale_out, port)
    if lab.wait_peer_ping(RECOVERY_LIMIT) is None:
        raise LabError(f"no ping from charon's side passed within "
                       f"{RECOVERY_LIMIT} s of vrouter's restart")
    print(f"restart to first ping (charon's DPD): "
          f"{time.monotonic() - start:.3f} s")
    if "restarting CHILD_SA net" not in lab.charon_log():
        raise LabError("charon's log lacks 'restarting CHILD_SA net'; the "
                       "tunnel came back by another way")
    new_port = check_tunnel(lab, version)
    print(f"charon's 4500 shows as port {port}, after the restart "
          f"{new_port}")


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("1", "2"):
        interop.fail("usage: nat_napt.py 1|2 (the IKE version)")
    ike_version = int(sys.argv[1])
    interop.run_test(f"ikev{ike_version}_nat_napt",
                     lambda lab: body(lab, ike_version), nat=True)
