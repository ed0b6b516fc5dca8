#!/usr/bin/python3
"""`write memory` under concurrent configuration, and SIGKILL at random
moments.

Each of KILLS rounds starts the router from the startup-config that the
previous round left and checks that it loads completely. Two sessions
then keep changing interface descriptions while a third saves with
`write memory` in a loop, until the router is killed at a random moment.
The startup-config must then be a complete file (its ACL_LINES access
list entries and its final "end" line all there), and it must hold at
least every change that a `write memory` had acknowledged with [OK].
"""
import os
import random
import re
import threading
import time

import hlib
from hlib import fail

KILLS = 50
ACL_LINES = 400

BASE = hlib.ACCESS_CONFIG + "".join(
    f"access-list 150 permit udp host 10.0.{i // 250}.{i % 250 + 1} any "
    f"eq {1000 + i}\n" for i in range(ACL_LINES)) + \
    "interface GigabitEthernet2\n description d2-0\n" \
    "interface GigabitEthernet3\n description d3-0\nend\n"


class Configurer(threading.Thread):
    """Sets `description dIF-N` on an interface for N = 1, 2, ...; `acked`
    is the highest N whose command returned to the prompt."""

    def __init__(self, router, ifnum, start):
        super().__init__(daemon=True)
        self.t = router.login()
        self.t.closed_ok = True
        self.ifnum = ifnum
        self.n = start
        self.acked = start
        self.t.send(f"configure terminal\r\ninterface GigabitEthernet{ifnum}"
                    "\r\n")
        self.t.read_until(r"\(config-if\)#")

    def run(self):
        try:
            while True:
                self.n += 1
                self.t.send(f"description d{self.ifnum}-{self.n}\r\n")
                self.t.read_until(r"\(config-if\)#")
                self.acked = self.n
        except EOFError:
            pass    # the router was killed under the session


class Saver(threading.Thread):
    """Runs `write memory` in a loop; `durable` maps an interface to the
    description number that an acknowledged save is known to hold."""

    def __init__(self, router, configurers):
        super().__init__(daemon=True)
        self.t = router.login()
        self.t.closed_ok = True
        self.configurers = configurers
        self.durable = {c.ifnum: c.acked for c in configurers}
        self.saves = 0
        self.error = None

    def run(self):
        try:
            while True:
                snapshot = {c.ifnum: c.acked for c in self.configurers}
                self.t.send("write memory\r\n")
                out = self.t.read_until(r"vr-test#")
                if "[OK]" not in out:
                    self.error = f"write memory printed {out!r}"
                    return
                self.durable = snapshot
                self.saves += 1
        except EOFError:
            pass


def check_file(path, durable, round_no):
    """Fails unless PATH is a complete startup-config holding DURABLE."""
    with open(path) as f:
        text = f.read()
    if not text.endswith("\nend\n"):
        fail(f"round {round_no}: startup-config does not end with "
             f"'end': {text[-200:]!r}")
    entries = len(re.findall(r"^access-list 150 permit udp ", text, re.M))
    if entries != ACL_LINES:
        fail(f"round {round_no}: {entries} of {ACL_LINES} access list "
             "entries in the startup-config")
    found = {}
    for ifnum in (2, 3):
        m = re.search(rf"^ description d{ifnum}-(\d+)$", text, re.M)
        if not m:
            fail(f"round {round_no}: no description on "
                 f"GigabitEthernet{ifnum}")
        found[ifnum] = int(m.group(1))
        if found[ifnum] < durable[ifnum]:
            fail(f"round {round_no}: GigabitEthernet{ifnum} has "
                 f"description {found[ifnum]} but a save had "
                 f"acknowledged {durable[ifnum]}")
    return found


def check_leftovers_removed(folder, leftovers):
    """A save deletes the temporary files that kills left, once they are
    a minute old; a fresh one (a save running at the same time) stays."""
    path = os.path.join(folder, "startup-config")
    stale = os.path.join(folder, "startup-config.tmpAAAAAA")
    fresh = os.path.join(folder, "startup-config.tmpBBBBBB")
    for name in (stale, fresh):
        with open(name, "w") as f:
            f.write("hostname cut-short\n")
    old = time.time() - 120
    for name in leftovers + ["startup-config.tmpAAAAAA"]:
        os.utime(os.path.join(folder, name), (old, old))
    router = hlib.Router(None, workdir=folder)
    t = router.login()
    out = hlib.run(t, "write memory")
    if "[OK]" not in out:
        fail(f"write memory printed {out!r}")
    t.send("exit\r\n")
    t.close()
    router.stop()
    left = sorted(n for n in os.listdir(folder) if ".tmp" in n)
    if left != ["startup-config.tmpBBBBBB"]:
        fail(f"temporary files after a save: {left}, expected only the "
             "fresh one")
    if not os.path.exists(path):
        fail("the startup-config is gone")


def main():
    rnd = random.Random(9)
    work = hlib.tempfile.TemporaryDirectory(prefix="vr-kill.")
    path = os.path.join(work.name, "startup-config")
    with open(path, "w") as f:
        f.write(BASE)
    found = {2: 0, 3: 0}
    total_saves = 0
    for round_no in range(1, KILLS + 1):
        router = hlib.Router(None, workdir=work.name)
        t = router.login()
        out = hlib.run(t, "show running-config | include description")
        for ifnum in (2, 3):
            if f"description d{ifnum}-{found[ifnum]}" not in out:
                fail(f"round {round_no}: the router did not load "
                     f"description d{ifnum}-{found[ifnum]}: {out!r}")
        configurers = [Configurer(router, i, found[i] + 1000 * round_no)
                       for i in (2, 3)]
        saver = Saver(router, configurers)
        for c in configurers:
            c.start()
        saver.start()
        time.sleep(rnd.uniform(0.3, 1.5))
        router.kill()
        for c in configurers:
            c.join()
        saver.join()
        for c in configurers:
            c.t.close()
        saver.t.close()
        t.close()
        if saver.error:
            fail(f"round {round_no}: {saver.error}")
        total_saves += saver.saves
        found = check_file(path, saver.durable, round_no)
    leftovers = [n for n in os.listdir(work.name) if ".tmp" in n]
    check_leftovers_removed(work.name, leftovers)
    work.cleanup()
    print(f"{KILLS} kills during {total_saves} acknowledged saves: the "
          "startup-config was complete each time and held every "
          "acknowledged change")
    print(f"{len(leftovers)} temporary files left by interrupted saves, "
          "deleted by the next save")
    print("PASS")


if __name__ == "__main__":
    main()
