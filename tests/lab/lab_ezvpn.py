#!/usr/bin/python3
"""The Easy VPN row of the recovery table, configs/labs/row-ezvpn.lab.

R1 is an EzVPN client (network-extension mode, connect auto) and R2 its
server. The tunnel comes up by itself: Aggressive Mode, XAUTH, mode
config, Quick Mode, and H1's stream to H2 is whole. Then the link drops
IKE and R1 reloads, so R1 loses its SAs and cannot reconnect while R2
keeps its own. H1's packets leave R1 in clear, and H2's echoes come back
from R2 on the SA that R1 lost. R1 logs RECVD_PKT_INV_SPI once. It has
`crypto isakmp invalid-spi-recovery` but starts no IKE for the SPI: it
has no Main Mode SA, and the flow's action names the EzVPN client. Once
the filter ends, connect auto brings the tunnel back, R2 drops the old
SAs on R1's INITIAL-CONTACT, and the stream is whole again.
"""

import re
import time

import lablib

RATE = 50
R1_WAN, R2_WAN = "10.1.1.1", "10.10.1.2"
# The filter stays this long after R1's reload.
FILTER_SEC = 15
# After the filter ends, R1's pending Aggressive Mode retransmits within
# 16 s (1, 2, 4, 8, 16 s apart). An attempt past its last
# retransmission (31 s after it began) ends 60 s after it began, and the
# next starts a second later. XAUTH, mode config and Quick Mode take well
# under a second more.
RECONNECT_SEC = 50
WHOLE = rf"t=\d+ sent={RATE} received={RATE} lost=0 loss=0\.0%"
INV_SPI_RE = (r"%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has "
              rf"invalid spi for destaddr={re.escape(R1_WAN)}, prot=50, "
              r"spi=(0x[0-9A-F]+)\((\d+)\), "
              rf"srcaddr={re.escape(R2_WAN)}, "
              r"input interface=GigabitEthernet1")


def command(session, cmd):
    return session.command(cmd).replace("\r", "")


def ezvpn_state(r1):
    out = command(r1, "show crypto ipsec client ezvpn")
    m = re.search(r"^Current State: (\S+)", out, re.M)
    return (m.group(1) if m else None), out


def outbound_spi(session):
    out = session.command("show crypto ipsec sa")
    m = re.search(r"current outbound spi: (0x[0-9A-F]+)", out)
    if not m or m.group(1) == "0x0":
        lablib.fail(f"{session.name} has no outbound SA:\n{out}")
    return m.group(1), out


def counters(session):
    out = session.command("show crypto ipsec sa")
    enc = re.search(r"#pkts encaps: (\d+)", out)
    dec = re.search(r"#pkts decaps: (\d+)", out)
    if not enc or not dec:
        lablib.fail(f"{session.name}: no SA counters in:\n{out}")
    return int(enc.group(1)), int(dec.group(1))


def wait_active(lab, r1, timeout):
    deadline = time.monotonic() + timeout
    state, out = ezvpn_state(r1)
    while state != "IPSEC_ACTIVE":
        if time.monotonic() > deadline:
            lab.stop()
            lablib.fail(f"R1's EzVPN tunnel is not up:\n{out}")
        time.sleep(0.5)
        state, out = ezvpn_state(r1)
    return out


def check_up(lab, r1, r2):
    """The tunnel came up by itself and carries H1's stream."""
    lab.wait_trafgen("H1", rf"^{WHOLE}\n{WHOLE}$", 60)
    out = wait_active(lab, r1, 10)
    for want in (r"^Address: 10\.99\.0\.10$",
                 r"^       Address    : 192\.168\.2\.0$",
                 rf"^Current EzVPN Peer: {re.escape(R2_WAN)}$"):
        if not re.search(want, out, re.M):
            lablib.fail(f"R1's EzVPN state lacks {want!r}:\n{out}")
    log = command(r1, "show logging")
    up = re.findall(r"%CRYPTO-6-EZVPN_CONNECTION_UP: \(Client\) User=lab "
                    rf"Group=LABGROUP Client_public_addr={R1_WAN} "
                    rf"Server_public_addr={R2_WAN} "
                    r"Assigned_client_addr=10\.99\.0\.10 "
                    r"NEM_Remote_Subnets=192\.168\.1\.0/255\.255\.255\.0",
                    log)
    if len(up) != 1:
        lablib.fail(f"R1 logged {len(up)} EZVPN_CONNECTION_UP lines:\n{log}")
    enc, dec = counters(r1)
    time.sleep(1)
    enc2, dec2 = counters(r1)
    if enc2 < enc + RATE // 2 or dec2 < dec + RATE // 2:
        lablib.fail(f"R1's SA counters do not grow: {enc}->{enc2}, "
                    f"{dec}->{dec2}")
    isakmp = command(r2, "show crypto isakmp sa")
    if not re.search(rf"^{re.escape(R2_WAN)} +{re.escape(R1_WAN)} +QM_IDLE",
                     isakmp, re.M):
        lablib.fail(f"R2 has no IKE SA that R1 started:\n{isakmp}")
    check_sessions(r1, r2)


