#!/usr/bin/python3
"""A wrong topology file is rejected before anything starts, with the
file, line and field of the error; a control command without a running
lab says so."""

import os
import subprocess
import tempfile

import lablib

CONFIG = "hostname R1\nend\n"

# (topology text, expected message); {f} is the topology file's path and
# {d} its directory.
CASES = [
    ("router R1 r1.cfg\nrouter R1 r1.cfg\n",
     '{f}:2: field 2 "R1": name already declared'),
    ("router R1 missing.cfg\n",
     '{f}:1: field 3 "missing.cfg": cannot read config {d}/missing.cfg: '
     "No such file or directory"),
    ("router R1 r1.cfg\nlink L1 R1:Gi1 R9:Gi1\n",
     '{f}:2: field 4 "R9:Gi1": no router "R9" declared above'),
    ("router R1 r1.cfg\nrouter R2 r1.cfg\nlink L1 R1:Gi1 R2:Gi1\n"
     "host H1 R1:Gi1\n",
     '{f}:4: field 3 "R1:Gi1": interface already used by a link or tun'),
    ("router R1 r1.cfg\nrouter R2 r1.cfg\nlink L1 R1:Gi1 R2\n",
     '{f}:3: field 4 "R2": expected ROUTER:INTERFACE'),
    ("router R1 r1.cfg telnet 70000\n",
     '{f}:1: field 5 "70000": invalid port: expected 1-65535'),
    ("router R1 r1.cfg\nswitch S1\n",
     '{f}:2: field 1 "switch": unknown statement: expected router, link, '
     "host, remote, tun, trafgen or console"),
    ("router 1R r1.cfg\n",
     '{f}:1: field 2 "1R": invalid name'),
    ("router R1 r1.cfg\ntrafgen R1 echo\n",
     '{f}:2: field 2 "R1": no host "R1" declared above'),
    ("router R1 r1.cfg\nhost H1 R1:Gi2 port\n",
     "{f}:2: expected: host NAME ROUTER:INTERFACE [port PORT]"),
    ("router R1 r1.cfg\ntrafgen H1 \"--addr 1.2.3.4\n",
     "{f}:2: missing closing quote"),
    ("router R1 r1.cfg\nremote W R1:Gi1 127.0.0.1:5\n",
     "{f}:2: expected: remote NAME ROUTER:INTERFACE LOCAL-ADDRESS:PORT "
     "REMOTE-ADDRESS:PORT"),
    ("router R1 r1.cfg\nremote W R1:Gi1 127.0.0.1 127.0.0.2:5\n",
     '{f}:2: field 4 "127.0.0.1": expected IPV4-ADDRESS:PORT'),
    ("router R1 r1.cfg\nremote W R1:Gi1 127.0.0.1:0 127.0.0.2:5\n",
     '{f}:2: field 4 "127.0.0.1:0": invalid port: expected 1-65535'),
    ("router R1 r1.cfg\nremote W R1:Gi1 127.0.0.1:5 peer.example:5\n",
     '{f}:2: field 5 "peer.example:5": invalid IPv4 address '
     '"peer.example"'),
    ("router R1 r1.cfg\nremote W R1:Gi1 127.0.0.1:5 127.0.0.2:5\n"
     "trafgen W echo\n",
     '{f}:3: field 2 "W": no host "W" declared above'),
    ("# only a comment\n", "{f}: no router statement"),
    ("router R1 r1.cfg\nconsole R2\n",
     '{f}:2: field 2 "R2": no router "R2" declared above'),
    # A device or directory would make the startup copy run forever or
    # fail late; a huge file is not a router config either.
    ("router R1 /dev/zero\n",
     '{f}:1: field 3 "/dev/zero": config /dev/zero is not a regular file'),
    ("router R1 {d}\n",
     '{f}:1: field 3 "{d}": config {d} is not a regular file'),
    ("router R1 big.cfg\n",
     '{f}:1: field 3 "big.cfg": config {d}/big.cfg is larger than 16 MB'),
]


def run(*args):
    return subprocess.run([lablib.binary(), "lab", *args],
                          capture_output=True, text=True, timeout=30)


with tempfile.TemporaryDirectory(prefix="vr-lab-topo.") as d:
    with open(os.path.join(d, "r1.cfg"), "w") as f:
        f.write(CONFIG)
    with open(os.path.join(d, "big.cfg"), "w") as f:
        f.truncate(16 * 1024 * 1024 + 1)
    topo = os.path.join(d, "bad.lab")
    for text, expected in CASES:
        with open(topo, "w") as f:
            f.write(text.format(d=d))
        res = run("--dir", os.path.join(d, "work"), topo)
        want = "vrouter lab: " + expected.format(f=topo, d=d)
        if res.returncode != 2:
            lablib.fail(f"exit status {res.returncode} for:\n{text}"
                        f"{res.stderr}")
        if not res.stderr.startswith(want):
            lablib.fail(f"for:\n{text}expected\n  {want}\ngot\n  "
                        f"{res.stderr}")
        if os.path.exists(os.path.join(d, "work")):
            lablib.fail(f"a rejected topology created the work directory:"
                        f"\n{text}")

    res = run("--dir", os.path.join(d, "nolab"), "status")
    if res.returncode != 1 or "no lab running in" not in res.stderr:
        lablib.fail(f"status without a lab: exit {res.returncode}, "
                    f"{res.stderr!r}")
    res = run(os.path.join(d, "absent.lab"))
    if res.returncode != 2 or "cannot open topology file" not in res.stderr:
        lablib.fail(f"missing topology file: exit {res.returncode}, "
                    f"{res.stderr!r}")
print("PASS")
