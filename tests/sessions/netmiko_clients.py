#!/usr/bin/python3
"""Scripts vrouter with Debian's netmiko as network engineers do: the
cisco_ios driver over SSH and cisco_ios_telnet over telnet, each with
enable, send_command, send_config_set and save_config."""

import re
import sys

from netmiko import ConnectHandler

from vrlib import ENABLE, PASSWORD, Router, fail


def drive(router, device_type, port, loopback):
    conn = ConnectHandler(device_type=device_type, host="127.0.0.1",
                          port=port, username="oper", password=PASSWORD,
                          secret=ENABLE, timeout=20)
    if conn.find_prompt() != "vr-test>":
        fail(f"{device_type}: prompt {conn.find_prompt()!r}, expected "
             "vr-test>")
    conn.enable()
    if not conn.check_enable_mode():
        fail(f"{device_type}: enable did not reach privileged EXEC")

    priv = conn.send_command("show privilege")
    if priv.strip() != "Current privilege level is 15":
        fail(f"{device_type}: show privilege gave {priv!r}")

    out = conn.send_config_set([f"interface Loopback{loopback}",
                                f" description set by {device_type}"])
    if "Invalid input" in out or "%" in out.replace("%SYS", ""):
        fail(f"{device_type}: send_config_set reported an error:\n{out}")
    run = conn.send_command("show running-config")
    if not re.search(rf"^interface Loopback{loopback}\n description set "
                     rf"by {device_type}$", run, re.M):
        fail(f"{device_type}: the description is not in the running "
             f"config:\n{run}")

    saved = conn.save_config()
    if "[OK]" not in saved:
        fail(f"{device_type}: save_config gave {saved!r}")
    with open(router.config) as f:
        startup = f.read()
    if not re.search(rf"^interface Loopback{loopback}\n description set "
                     rf"by {device_type}$", startup, re.M):
        fail(f"{device_type}: the startup-config lacks the change:\n"
             f"{startup}")
    conn.disconnect()
    print(f"{device_type}: enable, send_command, send_config_set and "
          "save_config passed")


def main():
    router = Router()
    try:
        drive(router, "cisco_ios", router.ssh_port, 11)
        drive(router, "cisco_ios_telnet", router.telnet_port, 12)
    finally:
        router.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
