#!/usr/bin/python3
"""The mGRE rows of the invalid-SPI recovery table, in labs of two
vrouter processes (tests/dmvpn/recovery-*.lab).

dmvpn_recovery.py static: the spoke reloads and receives the hub's ESP
on SPIs it lost. The hub is mapped statically, so with
`crypto isakmp invalid-spi-recovery` the spoke starts IKE towards it
and the traffic comes back.

dmvpn_recovery.py static-off: the same without the command. The spoke
starts no IKE and the black hole stays.

dmvpn_recovery.py dynamic: the hub reloads and receives the spoke's
ESP on SPIs it lost. It learned the spoke from a registration, so even
with the command it starts no IKE towards it, as IOS documents for
dynamic NHRP mappings, and the black hole stays."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lab"))
import lablib  # noqa: E402

fail = lablib.fail
flow_action = lablib.flow_action
HERE = os.path.dirname(os.path.abspath(__file__))
RATE = 50
SPOKE_NBMA, HUB_NBMA = "10.1.1.1", "10.10.1.2"


def decaps(session):
    """#pkts decaps of the session's inbound SAs, or None without SAs."""
    out = session.command("show crypto ipsec sa")
    counts = re.findall(r"#pkts decaps: (\d+)", out)
    return sum(int(c) for c in counts) if counts else None


def isakmp_with(session, peer):
    out = session.command("show crypto isakmp sa")
    line = rf"^.*(?<![\d.]){re.escape(peer)}(?![\d.]).*QM_IDLE"
    return re.search(line, out, re.M) is not None, out


def wait_decaps_grow(session, timeout):
    deadline = time.monotonic() + timeout
    first = decaps(session)
    while True:
        time.sleep(1)
        now = decaps(session)
        if first is not None and now is not None and now >= first + RATE // 2:
            return
        if time.monotonic() > deadline:
            fail(f"{session.name}: decaps do not grow ({first} -> {now})")
        first = now if first is None else first


def reload(lab, name):
    lab.ctl("reload", name)
    lab.wait_output(rf"^{name}: vrouter: started.*\n(.*\n)*{name}: vrouter: "
                    "started", 30)
    return lab.session(name)


def static_row(recovery):
    lab = lablib.Lab(os.path.join(HERE, "recovery-static.lab"))
    r1 = lab.session("R1")
    # The hub's traffic starts IKE from the hub; the spoke receives it.
    wait_decaps_grow(r1, 30)
    if not recovery:
        r1.configure("no crypto isakmp invalid-spi-recovery")
        r1.command("write memory")
    r1.close()
    r1 = reload(lab, "R1")
    if recovery:
        deadline = time.monotonic() + 15
        while not isakmp_with(r1, HUB_NBMA)[0]:
            if time.monotonic() > deadline:
                fail("R1: no IKE SA with the hub 15 s after the reload:\n"
                     + isakmp_with(r1, HUB_NBMA)[1])
            time.sleep(0.5)
        action, out = flow_action(r1, HUB_NBMA)
        if action != "invalid-spi-recovery started IKE":
            fail(f"R1: recovery action {action!r}:\n{out}")
        wait_decaps_grow(r1, 15)
    else:
        time.sleep(15)
        up, out = isakmp_with(r1, HUB_NBMA)
        if up:
            fail(f"R1: IKE SA with the hub without recovery:\n{out}")
        if decaps(r1) is not None:
            fail("R1: IPsec SAs without recovery")
        action, out = flow_action(r1, HUB_NBMA)
        if action != "ignored: no IKE SA and invalid-spi-recovery off":
            fail(f"R1: recovery action {action!r}:\n{out}")
    r1.close()
    return lab


def dynamic_row():
    lab = lablib.Lab(os.path.join(HERE, "recovery-dynamic.lab"))
    lab.wait_trafgen("H1", rf"^t=\d+ sent={RATE} received={RATE} lost=0", 30)
    r2 = lab.session("R2")
    out = r2.command("show ip nhrp")
    if "Type: dynamic" not in out:
        fail(f"R2: the spoke is not a dynamic entry:\n{out}")
    r2.close()
    r2 = reload(lab, "R2")
    lab.wait_trafgen("H1", r"^blackhole start t=", 10)
    time.sleep(15)
    # The first black hole, while IKE came up, ended before the reload.
    text = lab.trafgen("H1")
    if "blackhole end" in text[text.rindex("blackhole start"):]:
        fail(f"the black hole ended:\n{text[-1500:]}")
    up, out = isakmp_with(r2, SPOKE_NBMA)
    if up or SPOKE_NBMA in out:
        fail(f"R2: started IKE towards the dynamic spoke:\n{out}")
    action, out = flow_action(r2, SPOKE_NBMA)
    if action != "ignored: not a configured peer":
        fail(f"R2: recovery action {action!r}:\n{out}")
    out = r2.command("show ip nhrp")
    if SPOKE_NBMA in out:
        fail(f"R2: has an NHRP entry for the spoke:\n{out}")
    r2.close()
    return lab


MODES = {
    "static": lambda: static_row(True),
    "static-off": lambda: static_row(False),
    "dynamic": dynamic_row,
}
if len(sys.argv) != 2 or sys.argv[1] not in MODES:
    fail(f"usage: dmvpn_recovery.py {'|'.join(MODES)}")
lab = MODES[sys.argv[1]]()
rc = lab.stop()
if rc != 0:
    fail(f"the lab exited {rc}:\n{lab.output()[-2000:]}")
print("PASS")
