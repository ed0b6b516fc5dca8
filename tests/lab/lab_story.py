#!/usr/bin/python3
"""The invalid-SPI story on the default lab, configs/labs/invalid-spi.lab.

Usage: lab_story.py norecovery | dpd | lostdelete | rekey | rekeyreboot |
       row NAME

norecovery: traffic flows through the tunnel; R2 reloads and loses its
SAs while R1 keeps its own. R1 keeps sending on the old SPI, so R2 logs
%CRYPTO-4-RECVD_PKT_INV_SPI once a minute for that SPI and drops every
packet (QFP IpsecInput), and trafgen shows a black hole that does not
end. Once `crypto isakmp invalid-spi-recovery` is configured on R2, the
tunnel comes back within about a second.

dpd: the same reload on invalid-spi-dpd.lab, where R1 runs periodic DPD
(10 s, 3 s retries). R1 declares R2 dead and the black hole ends without
recovery on R2.

lostdelete: `clear crypto sa` on R2 while the link drops IKE. R2's
DELETE is lost, R1 keeps the old SAs, and R2 still holds its IKE SA.
The ESP that arrives for the SA R2 cleared makes R2 send a DELETE over
that IKE SA, which arrives once the filter ends; R1 then negotiates new
SAs.

rekey: configs/labs/rekey.lab, where R1's SAs last 2560 kilobytes and
the stream carries 300 KB/s, so R1 rekeys every few seconds. Over 30 s
there are several rekeys, no black hole, no loss after the first second
and no RECVD_PKT_INV_SPI on R2: the old pair stays until the new one
carries the traffic, and then goes, so neither router has more than
three pairs: the old one and one from each router's rekey.

rekeyreboot: the same lab, and R2 reloads between two rekeys, with no
recovery and no DPD. R1's next Quick Mode goes over an IKE SA that R2
lost and gets no answer; once its retransmissions run out (about a
minute), R1 deletes that IKE SA and starts Main Mode again, so the black
hole ends on its own.

row NAME: one row of the recovery table, configs/labs/row-NAME.lab,
where the router that reloads (R2, or the spoke R1 for mgre-static) has
invalid-SPI recovery on. The start waits until IKE (and NHRP on mGRE)
has finished and the stream is whole. After the reload, a static peer
(static-map, gre, svti, mgre-static) gets IKE from the reloaded router
and a DELETE, so the tunnel is back within seconds; the reloaded router
logs RECVD_PKT_INV_SPI once for the peer's stale SPI. A dynamic peer
(dynamic-map, mgre-dynamic) gets no IKE from the reloaded router, so the
black hole stays past the first minute, with two log lines a minute
apart and every packet dropped. The Easy VPN row has a story of its own
in lab_ezvpn.py.
"""

import re
import sys
import time

import lablib

RATE = 50
# WAN addresses of R1 and R2 in the labs of configs/labs.
WAN = {"R1": "10.1.1.1", "R2": "10.10.1.2"}


def log_re(dst, src):
    """RECVD_PKT_INV_SPI lines for ESP from SRC to DST: (stamp, spi, spi
    in decimal)."""
    return (r"\*(\w{3} [ \d]\d \d\d:\d\d:\d\d\.\d{3}): "
            r"%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has "
            rf"invalid spi for destaddr={re.escape(dst)}, prot=50, "
            r"spi=(0x[0-9A-F]+)\((\d+)\), "
            rf"srcaddr={re.escape(src)}, input interface=GigabitEthernet1")


LOG_RE = log_re(WAN["R2"], WAN["R1"])


def sa_counters(session):
    out = session.command("show crypto ipsec sa")
    enc = re.search(r"#pkts encaps: (\d+)", out)
    dec = re.search(r"#pkts decaps: (\d+)", out)
    spi = re.search(r"current outbound spi: (0x[0-9A-F]+)", out)
    if not enc or not dec or not spi:
        lablib.fail(f"{session.name}: no SA counters in:\n{out}")
    return int(enc.group(1)), int(dec.group(1)), spi.group(1)


def qfp_drops(session, name):
    out = session.command("show platform hardware qfp active statistics drop")
    m = re.search(rf"^{name} +(\d+) ", out, re.M)
    return int(m.group(1)) if m else 0


