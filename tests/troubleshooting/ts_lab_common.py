"""Steps shared by the ts_lab_* tests: the invalid-SPI lab
(configs/labs/invalid-spi.lab) with traffic through its tunnel, and R2
reloaded with the `reload` EXEC command so that R1 keeps sending on an
SPI that R2 no longer has."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lab"))
import lablib  # noqa: E402

fail = lablib.fail

RATE = 50
R1_ADDR = "10.1.1.1"
R2_ADDR = "10.10.1.2"
WAN_IF = "GigabitEthernet1"


def r1_outbound_spi(session):
    """R1's current outbound SPI, as `show crypto ipsec sa` prints it."""
    out = session.command("show crypto ipsec sa")
    m = re.search(r"current outbound spi: (0x[0-9A-F]+)\((\d+)\)", out)
    if not m or m.group(1) == "0x0":
        fail(f"R1 has no outbound SA:\n{out}")
    return m.group(1), int(m.group(2))


def start_lab():
    """Starts the lab and waits for a tunnel that carries the stream.

    Returns the lab, a session on R1 and R1's outbound SPI (hex, decimal).
    """
    lab = lablib.Lab(lablib.lab_file("invalid-spi.lab"))
    lab.wait_trafgen("H1", rf"^t=2 sent={RATE} received={RATE} lost=0", 30)
    r1 = lab.session("R1")
    spi_hex, spi_dec = r1_outbound_spi(r1)
    return lab, r1, spi_hex, spi_dec


def router_pid(lab, name):
    m = re.search(rf"^{name}\s+running\s+(\d+)", lab.ctl("status"), re.M)
    if not m:
        fail(f"{name} is not running in the lab:\n{lab.ctl('status')}")
    return int(m.group(1))


def reload_exec(lab, session):
    """Types `reload` on SESSION's router and confirms it.

    Waits until the router runs again under the same PID, and until the
    stream from H1 falls into a black hole. Returns a new session.
    """
    name = session.name
    pid = router_pid(lab, name)
    starts = len(re.findall(rf"^{name}: vrouter: started", lab.output(),
                            re.M))
    session.t.send("reload\r\n")
    out = session.t.read_until(r"Proceed with reload\? \[confirm\]|"
                               r"Save\? \[yes/no\]: ")
    if "Save?" in out:
        fail(f"{name}: reload asks to save although the config was "
             f"written:\n{out}")
    session.t.send("\r")
    try:
        session.t.sock.settimeout(10)
        while session.t.sock.recv(4096):
            pass
    except OSError:
        pass
    session.close()
    deadline = time.monotonic() + 30
    while len(re.findall(rf"^{name}: vrouter: started", lab.output(),
                         re.M)) <= starts:
        if time.monotonic() > deadline:
            fail(f"{name} did not start again after reload:\n"
                 f"{lab.output()[-3000:]}")
        time.sleep(0.1)
    if router_pid(lab, name) != pid:
        fail(f"{name} changed its PID on reload: {pid} -> "
             f"{router_pid(lab, name)}")
    lab.wait_trafgen("H1", r"^blackhole start t=", 15)
    return lab.session(name)


def show(session, command):
    """Output of COMMAND without "\r" and without the prompt after it."""
    out = session.command(command).replace("\r", "")
    return out.rsplit("\n", 1)[0] + "\n" if "\n" in out else ""


def poll(session, command, pattern, timeout):
    """Runs COMMAND until its output matches PATTERN; returns the match."""
    deadline = time.monotonic() + timeout
    while True:
        out = show(session, command)
        m = re.search(pattern, out, re.M)
        if m:
            return m
        if time.monotonic() > deadline:
            fail(f"{session.name}: `{command}` lacks {pattern!r} after "
                 f"{timeout} s:\n{out}")
        time.sleep(0.25)
