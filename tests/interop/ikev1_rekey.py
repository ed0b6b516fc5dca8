#!/usr/bin/python3
"""IKEv1 Quick Mode rekey with short lifetimes: charon rekeys its
CHILD_SA every 10 s (hard lifetime 20 s) while pings run both ways.
After two rekeys vrouter uses the newest SA pair: its outbound SPI is
charon's newest inbound SPI, and at most one ping in each direction
is lost across the rekeys.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import interop
from interop import LabError

REKEY = 10
LIFE = 20


def body(lab):
    lab.start_charon(version=1, child_rekey=f"{REKEY}s",
                     child_life=f"{LIFE}s")
    lab.start_vrouter()
    lab.configure_vrouter()
    lab.swanctl("--initiate", "--child", "net", "--timeout", "15",
                timeout=30)
    if not lab.wait_charon_child(10):
        raise LabError(f"charon has no CHILD_SA:\n{lab.charon_sas()}")
    first = lab.charon_child_spis()

    v = lab.vty()
    try:
        seen = {spi for pair in first for spi in pair}
        rekeys = 0

        def count_rekeys():
            nonlocal rekeys, seen
            new = {spi for pair in lab.charon_child_spis()
                   for spi in pair} - seen
            if new:
                rekeys += 1
                seen |= new

        lab.ping_through(v, 2.5 * REKEY + 2, "the rekeys", count_rekeys)
        if rekeys < 2:
            raise LabError(f"charon rekeyed {rekeys} times in "
                           f"{2.5 * REKEY + 2:.0f} s, expected 2:\n"
                           f"{lab.charon_sas()}")

        newest_in = lab.charon_child_spis()[0][0]
        sa = lab.ipsec_sa(v)
        if sa["outbound_spi"] != newest_in:
            raise LabError(f"vrouter sends on SPI {sa['outbound_spi']:#x}, "
                           f"not on charon's newest inbound SPI "
                           f"{newest_in:#x}")
        lab.expect_vrouter_pings(v, 5, "after the rekeys")
    finally:
        v.close()


if __name__ == "__main__":
    interop.run_test("ikev1_rekey", body)
