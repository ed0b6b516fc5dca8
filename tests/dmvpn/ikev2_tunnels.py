#!/usr/bin/python3
"""GRE and mGRE tunnel protection negotiated with IKEv2. With `gre`, two
routers joined by a point-to-point GRE tunnel (ikev2-gre.lab); with
`mgre`, a DMVPN hub and two spokes (ikev2-dmvpn.lab). Every router's
IKEv2 profile matches `identity remote address 0.0.0.0` and its keyring
`address 0.0.0.0 0.0.0.0`, as DMVPN configs do. The IKEv2 SAs must come
up, and pings through the tunnels must travel in ESP transport-mode SAs
that protect GRE between the tunnel endpoints."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lab"))
import lablib  # noqa: E402

fail = lablib.fail
HERE = os.path.dirname(os.path.abspath(__file__))


def wait_ikev2_ready(session, local, peer, timeout=20):
    """Waits until SESSION shows a READY IKEv2 SA from LOCAL to PEER."""
    row = re.compile(rf"^\d+\s+{re.escape(local)}/500\s+"
                     rf"{re.escape(peer)}/500\s+\S+\s+READY", re.M)
    deadline = time.monotonic() + timeout
    while True:
        out = session.command("show crypto ikev2 sa")
        if row.search(out):
            return out
        if time.monotonic() > deadline:
            fail(f"{session.name}: no READY IKEv2 SA {local} -> {peer}:\n"
                 f"{out}\n{session.command('show logging')[-3000:]}")
        time.sleep(0.5)


def ping_ok(session, target, timeout=20):
    """Pings TARGET until all five replies come back."""
    deadline = time.monotonic() + timeout
    while True:
        out = session.command(f"ping {target} repeat 5 timeout 1")
        if "Success rate is 100 percent (5/5)" in out:
            return
        if time.monotonic() > deadline:
            fail(f"{session.name}: ping {target} failed:\n{out}")


def gre_sa_packets(session, local, peer):
    """Encapsulated and decapsulated packet counts of SESSION's IPsec SA
    that protects GRE from LOCAL to PEER."""
    out = session.command(f"show crypto ipsec sa peer {peer}").replace(
        "\r", "")
    m = re.search(
        rf"local  ident \(addr/mask/prot/port\): \({re.escape(local)}"
        r"/255\.255\.255\.255/47/0\)\n"
        rf"\s+remote ident \(addr/mask/prot/port\): \({re.escape(peer)}"
        r"/255\.255\.255\.255/47/0\)\n(?:.*\n)*?"
        r"\s+#pkts encaps: (\d+),.*\n\s+#pkts decaps: (\d+),", out)
    if not m:
        fail(f"{session.name}: no IPsec SA protecting GRE {local} -> "
             f"{peer}:\n{out}")
    if "Transport" not in out:
        fail(f"{session.name}: the SA with {peer} is not in transport "
             f"mode:\n{out}")
    return int(m.group(1)), int(m.group(2))


def check_traffic(session, local, peer, target):
    """Pings TARGET over the tunnel and checks that the GRE SA with PEER
    carried the echoes and the replies."""
    encaps0, decaps0 = gre_sa_packets(session, local, peer)
    ping_ok(session, target)
    encaps1, decaps1 = gre_sa_packets(session, local, peer)
    if encaps1 < encaps0 + 5 or decaps1 < decaps0 + 5:
        fail(f"{session.name}: SA with {peer} counted encaps "
             f"{encaps0}->{encaps1}, decaps {decaps0}->{decaps1} for five "
             "echoes")


def run_gre():
    lab = lablib.Lab(os.path.join(HERE, "ikev2-gre.lab"))
    r1, r2 = lab.session("R1"), lab.session("R2")
    wait_ikev2_ready(r1, "10.1.1.1", "10.10.1.2")
    wait_ikev2_ready(r2, "10.10.1.2", "10.1.1.1")
    ping_ok(r1, "172.16.0.2")
    check_traffic(r1, "10.1.1.1", "10.10.1.2", "172.16.0.2")
    check_traffic(r2, "10.10.1.2", "10.1.1.1", "172.16.0.1")
    return lab, (r1, r2)


def run_mgre():
    lab = lablib.Lab(os.path.join(HERE, "ikev2-dmvpn.lab"))
    hub, s1, s2 = lab.session("HUB"), lab.session("S1"), lab.session("S2")
    wait_ikev2_ready(s1, "10.0.1.2", "10.0.1.1")
    wait_ikev2_ready(s2, "10.0.2.2", "10.0.1.1")
    wait_ikev2_ready(hub, "10.0.1.1", "10.0.1.2")
    wait_ikev2_ready(hub, "10.0.1.1", "10.0.2.2")
    # NHRP registration runs over the IPsec SAs, so the hub can reach
    # the spokes once it has learned them.
    ping_ok(hub, "172.16.0.2")
    ping_ok(hub, "172.16.0.3")
    check_traffic(s1, "10.0.1.2", "10.0.1.1", "172.16.0.1")
    check_traffic(s2, "10.0.2.2", "10.0.1.1", "172.16.0.1")
    # Spoke to spoke: S1 resolves S2 through the hub and negotiates an
    # IKEv2 SA of its own with S2's NBMA address.
    ping_ok(s1, "172.16.0.3")
    wait_ikev2_ready(s1, "10.0.1.2", "10.0.2.2")
    wait_ikev2_ready(s2, "10.0.2.2", "10.0.1.2")
    check_traffic(s1, "10.0.1.2", "10.0.2.2", "172.16.0.3")
    return lab, (hub, s1, s2)


if len(sys.argv) != 2 or sys.argv[1] not in ("gre", "mgre"):
    fail("usage: ikev2_tunnels.py gre|mgre")
lab, sessions = run_gre() if sys.argv[1] == "gre" else run_mgre()
for s in sessions:
    s.close()
rc = lab.stop()
if rc != 0:
    fail(f"the lab exited {rc}:\n{lab.output()[-2000:]}")
print("PASS")
