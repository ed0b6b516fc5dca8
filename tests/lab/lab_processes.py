#!/usr/bin/python3
"""Router processes of a lab. Each gets a telnet and an SSH port on
loopback, and `reload` restarts a router on the same ports. A router that
crashes is reported with its signal while the others keep running, and
`reload` starts it again. The routers start at once and share one set
of SSH host keys, which the first of them creates in the work directory.
`stop` and SIGINT end every process."""

import os
import re
import signal
import socket
import tempfile
import time

import lablib

TOPOLOGY = """# three routers in a row
router R1 r1.cfg
router R2 r2.cfg
router R3 r3.cfg
link L12 R1:GigabitEthernet1 R2:GigabitEthernet1
link L23 R2:GigabitEthernet2 R3:GigabitEthernet1
"""


def pids(lab):
    return dict(re.findall(r"^(R\d)\s+\S+\s+(\d+)", lab.ctl("status"), re.M))


def alive(pid):
    try:
        os.kill(int(pid), 0)
        return True
    except ProcessLookupError:
        return False


tmp = tempfile.TemporaryDirectory(prefix="vr-lab-procs.")
for n in (1, 2, 3):
    with open(os.path.join(tmp.name, f"r{n}.cfg"), "w") as f:
        f.write(f"hostname R{n}\nend\n")
with open(os.path.join(tmp.name, "row.lab"), "w") as f:
    f.write(TOPOLOGY)
lab = lablib.Lab(os.path.join(tmp.name, "row.lab"), args=())

# Telnet and SSH listeners on the ports of the table.
status = lab.ctl("status")
rows = re.findall(r"^(R\d)\s+running\s+(\d+)\s+(\d+)\s+(\d+)\s+0\s", status,
                  re.M)
if len(rows) != 3:
    lablib.fail(f"expected three running routers:\n{status}")
for name, pid, telnet, ssh in rows:
    s = lab.session(name)
    if f"hostname {name}" not in s.command("show running-config"):
        lablib.fail(f"{name} on telnet port {telnet} is not {name}")
    s.close()
    with socket.create_connection(("127.0.0.1", int(ssh)), timeout=10) as c:
        if not c.recv(64).startswith(b"SSH-2.0-"):
            lablib.fail(f"{name}: no SSH banner on port {ssh}")


# One set of host keys, written whole and private to the owner.
keys = {name: lablib.vrlib.ssh_host_key(int(ssh)) for name, _, _, ssh in rows}
if len(set(keys.values())) != 1:
    lablib.fail(f"the routers present different SSH host keys: {keys}")
for key_file in ("ssh_host_ed25519_key", "ssh_host_rsa_key"):
    mode = os.stat(os.path.join(lab.dir, key_file)).st_mode & 0o777
    if mode != 0o600:
        lablib.fail(f"{key_file} has mode {mode:o}, expected 600")
leftovers = [f for f in os.listdir(lab.dir) if f.endswith(".tmp")]
if leftovers:
    lablib.fail(f"temporary key files left in the work directory: "
                f"{leftovers}")

# The routers' wire ports lie below the kernel's ephemeral range, where
# no socket bound to port 0 can take them between the lab's pick and the
# router's bind.
with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    ephemeral_min = int(f.read().split()[0])
for name, pid, _, _ in rows:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        argv = f.read().decode().split("\0")
    wires = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--wire"]
    if not wires:
        lablib.fail(f"{name} runs without --wire: {argv}")
    # The router splits the value at the comma in place, so /proc shows
    # IFNAME=LOCAL alone.
    for wire in wires:
        port = int(re.match(r"\w+=127\.0\.0\.1:(\d+)", wire).group(1))
        if not 1024 <= port < ephemeral_min:
            lablib.fail(f"{name}: wire port {port} of {wire} is not below "
                        f"the ephemeral range ({ephemeral_min})")

# reload: a new process on the same telnet port, counted in Restarts.
old = pids(lab)
out = lab.ctl("reload", "R2")
if not out.startswith(f"R2: reloading (pid {old['R2']})"):
    lablib.fail(f"reload reply: {out!r}")
lab.wait_output(r"^R2: vrouter: started.*\n(.*\n)*R2: vrouter: started", 30)
status = lab.ctl("status")
m = re.search(r"^R2\s+running\s+(\d+)\s+(\d+)\s+\d+\s+1\s", status, re.M)
if not m or m.group(1) == old["R2"] or m.group(2) != lab.ports["R2"]:
    lablib.fail(f"R2 after reload:\n{status}")
s = lab.session("R2")
s.command("show version")
s.close()

# A crash is reported and the others keep running.
now = pids(lab)
# SIGKILL, as a power loss: the sanitizers catch SIGSEGV and turn it into
# an exit status.
os.kill(int(now["R3"]), signal.SIGKILL)
lab.wait_output(r"^lab: R3 crashed \(killed by signal 9 \(Killed\)\); the "
                r"other routers keep running$", 15)
status = lab.ctl("status")
if not re.search(r"^R3\s+crashed\s.*\n  killed by signal 9", status, re.M):
    lablib.fail(f"status after the crash:\n{status}")
for name in ("R1", "R2"):
    if not re.search(rf"^{name}\s+running\s+{now[name]}\s", status, re.M):
        lablib.fail(f"{name} stopped running after R3 crashed:\n{status}")
s = lab.session("R1")
s.command("show version")
s.close()

# reload starts a crashed router again.
out = lab.ctl("reload", "R3")
if not out.startswith("R3: starting"):
    lablib.fail(f"reload of a crashed router replied {out!r}")
lab.wait_output(r"^lab: R3 crashed.*\n(.*\n)*R3: vrouter: started", 30)
status = lab.ctl("status")
if not re.search(r"^R3\s+running\s+\d+\s+\d+\s+\d+\s+1\s", status, re.M):
    lablib.fail(f"R3 after its reload:\n{status}")
now = pids(lab)

# stop ends every process and the lab exits 0.
workdir = lab.dir
rc = lab.stop()
if rc != 0:
    lablib.fail(f"the lab exited {rc} after stop:\n{lab.output()}")
time.sleep(0.2)
for name in ("R1", "R2", "R3"):
    if alive(now[name]):
        lablib.fail(f"{name} (pid {now[name]}) still runs after stop")
if "lab: stopped" not in lab.output():
    lablib.fail(f"no stop message:\n{lab.output()}")
# Ctrl-C (SIGINT to the lab alone, as the routers have their own process
# groups) stops every router as `stop` does.
lab = lablib.Lab(os.path.join(tmp.name, "row.lab"))
now = pids(lab)
os.kill(lab.proc.pid, signal.SIGINT)
lab.wait_output(r"^lab: Interrupt; stopping the lab$", 15)
lab.wait_output(r"^lab: stopped$", 30)
rc = lab.stop()
if rc != 0:
    lablib.fail(f"the lab exited {rc} after SIGINT:\n{lab.output()}")
for name, pid in now.items():
    if alive(pid):
        lablib.fail(f"{name} (pid {pid}) still runs after SIGINT")
print("PASS")
