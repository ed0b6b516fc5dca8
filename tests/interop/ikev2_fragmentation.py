#!/usr/bin/python3
"""IKEv2 fragmentation (RFC 7383) with charon: both ends announce it in
IKE_SA_INIT, and with an MTU of 200 octets on both sides the IKE_AUTH
request and response both cross as fragments. charon's log shows the
split and the reassembly, vrouter's debug output shows the fragments it
sent and received, and the tunnel then carries pings both ways.

The first argument picks the initiator: "charon" (the default) or
"vrouter". A second argument "gcm" has the IKE SA use AES-GCM-256, whose
AAD covers the Fragment Number and Total Fragments fields, in place of
AES-CBC with HMAC-SHA-256.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import re
import sys

import interop
from ikev2_common import IKEV2_CONFIG
from interop import LabError

MTU = 200

# vrouter's proposal PROP of IKEV2_CONFIG turned to AES-GCM-256.
GCM_PROPOSAL = """crypto ikev2 proposal PROP
 no encryption
 no integrity
 encryption aes-gcm-256
 prf sha384
"""


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


def body(lab, initiator, gcm):
    opts = {"ike_proposals": "aes256gcm16-prfsha384-modp2048"} if gcm else {}
    lab.start_charon(version=2, fragmentation="yes", fragment_size=MTU,
                     **opts)
    lab.start_vrouter()
    lab.configure_vrouter(IKEV2_CONFIG + (GCM_PROPOSAL if gcm else "") +
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
        require(r"Encr: AES-GCM, keysize: 256" if gcm else
                r"Encr: AES-CBC", out, "show crypto ikev2 sa detailed")
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
    use_gcm = sys.argv[2:] == ["gcm"]
    if sys.argv[2:] and not use_gcm:
        interop.fail(f"unknown argument {sys.argv[2]!r}; use gcm or none")
    interop.run_test(" ".join(["ikev2_fragmentation"] + sys.argv[1:]),
                     lambda lab: body(lab, who, use_gcm))
