#!/usr/bin/python3
"""One DMVPN hub and two spokes (tests/dmvpn/dmvpn.lab) as three vrouter
processes. The spokes register with the hub over IPsec-protected mGRE,
and the hub learns them as dynamic NHRP entries, so traffic flows both
ways, also from spoke to spoke after an NHRP resolution. `show dmvpn`
must parse with the ntc-templates template. Spokes register again at a
third of their holding time, and the hub's entry of a spoke that stops
registering expires."""

import os
import re
import sys
import time

import textfsm

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lab"))
import lablib  # noqa: E402

fail = lablib.fail
HERE = os.path.dirname(os.path.abspath(__file__))


def template_path():
    shared = os.environ.get("VR_SHARED_DIR")
    path = os.path.join(shared or "", "cases", "external", "ntc-templates",
                        "templates", "cisco_ios_show_dmvpn.textfsm")
    if not shared or not os.path.isfile(path):
        fail(f"the show dmvpn template is missing ({path}); set "
             "VR_SHARED_DIR to the reference material")
    return path


def parse_dmvpn(text):
    """Rows of `show dmvpn` as the ntc-templates parser reads them."""
    with open(template_path()) as f:
        fsm = textfsm.TextFSM(f)
    # The template rejects lines it does not know, so the prompt that
    # ends the session's output is removed.
    text = re.sub(r"\n\S+#\Z", "\n", text.replace("\r", ""))
    return [dict(zip(fsm.header, row)) for row in fsm.ParseText(text)]


def wait_rows(session, expected, timeout):
    """Waits until `show dmvpn` parses to the (nbma, tunnel, state,
    attribute) tuples EXPECTED; returns the parsed rows."""
    deadline = time.monotonic() + timeout
    while True:
        out = session.command("show dmvpn")
        rows = parse_dmvpn(out)
        got = sorted((r["PEER_NBMA"], r["PEER_TUNNEL"], r["STATE"],
                      r["ATTRIBUTE"]) for r in rows)
        if got == sorted(expected):
            return rows, out
        if time.monotonic() > deadline:
            fail(f"{session.name}: show dmvpn rows {got}, expected "
                 f"{sorted(expected)}:\n{out}")
        time.sleep(0.5)


def ping(session, target):
    out = session.command(f"ping {target} repeat 5 timeout 1")
    m = re.search(r"Success rate is (\d+) percent \((\d+)/(\d+)\)", out)
    if not m:
        fail(f"{session.name}: no ping summary for {target}:\n{out}")
    return int(m.group(2)), out


def ping_ok(session, target, timeout=20):
    """Pings until all five replies come back (the first pings may start
    IKE)."""
    deadline = time.monotonic() + timeout
    while True:
        ok, out = ping(session, target)
        if ok == 5:
            return
        if time.monotonic() > deadline:
            fail(f"{session.name}: ping {target} failed:\n{out}")


def traffic(session):
    out = session.command("show ip nhrp traffic")
    sent = re.search(r"Sent: Total \d+\n\s+.*?(\d+) Registration Request",
                     out.replace("\r", ""))
    rcvd = re.search(r"Rcvd: Total \d+\n.*\n\s+(\d+) Registration Reply",
                     out.replace("\r", ""))
    if not sent or not rcvd:
        fail(f"{session.name}: unreadable show ip nhrp traffic:\n{out}")
    return int(sent.group(1)), int(rcvd.group(1))


lab = lablib.Lab(os.path.join(HERE, "dmvpn.lab"))
hub, s1, s2 = lab.session("HUB"), lab.session("S1"), lab.session("S2")

# Registration runs over ESP, so both spokes' IKE must come up first.
rows, out = wait_rows(hub, [("10.0.1.2", "172.16.0.2", "UP", "D"),
                            ("10.0.2.2", "172.16.0.3", "UP", "D")], 30)
if "Type:Hub, NHRP Peers:2, " not in out:
    fail(f"HUB: show dmvpn header:\n{out}")
for r in rows:
    if not re.fullmatch(r"\d\d:\d\d:\d\d", r["UPTIME"]):
        fail(f"HUB: up time {r['UPTIME']!r} is not hh:mm:ss")
for spoke in (s1, s2):
    _, out = wait_rows(spoke, [("10.0.1.1", "172.16.0.1", "UP", "S")], 10)
    if "Type:Spoke, NHRP Peers:1, " not in out:
        fail(f"{spoke.name}: show dmvpn header:\n{out}")

nhrp = hub.command("show ip nhrp").replace("\r", "")
for addr, nbma in (("172.16.0.2", "10.0.1.2"), ("172.16.0.3", "10.0.2.2")):
    entry = re.search(rf"^{re.escape(addr)}/32 via {re.escape(addr)}\n"
                      r"   Tunnel0 created \d\d:\d\d:\d\d, expire "
                      r"(\d\d):(\d\d):(\d\d)\n"
                      r"   Type: dynamic, Flags: unique registered used "
                      r"nhop \n"
                      rf"   NBMA address: {re.escape(nbma)} \n", nhrp, re.M)
    if not entry:
        fail(f"HUB: no dynamic entry {addr} -> {nbma}:\n{nhrp}")
    left = int(entry.group(2)) * 60 + int(entry.group(3))
    limit = 30 if addr == "172.16.0.2" else 12
    if not 0 < left <= limit:
        fail(f"HUB: {addr} expires in {left} s, holding time {limit} s")

