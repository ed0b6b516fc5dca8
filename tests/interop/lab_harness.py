#!/usr/bin/python3
"""The interop lab without IPsec: charon starts with its connection
loaded, vrouter on its TUN device answers pings from strongSwan's
namespace and pings it back over the veth, the crypto configuration
pastes over telnet without an error, and closing the lab leaves no
namespace and no process behind.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import os
import re
import subprocess

import interop
from interop import LabError, fail


def check_no_leftovers(lab, pids):
    names = subprocess.run(["ip", "netns", "list"], capture_output=True,
                           text=True).stdout
    for ns in (lab.sw_ns, lab.dut_ns):
        if re.search(rf"^{ns}\b", names, re.M):
            fail(f"namespace {ns} is still there after close")
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        fail(f"process {pid} is still running after close")
    if os.path.exists(lab.dir):
        fail(f"lab folder {lab.dir} is still there after close")


def body(lab):
    lab.start_charon(version=1)
    conns = lab.swanctl("--list-conns").stdout
    if "peer: IKEv1" not in conns:
        fail(f"charon did not load connection 'peer' as IKEv1:\n{conns}")

    lab.start_vrouter()
    lab.configure_vrouter()
    v = lab.vty()
    try:
        running = v.command("show running-config")
        for line in ("crypto map VPN 10 ipsec-isakmp",
                     f"crypto isakmp key {interop.PSK} address "
                     f"{interop.SW_OUTER}",
                     " crypto map VPN"):
            if line not in running:
                raise LabError(f"running-config lacks {line!r}:\n{running}")

        # Outer addresses only: these packets match no crypto ACL entry.
        out = v.command(f"ping {interop.SW_OUTER} repeat 5", timeout=30)
        if "Success rate is 100 percent (5/5)" not in out:
            raise LabError(f"vrouter cannot ping charon's namespace:\n{out}")
        got = lab.ping_from_peer(count=3, dst=interop.VR_OUTER,
                                 src=interop.SW_OUTER)
        if got != 3:
            raise LabError(f"{got} of 3 pings from charon's namespace to "
                           f"{interop.VR_OUTER} were answered")
        out = v.command("show interfaces GigabitEthernet1")
        m = re.search(r"(\d+) packets input", out)
        if not m or int(m.group(1)) < 8:
            raise LabError(f"GigabitEthernet1 counts fewer than the 8 "
                           f"packets received:\n{out}")
    finally:
        v.close()

    lab.stop_vrouter()
    lab.stop_charon()
    if lab.charon.returncode not in (0, -15):
        fail(f"charon exited with {lab.charon.returncode}")
    log = lab.charon_log()
    for line in ("Starting IKE charon daemon",
                 "loaded plugins: charon random nonce drbg aes sha1 sha2 "
                 "hmac gmp kdf openssl pem pkcs1 x509 pubkey "
                 "kernel-libipsec",
                 "SIGTERM received, shutting down"):
        if line not in log:
            fail(f"charon.log lacks {line!r}:\n{log[-2000:]}")


def main():
    with interop.Lab("harness") as lab:
        pids = []
        try:
            body(lab)
            pids = [lab.vrouter.pid, lab.charon.pid]
        except LabError as e:
            fail(str(e))
    check_no_leftovers(lab, pids)
    print("PASS: lab_harness")


if __name__ == "__main__":
    main()
