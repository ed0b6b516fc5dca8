#!/usr/bin/python3
"""The invalid-SPI story on the default lab, configs/labs/invalid-spi.lab.

Usage: lab_story.py norecovery | dpd | lostdelete

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
"""

import re
import sys
import time

import lablib

RATE = 50
LOG_RE = (r"\*(\w{3} [ \d]\d \d\d:\d\d:\d\d\.\d{3}): %CRYPTO-4-RECVD_PKT_INV_SPI: "
          r"decaps: rec'd IPSEC packet has invalid spi for destaddr=10\.10\.1\.2, "
          r"prot=50, spi=(0x[0-9A-F]+)\((\d+)\), srcaddr=10\.1\.1\.1, "
          r"input interface=GigabitEthernet1")


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


def start(topology):
    lab = lablib.Lab(lablib.lab_file(topology))
    lab.wait_trafgen("H1", rf"^t=2 sent={RATE} received={RATE} lost=0", 30)
    r1 = lab.session("R1")
    enc, dec, r1_spi = sa_counters(r1)
    if enc < RATE or dec < RATE:
        lablib.fail(f"R1 SA counters before the reload: {enc} {dec}")
    time.sleep(1)
    enc2, dec2, _ = sa_counters(r1)
    if enc2 < enc + RATE // 2 or dec2 < dec + RATE // 2:
        lablib.fail(f"R1 SA counters do not grow: {enc}->{enc2}, "
                    f"{dec}->{dec2}")
    return lab, r1, r1_spi


def reload_r2(lab):
    lab.ctl("reload", "R2")
    lab.wait_output(r"^R2: vrouter: started.*\n(.*\n)*R2: vrouter: started",
                    30)
    reloaded = time.monotonic()
    lab.wait_trafgen("H1", r"^blackhole start t=", 10)
    return reloaded


def story_norecovery():
    lab, r1, r1_spi = start("invalid-spi.lab")
    reloaded = reload_r2(lab)
    r2 = lab.session("R2")
    # Past the first minute, the log has exactly two lines for the SPI.
    time.sleep(max(0, reloaded + 66 - time.monotonic()))
    logs = inv_spi_logs(r2)
    if len(logs) != 2:
        lablib.fail(f"{len(logs)} RECVD_PKT_INV_SPI lines in 66 s, "
                    f"expected 2 (one a minute): {logs}")
    for stamp, spi, dec in logs:
        if spi != r1_spi or int(spi, 16) != int(dec):
            lablib.fail(f"RECVD_PKT_INV_SPI for {spi}({dec}), R1 sends on "
                        f"{r1_spi}")
    gap = seconds_of(logs[1][0]) - seconds_of(logs[0][0])
    if not 59.0 <= gap <= 62.0:
        lablib.fail(f"the two RECVD_PKT_INV_SPI lines are {gap} s apart")
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
    # DPD every 10 s and 3 retries 3 s apart: dead after 10 to 22 s.
    if not 8 <= float(m.group(1)) <= 30 or took > 35:
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


STORIES = {
    "norecovery": story_norecovery,
    "dpd": story_dpd,
    "lostdelete": story_lostdelete,
}

if len(sys.argv) != 2 or sys.argv[1] not in STORIES:
    lablib.fail(f"usage: lab_story.py {' | '.join(STORIES)}")
lab = STORIES[sys.argv[1]]()
rc = lab.stop()
if rc != 0:
    lablib.fail(f"the lab exited {rc}:\n{lab.output()[-2000:]}")
print("PASS")