def check_sessions(r1, r2):
    """Both ends show the negotiated flow, local side first, with mode
    config (C) and XAUTH (X) among the capabilities. R2 shows the
    client's group name as its phase 1 identity."""
    lan1 = r"192\.168\.1\.0/255\.255\.255\.0"
    lan2 = r"192\.168\.2\.0/255\.255\.255\.0"
    for session, flow, phase1_id in ((r1, rf"{lan1} {lan2}",
                                      re.escape(R2_WAN)),
                                     (r2, rf"{lan2} {lan1}", "LABGROUP")):
        out = command(session, "show crypto session detail")
        for want in (rf"^  IPSEC FLOW: permit ip {flow} $",
                     r"^          Capabilities:C\w*X connid:",
                     rf"^      Phase1_id: {phase1_id}$"):
            if not re.search(want, out, re.M):
                lablib.fail(f"{session.name}'s crypto session lacks "
                            f"{want!r}:\n{out}")


def check_no_recovery(lab, r1, stale_spi):
    """While IKE is filtered, R1 logs the stale SPI once and starts no
    IKE for it."""
    deadline = time.monotonic() + 10
    while True:
        logs = re.findall(INV_SPI_RE, command(r1, "show logging"))
        if logs or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if len(logs) != 1 or logs[0][0] != stale_spi or \
            int(logs[0][0], 16) != int(logs[0][1]):
        lablib.fail(f"R1 logged RECVD_PKT_INV_SPI {logs}, expected one "
                    f"line for R2's SPI {stale_spi}")
    action, out = lablib.flow_action(r1, R2_WAN)
    if action != ("ignored: EzVPN client, invalid-spi-recovery does not "
                  "apply; connect auto reconnects"):
        lablib.fail(f"R1's recovery action {action!r}:\n{out}")
    isakmp = command(r1, "show crypto isakmp sa")
    if re.search(r"MM_\w+|QM_IDLE", isakmp):
        lablib.fail(f"R1 has a Main Mode or complete IKE SA while IKE is "
                    f"filtered:\n{isakmp}")
    state, out = ezvpn_state(r1)
    if state == "IPSEC_ACTIVE":
        lablib.fail(f"R1's EzVPN tunnel is up while IKE is filtered:\n{out}")
    stats = lab.link_stats("WAN")
    if stats[0]["filtered"] < 1:
        lablib.fail(f"R1's connect auto sent no IKE into the filter: "
                    f"{stats}")


def main():
    lab = lablib.Lab(lablib.lab_file("row-ezvpn.lab"))
    r1 = lab.session("R1")
    r2 = lab.session("R2")
    check_up(lab, r1, r2)
    stale_spi, _ = outbound_spi(r2)

    lab.ctl("fault", "WAN", "drop", "ike")
    lab.ctl("reload", "R1")
    lab.wait_output(r"^R1: vrouter: started.*\n(.*\n)*R1: vrouter: started",
                    30)
    reloaded = time.monotonic()
    lab.wait_trafgen("H1", r"^blackhole start t=", 10)
    r1 = lab.session("R1")
    check_no_recovery(lab, r1, stale_spi)

    time.sleep(max(0, reloaded + FILTER_SEC - time.monotonic()))
    lab.ctl("clear", "WAN")
    cleared = time.monotonic()
    m = lab.wait_trafgen("H1", r"^blackhole end t=\S+ duration=(\S+)",
                         RECONNECT_SEC)
    took = time.monotonic() - cleared
    black = float(m.group(1))
    if not FILTER_SEC - 2 <= black <= FILTER_SEC + RECONNECT_SEC:
        lablib.fail(f"black hole of {black} s with IKE filtered for "
                    f"{FILTER_SEC} s after the reload")
    print(f"black hole {black} s; the tunnel was back {took:.1f} s after "
          "the filter ended")
    lab.wait_trafgen("H1", rf"^{WHOLE}\n{WHOLE}$", 10)
    wait_active(lab, r1, 5)
    spi_now, _ = outbound_spi(r2)
    if spi_now == stale_spi:
        lablib.fail("R2 still sends on the SPI that R1 lost")
    # INITIAL-CONTACT from the new IKE SA removed R2's old one.
    isakmp = command(r2, "show crypto isakmp sa")
    ike_sas = re.findall(rf"^{re.escape(R2_WAN)} +{re.escape(R1_WAN)} +"
                         r"QM_IDLE", isakmp, re.M)
    if len(ike_sas) != 1:
        lablib.fail(f"R2 has {len(ike_sas)} IKE SAs with R1:\n{isakmp}")
    text = lab.trafgen("H1")
    after = text[text.rindex("blackhole start"):]
    lost_all = re.findall(rf"^t=\d+ sent={RATE} received=0 lost={RATE} "
                          r"loss=100\.0%", after, re.M)
    if len(lost_all) < FILTER_SEC - 3:
        lablib.fail(f"{len(lost_all)} seconds of 100% loss while IKE was "
                    f"filtered for {FILTER_SEC} s:\n{text[-2000:]}")
    return lab.stop()


main()
