#!/usr/bin/python3
"""Runs Debian's Ansible against vrouter over SSH, as an automation team
would: cisco.ios.ios_command and cisco.ios.ios_config through
ansible.netcommon.network_cli, with an inventory written here."""

import os
import re
import subprocess
import sys
import tempfile

from vrlib import ENABLE, PASSWORD, Router, fail

PLAYBOOK = """
- hosts: vrouter
  gather_facts: false
  tasks:
    - name: show version
      cisco.ios.ios_command:
        commands:
          - show version
        wait_for:
          - result[0] contains "Cisco IOS XE Software"
      register: version
    - name: configure an interface
      become: true
      cisco.ios.ios_config:
        parents: interface Loopback21
        lines:
          - description set by ansible
      register: config
    - name: configure it again, which changes nothing
      become: true
      cisco.ios.ios_config:
        parents: interface Loopback21
        lines:
          - description set by ansible
      register: again
    - name: read it back
      become: true
      cisco.ios.ios_command:
        commands:
          - show running-config | include description set by ansible
      register: check
    - name: print results
      ansible.builtin.debug:
        msg: "VERSION={{ version.stdout[0] | length }} CHANGED={{ config.changed }} AGAIN={{ again.changed }} CHECK={{ check.stdout[0] }}"
"""


def main():
    router = Router()
    try:
        with tempfile.TemporaryDirectory(prefix="vr-ansible.") as tmp:
            inventory = os.path.join(tmp, "inventory.ini")
            with open(inventory, "w") as f:
                f.write(
                    "[vrouter]\n"
                    f"vr ansible_host=127.0.0.1 ansible_port={router.ssh_port} "
                    "ansible_user=oper "
                    f"ansible_password={PASSWORD} "
                    "ansible_connection=ansible.netcommon.network_cli "
                    "ansible_network_os=cisco.ios.ios "
                    "ansible_become_method=enable "
                    f"ansible_become_password={ENABLE}\n")
            playbook = os.path.join(tmp, "play.yml")
            with open(playbook, "w") as f:
                f.write(PLAYBOOK)
            env = dict(os.environ,
                       HOME=tmp,
                       ANSIBLE_HOST_KEY_CHECKING="False",
                       ANSIBLE_LOCAL_TEMP=os.path.join(tmp, "local"),
                       ANSIBLE_PERSISTENT_CONTROL_PATH_DIR=os.path.join(
                           tmp, "pc"),
                       ANSIBLE_NETWORK_CLI_SSH_TYPE="paramiko",
                       ANSIBLE_NOCOLOR="1",
                       ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3")
            res = subprocess.run(
                ["ansible-playbook", "-i", inventory, playbook],
                env=env, capture_output=True, text=True, timeout=240)
            out = res.stdout + res.stderr
            if res.returncode != 0:
                fail(f"ansible-playbook exited {res.returncode}:\n{out}")
            m = re.search(r"VERSION=(\d+) CHANGED=(\w+) AGAIN=(\w+) "
                          r"CHECK=([^\"]*)\"", out)
            if not m:
                fail(f"no results in the playbook output:\n{out}")
            if int(m.group(1)) < 100:
                fail(f"show version output is too short:\n{out}")
            if m.group(2) != "True":
                fail(f"ios_config did not report a change:\n{out}")
            if m.group(3) != "False":
                fail(f"a repeated ios_config reported a change:\n{out}")
            if m.group(4).strip() != "description set by ansible":
                fail(f"the description is not in the running config:\n"
                     f"{out}")
            print("ansible: ios_command and ios_config over network_cli "
                  "passed")
    finally:
        router.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
