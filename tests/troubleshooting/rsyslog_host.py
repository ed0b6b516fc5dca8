#!/usr/bin/env python3
"""`logging host` against a real rsyslogd: a vrouter started with two
syslog hosts (RFC 3164 on 127.0.0.1, RFC 5424 on 127.0.0.2) must deliver
its start-up messages to an rsyslogd listening on both, and rsyslogd must
parse the fields the format carries (PRI, HOSTNAME, APP-NAME, MSGID)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "sessions"))
import vrlib  # noqa: E402


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_rsyslogd(work, port):
    binary = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    if not os.access(binary, os.X_OK):
        vrlib.fail("rsyslogd is not installed (apt-get install rsyslog)")
    conf = os.path.join(work, "rsyslog.conf")
    out = os.path.join(work, "received.log")
    with open(conf, "w") as f:
        f.write(f"""global(workDirectory="{work}")
module(load="imudp")
template(name="fields" type="string"
         string="%fromhost-ip%|%pri%|%hostname%|%app-name%|%msgid%|%msg%\\n")
ruleset(name="vr") {{
  action(type="omfile" file="{out}" template="fields")
}}
input(type="imudp" address="127.0.0.1" port="{port}" ruleset="vr")
input(type="imudp" address="127.0.0.2" port="{port}" ruleset="vr")
""")
    proc = subprocess.Popen(
        [binary, "-n", "-f", conf, "-i", os.path.join(work, "rsyslogd.pid")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, out


def wait_for(path, needles, timeout=10):
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
            if all(n in text for n in needles):
                return text
        time.sleep(0.1)
    vrlib.fail(f"rsyslogd did not receive {needles}; it wrote:\n{text}")


def main():
    work = tempfile.mkdtemp(prefix="vr-rsyslog.")
    port = free_udp_port()
    rsyslogd, out = start_rsyslogd(work, port)
    router = None
    try:
        time.sleep(0.5)
        if rsyslogd.poll() is not None:
            vrlib.fail(f"rsyslogd exited: {rsyslogd.stdout.read()}")
        config = vrlib.ACCESS_CONFIG.replace("end\n", "") + f"""interface Loopback0
 ip address 10.255.0.1 255.255.255.255
logging source-interface Loopback0
logging host 127.0.0.1 transport udp port {port}
logging host 127.0.0.2 transport udp port {port} syslog-format rfc5424
end
"""
        router = vrlib.Router(config)
        text = wait_for(out, ["|189|10.255.0.1|vrouter|-|",
                              "|189|10.255.0.1|vrouter|RESTART|"])
        lines = [ln for ln in text.splitlines() if "RESTART" in ln]
        for ln in lines:
            if "%SYS-5-RESTART: System restarted --" not in ln:
                vrlib.fail(f"RESTART line lacks its IOS text: {ln}")
        rfc3164 = [ln for ln in lines if "|vrouter|-|" in ln]
        if len(rfc3164) != 1:
            vrlib.fail(f"expected one RFC 3164 RESTART line: {lines}")
        router.stop()
        router = None
        # The stop is logged too, and reaches the hosts before exit.
        wait_for(out, ["%SYS-5-RELOAD"])
    finally:
        if router is not None:
            router.proc.kill()
            router.proc.wait()
        rsyslogd.terminate()
        try:
            rsyslogd.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rsyslogd.kill()
            rsyslogd.wait()
        shutil.rmtree(work, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    main()
