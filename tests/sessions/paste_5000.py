#!/usr/bin/python3
"""Pastes 5,000 configuration lines at full speed over telnet and over
SSH, and checks from the echo that the router ran every line, once and
in order. Each line renames the router, so the prompt in front of each
echoed line names the line before it."""

import re
import sys
import time

import paramiko

from vrlib import PASSWORD, Router, Telnet, fail

LINES = 5000


def paste_text(tag):
    return "".join(f"hostname {tag}{i}\r" for i in range(1, LINES + 1))


def check_echo(out, tag, transport):
    names = re.findall(rf"\(config\)#hostname {tag}(\d+)\r\n", out)
    want = [str(i) for i in range(1, LINES + 1)]
    if names != want:
        first = next((i for i, (a, b) in enumerate(zip(names, want))
                      if a != b), min(len(names), len(want)))
        fail(f"{transport}: {len(names)} of {LINES} lines echoed; first "
             f"difference at line {first + 1}")
    prompts = re.findall(rf"(?:{tag}|vr-test)(\d*)\(config\)#hostname "
                         rf"{tag}(\d+)", out)
    if len(prompts) < LINES - 1:
        fail(f"{transport}: only {len(prompts)} prompts name the line "
             f"before them")
    for before, line in prompts:
        if int(before or 0) != int(line) - 1:
            fail(f"{transport}: line {line} ran after line {before}")
    print(f"{transport}: {LINES} lines echoed in order")


def paste_telnet(router):
    t = Telnet(router.telnet_port)
    t.login()
    t.send("terminal length 0\r\nconfigure terminal\r\n")
    prompt = t.read_until(r"vr-test\(config\)#").rsplit("\n", 1)[-1]
    start = time.monotonic()
    t.send(paste_text("T"))
    out = prompt + t.read_until(rf"T{LINES}\(config\)#", timeout=120)
    print(f"telnet: {LINES} lines in {time.monotonic() - start:.1f} s")
    t.send("end\r")
    t.read_until(rf"T{LINES}#")
    t.close()
    check_echo(out, "T", "telnet")


def paste_ssh(router):
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=router.ssh_port, username="admin",
                   password=PASSWORD, look_for_keys=False,
                   allow_agent=False, timeout=10)
    chan = client.invoke_shell(width=80, height=24)
    chan.settimeout(120)
    buf = b""

    def read_until(pattern):
        nonlocal buf
        rx = re.compile(pattern.encode())
        while not rx.search(buf):
            data = chan.recv(65536)
            if not data:
                fail(f"ssh: channel closed waiting for {pattern!r}")
            buf += data
        m = rx.search(buf)
        got, buf = buf[:m.end()], buf[m.end():]
        return got.decode(errors="replace")

    read_until(r"#")
    chan.sendall("terminal length 0\rconfigure terminal\r")
    prompt = read_until(r"\(config\)#").rsplit("\n", 1)[-1]
    start = time.monotonic()
    chan.sendall(paste_text("S"))
    out = prompt + read_until(rf"S{LINES}\(config\)#")
    print(f"ssh: {LINES} lines in {time.monotonic() - start:.1f} s")
    chan.sendall("end\r")
    read_until(rf"S{LINES}#")
    client.close()
    check_echo(out, "S", "ssh")


def main():
    router = Router()
    try:
        paste_telnet(router)
        paste_ssh(router)
    finally:
        router.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
