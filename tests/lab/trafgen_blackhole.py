#!/usr/bin/python3
"""tools/trafgen's loss accounting, fed synthetic sends, replies and
timeouts in the order its main loop handles them: a black hole shorter than
the reply timeout is reported once its packets time out, even when
replies to later packets arrived first."""

import argparse
import importlib.machinery
import importlib.util
import os
import re
import sys

RATE = 100              # packets per second
RTT = 0.005             # seconds from send to reply
TIMEOUT = 1.0


def load_trafgen():
    path = os.path.join(os.environ.get("VR_SOURCE_DIR", ".."), "tools",
                        "trafgen")
    if not os.path.exists(path):
        sys.exit("FAIL: %s not found; set VR_SOURCE_DIR" % path)
    loader = importlib.machinery.SourceFileLoader("trafgen", path)
    spec = importlib.util.spec_from_loader("trafgen", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def simulate(trafgen, lost, count):
    """Send COUNT packets at RATE, reply to all but the sequence numbers in
    LOST after RTT, and return trafgen's output lines."""
    lines = []
    trafgen.out = lines.append
    args = argparse.Namespace(timeout=TIMEOUT, blackhole_min=5)
    sender = trafgen.Sender(args)
    sender.t0 = 0.0
    events = []
    for seq in range(1, count + 1):
        when = (seq - 1) / RATE
        events.append((when, 0, seq))
        if seq not in lost:
            events.append((when + RTT, 1, seq))
    for now, kind, seq in sorted(events):
        if kind == 0:
            sender.on_send(seq, now)
        else:
            sender.on_reply(seq)
        sender.expire(now)
    sender.expire(count / RATE + TIMEOUT)
    sender.summary()
    return lines


def check(lines, pattern, label):
    found = [l for l in lines if re.search(pattern, l)]
    if len(found) != 1:
        sys.exit("FAIL: %s: expected one line matching %r, got:\n%s" %
                 (label, pattern, "\n".join(lines)))
    return found[0]


trafgen = load_trafgen()

# A 0.5 s hole: packets 51-100 (sent at t=0.50 to 0.99) are lost, and the
# reply to packet 101 arrives before packet 51 times out.
lines = simulate(trafgen, set(range(51, 101)), 300)
check(lines, r"^blackhole start t=0\.500$", "short hole start")
check(lines, r"^blackhole end t=1\.000 duration=0\.500 lost=50$",
      "short hole end")
check(lines, r"^summary sent=300 received=250 lost=50 loss=16\.7% "
      r"blackholes=1 longest=0\.500$", "short hole summary")

# Losses of fewer than --blackhole-min packets in a row are no black hole.
lines = simulate(trafgen, {20, 21, 22, 23, 40, 60, 61}, 200)
if any(l.startswith("blackhole") for l in lines):
    sys.exit("FAIL: runs shorter than 5 packets reported as a black hole:"
             "\n" + "\n".join(lines))
check(lines, r"^summary sent=200 received=193 lost=7 .* blackholes=0 ",
      "scattered loss summary")

# A hole longer than the timeout still ends at the first reply.
lines = simulate(trafgen, set(range(101, 401)), 600)
check(lines, r"^blackhole start t=1\.000$", "long hole start")
check(lines, r"^blackhole end t=4\.000 duration=3\.000 lost=300$",
      "long hole end")
print("PASS")