def inv_spi_logs(session):
    return re.findall(LOG_RE, session.command("show logging"))


def seconds_of(stamp):
    return time.mktime(time.strptime("2000 " + stamp[:15],
                                     "%Y %b %d %H:%M:%S")) + \
        float("0" + stamp[15:])


def wait_tunnel_up(lab, r1, host="H1", timeout=60):
    """Waits until R1 has IPsec SAs and HOST's stream had two whole
    seconds without loss; IKE (and NHRP registration on mGRE) take a few
    seconds more on a loaded machine or under the sanitizers."""
    full = rf"t=\d+ sent={RATE} received={RATE} lost=0 loss=0\.0%"
    lab.wait_trafgen(host, rf"^{full}\n{full}$", timeout)
    deadline = time.monotonic() + 10
    while not re.search(r"current outbound spi: 0x(?!0\b)[0-9A-F]+",
                        r1.command("show crypto ipsec sa")):
        if time.monotonic() > deadline:
            lablib.fail(f"R1 has no IPsec SA although {host}'s stream "
                        "is whole")
        time.sleep(0.2)


def start(topology, host="H1"):
    lab = lablib.Lab(lablib.lab_file(topology))
    r1 = lab.session("R1")
    wait_tunnel_up(lab, r1, host)
    enc, dec, r1_spi = sa_counters(r1)
    if enc < RATE or dec < RATE:
        lablib.fail(f"R1 SA counters before the reload: {enc} {dec}")
    time.sleep(1)
    enc2, dec2, _ = sa_counters(r1)
    if enc2 < enc + RATE // 2 or dec2 < dec + RATE // 2:
        lablib.fail(f"R1 SA counters do not grow: {enc}->{enc2}, "
                    f"{dec}->{dec2}")
    return lab, r1, r1_spi


def check_inv_spi_logs(story, reloaded, peer, stale_spi, lines):
    """Checks that RELOADED logged RECVD_PKT_INV_SPI LINES times, all for
    PEER's stale SPI and a minute apart (one line per minute and flow)."""
    logs = re.findall(log_re(WAN[reloaded.name], WAN[peer.name]),
                      reloaded.command("show logging"))
    if len(logs) != lines:
        lablib.fail(f"{story}: {reloaded.name} logged {len(logs)} "
                    f"RECVD_PKT_INV_SPI lines, expected {lines}: {logs}")
    for stamp, spi, dec in logs:
        if spi != stale_spi or int(spi, 16) != int(dec):
            lablib.fail(f"{story}: RECVD_PKT_INV_SPI for {spi}({dec}), "
                        f"{peer.name} sent on {stale_spi}")
    for first, second in zip(logs, logs[1:]):
        gap = seconds_of(second[0]) - seconds_of(first[0])
        if not 59.0 <= gap <= 62.0:
            lablib.fail(f"{story}: RECVD_PKT_INV_SPI lines {gap} s apart")


def reload_r2(lab, name="R2", blackhole=True, host="H1"):
    lab.ctl("reload", name)
    lab.wait_output(rf"^{name}: vrouter: started.*\n(.*\n)*{name}: vrouter: "
                    "started", 30)
    reloaded = time.monotonic()
    if blackhole:
        lab.wait_trafgen(host, r"^blackhole start t=", 10)
    return reloaded


