#!/usr/bin/env python3
"""A vrouter in a network namespace exchanges real packets with Linux
through a TUN device. Linux pings the router's interface and loopback
addresses through it. It gets ICMP unreachables for a network the
router has no route to and for a closed UDP port, and `show interfaces`
counts the packets. The namespace, the TUN device and the router
process are the test's own and are removed at the end.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import ctypes
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

CLONE_NEWNET = 0x40000000
ROUTER_ADDR = "10.99.0.1"
LINUX_ADDR = "10.99.0.2"
LOOPBACK = "1.1.1.1"
TUN = "vrtun0"

CONFIG = f"""hostname R1
interface Loopback0
 ip address {LOOPBACK} 255.255.255.255
interface GigabitEthernet1
 ip address {ROUTER_ADDR} 255.255.255.0
"""


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def enter_namespace(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        fail(f"setns into {name}: {os.strerror(ctypes.get_errno())}")
    os.close(fd)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def icmp_exchange(dst, ident, seq, timeout=2.0):
    """Sends one echo request to DST. Returns (type, code, source) of the
    first ICMP reply or error about it, or None on timeout."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(0.2)
    payload = b"vrouter-tun-test" * 4
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    pkt = struct.pack("!BBHHH", 8, 0, checksum(hdr + payload), ident,
                      seq) + payload
    s.sendto(pkt, (dst, 0))
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            try:
                data, addr = s.recvfrom(2048)
            except socket.timeout:
                continue
            ihl = (data[0] & 0xF) * 4
            icmp = data[ihl:]
            if icmp[0] == 0 and struct.unpack("!HH", icmp[4:8]) == (ident, seq):
                return (0, 0, addr[0])
            if icmp[0] in (3, 11) and len(icmp) >= 8 + 20 + 8:
                quoted = icmp[8:]
                qihl = (quoted[0] & 0xF) * 4
                qicmp = quoted[qihl:]
                if qicmp[0] == 8 and struct.unpack("!HH", qicmp[4:8]) == (ident, seq):
                    return (icmp[0], icmp[1], addr[0])
        return None
    finally:
        s.close()


def udp_port_unreachable(dst, port):
    """Sends a UDP datagram to DST:PORT and returns the source of the ICMP
    port unreachable sent back, or None."""
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    r.settimeout(0.2)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(b"probe", (dst, port))
    deadline = time.time() + 2.0
    try:
        while time.time() < deadline:
            try:
                data, addr = r.recvfrom(2048)
            except socket.timeout:
                continue
            icmp = data[(data[0] & 0xF) * 4:]
            if icmp[0] == 3 and icmp[1] == 3:
                return addr[0]
        return None
    finally:
        r.close()
        u.close()


def telnet_command(port, commands):
    """Runs COMMANDS on the router's telnet port and returns the output."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    out = b""
    s.settimeout(0.5)
    for cmd in ["enable", "terminal length 0"] + commands + ["exit"]:
        s.sendall(cmd.encode() + b"\r\n")
        time.sleep(0.3)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
    s.close()
    # Drop telnet option negotiation (IAC sequences).
    return re.sub(rb"\xff[\xfb-\xfe].|\xff\xfa.*?\xff\xf0", b"", out,
                  flags=re.S).decode(errors="replace")


def run(ns, binary, tmp):
    enter_namespace(ns)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    cfg = os.path.join(tmp, "r1.cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG)
    router = subprocess.Popen(
        [binary, "--no-console", "--telnet", "127.0.0.1:0", "--config", cfg,
         "--tun", f"GigabitEthernet1={TUN}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = router.stdout.readline()
        m = re.search(r"telnet 127\.0\.0\.1:(\d+)", line)
        if not m:
            fail(f"no start-up line from vrouter: {line!r}")
        port = int(m.group(1))
        for _ in range(50):
            if subprocess.run(["ip", "link", "show", TUN],
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            fail(f"vrouter did not create {TUN}")
        subprocess.run(["sysctl", "-q", "-w",
                        f"net.ipv6.conf.{TUN}.disable_ipv6=1"], check=False)
        for cmd in (["ip", "addr", "add", f"{LINUX_ADDR}/24", "dev", TUN],
                    ["ip", "link", "set", TUN, "up"],
                    ["ip", "route", "add", f"{LOOPBACK}/32", "via",
                     ROUTER_ADDR],
                    ["ip", "route", "add", "198.18.0.0/16", "via",
                     ROUTER_ADDR]):
            subprocess.run(cmd, check=True)

        for seq in range(3):
            got = icmp_exchange(ROUTER_ADDR, 0x4242, seq)
            if got != (0, 0, ROUTER_ADDR):
                fail(f"echo {seq} to {ROUTER_ADDR}: got {got}")
        got = icmp_exchange(LOOPBACK, 0x4242, 10)
        if got != (0, 0, LOOPBACK):
            fail(f"echo to the router's loopback {LOOPBACK}: got {got}")
        got = icmp_exchange("198.18.1.1", 0x4242, 20)
        if got != (3, 1, ROUTER_ADDR):
            fail(f"no host unreachable from {ROUTER_ADDR} for a network "
                 f"without a route: got {got}")
        src = udp_port_unreachable(LOOPBACK, 33434)
        if src != LOOPBACK:
            fail(f"no port unreachable from {LOOPBACK}: got {src}")

        out = telnet_command(port, ["show interfaces GigabitEthernet1",
                                    "show ip route"])
        m = re.search(r"(\d+) packets input, (\d+) bytes", out)
        if not m or int(m.group(1)) < 6:
            fail(f"GigabitEthernet1 counts fewer than the 6 packets "
                 f"Linux sent:\n{out}")
        m = re.search(r"(\d+) packets output, (\d+) bytes", out)
        if not m or int(m.group(1)) < 6:
            fail(f"GigabitEthernet1 counts fewer than the 6 answers:\n{out}")
        if "C        10.99.0.0/24 is directly connected, GigabitEthernet1" \
                not in out:
            fail(f"show ip route lacks the TUN subnet:\n{out}")
    finally:
        router.send_signal(signal.SIGTERM)
        try:
            rest, _ = router.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            router.kill()
            rest, _ = router.communicate()
    if router.returncode != 0:
        fail(f"vrouter exited with {router.returncode}:\n{rest}")
    if re.search(r"AddressSanitizer|LeakSanitizer|runtime error:", rest):
        fail(f"sanitizer report:\n{rest}")


def main():
    binary = os.environ.get("VR_BINARY")
    if not binary:
        fail("VR_BINARY is not set; run this test through ctest")
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
        print("SKIP: needs root and /dev/net/tun")
        sys.exit(77)
    ns = f"vrdp{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", ns]).returncode != 0:
        print(f"SKIP: cannot create network namespace {ns}")
        sys.exit(77)
    try:
        with tempfile.TemporaryDirectory(prefix="vr-tun.") as tmp:
            # The namespace is entered in a child, so this process can
            # delete it afterwards from where it started.
            pid = os.fork()
            if pid == 0:
                try:
                    run(ns, binary, tmp)
                except SystemExit as e:
                    os._exit(e.code if isinstance(e.code, int) else 1)
                except BaseException as e:
                    print(f"FAIL: {e!r}", file=sys.stderr)
                    os._exit(1)
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
    finally:
        subprocess.run(["ip", "netns", "del", ns])
    sys.exit(code)


if __name__ == "__main__":
    main()
