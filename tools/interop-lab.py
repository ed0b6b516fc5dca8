#!/usr/bin/python3
"""Starts the strongSwan interop lab of tests/interop by hand and keeps
it up until Ctrl-C: charon (IKEv1, kernel-libipsec) in one network
namespace, vrouter on a TUN device in another, the crypto map pasted
over telnet. Prints how to reach both, then removes everything on
Ctrl-C or SIGTERM.

    tools/interop-lab.py [--binary build/vrouter] [--initiate]
                         [--extra 'crypto isakmp invalid-spi-recovery']

Needs root, /dev/net/tun and the strongSwan packages that
tools/install-deps.sh --test installs.
"""
import argparse
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "interop"))
import interop  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default="build/vrouter")
    ap.add_argument("--initiate", action="store_true",
                    help="have charon initiate once the lab is up")
    ap.add_argument("--extra", default="",
                    help="more vrouter config lines, separated by ';'")
    opts = ap.parse_args()
    os.environ["VR_BINARY"] = os.path.abspath(opts.binary)
    os.environ["VR_INTEROP_KEEP"] = "1"

    lab = interop.Lab("manual")
    # The lab gives up after a deadline meant for ctest; a person may
    # keep it longer.
    signal.alarm(0)
    try:
        lab.start_charon(version=1)
        lab.start_vrouter()
        lab.configure_vrouter(opts.extra.replace(";", "\n") + "\n")
        if opts.initiate:
            out = lab.swanctl("--initiate", "--child", "net",
                              "--timeout", "15", check=False, timeout=30)
            print(out.stdout[-400:])
        conf = os.path.join(lab.dir, "strongswan.conf")
        print(f"""lab up; files in {lab.dir}
  vrouter:  ip netns exec {lab.dut_ns} telnet 127.0.0.1 {lab.telnet_port}
  charon:   STRONGSWAN_CONF={conf} swanctl --list-sas
  ping:     ip netns exec {lab.sw_ns} ping -I {interop.SW_INNER} {interop.VR_INNER}
  capture:  ip netns exec {lab.sw_ns} tcpdump -ni sw0
  charon log: {lab.dir}/charon.log
Ctrl-C removes the lab.""")
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except KeyboardInterrupt:
        pass
    finally:
        lab.close()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    main()