def story_norecovery():
    lab, r1, r1_spi = start("invalid-spi.lab")
    reloaded = reload_r2(lab)
    r2 = lab.session("R2")
    # Past the first minute, the log has exactly two lines for the SPI.
    time.sleep(max(0, reloaded + 66 - time.monotonic()))
    check_inv_spi_logs("norecovery", r2, r1, r1_spi, 2)
    drops = qfp_drops(r2, "IpsecInput")
    if drops < RATE * 60:
        lablib.fail(f"IpsecInput drops on R2 after 66 s: {drops}")
    _, _, spi_now = sa_counters(r1)
    if spi_now != r1_spi:
        lablib.fail(f"R1 changed its outbound SPI {r1_spi} -> {spi_now} "
                    "without recovery")
    text = lab.trafgen("H1")
    if "blackhole end" in text:
        lablib.fail(f"the black hole ended without recovery:\n{text}")
    worst = re.findall(rf"^t=\d+ sent={RATE} received=0 lost={RATE} "
                       r"loss=100\.0%", text, re.M)
    if len(worst) < 60:
        lablib.fail(f"{len(worst)} seconds of 100% loss, expected 60:\n"
                    f"{text[-1500:]}")

    # Recovery on R2: the tunnel is back within about a second.
    configured = time.monotonic()
    r2.configure("crypto isakmp invalid-spi-recovery")
    m = lab.wait_trafgen("H1", r"^blackhole end t=\S+ duration=(\S+)", 10)
    took = time.monotonic() - configured
    if took > 3.0:
        lablib.fail(f"the tunnel came back {took:.1f} s after recovery was "
                    "configured")
    if float(m.group(1)) < 66:
        lablib.fail(f"black hole of {m.group(1)} s, shorter than the wait")
    _, _, spi_new = sa_counters(r1)
    if spi_new == r1_spi:
        lablib.fail("R1 still sends on the old SPI after recovery")
    lab.wait_trafgen("H1", rf"^t=\d+ sent={RATE} received={RATE} lost=0 "
                     rf"loss=0\.0%\nt=\d+ sent={RATE} received={RATE} lost=0 ", 10)
    return lab


def story_dpd():
    lab, r1, r1_spi = start("invalid-spi-dpd.lab")
    reloaded = reload_r2(lab)
    m = lab.wait_trafgen("H1", r"^blackhole end t=\S+ duration=(\S+)", 60)
    took = time.monotonic() - reloaded
    # R1 sends an R-U-THERE 0 to 10 s after the reload and declares R2
    # dead 18 s later (5 retries 3 s apart, then 3 s more): 18 to 28 s.
    if not 17 <= float(m.group(1)) <= 30 or took > 35:
        lablib.fail(f"DPD ended a {m.group(1)} s black hole {took:.1f} s "
                    "after the reload")
    _, _, spi_new = sa_counters(r1)
    if spi_new == r1_spi:
        lablib.fail("R1 still sends on the old SPI after DPD")
    logs = inv_spi_logs(lab.session("R2"))
    if len(logs) != 1 or logs[0][1] != r1_spi:
        lablib.fail(f"expected one RECVD_PKT_INV_SPI for {r1_spi}: {logs}")
    return lab


def story_lostdelete():
    lab, r1, r1_spi = start("invalid-spi.lab")
    r2 = lab.session("R2")
    lab.ctl("fault", "WAN", "drop", "ike", "for", "5")
    r2.command("clear crypto sa")
    lab.wait_trafgen("H1", r"^blackhole start t=", 10)
    m = lab.wait_trafgen("H1", r"^blackhole end t=\S+ duration=(\S+)", 30)
    if float(m.group(1)) < 4:
        lablib.fail(f"black hole of {m.group(1)} s while IKE was dropped "
                    "for 5 s")
    filtered = lab.link_stats("WAN")
    if filtered[1]["filtered"] < 1:
        lablib.fail(f"no IKE frame from R2 was filtered: {filtered}")
    _, _, spi_new = sa_counters(r1)
    if spi_new == r1_spi:
        lablib.fail("R1 still sends on the old SPI")
    if not inv_spi_logs(r2):
        lablib.fail("R2 logged no RECVD_PKT_INV_SPI for the cleared SA")
    return lab


def spis_of(session):
    """Return the SPIs that `show crypto ipsec sa` lists on SESSION."""
    out = session.command("show crypto ipsec sa")
    return re.findall(r"^ +spi: (0x[0-9A-F]+)", out, re.M), out


