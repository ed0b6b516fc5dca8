#!/usr/bin/python3
"""IKEv2 fragmentation (RFC 7383) with charon: both ends announce it in
IKE_SA_INIT, and with an MTU of 200 octets on both sides charon's
IKE_AUTH request reaches vrouter as fragments and vrouter's response
reaches charon as fragments. charon's log shows the split and the
reassembly, vrouter's debug output shows the fragments it sent and
received, and the tunnel then carries pings both ways.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re

import interop
from ikev2_common import IKEV2_CONFIG
from interop import LabError

MTU = 200


def require(pattern, text, check):
    """Returns the match of PATTERN in TEXT, a log or CLI output whose
    line ends may carry "\\r", or raises LabError naming CHECK."""
    text = text.replace("\r", "")
    m = re.search(pattern, text, re.M)
    if m is None:
        raise LabError(f"{check}: no match for {pattern!r} in:\n{text}")
    return m


def body(lab):
    lab.start_charon(version=2, fragmentation="yes", fragment_size=MTU)
    lab.start_vrouter()
    lab.configure_vrouter(IKEV2_CONFIG +
                          f"crypto ikev2 fragmentation mtu {MTU}\n")

    v = lab.vty()
    try:
        out = v.command("debug crypto ikev2")
        if "debugging is on" not in out:
            raise LabError(f"debug crypto ikev2 did not confirm:\n{out}")
        lab.establish_from_peer()

        # charon split its IKE_AUTH request and put vrouter's response
        # together from fragments.
        log = lab.charon_log()
        m = require(r"splitting IKE message .* into (\d+) fragments", log,
                    "charon sent no fragments")
        if int(m.group(1)) < 2:
            raise LabError(f"charon split a message into {m.group(1)} "
                           f"fragment(s):\n{m.group(0)}")
        require(r"reassembled fragmented IKE message", log,
                "charon reassembled nothing from vrouter")

        # vrouter received and reassembled charon's fragments and sent
        # its IKE_AUTH response as fragments of its own.
        dbg = lab.vrouter_log(v)
        m = require(r"IKE_AUTH request msgid 1 reassembled from (\d+) "
                    r"fragments", dbg, "vrouter reassembled no IKE_AUTH")
        if int(m.group(1)) < 2:
            raise LabError(f"vrouter reassembled IKE_AUTH from "
                           f"{m.group(1)} fragment(s)")
        m = require(r"sending IKE_AUTH response msgid 1 as (\d+) fragments, "
                    rf"MTU {MTU}", dbg, "vrouter sent no fragments")
        sent = int(m.group(1))
        fragment_lines = re.findall(r"received fragment \d+ of \d+ of "
                                    r"IKE_AUTH request", dbg)
        if not fragment_lines:
            raise LabError(f"vrouter logged no received fragment:\n{dbg}")
        if re.search(r"fragment of .* dropped", dbg):
            raise LabError(f"vrouter dropped a fragment of charon's:\n"
                           f"{dbg}")

        out = v.command("show crypto ikev2 sa detailed")
        require(r"^      IETF Std Fragmentation  enabled\.$", out,
                "show crypto ikev2 sa detailed")
        require(rf"^      IETF Std Fragmentation MTU in use: {MTU - 28} "
                r"bytes\.$", out, "show crypto ikev2 sa detailed")

        before = lab.ipsec_sa(v)
        lab.expect_peer_pings(5, "over the tunnel")
        lab.expect_vrouter_pings(v, 5, "over the tunnel")
        after = lab.ipsec_sa(v)
        interop.check_counters_grew(before, after, 10)
        print(f"charon sent IKE_AUTH in {len(fragment_lines)} fragments, "
              f"vrouter answered in {sent}")
    finally:
        v.close()


if __name__ == "__main__":
    interop.run_test("ikev2_fragmentation", body)
