#!/usr/bin/python3
"""`show crypto ipsec invalid-spi` on the invalid-SPI lab.

R2 reloads (the `reload` EXEC command) and loses its SAs while R1 keeps
sending about 50 packets a second on its old outbound SPI.

1. Without invalid-SPI recovery, R2's table has one flow with R1's
   address and SPI. Its packets grow with the stream, and it was first
   seen when R2 logged RECVD_PKT_INV_SPI. R2 has no IKE SA and never saw
   the SPI, because it went with the reload. The report is ignored, and
   the verdict is that the peer kept an SA we lost.
2. Once `crypto isakmp invalid-spi-recovery` is configured, the same
   flow shows recovery starting IKE, then an IKE SA to R1, and its
   packets stop once R1 sends on new SAs.
3. ESP from an address that is no peer of R2, built by tools/espgen and
   played in with `replay capture`, gets its own row: the report is
   ignored and the verdict is a spoofed or unknown source.
"""

import os
import re
import subprocess
import time

import ts_lab_common as common

fail = common.fail

SPOOF_ADDR = "10.66.66.66"
SPOOF_SPI = 0x5EEDF00D
WALL = r"\d\d:\d\d:\d\d\.\d{3}"


def table(session):
    """`show crypto ipsec invalid-spi` with its times as HH:MM:SS.mmm and
    S.mmm, and the times themselves in order of appearance."""
    out = common.show(session, "show crypto ipsec invalid-spi")
    times = re.findall(WALL, out)
    out = re.sub(WALL, "HH:MM:SS.mmm", out)
    out = re.sub(r"black-holed: \d+\.\d{3} s", "black-holed: S.mmm s", out)
    return out, times


def flow_packets(session, src):
    out = common.show(session, "show crypto ipsec invalid-spi")
    m = re.search(rf"srcaddr: {re.escape(src)}, .*\n.*packets: (\d+)", out)
    if not m:
        fail(f"{session.name}: no flow from {src}:\n{out}")
    return int(m.group(1))


def expect_rows(session, out, rows):
    if rows not in out:
        fail(f"{session.name}: expected\n{rows}\nin\n{out}")