# Spoke to hub, and hub to spoke through the learned NBMA addresses.
ping_ok(s1, "172.16.0.1")
ping_ok(s2, "172.16.0.1")
ping_ok(hub, "172.16.0.2")
ping_ok(hub, "172.16.0.3")
# Spoke to spoke: through the hub while S1 resolves S2's NBMA address
# (ip nhrp shortcut) and negotiates SAs with it, then directly.
ping_ok(s1, "172.16.0.3")
nhrp = s1.command("show ip nhrp").replace("\r", "")
if not re.search(r"^172\.16\.0\.3/32 via 172\.16\.0\.3\n.*expire.*\n"
                 r"   Type: dynamic, Flags: router used nhop \n"
                 r"   NBMA address: 10\.0\.2\.2 \n", nhrp, re.M):
    fail(f"S1: no resolved entry for S2:\n{nhrp}")
# Either spoke may start IKE first: S1 on its resolution, S2 on the
# traffic that follows it.
deadline = time.monotonic() + 15
while not re.search(r"(10\.0\.2\.2\s+10\.0\.1\.2|10\.0\.1\.2\s+"
                    r"10\.0\.2\.2)\s+QM_IDLE",
                    s1.command("show crypto isakmp sa")):
    if time.monotonic() > deadline:
        fail("S1: no IKE SA with S2:\n" + s1.command("show crypto isakmp sa"))
    ping(s1, "172.16.0.3")
wait_rows(s1, [("10.0.1.1", "172.16.0.1", "UP", "S"),
               ("10.0.2.2", "172.16.0.3", "UP", "D")], 15)
ping_ok(s1, "172.16.0.3")
sas = hub.command("show crypto isakmp sa")
for peer in ("10.0.1.2", "10.0.2.2"):
    if not re.search(rf"10\.0\.1\.1\s+{re.escape(peer)}\s+QM_IDLE", sas):
        fail(f"HUB: no IKE SA with {peer}:\n{sas}")

# S1 registers again a third of its 30-second holding time later.
sent0, replies0 = traffic(s1)
time.sleep(11)
sent1, replies1 = traffic(s1)
if replies1 < replies0 + 1 or sent1 < sent0 + 1:
    fail(f"S1: no registration in 11 s: requests {sent0}->{sent1}, "
         f"replies {replies0}->{replies1}")

# S2 stops registering: the hub drops its entry when the 12-second
# holding time runs out, and keeps S1's.
s2.configure("interface Tunnel0", "shutdown")
wait_rows(hub, [("10.0.1.2", "172.16.0.2", "UP", "D")], 20)
ok, out = ping(hub, "172.16.0.3")
if ok != 0:
    fail(f"HUB: ping to the expired spoke succeeded:\n{out}")

# The state changes went to the log in IOS's DMVPN messages.
logs = hub.command("show logging").replace("\r", "")
for spoke, nbma in (("172.16.0.2", "10.0.1.2"), ("172.16.0.3", "10.0.2.2")):
    line = (rf"%DMVPN-5-NHRP_NHC_UP: Tunnel0: Next Hop Client : \(Tunnel: "
            rf"{re.escape(spoke)} NBMA: {re.escape(nbma)} \) for \(Tunnel: "
            r"172\.16\.0\.1 NBMA: 10\.0\.1\.1 \) is UP")
    if not re.search(line, logs):
        fail(f"HUB: no NHRP_NHC_UP for {spoke}:\n{logs[-2000:]}")
if not re.search(r"%DMVPN-5-NHRP_NHC_DOWN: Tunnel0: Next Hop Client : "
                 r"\(Tunnel: 172\.16\.0\.3 NBMA: 10\.0\.2\.2 \) .* is DOWN, "
                 r"Reason: expired", logs):
    fail(f"HUB: no NHRP_NHC_DOWN for the expired spoke:\n{logs[-2000:]}")
logs = s1.command("show logging").replace("\r", "")
if not re.search(r"%DMVPN-5-NHRP_NHS_UP: Tunnel0: Next Hop Server : "
                 r"\(Tunnel: 172\.16\.0\.1 NBMA: 10\.0\.1\.1 \) for "
                 r"\(Tunnel: 172\.16\.0\.2 NBMA: 10\.0\.1\.2 \) is UP", logs):
    fail(f"S1: no NHRP_NHS_UP:\n{logs[-2000:]}")

# clear ip nhrp removes the dynamic entries; S1's next registration,
# within 10 s, brings its entry back.
hub.command("clear ip nhrp")
out = hub.command("show dmvpn")
if parse_dmvpn(out):
    fail(f"HUB: entries left after clear ip nhrp:\n{out}")
wait_rows(hub, [("10.0.1.2", "172.16.0.2", "UP", "D")], 15)

for s in (hub, s1, s2):
    s.close()
rc = lab.stop()
if rc != 0:
    fail(f"the lab exited {rc}:\n{lab.output()[-2000:]}")
print("PASS")