def story_rekey():
    lab = lablib.Lab(lablib.lab_file("rekey.lab"))
    lab.wait_trafgen("H1", r"^t=1 ", 40)
    r1 = lab.session("R1")
    r2 = lab.session("R2")

    seen = set()
    # Each rekey adds a pair and retires the old one once the peer sends
    # on the new pair. Both routers reach the soft lifetime together and
    # may both rekey, so the old pair and two new ones (six SAs) can
    # exist for a moment, but no more.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for session in (r1, r2):
            spis, out = spis_of(session)
            if len(spis) > 6:
                lablib.fail(f"{session.name} has {len(spis)} SAs, expected "
                            f"at most three pairs:\n{out}")
            if session is r1:
                seen.update(spis)
        time.sleep(0.5)

    # The first pair is the initial negotiation; every rekey adds two.
    if len(seen) < 8:
        lablib.fail(f"{len(seen)} SPIs on R1 in 30 s, expected at least "
                    f"three rekeys")
    out = r1.command("show crypto session detail")
    active = re.search(r"Active SAs: (\d+)", out)
    if not active or not 2 <= int(active.group(1)) <= 6:
        lablib.fail(f"R1 after 30 s of rekeys:\n{out}")

    lab.wait_trafgen("H1", r"^t=30 ", 10)
    text = lab.trafgen("H1")
    for sec, lost in re.findall(r"^t=(\d+) sent=\d+ received=\d+ lost=(\d+)",
                                text, re.M):
        if 1 <= int(sec) <= 30 and int(lost) > 3:
            lablib.fail(f"second {sec} lost {lost} packets during rekeys:\n"
                        f"{text}")
    if "blackhole" in text.split("t=1 ", 1)[1]:
        lablib.fail(f"a black hole during rekeys:\n{text}")
    logs = inv_spi_logs(r2)
    if logs:
        lablib.fail(f"RECVD_PKT_INV_SPI during rekeys: {logs}")
    return lab


def story_rekey_reboot():
    lab = lablib.Lab(lablib.lab_file("rekey.lab"))
    lab.wait_trafgen("H1", r"^t=5 ", 40)
    reload_r2(lab)
    lab.wait_trafgen("H1", r"^blackhole end t=", 150)
    m = re.findall(r"^blackhole end t=[\d.]+ duration=([\d.]+)",
                   lab.trafgen("H1"), re.M)
    print(f"black hole after the reload lasted {m[-1]} s")
    return lab


# Row name: (router to reload, whether the tunnel comes back by recovery,
# host whose trafgen sends). In mgre-static the stream starts behind the
# hub, so that the spoke R1 has no traffic of its own after its reload.
ROWS = {
    "static-map": ("R2", True, "H1"),
    "gre": ("R2", True, "H1"),
    "svti": ("R2", True, "H1"),
    "mgre-static": ("R1", True, "H2"),
    "dynamic-map": ("R2", False, "H1"),
    "mgre-dynamic": ("R2", False, "H1"),
}


# mGRE rows: the NHRP entry that the reloaded router has for its peer
# before the reload (tunnel address, type).
NHRP_ROWS = {
    "mgre-static": ("172.16.0.2", "static"),
    "mgre-dynamic": ("172.16.0.1", "dynamic"),
}


def check_nhrp_entry(row, session):
    """Checks that SESSION maps the peer's tunnel address as the row
    expects: static from `ip nhrp map`, dynamic from a registration."""
    address, kind = NHRP_ROWS[row]
    out = session.command("show ip nhrp")
    if not re.search(rf"^{re.escape(address)}/32 via {re.escape(address)}"
                     rf"\s*\n.*\n\s+Type: {kind},", out, re.M):
        lablib.fail(f"{row}: {session.name} has no {kind} NHRP entry for "
                    f"{address}:\n{out}")


