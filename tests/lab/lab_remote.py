#!/usr/bin/python3
"""A lab split over two machines: each half is a lab of its own, and the
WAN link is a `remote` statement in each that points at the other lab's
UDP address. Two loopback addresses, 127.0.0.1 and 127.0.0.2, play the
two machines. The IKE tunnel comes up across the split, traffic flows,
both labs count the frames of the link, and a fault applied in one lab
cuts the link as on a single machine."""

import os
import re
import socket
import tempfile

import lablib

RATE = 50
HALF_A = """router R1 {cfg1}
remote WAN R1:GigabitEthernet1 127.0.0.1:{port_a} 127.0.0.2:{port_b}
host H1 R1:GigabitEthernet2
trafgen H1 --addr 192.168.1.10 send 192.168.2.10 --rate {rate}
"""
HALF_B = """router R2 {cfg2}
remote WAN R2:GigabitEthernet1 127.0.0.2:{port_b} 127.0.0.1:{port_a}
host H2 R2:GigabitEthernet2
trafgen H2 --addr 192.168.2.10 echo
"""


def free_udp_port(addr):
    """Returns a UDP port free on ADDR at the time of the call."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


tmp = tempfile.TemporaryDirectory(prefix="vr-lab-remote.")
values = {"cfg1": lablib.lab_file("invalid-spi-r1.cfg"),
          "cfg2": lablib.lab_file("invalid-spi-r2.cfg"),
          "port_a": free_udp_port("127.0.0.1"),
          "port_b": free_udp_port("127.0.0.2"), "rate": RATE}
paths = {}
for name, text in (("a", HALF_A), ("b", HALF_B)):
    paths[name] = os.path.join(tmp.name, f"half-{name}.lab")
    with open(paths[name], "w") as f:
        f.write(text.format(**values))

lab_b = lablib.Lab(paths["b"])
lab_a = lablib.Lab(paths["a"])

status = lab_a.ctl("status")
if not re.search(rf"^WAN +R1:GigabitEthernet1 +remote 127\.0\.0\.2:"
                 rf"{values['port_b']} ", status, re.M):
    lablib.fail(f"lab A does not show the remote end of WAN:\n{status}")

# IKE and traffic across the split.
full = rf"t=\d+ sent={RATE} received={RATE} lost=0 loss=0\.0%"
lab_a.wait_trafgen("H1", rf"^{full}\n{full}$", 60)
out = lab_a.session("R1").command("show crypto isakmp sa")
if not re.search(r"^10\.10\.1\.2 +10\.1\.1\.1 +QM_IDLE", out, re.M):
    lablib.fail(f"R1 has no IKE SA with R2 across the split:\n{out}")
for lab, name in ((lab_a, "A"), (lab_b, "B")):
    to_remote, to_router = lab.link_stats("WAN")
    if to_remote["relayed"] < RATE or to_router["relayed"] < RATE:
        lablib.fail(f"lab {name} relayed too few WAN frames: "
                    f"{to_remote} {to_router}")

# A cut applied in lab B stops the traffic of lab A's hosts, and ends.
lab_b.ctl("fault", "WAN", "cut", "for", "3")
lab_a.wait_trafgen("H1", r"^blackhole start t=", 10)
m = lab_a.wait_trafgen("H1", r"^blackhole end t=\S+ duration=(\S+)", 20)
if not 2.0 <= float(m.group(1)) <= 8.0:
    lablib.fail(f"a 3 s cut made a {m.group(1)} s black hole")
to_remote, to_router = lab_b.link_stats("WAN")
if to_remote["cut"] + to_router["cut"] < RATE:
    lablib.fail(f"lab B cut too few frames: {to_remote} {to_router}")

for lab, name in ((lab_a, "A"), (lab_b, "B")):
    rc = lab.stop()
    if rc != 0:
        lablib.fail(f"lab {name} exited {rc}:\n{lab.output()[-2000:]}")
print("PASS")
