#!/usr/bin/python3
"""A paste of PASTE_LINES configuration lines over telnet at full speed.

Each line renames the router, so each is a commit that the datapath and
the IKE manager apply. The last prompt names the last line. While
the paste runs, valid ESP keeps arriving at VALID_PPS and must all be
decapsulated and forwarded, and a second session runs show commands.
"""
import threading
import time

import hlib
from hlib import fail, run

PASTE_LINES = 100000
VALID_PPS = 50

CONFIG = hlib.ACCESS_CONFIG + hlib.SA_CONFIG + "end\n"


def main():
    link = hlib.EspLink()
    router = hlib.Router(CONFIG, wires=link.wires)
    # Enough valid frames for VALID_PPS over the paste at its slowest.
    link.start(router.dir, VALID_PPS * 600)
    link.check_forwarding()

    other = router.login()
    t = router.login()
    t.send("configure terminal\r\n")
    t.read_until(r"\(config\)#")
    text = "".join(f"hostname P{i}\r" for i in range(1, PASTE_LINES + 1))
    done = threading.Event()

    def traffic():
        while not done.is_set():
            link.send_valid(1, VALID_PPS)

    shows = []

    def watch():
        while not done.is_set():
            out = run(other, "show users", prompt=r"\n[\w-]+#")
            shows.append("vty" in out)
            time.sleep(1)

    sender = threading.Thread(target=t.send, args=(text,), daemon=True)
    flow = threading.Thread(target=traffic, daemon=True)
    watcher = threading.Thread(target=watch, daemon=True)
    start = time.monotonic()
    before = link.sink.frames
    sender.start()
    flow.start()
    watcher.start()

    t.read_until(rf"P{PASTE_LINES}\(config\)#", timeout=800)
    elapsed = time.monotonic() - start
    done.set()
    flow.join()
    watcher.join()
    sender.join()
    # check_forwarding() sent the first 100.
    sent = link.next_valid - 100
    got = link.sink.wait_for(before + sent) - before

    t.send("end\r")
    t.read_until(rf"P{PASTE_LINES}#")
    out = run(t, "show running-config | include ^hostname",
              prompt=rf"P{PASTE_LINES}#")
    t.send("exit\r\n")
    t.close()
    other.close()
    link.stop()
    router.stop()

    print(f"paste: {PASTE_LINES} lines in {elapsed:.1f} s "
          f"({PASTE_LINES / elapsed:.0f} lines/s); {len(shows)} show commands "
          "in a second session meanwhile")
    print(f"datapath: {got} of {sent} valid ESP packets forwarded during "
          "the paste")
    if f"hostname P{PASTE_LINES}" not in out:
        fail(f"running-config after the paste: {out!r}")
    if len(shows) < 2 or not all(shows):
        fail(f"show users in the second session: {shows}")
    if got != sent:
        fail(f"{sent - got} of {sent} valid ESP packets lost during the "
             "paste")
    print("PASS")


if __name__ == "__main__":
    main()
