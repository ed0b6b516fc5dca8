#!/usr/bin/python3
"""vrouter as an Easy VPN client of strongSwan's charon, which runs as an
IKEv1 XAUTH and mode config server. The client runs Aggressive Mode with
the group name as a key ID and the group key, then XAUTH against
charon's xauth secret. It gets an address from charon's pool, then runs
Quick Mode from vrouter's Loopback0. Pings pass both ways, `show crypto ipsec client ezvpn` lists the
address charon assigned and its split network, charon logs the XAUTH
user's success and lists the virtual IP it handed out. A wrong XAUTH
password gets no SA.

Needs the xauth-generic plugin (libcharon-extauth-plugins). Exits 77
(skipped) without root or /dev/net/tun.
"""
import os
import re

import interop
from interop import LabError

GROUP, GROUP_KEY = "LABGROUP", "LabKey123"
USER, PASSWORD = "lab", "LabPass123"
POOL = "10.99.0.16/28"
PLUGIN = "/usr/lib/ipsec/plugins/libstrongswan-xauth-generic.so"

CLIENT_CONFIG = f"""
crypto ipsec client ezvpn EZ
 connect auto
 group {GROUP} key {GROUP_KEY}
 mode network-extension
 peer {interop.SW_OUTER}
 xauth userid mode local
 username {USER} password {{password}}
interface GigabitEthernet1
 crypto ipsec client ezvpn EZ outside
interface Loopback0
 crypto ipsec client ezvpn EZ inside
ip route 203.0.113.0 255.255.255.0 {interop.DUT_LINUX_TUN}
ip route 198.51.100.0 255.255.255.128 {interop.DUT_LINUX_TUN}
"""

# charon responds to Aggressive Mode from the group's key ID, then runs
# XAUTH against the xauth secret and hands out addresses from POOL when
# the client requests one (IKEv1 mode config pull). Its unity plugin adds the child's
# local_ts as a split network, since vrouter sends the Unity vendor ID.
SWANCTL = f"""connections {{
  peer {{
    version = 1
    aggressive = yes
    local_addrs = {interop.SW_OUTER}
    remote_addrs = {interop.VR_OUTER}
    encap = yes
    mobike = no
    proposals = aes256-sha1-modp1024
    pools = ezpool
    local {{
      auth = psk
      id = {interop.SW_OUTER}
    }}
    remote {{
      auth = psk
      id = keyid:{GROUP}
    }}
    remote-xauth {{
      auth = xauth
    }}
    children {{
      net {{
        mode = tunnel
        local_ts = {interop.SW_TS}
        remote_ts = {interop.VR_TS}
        esp_proposals = aes256-sha1
        rand_time = 0
      }}
    }}
  }}
}}
pools {{
  ezpool {{
    addrs = {POOL}
  }}
}}
secrets {{
  ike-group {{
    id-1 = keyid:{GROUP}
    secret = "{GROUP_KEY}"
  }}
  xauth-lab {{
    id = {USER}
    secret = "{PASSWORD}"
  }}
}}
"""


def start_server(lab):
    """Writes charon's configuration as the harness does, with the XAUTH
    plugin loaded and the EzVPN server connection, and starts it."""
    lab._write_charon_config(version=1)
    conf = os.path.join(lab.dir, "strongswan.conf")
    with open(conf) as f:
        text = f.read()
    text = text.replace(" vici counters",
                        " vici counters xauth-generic unity", 1)
    # charon accepts Aggressive Mode with a pre-shared key only when
    # configured to, since an eavesdropper can attack the key offline.
    text = text.replace("charon {", "charon {\n  i_dont_care_about_security_"
                        "and_use_aggressive_mode_psk = yes", 1)
    with open(conf, "w") as f:
        f.write(text)
    with open(os.path.join(lab.dir, "swanctl.conf"), "w") as f:
        f.write(SWANCTL)
    lab._launch_charon()


def ezvpn_state(vty):
    out = vty.command("show crypto ipsec client ezvpn")
    m = re.search(r"^Current State: (\S+)", out, re.M)
    return (m.group(1) if m else None), out


def wait_active(lab, vty, seconds):
    deadline = interop.time.monotonic() + seconds
    while True:
        state, out = ezvpn_state(vty)
        if state == "IPSEC_ACTIVE":
            return out
        if interop.time.monotonic() > deadline:
            raise LabError(f"the EzVPN tunnel is not up after {seconds} s:"
                           f"\n{out}\ncharon:\n{lab.charon_sas()}")
        interop.time.sleep(0.5)


def body(lab):
    if not os.path.exists(PLUGIN):
        interop.skip("charon's xauth-generic plugin is not installed "
                     "(libcharon-extauth-plugins)")
    start_server(lab)
    lab.start_vrouter()
    lab.configure_vrouter(crypto=CLIENT_CONFIG.format(password=PASSWORD))
    v = lab.vty()
    try:
        out = wait_active(lab, v, 30)
        m = re.search(r"^Address: (\S+)", out, re.M)
        if not m or not m.group(1).startswith("10.99.0."):
            raise LabError(f"no address from charon's pool {POOL}:\n{out}")
        assigned = m.group(1)
        split = re.search(r"^ +Address +: (\S+)\r?\n +Mask +: (\S+)",
                          out, re.M)
        if not split or split.groups() != ("198.51.100.0",
                                           "255.255.255.128"):
            raise LabError(f"no split network {interop.SW_TS} from "
                           f"charon:\n{out}")
        sas = lab.charon_sas()
        if f"XAuth authentication of '{USER}' successful" not in \
                lab.charon_log():
            raise LabError(f"charon logged no successful XAUTH for {USER}")
        if assigned not in sas:
            raise LabError(f"charon does not list the virtual IP "
                           f"{assigned}:\n{sas}")
        lab.expect_vrouter_pings(v, 5, "over the EzVPN tunnel")
        lab.expect_peer_pings(5, "over the EzVPN tunnel")
        sa = lab.ipsec_sa(v)
        spis = lab.charon_child_spis()
        if not spis or sa["outbound_spi"] != spis[0][0]:
            raise LabError(f"vrouter's outbound SPI {sa['outbound_spi']} "
                           f"is not charon's inbound SPI ({spis})")
        log = lab.vrouter_log(v)
        if "%CRYPTO-6-EZVPN_CONNECTION_UP: (Client) User=lab " \
                f"Group={GROUP}" not in log:
            raise LabError(f"no EZVPN_CONNECTION_UP line:\n{log}")

        # A wrong password: charon's XAUTH fails and no SA comes up.
        v.configure("crypto ipsec client ezvpn EZ\n"
                    f" username {USER} password WrongPass\n")
        v.command("clear crypto session")
        deadline = interop.time.monotonic() + 15
        while f"XAuth authentication of '{USER}' failed" not in \
                lab.charon_log():
            if interop.time.monotonic() > deadline:
                raise LabError("charon logged no failed XAUTH for "
                               f"{USER} within 15 s")
            interop.time.sleep(0.5)
        interop.time.sleep(2)
        state, out = ezvpn_state(v)
        if state == "IPSEC_ACTIVE":
            raise LabError(f"the tunnel came up with a wrong XAUTH "
                           f"password:\n{out}")
        if "INSTALLED" in lab.charon_sas():
            raise LabError(f"charon installed a CHILD_SA for a wrong XAUTH "
                           f"password:\n{lab.charon_sas()}")
    finally:
        v.close()


if __name__ == "__main__":
    interop.run_test("ikev1_ezvpn_client", body)