def story_row(row):
    reloaded_name, recovers, host = ROWS[row]
    peer_name = "R1" if reloaded_name == "R2" else "R2"
    lab, r1, _ = start(f"row-{row}.lab", host)
    peer = r1 if peer_name == "R1" else lab.session(peer_name)
    if row in NHRP_ROWS:
        check_nhrp_entry(row, r1 if reloaded_name == "R1"
                         else lab.session(reloaded_name))
    _, _, stale_spi = sa_counters(peer)
    reloaded_at = reload_r2(lab, reloaded_name, blackhole=not recovers,
                            host=host)
    reloaded = lab.session(reloaded_name)
    if recovers:
        # Recovery may be quicker than a black hole (5 lost in a row).
        time.sleep(5)
        text = lab.trafgen(host)
        m = re.search(r"^blackhole end t=\S+ duration=(\S+)", text, re.M)
        if "blackhole start" in text and (not m or float(m.group(1)) > 5):
            lablib.fail(f"{row}: no recovery within 5 s:\n{text[-1500:]}")
        lab.wait_trafgen(host, rf"^t=\d+ sent={RATE} received={RATE} "
                         rf"lost=0 loss=0\.0%\n(.*\n)*t=\d+ sent={RATE} "
                         rf"received={RATE} lost=0 loss=0\.0%\n(.*\n)*"
                         r"t=\d+ sent=\d+ received=\d+ lost=0 loss=0\.0%\n\Z",
                         10)
        _, _, spi_new = sa_counters(peer)
        if spi_new == stale_spi:
            lablib.fail(f"{row}: {peer_name} still sends on the old SPI")
        # The reloaded router initiated the new IKE SA (dst is the
        # responder in `show crypto isakmp sa`).
        isakmp = reloaded.command("show crypto isakmp sa")
        if not re.search(rf"^{re.escape(WAN[peer_name])} +"
                         rf"{re.escape(WAN[reloaded_name])} +QM_IDLE",
                         isakmp, re.M):
            lablib.fail(f"{row}: {reloaded_name} did not start IKE towards "
                        f"{peer_name}:\n{isakmp}")
        action, out = lablib.flow_action(reloaded, WAN[peer_name])
        if action not in ("invalid-spi-recovery started IKE",
                          "DELETE sent over the existing IKE SA"):
            lablib.fail(f"{row}: recovery action {action!r}:\n{out}")
        check_inv_spi_logs(row, reloaded, peer, stale_spi, 1)
        drops = qfp_drops(reloaded, "IpsecInput")
        if not 1 <= drops <= RATE * 5:
            lablib.fail(f"{row}: {drops} IpsecInput drops on "
                        f"{reloaded_name}, expected 1 to {RATE * 5}")
    else:
        # Past the first minute: the black hole stays, and the flow has
        # logged twice.
        time.sleep(max(0, reloaded_at + 66 - time.monotonic()))
        text = lab.trafgen(host)
        if "blackhole end" in text[text.rindex("blackhole start"):]:
            lablib.fail(f"{row}: the black hole ended:\n{text[-1500:]}")
        after = text[text.rindex("blackhole start"):]
        worst = re.findall(rf"^t=\d+ sent={RATE} received=0 lost={RATE} "
                           r"loss=100\.0%", after, re.M)
        if len(worst) < 60:
            lablib.fail(f"{row}: {len(worst)} seconds of 100% loss, "
                        f"expected 60:\n{text[-1500:]}")
        isakmp = reloaded.command("show crypto isakmp sa")
        if WAN[peer_name] in isakmp:
            lablib.fail(f"{row}: {reloaded_name} started IKE towards a "
                        f"dynamic peer:\n{isakmp}")
        action, out = lablib.flow_action(reloaded, WAN[peer_name])
        if action != "ignored: not a configured peer":
            lablib.fail(f"{row}: recovery action {action!r}:\n{out}")
        check_inv_spi_logs(row, reloaded, peer, stale_spi, 2)
        drops = qfp_drops(reloaded, "IpsecInput")
        if drops < RATE * 60:
            lablib.fail(f"{row}: {drops} IpsecInput drops on "
                        f"{reloaded_name} in 66 s, expected {RATE * 60}")
    return lab


STORIES = {
    "norecovery": story_norecovery,
    "dpd": story_dpd,
    "lostdelete": story_lostdelete,
    "rekey": story_rekey,
    "rekeyreboot": story_rekey_reboot,
}

if len(sys.argv) == 3 and sys.argv[1] == "row" and sys.argv[2] in ROWS:
    lab = story_row(sys.argv[2])
elif len(sys.argv) == 2 and sys.argv[1] in STORIES:
    lab = STORIES[sys.argv[1]]()
else:
    lablib.fail(f"usage: lab_story.py {' | '.join(STORIES)} | row "
                f"{'|'.join(ROWS)}")
rc = lab.stop()
if rc != 0:
    lablib.fail(f"the lab exited {rc}:\n{lab.output()[-2000:]}")
print("PASS")
