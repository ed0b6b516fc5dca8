#!/usr/bin/python3
"""Session benchmark: 50 concurrent telnet and SSH sessions each paste a
configuration and then run show commands. Reports the commands per
second of all sessions together and the p50/p99 latency of a command,
next to the latency of a single idle session measured first in the same
run. Not a test: it checks nothing and only prints figures.

    bench/bench_sessions.py [--binary build/vrouter] [--sessions 50]
"""

import argparse
import os
import re
import statistics
import sys
import threading
import time

import paramiko

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "sessions"))
from vrlib import PASSWORD, Router, Telnet  # noqa: E402

CONFIG = f"""hostname vr-test
username admin privilege 15 secret 0 {PASSWORD}
line vty 0 99
 exec-timeout 0 0
 login local
end
"""
SHOWS = ["show privilege", "show ip interface brief", "show users",
         "show version", "show terminal"]
PROMPT = re.compile(rb"vr-test(\([a-z-]+\))?#$")


class SshShell:
    """An interactive SSH shell with the same calls as vrlib.Telnet."""

    def __init__(self, port):
        self.client = paramiko.SSHClient()
        self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.client.connect("127.0.0.1", port=port, username="admin",
                            password=PASSWORD, look_for_keys=False,
                            allow_agent=False, timeout=30)
        self.chan = self.client.invoke_shell(width=200, height=0)
        self.chan.settimeout(60)
        self.buf = b""
        self.read_until(r"vr-test#")

    def send(self, text):
        self.chan.sendall(text.encode())

    def read_until(self, pattern):
        rx = re.compile(pattern.encode())
        while True:
            m = rx.search(self.buf)
            if m:
                got, self.buf = self.buf[:m.end()], self.buf[m.end():]
                return got
            data = self.chan.recv(65536)
            if not data:
                raise RuntimeError("SSH channel closed")
            self.buf += data

    def close(self):
        self.client.close()


def telnet_shell(port):
    t = Telnet(port)
    t.login()
    return t


def timed(session, command, prompt=r"vr-test(\([a-z-]+\))?#"):
    start = time.perf_counter()
    session.send(command + "\r")
    session.read_until(r"\r\n" + prompt)
    return time.perf_counter() - start


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def worker(kind, port, index, rounds, paste_lines, latencies, errors,
           barrier):
    try:
        s = SshShell(port) if kind == "ssh" else telnet_shell(port)
        timed(s, "terminal length 0")
        barrier.wait()
        mine = []
        mine.append(timed(s, "configure terminal", r"vr-test\(config\)#"))
        paste = "".join(
            f"interface Loopback{index}\r description {kind} line {i}\r"
            for i in range(paste_lines // 2))
        s.send(paste + "end\r")
        s.read_until(r"\r\nvr-test#")
        for _ in range(rounds):
            for cmd in SHOWS:
                mine.append(timed(s, cmd))
        latencies.extend(mine)
        s.send("exit\r")
        s.close()
    except Exception as e:  # noqa: BLE001 - reported with the figures
        errors.append(f"{kind} session {index}: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default="build/vrouter")
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--paste-lines", type=int, default=200)
    args = ap.parse_args()
    os.environ["VR_BINARY"] = os.path.abspath(args.binary)

    router = Router(CONFIG)
    try:
        idle = telnet_shell(router.telnet_port)
        timed(idle, "terminal length 0")
        base = [timed(idle, SHOWS[i % len(SHOWS)])
                for i in range(args.rounds * len(SHOWS) * 4)]
        idle.send("exit\r")
        idle.close()

        latencies, errors, threads = [], [], []
        barrier = threading.Barrier(args.sessions + 1)
        for i in range(args.sessions):
            kind = "ssh" if i % 2 else "telnet"
            port = router.ssh_port if kind == "ssh" else router.telnet_port
            threads.append(threading.Thread(
                target=worker,
                args=(kind, port, i, args.rounds, args.paste_lines,
                      latencies, errors, barrier)))
        for t in threads:
            t.start()
        barrier.wait(timeout=120)
        start = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
    finally:
        router.stop()

    commands = len(latencies)
    lines = args.sessions * (args.paste_lines // 2 * 2 + 1)
    print(f"sessions: {args.sessions} ({args.sessions - args.sessions // 2}"
          f" telnet, {args.sessions // 2} SSH), errors: {len(errors)}")
    for e in errors[:5]:
        print(f"  {e}")
    print(f"idle single session: {len(base)} commands, "
          f"p50 {statistics.median(base) * 1e3:.2f} ms, "
          f"p99 {pct(base, 99) * 1e3:.2f} ms")
    print(f"under load: {commands} timed commands and {lines} pasted "
          f"lines in {elapsed:.2f} s")
    print(f"  {(commands + lines) / elapsed:.0f} commands/s in total "
          f"({commands / elapsed:.0f} show commands/s)")
    print(f"  latency p50 {statistics.median(latencies) * 1e3:.2f} ms, "
          f"p99 {pct(latencies, 99) * 1e3:.2f} ms "
          f"({pct(latencies, 99) / pct(base, 99):.1f}x the idle p99)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
