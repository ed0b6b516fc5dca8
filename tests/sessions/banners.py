#!/usr/bin/python3
"""Banners as IOS shows them: the multi-line motd and login banners of
the startup-config before "User Access Verification" on telnet, the
exec banner after login, a banner typed over several lines at the
terminal, and on SSH the login banner as the authentication banner and
the motd after it."""

import sys
import time

from vrlib import ACCESS_CONFIG, PASSWORD, Router, Telnet, fail

CONFIG = ACCESS_CONFIG.replace("line vty 0 15", """banner exec #Exec text#
banner login ^C
Login line one
  indented ! line
^C
banner motd ^C
Authorized access only
^C
line vty 0 15""")
PROMPT = "vr-test#"


def run(t, command):
    t.send(command + "\r")
    return t.read_until(r"\r\n" + PROMPT.replace("#", r"(\([a-z-]+\))?#"))


def check_telnet_login(port, motd):
    t = Telnet(port)
    got = t.read_until("Username: ")
    want = ("\r\n" + motd + "\r\nLogin line one\r\n  indented ! line\r\n"
            "\r\nUser Access Verification\r\n\r\nUsername: ")
    if not got.endswith(want):
        fail(f"telnet login: expected the banners {want!r}, got {got!r}")
    t.send("admin\r\n")
    t.read_until("Password: ")
    t.send(PASSWORD + "\r\n")
    got = t.read_until(PROMPT)
    if "Exec text\r\n" + PROMPT not in got:
        fail(f"no exec banner before the prompt after login: {got!r}")
    return t


def check_typed_banner(t):
    t.send("terminal length 0\r")
    t.read_until(PROMPT)
    run(t, "configure terminal")
    t.send("banner motd %\r")
    got = t.read_until(r"End with the character '%'\.\r\n")
    if "Enter TEXT message." not in got:
        fail(f"banner motd %: no IOS prompt for the text: {got!r}")
    t.send("Typed first line\r")
    t.send("last line%\r")
    t.read_until(r"last line%\r\nvr-test\(config\)#")
    run(t, "end")
    t.send("show running-config\r")
    out = t.read_until(r"\r\nend\r\n")
    want = "banner motd ^C\r\nTyped first line\r\nlast line^C\r\n"
    if want not in out:
        fail(f"show running-config lacks {want!r}:\n{out}")
    if "banner login ^C\r\nLogin line one\r\n  indented ! line\r\n^C" \
            not in out:
        fail(f"show running-config lacks the login banner:\n{out}")


def banner_then_hostname(t, lines):
    """Types banner motd Q with LINES, then reads the output up to the
    hostname that show running-config prints after it."""
    run(t, "configure terminal")
    t.send("banner motd Q\r")
    t.read_until(r"End with the character 'Q'\.\r\n")
    t.send("".join(line + "\r" for line in lines))
    t.send("Q\rend\rshow running-config | include ^hostname\r")
    got = t.read_until(r"include \^hostname\r\n")
    got += t.read_until(r"hostname \S+\r\n")
    t.read_until(PROMPT.replace("vr-test", r"\S+"))
    if not got.endswith("\r\nhostname vr-test\r\n"):
        fail(f"banner lines ran as commands: {got[-400:]!r}")
    if "% Invalid input" in got:
        fail(f"a banner line ran as a command: {got[-400:]!r}")
    return got


def check_rejected_banner_consumed(t):
    """A banner rejected as too long, or for a Ctrl-C in its text, still
    reads every line up to its delimiter: none runs as a command."""
    got = banner_then_hostname(t, ["x" * 72] * 60 +
                               ["shutdown", "hostname PWNED"])
    if "% Banner too long (at most 4096 characters)" not in got:
        fail(f"long banner: no error: {got[-400:]!r}")
    got = banner_then_hostname(t, ["before\x03after", "shutdown",
                                   "hostname PWNED"])
    if "% Invalid banner: control character 0x03" not in got:
        fail(f"banner with Ctrl-C: no error: {got!r}")


def check_ssh(port):
    import paramiko  # only the SSH check needs it

    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=port, username="admin",
                   password=PASSWORD, look_for_keys=False,
                   allow_agent=False, timeout=10)
    try:
        banner = client.get_transport().get_banner()
        want = b"\nLogin line one\n  indented ! line\n"
        if banner != want:
            fail(f"SSH authentication banner: expected {want!r}, got "
                 f"{banner!r}")
        chan = client.invoke_shell()
        got = b""
        deadline = time.monotonic() + 10
        while PROMPT.encode() not in got and time.monotonic() < deadline:
            if chan.recv_ready():
                got += chan.recv(4096)
            else:
                time.sleep(0.05)
        text = got.decode(errors="replace")
        want = "\r\nTyped first line\r\nlast line\r\nExec text\r\n" + PROMPT
        if want not in text:
            fail(f"SSH shell: expected the motd and exec banners "
                 f"{want!r}, got {text!r}")
    finally:
        client.close()


def main():
    router = Router(CONFIG)
    try:
        t = check_telnet_login(router.telnet_port,
                               "\r\nAuthorized access only\r\n")
        check_typed_banner(t)
        check_rejected_banner_consumed(t)
        t.close()
        check_telnet_login(router.telnet_port,
                           "\r\nTyped first line\r\nlast line\r\n").close()
        check_ssh(router.ssh_port)
    finally:
        router.stop()
    print("PASS")


if __name__ == "__main__":
    sys.exit(main())
