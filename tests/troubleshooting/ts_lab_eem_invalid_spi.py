#!/usr/bin/python3
"""The EEM applet for intermittent invalid SPIs, on the invalid-SPI lab.

An engineer types on R2 the applet of the troubleshooting write-ups: on
the first %CRYPTO-4-RECVD_PKT_INV_SPI it saves `show crypto ipsec sa`
and `show crypto isakmp sa` to flash:inv-spi.txt, turns on `debug crypto
isakmp` and `debug crypto ipsec`, waits, and turns them off. After
`write memory` and `reload`, R2 comes back without SAs while R1 keeps
sending about 50 packets a second on its old SPI.

The test checks that the applet came back from the startup-config, that
it ran once although hundreds of packets hit the unknown SPI, that the
file contains both shows as R2 prints them after the reload (no SA), the
%HA_EM log lines, debug lines in the log during the wait and none after
it, and `show event manager history events`.
"""

import os
import re
import time

import ts_lab_common as common

fail = common.fail

WAIT = 8

# Typed as an engineer would, from the troubleshooting write-ups.
APPLET = r"""
event manager applet INV-SPI authorization bypass
 event syslog occurs 1 pattern "%CRYPTO-4-RECVD_PKT_INV_SPI" maxrun 60
 action 1.0 regexp "spi=(0x[0-9A-F]+)\(([0-9]+)\), srcaddr=([0-9.]+)" "$_syslog_msg" match spi spidec peer
 action 2.0 cli command "enable"
 action 2.1 cli command "show crypto ipsec sa | append flash:inv-spi.txt"
 action 2.2 cli command "show crypto isakmp sa | append flash:inv-spi.txt"
 action 3.0 cli command "debug crypto isakmp"
 action 3.1 cli command "debug crypto ipsec"
 action 3.2 syslog msg "invalid SPI $spi from $peer, debugs on"
 action 4.0 wait {wait}
 action 5.0 cli command "no debug crypto isakmp"
 action 5.1 cli command "no debug crypto ipsec"
 action 5.2 syslog msg "debugs off"
""".replace("{wait}", str(WAIT))

# A line of `show logging`: its time stamp and its text.
LOG_LINE = re.compile(r"^\*(\w{3} [ \d]\d \d\d:\d\d:\d\d\.\d{3}): (.*)$", re.M)
# The lines of `debug crypto isakmp` and `debug crypto ipsec`.
DEBUG_TEXT = re.compile(r"^(ISAKMP|IPSEC)")


def log_lines(session):
    """The lines of `show logging`, oldest first, as (stamp, text)."""
    return LOG_LINE.findall(common.show(session, "show logging"))


def index_of(lines, text):
    found = [i for i, (_, t) in enumerate(lines) if t == text]
    if len(found) != 1:
        fail(f"{len(found)} log lines '{text}', expected 1:\n" +
             "\n".join(t for _, t in lines[-40:]))
    return found[0]


def ipsec_input_drops(session):
    out = common.show(
        session, "show platform hardware qfp active statistics drop")
    m = re.search(r"^IpsecInput +(\d+) ", out, re.M)
    return int(m.group(1)) if m else 0


