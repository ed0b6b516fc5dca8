#!/usr/bin/python3
"""Link faults of a running lab: one router between two trafgen hosts.
A cut for 2 s makes a black hole of about 2 s in the trafgen figures, a
300 ms delay makes none; loss, filters, delay and corruption show in the
link counters; bad fault commands are rejected with exit status 1."""

import os
import re
import tempfile
import time

import lablib

CONFIG = """hostname R1
interface GigabitEthernet1
 ip address 192.168.1.1 255.255.255.0
interface GigabitEthernet2
 ip address 192.168.2.1 255.255.255.0
end
"""

TOPOLOGY = """router R1 r1.cfg
host H1 R1:GigabitEthernet1
host H2 R1:GigabitEthernet2
trafgen H2 --addr 192.168.2.10 echo
trafgen H1 --addr 192.168.1.10 send 192.168.2.10 --rate 100
"""


def delta(before, after, key):
    return [after[i][key] - before[i][key] for i in (0, 1)]


tmp = tempfile.TemporaryDirectory(prefix="vr-lab-faults.")
with open(os.path.join(tmp.name, "r1.cfg"), "w") as f:
    f.write(CONFIG)
with open(os.path.join(tmp.name, "faults.lab"), "w") as f:
    f.write(TOPOLOGY)
lab = lablib.Lab(os.path.join(tmp.name, "faults.lab"))

# A clean second first: the stream is routed end to end.
lab.wait_trafgen("H1", r"^t=1 sent=100 received=100 lost=0", 15)

# A 2 s cut: one black hole of about 2 s, then the stream again.
out = lab.ctl("fault", "H2", "cut", "for", "2")
if not re.search(r"H2: cut \([0-9.]+ s left\)", out):
    lablib.fail(f"fault cut reply: {out!r}")
m = lab.wait_trafgen("H1", r"^blackhole end t=\S+ duration=(\S+) lost=(\d+)",
                     15)
duration, lost = float(m.group(1)), int(m.group(2))
if not 1.7 <= duration <= 2.6:
    lablib.fail(f"a 2 s cut made a {duration} s black hole")
if not 170 <= lost <= 260:
    lablib.fail(f"a 2 s cut at 100 packets/s lost {lost} packets")
stats = lab.link_stats("H2")
if stats[0]["cut"] == 0 or stats[1]["cut"] != 0:
    lablib.fail(f"cut counters: {stats}")
if "cut" in lab.ctl("status").split("\nH2 ", 1)[1].split("\n", 1)[0]:
    lablib.fail("the cut is still listed after its 2 s")

# 50 % loss for 3 s, both directions.
before = lab.link_stats("H2")
lab.ctl("fault", "H2", "loss", "50")
time.sleep(3)
lab.ctl("clear", "H2")
after = lab.link_stats("H2")
lost = delta(before, after, "lost")
relayed = delta(before, after, "relayed")
for i in (0, 1):
    total = lost[i] + relayed[i]
    if total < 100 or not 0.35 <= lost[i] / total <= 0.65:
        lablib.fail(f"50% loss: direction {i} lost {lost[i]} of {total}")

# A filter drops the stream's UDP port only; another port drops nothing.
before = lab.link_stats("H2")
lab.ctl("fault", "H2", "drop", "expr", "proto udp and port 9001")
time.sleep(1)
mid = lab.link_stats("H2")
if delta(before, mid, "filtered") != [0, 0]:
    lablib.fail(f"port 9001 filter dropped frames: {before} -> {mid}")
lab.ctl("fault", "H2", "drop", "expr", "proto udp and port 9000 and "
        "dst 192.168.2.10")
time.sleep(1)
after = lab.link_stats("H2")
lab.ctl("clear", "H2")
filtered = delta(mid, after, "filtered")
if filtered[0] < 50 or filtered[1] != 0:
    lablib.fail(f"port 9000 filter to 192.168.2.10 dropped {filtered}")

# Delay below trafgen's 1 s timeout queues frames but loses none.
time.sleep(1.5)
holes = len(re.findall(r"^blackhole start", lab.trafgen("H1"), re.M))
before = lab.link_stats("H2")
lab.ctl("fault", "H2", "delay", "300", "jitter", "50", "for", "2")
time.sleep(3)
after = lab.link_stats("H2")
if min(delta(before, after, "delayed")) < 100:
    lablib.fail(f"delay: {before} -> {after}")
if sum(delta(before, after, "overflow")) != 0:
    lablib.fail(f"delay queue overflowed: {after}")
time.sleep(1.5)
text = lab.trafgen("H1")
if len(re.findall(r"^blackhole start", text, re.M)) != holes:
    lablib.fail(f"a 300 ms delay made a black hole:\n{text}")

# Corruption flips one bit per frame.
before = lab.link_stats("H2")
lab.ctl("fault", "H2", "corrupt", "100", "for", "1")
time.sleep(2)
after = lab.link_stats("H2")
if min(delta(before, after, "corrupted")) < 50:
    lablib.fail(f"corrupt: {before} -> {after}")

# Bad commands.
for words, reply in [
    (("fault", "NOPE", "cut"), '% no link or host "NOPE" in this lab'),
    (("fault", "H2", "loss", "101"),
     '% invalid percentage "101": expected 0-100'),
    (("fault", "H2", "cut", "for", "0"),
     '% invalid duration "0": expected 1-86400 seconds'),
    (("fault", "H2", "drop", "expr", "proto foo"),
     '% invalid expression: invalid protocol "foo"'),
    (("fault", "H2", "drop", "expr", "port 500 or port 4500"),
     '% invalid expression: expected "and" before "or"'),
    (("fault", "H2", "melt"), '% unknown fault "melt"'),
    (("reload", "R9"), '% no router "R9" in this lab'),
    (("clear",), "% expected: clear LINK | clear all"),
]:
    out = lab.ctl(*words, expect_rc=1)
    if not out.startswith(reply):
        lablib.fail(f"`{' '.join(words)}` replied {out!r}, expected "
                    f"{reply!r}")

rc = lab.stop()
if rc != 0:
    lablib.fail(f"the lab exited {rc}:\n{lab.output()}")
print("PASS")