def seconds(stamp):
    h, m, s = stamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def espgen(path, src, dst, spi, count):
    build = os.environ.get("VR_BUILD_DIR")
    tool = os.path.join(build or "", "tools", "espgen")
    if not build or not os.access(tool, os.X_OK):
        fail(f"{tool} is missing; set VR_BUILD_DIR and build the espgen "
             "target first")
    res = subprocess.run([tool, "-o", path, "--src", src, "--dst", dst,
                          "--spi", hex(spi), "-c", str(count)],
                         capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        fail(f"espgen failed:\n{res.stdout}{res.stderr}")


def main():
    lab, r1, spi_hex, spi_dec = common.start_lab()
    r2 = lab.session("R2")
    empty = ("Invalid SPI flows: 0 (table of 4096, 0 evicted, 0 packets of "
             "flows not admitted)\n\n")
    out, _ = table(r2)
    if out != empty:
        fail(f"R2: invalid-SPI flows while the tunnel works:\n{out}")

    r2 = common.reload_exec(lab, r2)

    # 1. No recovery: the report is ignored, the peer kept an SA we lost.
    common.poll(r2, "show crypto ipsec invalid-spi",
                rf"spi: {spi_hex}\({spi_dec}\)\n.*packets: \d\d", 10)
    out, times = table(r2)
    expect_rows(r2, out, f"""\
Invalid SPI flows: 1 (table of 4096, 0 evicted, 0 packets of flows not admitted)

   srcaddr: {common.R1_ADDR}, destaddr: {common.R2_ADDR}, spi: {spi_hex}({spi_dec})
    input interface: {common.WAN_IF}, packets: """)
    expect_rows(r2, out, f"""
    first seen: HH:MM:SS.mmm, last seen: HH:MM:SS.mmm, black-holed: S.mmm s
    IKE SA to {common.R1_ADDR}: no
    SPI history: never seen
    recovery: ignored: no IKE SA and invalid-spi-recovery off at HH:MM:SS.mmm
    verdict: peer kept an SA we lost
""")
    first_seen = times[0]

    # The first packet is the one R2 logged.
    log = common.show(r2, "show logging")
    m = re.search(rf"(\d\d:\d\d:\d\d\.\d{{3}}): %CRYPTO-4-RECVD_PKT_INV_SPI: "
                  rf".*spi={spi_hex}\({spi_dec}\), srcaddr={common.R1_ADDR}",
                  log)
    if not m:
        fail(f"R2: no RECVD_PKT_INV_SPI line for {spi_hex}:\n{log}")
    if abs(seconds(m.group(1)) - seconds(first_seen)) > 1.0:
        fail(f"R2: flow first seen at {first_seen}, RECVD_PKT_INV_SPI "
             f"logged at {m.group(1)}")

    # The row follows the stream and keeps its first packet's time.
    before = flow_packets(r2, common.R1_ADDR)
    time.sleep(2)
    after = flow_packets(r2, common.R1_ADDR)
    if after < before + common.RATE:
        fail(f"R2: the flow's packets went {before} -> {after} in 2 s")
    out, times = table(r2)
    if times[0] != first_seen:
        fail(f"R2: first seen moved from {first_seen} to {times[0]}")
    if seconds(times[1]) - seconds(first_seen) < 2.0:
        fail(f"R2: last seen {times[1]} is not 2 s after {first_seen}")

    # 2. Recovery on: R2 starts IKE towards R1 and the tunnel comes back.
    r2.configure("crypto isakmp invalid-spi-recovery")
    lab.wait_trafgen("H1", r"^blackhole end t=", 15)
    out, _ = table(r2)
    expect_rows(r2, out, f"""\
Invalid SPI flows: 1 (table of 4096, 0 evicted, 0 packets of flows not admitted)

   srcaddr: {common.R1_ADDR}, destaddr: {common.R2_ADDR}, spi: {spi_hex}({spi_dec})
""")
    expect_rows(r2, out, f"""
    IKE SA to {common.R1_ADDR}: yes
    SPI history: never seen
    recovery: invalid-spi-recovery started IKE at HH:MM:SS.mmm
    verdict: peer kept an SA we lost
""")
    new_hex, _ = common.r1_outbound_spi(r1)
    if new_hex == spi_hex:
        fail(f"R1 still sends on {spi_hex} after recovery")
    stale = flow_packets(r2, common.R1_ADDR)
    time.sleep(1.5)
    if flow_packets(r2, common.R1_ADDR) != stale:
        fail(f"R2: packets on {spi_hex} keep arriving after recovery")

    # 3. A source that is no peer of R2: recovery leaves it alone.
    # The lab removes its work directory, and the capture, when it stops.
    pcap = os.path.join(lab.dir, "spoofed.pcap")
    espgen(pcap, SPOOF_ADDR, common.R2_ADDR, SPOOF_SPI, 3)
    out = common.show(r2, f"replay capture {pcap} interface "
                          f"{common.WAN_IF}")
    if "%" in out:
        fail(f"R2: replay capture failed:\n{out}")
    common.poll(r2, "show crypto ipsec invalid-spi",
                rf"srcaddr: {SPOOF_ADDR},(.*\n){{5}}    recovery: [a-z]", 10)
    out, _ = table(r2)
    expect_rows(r2, out, "Invalid SPI flows: 2 (table of 4096, 0 evicted, "
                "0 packets of flows not admitted)\n")
    expect_rows(r2, out, f"""
   srcaddr: {SPOOF_ADDR}, destaddr: {common.R2_ADDR}, spi: 0x{SPOOF_SPI:X}({SPOOF_SPI})
    input interface: {common.WAN_IF}, packets: 3
    first seen: HH:MM:SS.mmm, last seen: HH:MM:SS.mmm, black-holed: S.mmm s
    IKE SA to {SPOOF_ADDR}: no
    SPI history: never seen
    recovery: ignored: not a configured peer at HH:MM:SS.mmm
    verdict: spoofed or unknown source
""")
    isakmp = common.show(r2, "show crypto isakmp sa")
    if SPOOF_ADDR in isakmp:
        fail(f"R2: IKE towards the spoofed source:\n{isakmp}")

    r1.close()
    r2.close()
    rc = lab.stop()
    if rc != 0:
        fail(f"the lab exited {rc}:\n{lab.output()[-2000:]}")
    print("PASS")


main()
