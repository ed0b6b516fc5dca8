#!/usr/bin/python3
"""IKEv2 fragmentation (RFC 7383) with charon: both ends announce it in
IKE_SA_INIT, and with an MTU of 200 octets on both sides the IKE_AUTH
request and response both cross as fragments. charon's log shows the
split and the reassembly, vrouter's debug output shows the fragments it
sent and received, and the tunnel then carries pings both ways.

The argument picks the initiator: "charon" (the default) or "vrouter".

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re
import sys

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


def require_fragments(pattern, text, check):
    """Like require(), for a PATTERN whose group 1 is a number of
    fragments, which must be at least 2. Returns that number."""
    m = require(pattern, text, check)
    if int(m.group(1)) < 2:
        raise LabError(f"{check}: {m.group(1)} fragment(s) in "
                       f"{m.group(0)!r}")
    return int(m.group(1))


def body(lab, initiator):
    lab.start_charon(version=2, fragmentation="yes", fragment_size=MTU)
    lab.start_vrouter()
    lab.configure_vrouter(IKEV2_CONFIG +
                          f"crypto ikev2 fragmentation mtu {MTU}\n")

    v = lab.vty()
    try:
        out = v.command("debug crypto ikev2")
        if "debugging is on" not in out:
            raise LabError(f"debug crypto ikev2 did not confirm:\n{out}")
        if initiator == "charon":
            lab.establish_from_peer()
            ours, theirs = "response", "request"
        else:
            lab.establish_from_vrouter(v)
            ours, theirs = "request", "response"

        # charon split its IKE_AUTH message and put vrouter's together
        # from fragments.
        log = lab.charon_log()
        charon_sent = require_fragments(
            r"splitting IKE message .* into (\d+) fragments", log,
            "charon sent no fragments")
        require(r"reassembled fragmented IKE message", log,
                "charon reassembled nothing from vrouter")

        # vrouter did the same the other way.
        dbg = lab.vrouter_log(v)
        received = require_fragments(
            rf"IKE_AUTH {theirs} msgid 1 reassembled from (\d+) fragments",
            dbg, "vrouter reassembled no IKE_AUTH")
        sent = require_fragments(
            rf"sending IKE_AUTH {ours} msgid 1 as (\d+) fragments, "
            rf"MTU {MTU}", dbg, "vrouter sent no fragments")
        if received != charon_sent:
            raise LabError(f"charon sent {charon_sent} fragments, vrouter "
                           f"reassembled {received}")
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
        print(f"IKE_AUTH {theirs} from charon in {received} fragments, "
              f"{ours} from vrouter in {sent}")
    finally:
        v.close()


if __name__ == "__main__":
    who = sys.argv[1] if len(sys.argv) > 1 else "charon"
    if who not in ("charon", "vrouter"):
        interop.fail(f"unknown initiator {who!r}; use charon or vrouter")
    interop.run_test(f"ikev2_fragmentation {who}", lambda lab: body(lab, who))
