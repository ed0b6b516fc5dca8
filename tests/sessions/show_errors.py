#!/usr/bin/python3
"""Show commands about objects that do not exist answer as IOS does:
an interface the router does not have gets the caret error under its
number, and an address no route covers gets "% Network not in table".
Existing objects still show."""

import sys

from vrlib import ACCESS_CONFIG, Router, Telnet, fail

CONFIG = ACCESS_CONFIG.replace("end\n", """interface GigabitEthernet1
 ip address 10.10.1.2 255.255.255.0
end
""")
PROMPT = "vr-test#"


def run(t, command):
    t.send(command + "\r")
    out = t.read_until(r"\r\n" + PROMPT)
    return out.split("\r\n", 1)[1].rsplit("\r\n", 1)[0]


def expect_caret(t, command, bad_word):
    """The caret must sit under the digits of BAD_WORD in COMMAND."""
    out = run(t, command)
    column = len(PROMPT) + command.index(bad_word)
    column += len(bad_word.rstrip("0123456789"))
    want = " " * column + "^\r\n% Invalid input detected at '^' marker.\r\n"
    if not out.startswith(want):
        fail(f"{command}: expected the caret at column {column}:\n{out!r}")


def main():
    router = Router(CONFIG)
    try:
        t = Telnet(router.telnet_port)
        t.login()
        t.send("terminal length 0\r")
        t.read_until(PROMPT)

        expect_caret(t, "show interfaces Gi9", "Gi9")
        expect_caret(t, "show running-config interface Gi9", "Gi9")
        expect_caret(t, "show crypto ipsec sa interface Gi9", "Gi9")

        out = run(t, "show ip route 1.2.3.4")
        if out != "% Network not in table":
            fail(f"show ip route 1.2.3.4: {out!r}")
        out = run(t, "show ip route 10.10.1.7")
        if not out.startswith("Routing entry for 10.10.1.0/24\r\n"
                              "  Known via \"connected\", distance 0"):
            fail(f"show ip route 10.10.1.7: {out!r}")
        if "* directly connected, via GigabitEthernet1" not in out:
            fail(f"show ip route 10.10.1.7: no descriptor block: {out!r}")

        out = run(t, "show interfaces gi1")
        if not out.startswith("GigabitEthernet1 is up"):
            fail(f"show interfaces gi1: {out!r}")
        t.close()
    finally:
        router.stop()
    print("show_errors: unknown objects get IOS errors; known ones show")
    return 0


if __name__ == "__main__":
    sys.exit(main())
