#!/usr/bin/python3
"""A child SA DELETE lost on the wire over IKEv2, in both directions.
nftables in charon's namespace drops the INFORMATIONAL that carries the
DELETE, so for a while one side has deleted the child SA and the other
still uses it. The IKE SA lives on, because the retransmission of the
DELETE gets through once the drop rule is gone.

vrouter deletes (`clear crypto sa peer`), its DELETE lost: charon keeps
sending on the SPI vrouter deleted, vrouter logs
%CRYPTO-4-RECVD_PKT_INV_SPI and sends INVALID_SPI with a DELETE of that
SPI over the IKE SA. charon deletes the CHILD_SA when the retransmitted
DELETE arrives, vrouter negotiates a new one on its next ping, and
traffic flows both ways again.

charon deletes (`swanctl --terminate --child`), its DELETE lost:
vrouter keeps sending on the old SPI into a black hole, because charon
drops ESP for an unknown SPI without a word. The retransmitted DELETE
removes vrouter's SAs, and vrouter's next ping negotiates a new CHILD_SA
over the same IKE SA.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import os
import re
import time

import interop
from ikev2_common import IKEV2_CONFIG
from ikev2_invalid_spi import stats_row
from interop import LabError, SW_OUTER, VR_OUTER

def block_from_vrouter(lab, match="udp dport { 500, 4500 }",
                       table="vrio_lost"):
    """Drops the packets that reach charon's namespace from vrouter and
    fit the nftables MATCH, by default every IKE and ESP-in-UDP packet,
    with a rule in TABLE."""
    rules = (f"table inet {table} {{\n"
             " chain in {\n"
             "  type filter hook input priority 0; policy accept;\n"
             f"  ip saddr {VR_OUTER} {match} counter drop\n"
             " }\n"
             "}\n")
    path = os.path.join(lab.dir, f"{table}.nft")
    with open(path, "w") as f:
        f.write(rules)
    lab.sw_exec(["nft", "-f", path])


def unblock_from_vrouter(lab, table="vrio_lost"):
    """Removes the rule of block_from_vrouter() in TABLE. Returns the
    number of packets it dropped."""
    out = lab.sw_exec(["nft", "list", "table", "inet", table])
    m = re.search(r"counter packets (\d+)", out.stdout)
    lab.sw_exec(["nft", "delete", "table", "inet", table])
    return int(m.group(1)) if m else 0


def invalid_spi_sent(v):
    """INVALID_SPI notifies vrouter has sent, from `show crypto ikev2
    stats exchange`."""
    return stats_row(v.command("show crypto ikev2 stats exchange"),
                     "INVALID_SPI")[0]


def ike_sa_ids(v):
    """Tunnel ids and states of `show crypto ikev2 sa`."""
    out = v.command("show crypto ikev2 sa")
    return re.findall(r"^(\d+)\s+\S+/\d+\s+\S+/\d+\s+\S+\s+(\S+)", out,
                      re.M), out


def wait_for(what, seconds, cond):
    deadline = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > deadline:
            raise LabError(f"{what} within {seconds} s")
        time.sleep(0.2)


def recover_both_ways(lab, v, old_charon_in, when):
    """Waits for a ping from vrouter to pass, then checks pings in both
    directions and that charon's CHILD_SA is a new one."""
    if lab.wait_vrouter_ping(v, 20) is None:
        raise LabError(f"no ping from vrouter passed within 20 s {when}:\n"
                       f"{lab.vrouter_log(v)[-3000:]}\n{lab.charon_sas()}")
    lab.expect_vrouter_pings(v, 3, when)
    lab.expect_peer_pings(3, when)
    spis = lab.charon_child_spis()
    if len(spis) != 1 or spis[0][0] == old_charon_in:
        raise LabError(f"expected one new CHILD_SA on charon {when}:\n"
                       f"{lab.charon_sas()}")