def main():
    lab, r1, spi_hex, spi_dec = common.start_lab()
    r2 = lab.session("R2")
    flash_file = os.path.join(lab.dir, "inv-spi.txt")

    r2.configure(*APPLET.strip("\n").split("\n"))
    out = r2.command("write memory")
    if "[OK]" not in out:
        fail(f"R2: write memory failed:\n{out}")
    if os.path.exists(flash_file):
        fail("the applet wrote inv-spi.txt before any invalid SPI")

    r2 = common.reload_exec(lab, r2)

    reg = common.show(r2, "show event manager policy registered")
    if not re.search(r"^1 +applet +user +syslog .* INV-SPI$", reg, re.M) or \
       " pattern {%CRYPTO-4-RECVD_PKT_INV_SPI}" not in reg:
        fail(f"R2: the applet is not registered after the reload:\n{reg}")
    run = common.show(r2, "show running-config")
    if "event manager applet INV-SPI authorization bypass\n" not in run:
        fail(f"R2: the applet line lost its options in the reload:\n{run}")

    # The applet announces the debugs once they are on; they stay on
    # while it waits.
    on = f"%HA_EM-6-LOG: INV-SPI: invalid SPI {spi_hex} from " \
         f"{common.R1_ADDR}, debugs on"
    common.poll(r2, "show logging", re.escape(on), 15)
    dbg = common.show(r2, "show debugging")
    for what in ("Crypto ISAKMP debugging is on",
                 "Crypto IPSEC debugging is on"):
        if what not in dbg:
            fail(f"R2: '{what}' missing while the applet waits:\n{dbg}")

    off = "%HA_EM-6-LOG: INV-SPI: debugs off"
    common.poll(r2, "show logging", re.escape(off), WAIT + 15)
    dbg = common.show(r2, "show debugging")
    if "debugging is on" in dbg:
        fail(f"R2: debugs still on after the applet:\n{dbg}")

    # Packets keep arriving on the stale SPI after the debugs are off.
    drops = ipsec_input_drops(r2)
    time.sleep(3)
    drops_later = ipsec_input_drops(r2)
    if drops_later < drops + common.RATE:
        fail(f"R2: IpsecInput went {drops} -> {drops_later} in 3 s; the "
             "stream from R1 no longer hits the stale SPI")

    lines = log_lines(r2)
    texts = [t for _, t in lines]
    inv = (f"%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has "
           f"invalid spi for destaddr={common.R2_ADDR}, prot=50, "
           f"spi={spi_hex}({spi_dec}), srcaddr={common.R1_ADDR}, "
           f"input interface={common.WAN_IF}")
    first = index_of(lines, inv)
    i_on = index_of(lines, on)
    i_off = index_of(lines, off)
    if not first < i_on < i_off:
        fail("R2: the log lines are out of order:\n" + "\n".join(texts))
    debug = [i for i, t in enumerate(texts) if DEBUG_TEXT.match(t)]
    before = [texts[i] for i in debug if i < first]
    during = [texts[i] for i in debug if i_on <= i < i_off]
    after = [texts[i] for i in debug if i > i_off]
    if before:
        fail(f"R2: debug lines before the applet ran: {before}")
    # The IKE manager hears of the stale SPI once a second, and `debug
    # crypto isakmp` reports each time that it has no IKE SA to send a
    # DELETE over.
    ignored = [t for t in during if t.startswith(
        "ISAKMP-ERROR: (0):ignoring request to send delete notify (no "
        f"ISAKMP sa) src {common.R2_ADDR} dst {common.R1_ADDR} for SPI "
        f"{spi_hex}")]
    if len(ignored) < WAIT - 3:
        fail(f"R2: {len(ignored)} ISAKMP debug lines for {spi_hex} in the "
             f"{WAIT} s of the wait:\n" + "\n".join(texts[i_on:i_off + 1]))
    if after:
        fail(f"R2: debug lines after the debugs were turned off: {after}")

    # One run, although hundreds of packets hit the stale SPI.
    drops = ipsec_input_drops(r2)
    if drops < 10 * common.RATE:
        fail(f"R2: {drops} IpsecInput drops, fewer than 10 s of the stream")
    hist = common.show(r2, "show event manager history events")
    runs = re.findall(r"^\d+ +\d+ +\S+ +.* applet: INV-SPI$", hist, re.M)
    if len(runs) != 1:
        fail(f"R2: {len(runs)} runs of INV-SPI, expected 1:\n{hist}")
    if not re.match(r"1 +1 +success +\w{3} \w{3} [ \d]\d [\d:]+ \d{4} +"
                    r"syslog +applet: INV-SPI$", runs[0]):
        fail(f"R2: unexpected history row:\n{hist}")

    # The file contains both shows once, as R2 prints them after the reload.
    if not os.path.exists(flash_file):
        fail(f"no {flash_file} after the applet ran")
    with open(flash_file) as f:
        saved = f.read()
    shows = common.show(r2, "show crypto ipsec sa") + \
        common.show(r2, "show crypto isakmp sa")
    if saved != shows:
        fail(f"inv-spi.txt differs from R2's shows:\n--- file\n{saved}"
             f"\n--- shows\n{shows}")
    # Without an SA, the crypto map's block names the peer and no SA.
    for what in ("Crypto map tag: ",
                 f"current_peer {common.R1_ADDR} port 500",
                 "current outbound spi: 0x0(0)",
                 "IPv4 Crypto ISAKMP SA",
                 "dst             src             state          conn-id "
                 "status",
                 "IPv6 Crypto ISAKMP SA"):
        if saved.count(what) != 1:
            fail(f"inv-spi.txt has {saved.count(what)} '{what}':\n{saved}")
    if spi_hex in saved or "      spi: " in saved or "QM_IDLE" in saved:
        fail(f"inv-spi.txt shows an SA from before the reload:\n{saved}")

    print(f"INV-SPI ran once for {drops} packets on {spi_hex}; "
          f"{len(during)} debug lines during its wait:")
    print("\n".join(during))
    r1.close()
    r2.close()
    rc = lab.stop()
    if rc != 0:
        fail(f"the lab exited {rc}:\n{lab.output()[-2000:]}")
    print("PASS")


main()
