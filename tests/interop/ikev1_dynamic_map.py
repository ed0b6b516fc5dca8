#!/usr/bin/python3
"""vrouter as a hub with a dynamic crypto map and a wildcard PSK:
traffic from vrouter starts no negotiation (a dynamic map only
answers), then charon initiates, pings pass both ways, and the SA is
listed under the dynamic map's entry.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import interop
from interop import LabError

DYNAMIC_CONFIG = f"""
crypto isakmp policy 10
 encryption aes
 hash sha256
 authentication pre-share
 group 14
crypto isakmp key {interop.PSK} address 0.0.0.0 0.0.0.0
crypto ipsec transform-set TS esp-aes esp-sha256-hmac
 mode tunnel
crypto dynamic-map DYN 10
 set transform-set TS
 set pfs group14
crypto map VPN 65535 ipsec-isakmp dynamic DYN
interface GigabitEthernet1
 crypto map VPN
ip route 203.0.113.0 255.255.255.0 {interop.DUT_LINUX_TUN}
ip route 198.51.100.0 255.255.255.128 {interop.DUT_LINUX_TUN}
"""


def body(lab):
    lab.start_charon(version=1)
    lab.start_vrouter()
    lab.configure_vrouter(crypto=DYNAMIC_CONFIG)
    v = lab.vty()
    try:
        replies, sent = lab.vrouter_ping(v, count=3)
        if "parsed ID_PROT" in lab.charon_log():
            raise LabError("vrouter started Main Mode from a dynamic "
                           "crypto map")
        if replies != 0:
            raise LabError(f"{replies} of {sent} pings passed with no SA")

        lab.establish_from_peer()
        lab.expect_vrouter_pings(v, 5, "over the dynamic map's tunnel")
        lab.expect_peer_pings(5, "over the dynamic map's tunnel")
        sa = lab.ipsec_sa(v)
        if sa["peer"] != interop.SW_OUTER:
            raise LabError(f"show crypto ipsec sa names peer {sa['peer']}, "
                           f"expected {interop.SW_OUTER}")
        spis = lab.charon_child_spis()
        if sa["outbound_spi"] != spis[0][0]:
            raise LabError(f"vrouter's outbound SPI {sa['outbound_spi']} "
                           f"is not charon's inbound SPI ({spis})")
        out = v.command("show crypto map")
        if interop.SW_OUTER not in out or "DYN" not in out:
            raise LabError(f"show crypto map does not list the entry "
                           f"instantiated for {interop.SW_OUTER}:\n{out}")
    finally:
        v.close()


if __name__ == "__main__":
    interop.run_test("ikev1_dynamic_map", body)