def vrouter_deletes(lab, v):
    charon_in, charon_out = lab.charon_child_spis()[0]
    ids0, _ = ike_sa_ids(v)
    invalid_tx0 = invalid_spi_sent(v)

    block_from_vrouter(lab)
    v.command(f"clear crypto sa peer {SW_OUTER}")
    if lab.ipsec_sa(v)["inbound"]:
        raise LabError("vrouter kept its IPsec SAs after clear crypto sa")
    # charon still sends on its outbound SPI, vrouter's deleted inbound.
    got = lab.ping_from_peer(count=2, wait=0.5)
    dropped = unblock_from_vrouter(lab)
    if got != 0:
        raise LabError(f"{got} pings from charon's side answered while "
                       "vrouter had no SA")
    if dropped < 1:
        raise LabError("nftables dropped nothing: vrouter sent no DELETE")

    wait_for("vrouter sent no INVALID_SPI", 15,
             lambda: invalid_spi_sent(v) > invalid_tx0)
    log = lab.vrouter_log(v)
    if not re.search(r"%CRYPTO-4-RECVD_PKT_INV_SPI: .*spi=0x0*"
                     rf"{charon_out:X}\(\d+\), srcaddr={re.escape(SW_OUTER)}",
                     log, re.I):
        raise LabError(f"no %CRYPTO-4-RECVD_PKT_INV_SPI for SPI "
                       f"{charon_out:#x}:\n{log[-3000:]}")
    wait_for("charon kept the CHILD_SA vrouter deleted", 15,
             lambda: not lab.charon_child_spis())
    recover_both_ways(lab, v, charon_in, "after vrouter's lost DELETE")

    ids, out = ike_sa_ids(v)
    if ids != ids0 or ids[0][1] != "READY":
        raise LabError(f"the IKE SA changed across the lost DELETE "
                       f"({ids0} before):\n{out}")
    clog = lab.charon_log()
    if not re.search(r"parsed INFORMATIONAL request \d+ \[ N\(INVAL_SPI\) "
                     r"D \]", clog):
        raise LabError("charon's log lacks vrouter's INVALID_SPI with "
                       "DELETE")
    if not re.search(rf"received DELETE for ESP CHILD_SA with SPI "
                     rf"{charon_out:08x}", clog):
        raise LabError(f"charon's log lacks the DELETE of SPI "
                       f"{charon_out:08x}")


def charon_deletes(lab, v):
    charon_in, _ = lab.charon_child_spis()[0]
    ids0, _ = ike_sa_ids(v)
    retransmits0 = lab.charon_log().count("retransmit 1 of request")

    lab.block_peer()
    lab.swanctl("--terminate", "--child", "net", "--timeout", "1",
                check=False)
    if lab.charon_child_spis():
        raise LabError(f"charon kept its CHILD_SA:\n{lab.charon_sas()}")
    # vrouter still sends on charon's deleted inbound SPI.
    if lab.ipsec_sa(v)["outbound_spi"] != charon_in:
        raise LabError(f"vrouter no longer sends on SPI {charon_in:#x}")
    replies, _ = lab.vrouter_ping(v, count=1, timeout=1)
    dropped = lab.unblock_peer()
    if replies != 0:
        raise LabError("a ping from vrouter passed into charon's deleted "
                       "CHILD_SA")
    if dropped < 1:
        raise LabError("nftables dropped nothing: charon sent no DELETE")

    wait_for("vrouter kept its IPsec SAs after charon's retransmitted "
             "DELETE", 15, lambda: not lab.ipsec_sa(v)["inbound"])
    if lab.charon_log().count("retransmit 1 of request") <= retransmits0:
        raise LabError("charon did not retransmit its DELETE")
    recover_both_ways(lab, v, charon_in, "after charon's lost DELETE")
    ids, out = ike_sa_ids(v)
    if ids != ids0 or ids[0][1] != "READY":
        raise LabError(f"the IKE SA changed across the lost DELETE "
                       f"({ids0} before):\n{out}")
    if "ESTABLISHED" not in lab.charon_sas():
        raise LabError(f"charon lost its IKE SA:\n{lab.charon_sas()}")


def body(lab):
    lab.start_charon(version=2)
    lab.start_vrouter()
    lab.configure_vrouter(IKEV2_CONFIG)
    lab.establish_from_peer()
    v = lab.vty()
    try:
        vrouter_deletes(lab, v)
        charon_deletes(lab, v)
    finally:
        v.close()


if __name__ == "__main__":
    interop.run_test("ikev2_lost_delete", body)
