#!/usr/bin/python3
"""A lab router attached to a TUN device that the lab moves into a
network namespace: Linux in that namespace pings the router's interface
through the device, and the router answers. The namespace is the test's
own and is deleted at the end.

Exits 77 (skipped) without root or /dev/net/tun.
"""

import os
import re
import subprocess
import sys
import tempfile

import lablib

NETNS = f"vrlab{os.getpid() % 100000}"
TUN = f"vrlt{os.getpid() % 100000}"

CONFIG = """hostname R1
interface GigabitEthernet3
 ip address 10.98.0.1 255.255.255.0
end
"""

if os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
    print("SKIP: needs root and /dev/net/tun")
    sys.exit(77)


def ip(*args):
    res = subprocess.run(["ip", *args], capture_output=True, text=True)
    if res.returncode != 0:
        lablib.fail(f"ip {' '.join(args)}: {res.stderr}")
    return res.stdout


tmp = tempfile.TemporaryDirectory(prefix="vr-lab-tun.")
with open(os.path.join(tmp.name, "r1.cfg"), "w") as f:
    f.write(CONFIG)
with open(os.path.join(tmp.name, "tun.lab"), "w") as f:
    f.write(f"router R1 r1.cfg\ntun R1:GigabitEthernet3 {TUN} netns "
            f"{NETNS}\n")
ip("netns", "add", NETNS)
lab = None
try:
    lab = lablib.Lab(os.path.join(tmp.name, "tun.lab"))
    status = lab.ctl("status")
    if f"tun R1:GigabitEthernet3 {TUN} netns {NETNS}" not in status:
        lablib.fail(f"status lacks the tun line:\n{status}")
    links = ip("-n", NETNS, "link", "show")
    if TUN not in links:
        lablib.fail(f"{TUN} is not in namespace {NETNS}:\n{links}")
    ip("-n", NETNS, "addr", "add", "10.98.0.2/24", "dev", TUN)
    ip("-n", NETNS, "link", "set", TUN, "up")
    res = subprocess.run(["ip", "netns", "exec", NETNS, "ping", "-c", "3",
                          "-i", "0.2", "-W", "2", "10.98.0.1"],
                         capture_output=True, text=True)
    if not re.search(r"3 packets transmitted, 3 received", res.stdout):
        lablib.fail(f"ping from {NETNS} through {TUN}:\n{res.stdout}"
                    f"{res.stderr}")
    rc = lab.stop()
    lab = None
    if rc != 0:
        lablib.fail(f"the lab exited {rc}")
finally:
    if lab is not None:
        lab.stop()
    subprocess.run(["ip", "netns", "del", NETNS])
print("PASS")
